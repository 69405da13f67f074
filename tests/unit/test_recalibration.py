"""Thresholds from a deployment's own risks: the budget held, the invariant kept, too little
data refused, and the new artifact loadable and told apart from the old."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.events import EventKind
from detectors.model import RiskModel, Thresholds
from detectors.recalibration import (
    LABELLED_ATTACK,
    AlertBudget,
    CalibrationError,
    KindRisks,
    allowed_alerts,
    calibrate_thresholds,
    kind_thresholds,
    parse_rate,
    recalibrated,
    replayed_risks,
)
from detectors.scoring import Scorer
from detectors.simulation import SimulationConfig, simulate
from service.domain.clock import ManualClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
OLD = Thresholds(0.995, 0.9998)
LOGIN = EventKind.LOGIN


@pytest.fixture(scope="module")
def model(model_path) -> RiskModel:
    return RiskModel.load(model_path)


def _uniform(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def _at_or_above(risks: np.ndarray, threshold: float) -> int:
    return int(np.count_nonzero(risks >= threshold))


@pytest.mark.parametrize(("text", "rate"), [("0.5%", 0.005), ("0.005", 0.005),
                                            (" 0.02% ", 0.0002), ("50%", 0.5)])
def test_rates_are_read_as_percent_or_fraction(text, rate):
    assert parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("text", ["0", "0%", "1", "100%", "150%", "-1%", "nan", "half", ""])
def test_rates_outside_zero_and_one_are_refused(text):
    with pytest.raises(ValueError, match=r"rate|between"):
        parse_rate(text)


def test_required_events_follow_the_freeze_rate():
    assert AlertBudget(0.005, 0.0002).required_events == 100_000
    assert AlertBudget(0.2, 0.05).required_events == 400
    assert AlertBudget(0.2, 0.05, min_expected_freezes=5).required_events == 100
    with pytest.raises(ValueError, match="above the challenge rate"):
        AlertBudget(0.001, 0.01)


def test_thresholds_put_the_asked_share_at_or_above_them():
    risks = _uniform(10_000)
    found = kind_thresholds(LOGIN, KindRisks.of(risks), AlertBudget(0.005, 0.002), OLD)
    assert _at_or_above(risks, found.thresholds.challenge) == 50
    assert _at_or_above(risks, found.thresholds.freeze) == 20
    assert (found.at_or_above_challenge, found.at_or_above_freeze) == (50, 20)
    assert 0 < found.thresholds.challenge <= found.thresholds.freeze <= 1


def test_only_the_highest_risks_are_needed():
    risks = _uniform(5_000, seed=3)
    budget = AlertBudget(0.01, 0.004)
    everything = kind_thresholds(LOGIN, KindRisks.of(risks), budget, OLD)
    top = np.sort(risks)[::-1][:budget.highest_needed(len(risks))]
    part = kind_thresholds(LOGIN, KindRisks(len(risks), top), budget, OLD)
    assert part.thresholds == everything.thresholds
    with pytest.raises(ValueError, match="highest risks"):
        kind_thresholds(LOGIN, KindRisks(len(risks), top[:-1]), budget, OLD)


@settings(max_examples=200, deadline=None)
@given(risks=st.lists(st.floats(0, 1), min_size=1, max_size=400, unique=True),
       challenge=st.floats(0.01, 0.9), share=st.floats(0.05, 1.0))
def test_the_share_at_or_above_is_within_one_event_of_the_target(risks, challenge, share):
    freeze = challenge * share
    budget = AlertBudget(challenge, freeze, min_expected_freezes=1)
    values = np.asarray(risks)
    n = len(values)
    if n < budget.required_events:
        with pytest.raises(CalibrationError, match=f"has {n:,} event"):
            kind_thresholds(LOGIN, KindRisks.of(values), budget, OLD)
        return
    try:
        found = kind_thresholds(LOGIN, KindRisks.of(values), budget, OLD)
    except CalibrationError:
        # Only when every value above the boundary is 1.0 or no value is above it.
        assert allowed_alerts(n, freeze) == 0 or np.sort(values)[-1] == 0.0
        return
    t = found.thresholds
    assert 0 < t.challenge <= t.freeze <= 1
    for rate, threshold in ((challenge, t.challenge), (freeze, t.freeze)):
        count = _at_or_above(values, threshold)
        assert count == allowed_alerts(n, rate)
        assert abs(count - rate * n) < 1 + 1e-9
        assert count <= rate * n + 1e-9


@settings(max_examples=200, deadline=None)
@given(risks=st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.9, 0.99, 0.999, 1.0]),
                      min_size=1, max_size=300),
       challenge=st.floats(0.01, 0.9), share=st.floats(0.05, 1.0))
def test_tied_risks_never_exceed_the_budget(risks, challenge, share):
    budget = AlertBudget(challenge, challenge * share, min_expected_freezes=1)
    values = np.asarray(risks)
    refusal = ""
    try:
        found = kind_thresholds(LOGIN, KindRisks.of(values), budget, OLD)
    except CalibrationError as exc:
        refusal = str(exc)
    if refusal:
        assert "needed for a" in refusal or "no threshold puts" in refusal
        return
    t = found.thresholds
    assert 0 < t.challenge <= t.freeze <= 1
    assert _at_or_above(values, t.challenge) <= budget.challenge_rate * len(values) + 1e-9
    assert _at_or_above(values, t.freeze) <= budget.freeze_rate * len(values) + 1e-9


def test_risks_saturated_at_one_beyond_the_budget_are_refused():
    risks = np.concatenate([np.ones(30), _uniform(970)])
    with pytest.raises(CalibrationError, match="all 1; no threshold puts 2%"):
        kind_thresholds(LOGIN, KindRisks.of(risks), AlertBudget(0.05, 0.02), OLD)


def test_too_few_events_are_refused_saying_how_many_are_needed(model):
    budget = AlertBudget(0.2, 0.05)
    risks = {EventKind.LOGIN: KindRisks.of(_uniform(399)),
             EventKind.TRANSACTION: KindRisks.of(_uniform(400)),
             EventKind.ACCOUNT_CHANGE: KindRisks.of(_uniform(1000))}
    with pytest.raises(CalibrationError) as refused:
        calibrate_thresholds(model, risks, budget)
    message = str(refused.value)
    assert message == ("login has 399 events, 400 needed for a 5% freeze rate (at least 20 "
                       "expected at or above FREEZE)")
    assert "\n" not in message
    risks[EventKind.ACCOUNT_CHANGE] = KindRisks.of(_uniform(40))
    risks[EventKind.TRANSACTION] = KindRisks(0, np.zeros(0))
    with pytest.raises(CalibrationError) as refused:
        calibrate_thresholds(model, risks, budget)
    assert str(refused.value) == (
        "login has 399 events and account_change 40: 400 of each needed for a 5% freeze rate "
        "(at least 20 expected at or above FREEZE); transaction has no events "
        "(--keep-missing-kinds keeps its thresholds)")


def test_a_kind_without_events_keeps_its_thresholds_only_when_asked(model):
    budget = AlertBudget(0.2, 0.05)
    risks = {EventKind.LOGIN: KindRisks.of(_uniform(500)),
             EventKind.TRANSACTION: KindRisks.of(_uniform(800)),
             EventKind.ACCOUNT_CHANGE: KindRisks(0, np.zeros(0), {"confirmed_fraud": 2})}
    with pytest.raises(CalibrationError, match="account_change has no events "
                                               r"\(--keep-missing-kinds"):
        calibrate_thresholds(model, risks, budget)
    found = calibrate_thresholds(model, risks, budget, keep_missing_kinds=True)
    kept = found[EventKind.ACCOUNT_CHANGE]
    assert kept.kept_previous
    assert kept.thresholds == model.kinds[EventKind.ACCOUNT_CHANGE].thresholds
    assert kept.left_out == {"confirmed_fraud": 2}
    assert not found[EventKind.LOGIN].kept_previous


def test_the_calibrated_artifact_loads_passes_the_smoke_test_and_says_how_it_was_made(
        model, tmp_path):
    budget = AlertBudget(0.01, 0.004)
    risks = {kind: KindRisks.of(_uniform(5_000 + i), {"confirmed_fraud": i})
             for i, kind in enumerate(EventKind)}
    calibrations = calibrate_thresholds(model, risks, budget)
    source = {"data_dir": "/srv/acctguard"}
    new = recalibrated(model, calibrations, budget, source, "2026-12-01T00:00:00+00:00")
    path = tmp_path / "calibrated.npz"
    new.save(path)
    loaded = RiskModel.load(path)
    engine = RiskEngine(Scorer(model), RiskPolicy(), InMemoryRiskStore(), ManualClock(1.8e9),
                        EngineSettings())
    engine.smoke_test(Scorer(loaded))

    assert loaded.version != model.version
    assert loaded.version.startswith(model.version + "-cal")
    for kind in EventKind:
        assert loaded.kinds[kind].thresholds == calibrations[kind].thresholds
        before, after = model.kinds[kind].to_arrays(), loaded.kinds[kind].to_arrays()
        assert before.keys() == after.keys()
        for key in before:  # everything but the thresholds is the trained model's
            if not key.endswith(".thresholds"):
                np.testing.assert_array_equal(before[key], after[key])
    info = loaded.metadata["calibration"]
    assert info["source"] == source
    assert (info["challenge_rate"], info["freeze_rate"]) == (0.01, 0.004)
    assert info["previous_version"] == model.version
    assert info["previous_thresholds"]["login"] == {
        "challenge": model.kinds[LOGIN].thresholds.challenge,
        "freeze": model.kinds[LOGIN].thresholds.freeze}
    assert info["kinds"]["transaction"]["events"] == 5_001
    assert info["kinds"]["transaction"]["left_out"] == {"confirmed_fraud": 1}
    assert info["kinds"]["login"]["at_or_above_freeze"] == 20
    assert loaded.metadata["training_digest"] == model.metadata["training_digest"]

    again = recalibrated(loaded, calibrate_thresholds(loaded, risks, AlertBudget(0.02, 0.004)),
                         AlertBudget(0.02, 0.004), source, "2026-12-02T00:00:00+00:00")
    assert again.version.startswith(model.version + "-cal")  # not a growing chain of suffixes
    assert again.version not in (model.version, loaded.version)
    assert again.metadata["calibration"]["previous_version"] == loaded.version
    same = recalibrated(model, calibrations, budget, {}, "later")
    assert same.version == new.version  # the same thresholds, the same version


def test_replayed_risks_leave_labelled_attacks_out(model):
    events = list(simulate(SimulationConfig(accounts=60, days=7, seed=4, attack_rate=0.3)))
    found = replayed_risks(reversed(events), model)  # the replay puts them in time order
    for kind in EventKind:
        honest = sum(1 for e in events if e.event.kind is kind and not e.label.is_attack)
        attacks = sum(1 for e in events if e.event.kind is kind and e.label.is_attack)
        assert found[kind].events == honest
        assert found[kind].left_out == ({LABELLED_ATTACK: attacks} if attacks else {})
        assert np.all(np.diff(found[kind].highest) <= 0)
        assert np.all((found[kind].highest >= 0) & (found[kind].highest <= 1))
    assert sum(found[kind].left_out_total for kind in EventKind) > 0
    assert math.isfinite(float(found[LOGIN].highest[0]))

    since = events[len(events) // 2].event.occurred_at
    recent = replayed_risks(events, model, since)
    for kind in EventKind:
        counted = [e for e in events if e.event.kind is kind and e.event.occurred_at >= since]
        assert recent[kind].events == sum(1 for e in counted if not e.label.is_attack)
        assert recent[kind].left_out_total == sum(1 for e in counted if e.label.is_attack)
    # The earlier events built the profiles: the later ones score as in the full replay.
    assert set(recent[LOGIN].highest.tolist()) <= set(found[LOGIN].highest.tolist())
