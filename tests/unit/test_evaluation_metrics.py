"""Evaluation metrics on arrays small enough to work out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from service.evaluation import metrics
from service.evaluation.replay import ReplayClock, attack_key

T, F = True, False


def _bools(*values: bool) -> np.ndarray:
    return np.array(values, dtype=bool)


def test_roc_auc_counts_ordered_pairs():
    # attack 0.35 beats one of two honest events, attack 0.8 beats both: 3 of 4 pairs
    labels = _bools(F, F, T, T)
    assert metrics.roc_auc(labels, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)


def test_roc_auc_and_average_precision_need_both_classes():
    scores = np.array([0.1, 0.9])
    assert metrics.roc_auc(_bools(F, F), scores) is None
    assert metrics.average_precision(_bools(T, T), scores) is None
    assert metrics.recall_at_fpr(_bools(F, F), scores, 0.01) is None
    assert metrics.roc_at(_bools(T, T), scores, np.array([0.5])) is None


def test_average_precision_averages_precision_at_each_recall_step():
    # ranked: attack (precision 1/1), honest, attack (precision 2/3)
    labels = _bools(T, F, T)
    assert metrics.average_precision(labels, np.array([0.9, 0.8, 0.7])) == pytest.approx(
        (1.0 + 2 / 3) / 2)


def test_recall_at_fpr_takes_the_threshold_from_honest_quantiles():
    honest = np.arange(1000) / 1000.0
    attacks = np.array([0.5, 0.995, 0.9995, 1.5])
    labels = np.r_[np.zeros(1000, dtype=bool), np.ones(4, dtype=bool)]
    scores = np.r_[honest, attacks]
    one_percent = metrics.recall_at_fpr(labels, scores, 0.01)
    assert one_percent is not None
    assert one_percent.threshold == pytest.approx(0.98901)
    assert one_percent.fpr == pytest.approx(0.01)  # 0.990 ... 0.999
    assert one_percent.recall == pytest.approx(0.75)
    tenth = metrics.recall_at_fpr(labels, scores, 0.001)
    assert tenth is not None
    assert tenth.fpr == pytest.approx(0.001)  # only 0.999
    assert tenth.recall == pytest.approx(0.5)  # 0.9995 and 1.5


def test_recall_at_fpr_does_not_flag_ties_at_the_threshold():
    labels = _bools(F, F, F, T)
    point = metrics.recall_at_fpr(labels, np.array([1.0, 1.0, 1.0, 1.0]), 0.01)
    assert point is not None
    assert (point.fpr, point.recall) == (0.0, 0.0)


def test_roc_at_reads_the_best_recall_within_each_false_positive_rate():
    # thresholds: >=4 (tp 1, fp 0), >=3 (1, 1), >=2 (2, 1), >=1 (2, 2)
    labels = _bools(T, F, T, F)
    tpr = metrics.roc_at(labels, np.array([4.0, 3.0, 2.0, 1.0]),
                         np.array([0.0, 0.25, 0.5, 1.0]))
    assert tpr is not None
    assert tpr.tolist() == [0.5, 0.5, 1.0, 1.0]


def test_roc_at_cannot_split_tied_scores():
    tpr = metrics.roc_at(_bools(T, F), np.array([1.0, 1.0]), np.array([0.5, 1.0]))
    assert tpr is not None
    assert tpr.tolist() == [0.0, 1.0]


def test_any_in_group():
    groups = np.array([0, 0, 1, 2, 2])
    flags = _bools(F, T, F, F, F)
    assert metrics.any_in_group(groups, flags, 4).tolist() == [T, F, F, F]


def test_first_flagged_is_the_earliest_flagged_index_per_group():
    groups = np.array([0, 1, 0, 1, 0])
    flags = _bools(F, T, T, T, T)
    assert metrics.first_flagged(groups, flags, 3).tolist() == [2, 1, -1]


def test_ordinal_in_group_counts_from_one_in_array_order():
    assert metrics.ordinal_in_group(np.array([1, 0, 1, 0, 1])).tolist() == [1, 1, 2, 2, 3]
    assert metrics.ordinal_in_group(np.array([], dtype=np.int64)).tolist() == []


def test_rates_and_summaries():
    assert metrics.per_10k_per_day(3, 1000, 30.0) == pytest.approx(1.0)
    assert metrics.per_10k_per_day(3, 0, 30.0) is None
    assert metrics.share(_bools(T, F, F, T)) == 0.5
    assert metrics.share(_bools()) is None
    assert metrics.median_and_mean(np.array([1, 2, 9])) == {"median": 2.0, "mean": 4.0}
    assert metrics.median_and_mean(np.array([])) == {"median": None, "mean": None}


def test_replay_clock_and_attack_instances():
    clock = ReplayClock()
    clock.set(1767225600.5)
    assert clock.now() == 1767225600.5
    # a campaign's attack_id spans accounts: each account hit is its own instance
    assert attack_key("atk-1", "a") != attack_key("atk-1", "b")


def test_strongest_flagged_picks_the_highest_flagged_score_per_group():
    from service.evaluation.metrics import strongest_flagged

    groups = np.array([0, 0, 0, 1, 1, 2])
    flags = np.array([True, True, False, False, False, True])
    scores = np.array([0.5, 0.9, 0.99, 0.7, 0.8, 0.1])
    assert strongest_flagged(groups, flags, scores, 4).tolist() == [1, -1, 5, -1]
