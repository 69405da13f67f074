"""Reason codes from per-feature evidence.

Each feature's evidence is its right-tail surprise on normal traffic: -log P(X_j >= x_j), with
features oriented so that higher is riskier. Evidence is pooled per reason code (the strongest
feature speaks for its code), codes below a floor are dropped, and the rest are weighted by
their share of the evidence and phrased as sentences a support agent can read out
(detectors.sentences).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detectors.calibration import TailCalibrator
from detectors.features import Context, FeatureSpec
from detectors.reasons import Reason, ReasonCode
from detectors.sentences import describe

Floats = NDArray[np.float64]

# Evidence (in nats) below which a feature is not worth naming: about a 1-in-12 event.
MIN_EVIDENCE = 2.5
MAX_REASONS = 5


@dataclass(frozen=True, slots=True)
class FeatureTails:
    """Each feature's right tail on normal traffic, with the exponential extension of
    :class:`TailCalibrator`, so values past anything seen in training still rank: a sign-in at
    17,000 km/h is stronger evidence than one at 2,000 km/h."""

    columns: tuple[TailCalibrator, ...]

    @classmethod
    def fit(cls, X: Floats) -> FeatureTails:
        return cls(tuple(TailCalibrator.fit(X[:, j]) for j in range(X.shape[1])))

    def evidence(self, row: Sequence[float]) -> list[float]:
        """-log P(X_j >= x_j) per feature (0 for values at or below most of normal traffic)."""
        return [-math.log(max(column.exceedance_one(value), 1e-300))
                for column, value in zip(self.columns, row, strict=True)]

    def to_arrays(self, prefix: str) -> dict[str, Floats]:
        arrays: dict[str, Floats] = {}
        for j, column in enumerate(self.columns):
            arrays.update(column.to_arrays(f"{prefix}.{j}"))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, Floats], prefix: str, width: int) -> FeatureTails:
        return cls(tuple(TailCalibrator.from_arrays(arrays, f"{prefix}.{j}")
                         for j in range(width)))


def explain(specs: Sequence[FeatureSpec], evidence: Sequence[float],
            context: Context) -> list[Reason]:
    """The reasons behind an event's risk, strongest first (empty if nothing stands out)."""
    pooled: dict[ReasonCode, float] = {}
    for spec, amount in zip(specs, evidence, strict=True):
        if spec.reason is not None and amount >= MIN_EVIDENCE:
            pooled[spec.reason] = max(pooled.get(spec.reason, 0.0), amount)
    if not pooled:
        return [Reason(ReasonCode.UNUSUAL_PATTERN, describe(ReasonCode.UNUSUAL_PATTERN, context),
                       1.0)]
    total = sum(pooled.values())
    ranked = sorted(pooled.items(), key=lambda item: (-item[1], item[0]))[:MAX_REASONS]
    return [Reason(code, describe(code, context), round(amount / total, 4))
            for code, amount in ranked]
