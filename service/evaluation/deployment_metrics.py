"""What a replay through the service caught and whom it bothered, from its answers and labels.

Per fraud scenario: the share of its frauds the service's own decisions flagged (CHALLENGE or
FREEZE, and FREEZE), and the share at or above the risk that flags 1% of honest events; for
honest events: the share flagged, next to the alert budget the thresholds were calibrated for,
and the share whose risk alone reaches the thresholds (the budget is on the risk; the policy's
rules then move decisions up or down).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.model import Thresholds

Result = dict[str, Any]
FLAGGED = frozenset({"CHALLENGE", "FREEZE"})
FPR = 0.01


def threshold_at_fpr(honest_risk: NDArray[np.float64], fpr: float = FPR) -> float:
    """The lowest risk that at most ``fpr`` of the honest events reach (ties stay below it)."""
    if honest_risk.size == 0:
        return float("inf")
    ordered = np.sort(honest_risk)[::-1]
    allowed = int(np.floor(fpr * honest_risk.size + 1e-9))
    if allowed == 0:
        return float(np.nextafter(ordered[0], np.inf))
    candidate = float(ordered[allowed - 1])
    if allowed < ordered.size and ordered[allowed] == candidate:  # a tie across the boundary
        return float(np.nextafter(candidate, np.inf))
    return candidate


def _share(mask: NDArray[np.bool_]) -> float | None:
    return float(mask.mean()) if mask.size else None


def _roc_auc(positive: NDArray[np.float64], negative: NDArray[np.float64]) -> float | None:
    if positive.size == 0 or negative.size == 0:
        return None
    from sklearn.metrics import roc_auc_score

    y = np.concatenate([np.ones(positive.size), np.zeros(negative.size)])
    return float(roc_auc_score(y, np.concatenate([positive, negative])))


def _caught(rows: NDArray[np.bool_], risk: NDArray[np.float64], decision: NDArray[np.str_],
            at_fpr: float, honest_risk: NDArray[np.float64]) -> Result:
    return {"frauds": int(rows.sum()),
            "recall_challenge_or_freeze": _share(np.isin(decision[rows], list(FLAGGED))),
            "recall_freeze": _share(decision[rows] == "FREEZE"),
            f"recall_at_fpr_{FPR:g}": _share(risk[rows] >= at_fpr),
            "roc_auc": _roc_auc(risk[rows], honest_risk)}


def deployment_metrics(risk: NDArray[np.float64], decision: Sequence[str],
                       fraud: NDArray[np.bool_], scenario: NDArray[np.int64],
                       scenarios: Sequence[int], thresholds: Thresholds, challenge_rate: float,
                       freeze_rate: float) -> Result:
    """``risk`` and ``decision`` per event as the service answered, ``fraud`` and ``scenario``
    the labels (each of ``scenarios`` is reported, with no frauds too); ``thresholds`` those
    served, calibrated for the two rates."""
    decided = np.asarray(decision, dtype=np.str_)
    honest = ~fraud
    honest_risk = risk[honest]
    at_fpr = threshold_at_fpr(honest_risk)
    flagged = np.isin(decided, list(FLAGGED))
    honest_flags = {"challenge_or_freeze": _share(flagged[honest]),
                    "freeze": _share(decided[honest] == "FREEZE")}
    budget = {"challenge_or_freeze": challenge_rate, "freeze": freeze_rate}
    return {
        "events": int(risk.size), "honest_events": int(honest.sum()),
        "honest_flagged": honest_flags,
        "calibrated_budget": budget,
        "honest_within_budget": {k: v is not None and v <= budget[k]
                                 for k, v in honest_flags.items()},
        "honest_risk_at_or_above": {
            "challenge_threshold": _share(honest_risk >= thresholds.challenge),
            "freeze_threshold": _share(honest_risk >= thresholds.freeze)},
        "thresholds": {"challenge": thresholds.challenge, "freeze": thresholds.freeze},
        f"risk_at_fpr_{FPR:g}": at_fpr,
        "decisions": {name: int(np.sum(decided == name))
                      for name in ("ALLOW", "CHALLENGE", "FREEZE")},
        "all_frauds": _caught(fraud, risk, decided, at_fpr, honest_risk),
        "by_scenario": {str(k): _caught(fraud & (scenario == k), risk, decided, at_fpr,
                                        honest_risk) for k in scenarios},
    }
