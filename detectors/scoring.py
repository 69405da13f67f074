"""Scoring one event against its account's profile with a loaded :class:`RiskModel`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detectors.accumulation import RiskAccumulator
from detectors.crowd import CrowdSignals
from detectors.events import Event, EventKind
from detectors.explain import explain
from detectors.features import (
    FEATURE_SPECS,
    NO_CROWD,
    PRIOR_AMOUNT_LOG_MEAN,
    PRIOR_AMOUNT_LOG_STD,
    extract_features,
)
from detectors.model import RiskModel, Thresholds, apply_priors
from detectors.profile import AccountProfile
from detectors.reasons import Reason


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the model says of one event, before any policy. ``reasons`` are worked out only
    for events that reach CHALLENGE by risk or accumulated evidence (empty otherwise)."""

    kind: EventKind
    risk: float
    reasons: tuple[Reason, ...]
    thresholds: Thresholds
    new_account: bool
    detector_risks: tuple[float, ...] = ()
    # The account's accumulated evidence after this event (None: not worked out here).
    alert_level: float | None = None


class Scorer:
    """Features, detectors, calibration and explanation for single events. Thread-safe."""

    def __init__(self, model: RiskModel) -> None:
        self.model = model
        self.accumulator = RiskAccumulator.from_dict(model.metadata.get("accumulation"))
        population = model.metadata.get("population") or {}
        # What only 5% of the training population's honest transactions reach (a model trained
        # before this was kept: the amount prior's mean plus two spreads, about 800.00).
        self.large_amount_minor = float(population.get(
            "large_amount_minor", math.expm1(PRIOR_AMOUNT_LOG_MEAN + 2 * PRIOR_AMOUNT_LOG_STD)))

    @property
    def version(self) -> str:
        return self.model.version

    def assess(self, event: Event, profile: AccountProfile,
               crowd: CrowdSignals = NO_CROWD) -> Assessment:
        return self.assess_many([(event, profile, crowd)])[0]

    def assess_many(self, items: Sequence[tuple[Event, AccountProfile, CrowdSignals]],
                    ) -> list[Assessment]:
        """Assess many events at once: features one by one, then detectors, calibration and
        feature evidence as one numpy pass per event kind. Row-wise throughout, so an event's
        assessment does not depend on the others (and equals :meth:`assess` of it alone).
        Each profile is read as it is now: give one event per account."""
        vectors = [extract_features(event, profile, crowd) for event, profile, crowd in items]
        out: list[Assessment | None] = [None] * len(items)
        by_kind: dict[EventKind, list[int]] = {}
        for index, (event, _, _) in enumerate(items):
            by_kind.setdefault(event.kind, []).append(index)
        for kind, indices in by_kind.items():
            kind_model = self.model.kinds[kind]
            empty = [items[i][1].is_empty for i in indices]
            rows = apply_priors(np.asarray([vectors[i].values for i in indices],
                                           dtype=np.float64), np.array(empty, dtype=bool),
                                kind_model.priors)
            risks, detector_risks = kind_model.risk_parts(rows)
            for position, (index, risk, each) in enumerate(
                    zip(indices, risks.tolist(), detector_risks.tolist(), strict=True)):
                event, profile, _ = items[index]
                risk = min(1.0, max(0.0, risk))
                reasons: list[Reason] = []
                level = self.accumulator.level(profile.alert_level, profile.alert_at, risk,
                                               event.occurred_at)
                if risk >= kind_model.thresholds.challenge or self.accumulator.escalates(level):
                    # Reasons only where they will be shown: an ALLOW carries none.
                    evidence = kind_model.tails.evidence(rows[position].tolist())
                    reasons = explain(FEATURE_SPECS[kind], evidence, vectors[index].context)
                out[index] = Assessment(kind, risk, tuple(reasons), kind_model.thresholds,
                                        empty[position], tuple(each), level)
        return [assessment for assessment in out if assessment is not None]
