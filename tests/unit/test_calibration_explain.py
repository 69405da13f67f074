import warnings

import numpy as np
import pytest

from detectors.calibration import TailCalibrator, surprise
from detectors.events import EventKind
from detectors.explain import MIN_EVIDENCE, FeatureTails, explain
from detectors.features import LOGIN_FEATURES, feature_schema
from detectors.reasons import ReasonCode
from detectors.sentences import describe

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def test_exceedance_is_decreasing_and_extrapolates_past_the_maximum():
    rng = np.random.default_rng(0)
    scores = rng.exponential(size=10_000)
    cal = TailCalibrator.fit(scores)
    grid = np.linspace(-1, 30, 500)
    p = cal.exceedance(grid)
    assert np.all(np.diff(p) <= 1e-12)
    assert p[0] == 1.0
    assert 0 < cal.exceedance(np.array([scores.max() + 5]))[0] < 1e-3
    # The body matches the empirical tail.
    assert abs(cal.exceedance(np.array([np.quantile(scores, 0.9)]))[0] - 0.1) < 0.01


def test_extreme_scores_and_tiny_tail_scales_overflow_nothing():
    """Constant training scores give a tail with a tiny scale (1e-9); scores far below its
    start must not put exp() out of range, nor scores far past it the division."""
    extremes = np.array([-np.inf, -1e308, -1e6, -1.0, -1e-12, 0.0, 1e-12, 1e-9, 1.0, 1e6,
                         1e308, np.inf])
    calibrators = [
        TailCalibrator.fit(np.zeros(1000)),
        TailCalibrator.fit(np.full(50, 3.0)),
        TailCalibrator(np.arange(10.0), 5.0, 1e-300, 0.01),
        TailCalibrator.fit(np.random.default_rng(2).exponential(size=5000)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cal in calibrators:
            p = cal.exceedance(extremes)
            assert np.all((p >= 0.0) & (p <= 1.0))
            assert np.all(np.diff(p) <= 0.0)
            assert (p[0], p[-1]) == (1.0, 0.0)
            assert p.tolist() == [cal.exceedance_one(float(x)) for x in extremes]
            assert np.all(np.isfinite(surprise(p)))


def test_calibrator_round_trips_arrays():
    cal = TailCalibrator.fit(np.arange(100.0))
    again = TailCalibrator.from_arrays(cal.to_arrays("x"), "x")
    grid = np.linspace(-5, 200, 50)
    assert np.array_equal(cal.exceedance(grid), again.exceedance(grid))


def test_surprise_is_zero_for_certain_events():
    assert surprise(np.array([1.0]))[0] == 0.0
    assert surprise(np.array([0.0]))[0] > 600


def test_explain_names_the_rare_features_strongest_first():
    rng = np.random.default_rng(1)
    names = feature_schema(EventKind.LOGIN)
    X = np.zeros((5_000, len(names)))
    X[:, names.index("new_device")] = rng.random(5_000) < 0.05
    X[:, names.index("travel_excess_speed_log")] = rng.random(5_000) < 0.01
    tails = FeatureTails.fit(X)
    row = np.zeros(len(names))
    row[names.index("new_device")] = 1
    row[names.index("travel_excess_speed_log")] = np.log1p(9000)
    reasons = explain(LOGIN_FEATURES, tails.evidence(row.tolist()),
                      {"speed_kmh": 9000, "distance_km": 9000, "hours": 1.0})
    codes = [r.code for r in reasons]
    assert codes[:2] == [ReasonCode.IMPOSSIBLE_TRAVEL, ReasonCode.NEW_DEVICE]
    assert abs(sum(r.weight for r in reasons) - 1) < 1e-3
    assert "km/h" in reasons[0].message


def test_explain_without_evidence_says_unusual_pattern():
    names = feature_schema(EventKind.LOGIN)
    tails = FeatureTails.fit(np.random.default_rng(2).random((1000, len(names))))
    evidence = tails.evidence([0.5] * len(names))
    assert max(evidence) < MIN_EVIDENCE
    assert [r.code for r in explain(LOGIN_FEATURES, evidence, {})] == [
        ReasonCode.UNUSUAL_PATTERN]


def test_exceedance_one_equals_the_array_version():
    rng = np.random.default_rng(3)
    cal = TailCalibrator.fit(rng.gamma(2.0, size=5_000))
    grid = np.concatenate([np.linspace(-1, 40, 300), rng.gamma(2.0, size=200)])
    # math.exp and np.exp may differ in the last bit
    assert [cal.exceedance_one(float(x)) for x in grid] == pytest.approx(
        list(cal.exceedance(grid)), rel=1e-12)


def test_evidence_keeps_ranking_past_the_training_maximum():
    X = np.random.default_rng(4).exponential(size=(5_000, 1))
    tails = FeatureTails.fit(X)
    far, farther = tails.evidence([X.max() + 1])[0], tails.evidence([X.max() + 5])[0]
    assert far < farther


def test_money_reasons_say_what_was_unusual_about_the_amounts():
    tiny = describe(ReasonCode.TINY_AMOUNT, {"amount_minor": 120, "currency": "EUR",
                                             "usual_amount_minor": 4_000})
    assert "1.20 EUR" in tiny
    assert "below" in tiny
    one = describe(ReasonCode.AMOUNT_SPIKE, {"amount_minor": 90_000, "currency": "EUR",
                                             "usual_amount_minor": 4_000, "tx_1h": 1})
    assert one.startswith("The amount 900.00 EUR is far above")
    hour = describe(ReasonCode.AMOUNT_SPIKE, {"amount_minor": 30_000, "currency": "EUR",
                                              "usual_amount_minor": 4_000, "tx_1h": 3,
                                              "amount_1h_minor": 90_000})
    assert hour.startswith("900.00 EUR moved within one hour")
    payees = describe(ReasonCode.NEW_PAYEE, {"new_payees_3h": 3, "new_payee_amount_3h": 150_000,
                                             "currency": "EUR"})
    assert "3 new recipients received 1,500.00 EUR" in payees
    assert describe(ReasonCode.NEW_PAYEE, {"new_payees_3h": 1}) == (
        "The money goes to a recipient this account has never paid before.")
