"""Scrape /metrics of a running server after real calls: the counts moved as they should."""

from __future__ import annotations

import math
import time
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.metrics_http import serve_metrics
from service.rpc.converters import event_to_request

pytestmark = pytest.mark.e2e
DAY = 86400.0


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counts_follow_real_calls(server, stub):
    app, _ = server
    http, port = serve_metrics(app.metrics, "127.0.0.1:0")
    try:
        start = math.floor(time.time() / DAY) * DAY - 8 * DAY
        week = normal_week("metrics", start)
        attack = takeover("metrics", takeover_start(start))
        replies = [stub.Score(event_to_request(e), timeout=5) for e in [*week, *attack]]
        stub.Score(event_to_request(week[0]), timeout=5)  # a replay: no second decision
        with pytest.raises(grpc.RpcError):
            stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id=""), timeout=5)
        started = stub.StartVerification(pb.StartVerificationRequest(
            account_id="metrics", method=pb.ONE_TIME_CODE), timeout=5)
        wrong = f"{(int(started.delivered_code) + 1) % 1_000_000:06d}"
        stub.CompleteVerification(pb.CompleteVerificationRequest(
            challenge_id=started.challenge_id, code=wrong), timeout=5)
        stub.CompleteVerification(pb.CompleteVerificationRequest(
            challenge_id=started.challenge_id, code=started.delivered_code), timeout=5)
        stub.Unfreeze(pb.UnfreezeRequest(account_id="metrics",
                                          challenge_id=started.challenge_id), timeout=5)
        samples = _scrape(port)
    finally:
        http.shutdown()

    guard = "acctguard.v1.AccountGuard"
    assert _value(samples, "grpc_server_handled_total", grpc_service=guard,
                  grpc_method="Score", grpc_code="OK") == len(replies) + 1
    assert _value(samples, "grpc_server_handled_total", grpc_service=guard,
                  grpc_method="GetAccountStatus", grpc_code="INVALID_ARGUMENT") == 1
    assert _value(samples, "grpc_server_handling_seconds_count", grpc_service=guard,
                  grpc_method="Score") == len(replies) + 1
    decided = {d: sum(r.decision == getattr(pb, d) for r in replies)
               for d in ("ALLOW", "CHALLENGE", "FREEZE")}
    counted = {d: sum(_value(samples, "acctguard_decisions_total", kind=k, decision=d)
                      for k in ("login", "transaction", "account_change")) for d in decided}
    assert counted == decided
    assert _value(samples, "acctguard_freezes_placed_total", by="engine") == \
        len({r.freeze_id for r in replies if r.freeze_id})
    assert _value(samples, "acctguard_freezes_lifted_total", how="verified") == 1
    assert _value(samples, "acctguard_active_freezes") == 0
    for result in ("started", "failed", "succeeded"):
        assert _value(samples, "acctguard_verifications_total", result=result) == 1
    assert _value(samples, "acctguard_reasons_total", code="FEATURE_FROZEN") >= 1
    assert _value(samples, "acctguard_scorer_seconds_count") == len(replies)
    assert _value(samples, "acctguard_model_info", version=app.engine.scorer.version,
                  detectors="hbos,ecod") == 1
