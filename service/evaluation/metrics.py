"""Detection metrics over plain arrays: event-level ranking quality, and attack-instance views
(was any event of an instance flagged, and how far into it).

Conventions: ``labels`` is True for attack events; ``groups`` holds a non-negative instance
index per event, with events in time order; undefined results are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]

PER_10K = 10_000.0


def _both_classes(labels: Bools) -> bool:
    return bool(labels.any()) and not bool(labels.all())


def roc_auc(labels: Bools, scores: Floats) -> float | None:
    """Probability that an attack event scores above an honest one (ties count half)."""
    if not _both_classes(labels):
        return None
    return float(roc_auc_score(labels, scores))


def average_precision(labels: Bools, scores: Floats) -> float | None:
    """PR-AUC as average precision: precision averaged over the recall steps."""
    if not _both_classes(labels):
        return None
    return float(average_precision_score(labels, scores))


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    target_fpr: float
    threshold: float  # events scoring strictly above it are flagged
    fpr: float  # the share of honest events above the threshold (at most target_fpr, up to ties)
    recall: float


def recall_at_fpr(labels: Bools, scores: Floats, target_fpr: float) -> OperatingPoint | None:
    """Recall of attack events at the threshold that the honest events' (1 - target_fpr)
    quantile sets; ties at the threshold are not flagged."""
    if not _both_classes(labels):
        return None
    honest, attacks = scores[~labels], scores[labels]
    threshold = float(np.quantile(honest, 1.0 - target_fpr))
    return OperatingPoint(target_fpr, threshold, float(np.mean(honest > threshold)),
                          float(np.mean(attacks > threshold)))


def roc_at(labels: Bools, scores: Floats, fpr_grid: Floats) -> Floats | None:
    """True-positive rate of the ROC curve at each false-positive rate of ``fpr_grid`` (the
    curve's upper envelope: the best recall reachable without exceeding that rate)."""
    if not _both_classes(labels):
        return None
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked_labels = scores[order], labels[order]
    # Only the last position of a run of equal scores is a threshold one can choose.
    last_of_tie = np.r_[ranked_scores[1:] != ranked_scores[:-1], True]
    tp = np.cumsum(ranked_labels)[last_of_tie]
    fp = np.cumsum(~ranked_labels)[last_of_tie]
    fpr = np.r_[0.0, fp / (~labels).sum()]
    tpr = np.r_[0.0, tp / labels.sum()]
    reachable = np.searchsorted(fpr, fpr_grid, side="right") - 1
    return np.asarray(tpr[reachable], dtype=np.float64)


def any_in_group(groups: Ints, flags: Bools, n_groups: int) -> Bools:
    """Per group: was any of its events flagged."""
    hits = np.bincount(groups[flags], minlength=n_groups)
    return np.asarray(hits > 0)


def first_flagged(groups: Ints, flags: Bools, n_groups: int) -> Ints:
    """Per group: the index (into the arrays) of its first flagged event, -1 if none."""
    none = len(groups)
    first = np.full(n_groups, none, dtype=np.int64)
    np.minimum.at(first, groups[flags], np.flatnonzero(flags))
    first[first == none] = -1
    return first


def strongest_flagged(groups: Ints, flags: Bools, scores: Floats, n_groups: int) -> Ints:
    """Per group: the index of its flagged event with the highest score (the latest among
    equals), -1 if none."""
    strongest = np.full(n_groups, -1, dtype=np.int64)
    candidates = np.flatnonzero(flags)
    if candidates.size == 0:
        return strongest
    # Sort by group, then score, then position; the last entry of each group wins.
    order = np.lexsort((candidates, scores[candidates], groups[candidates]))
    ranked = candidates[order]
    last_of_group = np.r_[groups[ranked][1:] != groups[ranked][:-1], True]
    strongest[groups[ranked][last_of_group]] = ranked[last_of_group]
    return strongest


def ordinal_in_group(groups: Ints) -> Ints:
    """Per event: its 1-based position among its group's events, in array order."""
    order = np.argsort(groups, kind="stable")
    ranked = groups[order]
    starts = np.searchsorted(ranked, ranked, side="left")
    ordinal = np.empty(len(groups), dtype=np.int64)
    ordinal[order] = np.arange(len(groups)) - starts + 1
    return ordinal


def share(flags: Bools) -> float | None:
    return float(flags.mean()) if flags.size else None


def median_and_mean(values: NDArray[np.int64] | Floats) -> dict[str, float | None]:
    if not values.size:
        return {"median": None, "mean": None}
    return {"median": float(np.median(values)), "mean": float(np.mean(values))}


def per_10k_per_day(count: int, accounts: int, days: float) -> float | None:
    """A count as a rate per 10,000 accounts per day."""
    if accounts <= 0 or days <= 0:
        return None
    return count / (accounts * days) * PER_10K
