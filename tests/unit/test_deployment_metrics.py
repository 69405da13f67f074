"""The replay's figures from the service's answers: recall at its decisions and at 1% false
positives on the risk, per scenario; honest events flagged against the calibrated budget."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.model import Thresholds
from service.evaluation.deployment_metrics import deployment_metrics, threshold_at_fpr


def test_threshold_lets_at_most_the_share_through():
    risk = np.random.default_rng(1).random(1_000)
    threshold = threshold_at_fpr(risk, 0.01)
    assert int(np.sum(risk >= threshold)) == 10


def test_a_tie_across_the_boundary_stays_below_the_threshold():
    risk = np.array([0.1] * 95 + [0.9] * 5)
    assert int(np.sum(risk >= threshold_at_fpr(risk, 0.02))) == 0
    assert int(np.sum(risk >= threshold_at_fpr(risk, 0.05))) == 5


def test_recall_and_honest_flags():
    honest_risk = np.linspace(0.0, 0.99, 1_000)
    risk = np.concatenate([honest_risk, [0.999, 0.995, 0.5, 0.999]])
    decision = ["ALLOW"] * 995 + ["CHALLENGE"] * 5 + ["FREEZE", "CHALLENGE", "ALLOW", "FREEZE"]
    fraud = np.array([False] * 1_000 + [True] * 4)
    scenario = np.array([0] * 1_000 + [3, 3, 3, 1])
    m = deployment_metrics(risk, decision, fraud, scenario, (1, 2, 3),
                           Thresholds(0.99, 0.999), challenge_rate=0.005, freeze_rate=0.0002)
    assert m["events"] == 1_004
    assert m["honest_events"] == 1_000
    assert m["honest_flagged"] == {"challenge_or_freeze": 0.005, "freeze": 0.0}
    assert m["honest_within_budget"] == {"challenge_or_freeze": True, "freeze": True}
    assert m["decisions"] == {"ALLOW": 996, "CHALLENGE": 6, "FREEZE": 2}
    three = m["by_scenario"]["3"]
    assert three["frauds"] == 3
    assert three["recall_challenge_or_freeze"] == pytest.approx(2 / 3)
    assert three["recall_freeze"] == pytest.approx(1 / 3)
    assert three["recall_at_fpr_0.01"] == pytest.approx(2 / 3)
    assert m["by_scenario"]["2"] == {"frauds": 0, "recall_challenge_or_freeze": None,
                                     "recall_freeze": None, "recall_at_fpr_0.01": None,
                                     "roc_auc": None}
    assert m["all_frauds"]["frauds"] == 4


def test_over_budget_is_said():
    risk = np.linspace(0.0, 1.0, 100)
    decision = ["CHALLENGE"] * 10 + ["ALLOW"] * 90
    m = deployment_metrics(risk, decision, np.zeros(100, dtype=bool), np.zeros(100, dtype=int),
                           (1,), Thresholds(0.9, 0.99), challenge_rate=0.05, freeze_rate=0.01)
    assert m["honest_within_budget"] == {"challenge_or_freeze": False, "freeze": True}
