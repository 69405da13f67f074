import math

from detectors.accumulation import RiskAccumulator

HOUR = 3600.0


def test_only_surprise_above_the_allowance_adds():
    acc = RiskAccumulator(half_life_hours=1.0, allowance=2.0)
    assert acc.level(0.0, 0.0, 0.5, 100.0) == 0.0  # surprise ln 2 < 2
    assert math.isclose(acc.level(0.0, 0.0, 1 - math.exp(-5), 100.0), 3.0)


def test_level_halves_every_half_life():
    acc = RiskAccumulator(half_life_hours=1.0, allowance=2.0)
    assert math.isclose(acc.level(4.0, 1000.0, 0.0, 1000.0 + HOUR), 2.0)


def test_a_run_of_moderate_events_escalates_where_one_does_not():
    acc = RiskAccumulator(half_life_hours=1.0, allowance=2.0, challenge_level=4.0)
    run = [("a", 600.0 * i, 0.97) for i in range(6)]  # surprise 3.5 each, 10 minutes apart
    levels = acc.levels(run)
    assert not acc.escalates(levels[0])
    assert acc.escalates(levels[-1])


def test_missing_accumulation_never_escalates():
    acc = RiskAccumulator.from_dict(None)
    assert not acc.escalates(1e9)
    assert RiskAccumulator.from_dict(acc.to_dict()) == acc
