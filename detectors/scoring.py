"""Scoring one event against its account's profile with a loaded :class:`RiskModel`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detectors.accumulation import RiskAccumulator
from detectors.crowd import CrowdSignals
from detectors.events import Event, EventKind
from detectors.explain import explain
from detectors.features import FEATURE_SPECS, NO_CROWD, extract_features
from detectors.model import RiskModel, Thresholds, apply_priors
from detectors.profile import AccountProfile
from detectors.reasons import Reason


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the model says of one event, before any policy."""

    kind: EventKind
    risk: float
    reasons: tuple[Reason, ...]
    thresholds: Thresholds
    new_account: bool
    detector_risks: tuple[float, ...] = ()


class Scorer:
    """Features, detectors, calibration and explanation for single events. Thread-safe."""

    def __init__(self, model: RiskModel) -> None:
        self.model = model
        self.accumulator = RiskAccumulator.from_dict(model.metadata.get("accumulation"))

    @property
    def version(self) -> str:
        return self.model.version

    def assess(self, event: Event, profile: AccountProfile,
               crowd: CrowdSignals = NO_CROWD) -> Assessment:
        kind_model = self.model.kinds[event.kind]
        vector = extract_features(event, profile, crowd)
        row = apply_priors(np.asarray([vector.values], dtype=np.float64),
                           np.array([profile.is_empty]), kind_model.priors)
        risks, detector_risks = kind_model.risk_parts(row)
        evidence = kind_model.tails.evidence(row[0].tolist())
        reasons = explain(FEATURE_SPECS[event.kind], evidence, vector.context)
        return Assessment(event.kind, min(1.0, max(0.0, float(risks[0]))), tuple(reasons),
                          kind_model.thresholds, profile.is_empty,
                          tuple(float(r) for r in detector_risks[0]))
