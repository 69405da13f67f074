"""Prometheus metrics, in a registry the caller owns (tests make their own; nothing global).

gRPC: ``grpc_server_handled_total`` and ``grpc_server_handling_seconds`` (the names of the
go-grpc-prometheus convention, so existing dashboards work). Domain: ``acctguard_*``.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from service.domain.decisions import ScoreResult
from service.domain.freezes import Freeze

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.handled = Counter("grpc_server_handled_total", "RPCs completed, by status code.",
                               ["grpc_service", "grpc_method", "grpc_code"], registry=r)
        self.handling = Histogram("grpc_server_handling_seconds",
                                  "Time to handle an RPC, from start to status.",
                                  ["grpc_service", "grpc_method"], buckets=LATENCY_BUCKETS,
                                  registry=r)
        self.decisions = Counter("acctguard_decisions_total", "Score decisions.",
                                 ["kind", "decision"], registry=r)
        self.would_decisions = Counter(
            "acctguard_would_decisions_total", "Audit mode: the decisions enforcing would have "
            "made (the answer was ALLOW).", ["kind", "decision"], registry=r)
        self.reasons = Counter("acctguard_reasons_total", "Reason codes given with decisions.",
                               ["code"], registry=r)
        self.freezes_placed = Counter("acctguard_freezes_placed_total", "Freezes placed.",
                                      ["by"], registry=r)
        self.freezes_lifted = Counter("acctguard_freezes_lifted_total", "Freezes lifted.",
                                      ["how"], registry=r)
        self.active_freezes = Gauge("acctguard_active_freezes",
                                    "Freezes active now (read from the store at scrape time).",
                                    registry=r)
        self.verifications = Counter("acctguard_verifications_total",
                                     "Verification events: started, succeeded, failed, locked.",
                                     ["result"], registry=r)
        self.challenge_results = Counter(
            "acctguard_challenge_results_total",
            "Step-up results reported for challenged events: passed, failed, abandoned.",
            ["result"], registry=r)
        self.shed = Counter("acctguard_calls_shed_total",
                            "Calls answered without the engine: rate limited, or the fail mode "
                            "while the store was unusable or the deadline too short to score.",
                            ["reason"], registry=r)
        self.scorer = Histogram("acctguard_scorer_seconds",
                                "Engine time per scored event (features, detectors, policy, "
                                "commit).", buckets=LATENCY_BUCKETS, registry=r)
        self.model = Info("acctguard_model", "The model serving now.", registry=r)

    def count_active_freezes(self, count: Callable[[], int]) -> None:
        self.active_freezes.set_function(lambda: float(count()))

    def call(self, method: str, code: str, seconds: float) -> None:
        service, _, name = method.strip("/").partition("/")
        self.handled.labels(service, name, code).inc()
        self.handling.labels(service, name).observe(seconds)

    def committed(self, result: ScoreResult, freeze: Freeze | None, seconds: float) -> None:
        """ScoringObserver: one newly scored event (replayed ones are not counted again)."""
        self._decided(result)
        if result.would_decision is not None:
            self.would_decisions.labels(str(result.kind), result.would_decision.name).inc()
        if freeze is not None:
            self.freeze_placed(freeze)
        self.scorer.observe(seconds)

    def degraded(self, result: ScoreResult, reason: str = "store_unavailable") -> None:
        """A fail-mode answer: counted as a decision and as a shed call, by why
        (``store_unavailable``, ``deadline_too_short``)."""
        self._decided(result)
        self.shed_call(reason)

    def _decided(self, result: ScoreResult) -> None:
        self.decisions.labels(str(result.kind), result.decision.name).inc()
        for reason in result.reasons:
            self.reasons.labels(reason.code.name).inc()

    def freeze_placed(self, freeze: Freeze) -> None:
        self.freezes_placed.labels(freeze.placed_by if freeze.placed_by == "engine"
                                   else "operator").inc()

    def freezes_lifted_by(self, how: str, count: int = 1) -> None:
        if count:
            self.freezes_lifted.labels(how).inc(count)

    def verification(self, result: str) -> None:
        self.verifications.labels(result).inc()

    def challenge_result(self, result: str) -> None:
        self.challenge_results.labels(result).inc()

    def shed_call(self, reason: str) -> None:
        self.shed.labels(reason).inc()

    def model_loaded(self, version: str, detectors: list[str]) -> None:
        self.model.info({"version": version, "detectors": ",".join(detectors)})
