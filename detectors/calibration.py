"""Turning raw scores into probabilities under normal traffic.

A :class:`TailCalibrator` is fitted on scores of normal events. ``exceedance(s)`` estimates
P(S >= s) for a normal event: the empirical distribution in the body, and beyond a high
quantile an exponential tail fitted to the excesses (peaks over threshold), so that scores past
anything seen in training still get distinct, ever smaller probabilities instead of all being 0.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
MAX_TAIL_UNITS = 800.0  # exp(-800) underflows to 0.0 in float64 (the smallest is about e^-745)


@dataclass(frozen=True, slots=True)
class TailCalibrator:
    sorted_scores: Floats
    tail_start: float
    tail_scale: float
    tail_fraction: float
    # The body as a Python list: bisect on it is several times faster than numpy's searchsorted
    # for one value, and gives the same index.
    _body: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_body", self.sorted_scores.tolist())

    @classmethod
    def fit(cls, scores: Floats, tail_fraction: float = 0.01,
            max_points: int = 20_000) -> TailCalibrator:
        ordered = np.sort(np.asarray(scores, dtype=np.float64))
        if ordered.size == 0:
            raise ValueError("cannot calibrate on no scores")
        start = float(np.quantile(ordered, 1.0 - tail_fraction))
        excess = ordered[ordered > start] - start
        scale = float(excess.mean()) if excess.size else 0.0
        spread = float(ordered[-1] - ordered[0])
        scale = max(scale, 1e-3 * spread, 1e-9)
        # The body only needs quantiles; keep the stored array small.
        if ordered.size > max_points:
            picks = np.linspace(0, ordered.size - 1, max_points).round().astype(np.intp)
            ordered = ordered[picks]
        return cls(ordered, start, scale, tail_fraction)

    def exceedance(self, scores: Floats) -> Floats:
        """Estimated P(S >= s) for a normal event, in [0, 1], decreasing in s."""
        s = np.asarray(scores, dtype=np.float64)
        n = self.sorted_scores.size
        body = (n - np.searchsorted(self.sorted_scores, s, side="left")) / n
        out = np.maximum(body, self.tail_fraction)
        # The exponential only where it applies: below the tail start its argument is positive
        # and, with a tiny scale, overflows.
        in_tail = s > self.tail_start
        out[in_tail] = self.tail_fraction * np.exp(-self._tail_units(s[in_tail]))
        return out

    def exceedance_one(self, score: float) -> float:
        """:meth:`exceedance` for one score, without array overhead (same value)."""
        if score > self.tail_start:
            excess = min(score - self.tail_start, MAX_TAIL_UNITS * self.tail_scale)
            return self.tail_fraction * math.exp(-(excess / self.tail_scale))
        n = len(self._body)
        return max((n - bisect_left(self._body, score)) / n, self.tail_fraction)

    def _tail_units(self, scores: Floats) -> Floats:
        """How many tail scales ``scores`` (all past the tail start) lie beyond it, capped where
        exp(-x) is 0 in float64 anyway, so neither the division nor exp can overflow."""
        excess = np.minimum(scores - self.tail_start, MAX_TAIL_UNITS * self.tail_scale)
        return excess / self.tail_scale

    def to_arrays(self, prefix: str) -> dict[str, Floats]:
        params = np.array([self.tail_start, self.tail_scale, self.tail_fraction])
        return {f"{prefix}.sorted": self.sorted_scores, f"{prefix}.tail": params}

    @classmethod
    def from_arrays(cls, arrays: dict[str, Floats], prefix: str) -> TailCalibrator:
        start, scale, fraction = (float(x) for x in arrays[f"{prefix}.tail"])
        return cls(np.asarray(arrays[f"{prefix}.sorted"], dtype=np.float64), start, scale, fraction)


def surprise(probability: Floats) -> Floats:
    """-log p, the information content of an event this rare; 0 for certain events."""
    return -np.log(np.clip(probability, 1e-300, 1.0))
