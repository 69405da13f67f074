"""A batch gives every event the answer it would get alone, in order; a bad event stops the
batch before anything is written."""

from __future__ import annotations

import pytest

from detectors.demo import normal_week, takeover, takeover_start
from detectors.events import LoginEvent
from service.domain.clock import ManualClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.errors import InvalidArgument, StoreUnavailable
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore
from service.storage.sqlite import SqliteRiskStore
from tests.unit.fakes import FixedScorer

START = 1_767_225_600.0


def _events():
    events = [*normal_week("a", START), *normal_week("b", START + 3600)]
    events.sort(key=lambda e: e.occurred_at)
    return [*events, *takeover("a", takeover_start(START)), *takeover("b", takeover_start(START))]


def _engine(store, risks):
    return RiskEngine(FixedScorer(risks), RiskPolicy(), store, ManualClock(START + 30 * 86400),
                      EngineSettings(max_future_skew_seconds=1e9))


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request, tmp_path):
    counter = iter(range(100))

    def make():
        if request.param == "memory":
            return InMemoryRiskStore()
        return SqliteRiskStore(tmp_path / f"db{next(counter)}.sqlite3", synchronous="NORMAL")
    return make


def test_batches_of_any_size_give_the_answers_of_single_calls(make_store):
    events = _events()
    risks = {e.event_id: 1.0 for e in events if "ato" in e.event_id}
    alone = _engine(make_store(), risks)
    expected = [alone.score(e) for e in events]
    for size in (1, 7, len(events)):
        batched = _engine(make_store(), risks)
        results = []
        for start in range(0, len(events), size):
            results += batched.score_batch(events[start:start + size])
        assert results == expected, size
        assert batched.store.freezes("a") == alone.store.freezes("a")
        assert batched.store.load_profile("b").to_dict() == alone.store.load_profile("b").to_dict()


def test_an_event_repeated_in_a_batch_or_after_it_gets_the_first_answer(make_store):
    engine = _engine(make_store(), {"x": 1.0})
    event = LoginEvent("x", "a", START, success=True)
    first, again = engine.score_batch([event, event])
    assert first == again
    assert engine.score_batch([event]) == [first]
    assert len(engine.store.freezes("a")) <= 1


def test_a_bad_event_fails_the_batch_and_writes_nothing(make_store):
    store = make_store()
    engine = _engine(store, {})
    good = LoginEvent("ok", "a", START, success=True)
    bad = LoginEvent("bad", "a", START, latitude=123.0)
    with pytest.raises(InvalidArgument) as raised:
        engine.score_batch([good, bad])
    assert raised.value.field == "requests[1].login.latitude"
    assert store.find_result("ok") is None
    assert store.load_profile("a") is None


def test_with_the_real_model_batches_change_no_answer(model_path, tmp_path):
    from detectors.model import RiskModel
    from detectors.scoring import Scorer
    from detectors.simulation import SimulationConfig, simulate

    model = RiskModel.load(model_path)
    events = [item.event for item in simulate(SimulationConfig(accounts=60, days=10, seed=4,
                                                               attack_rate=0.3))]

    def engine():
        return RiskEngine(Scorer(model), RiskPolicy(), InMemoryRiskStore(),
                          ManualClock(START), EngineSettings(max_future_skew_seconds=1e12))
    alone = engine()
    expected = [alone.score(e) for e in events]
    for size in (16, 250):
        batched = engine()
        results = []
        for start in range(0, len(events), size):
            results += batched.score_batch(events[start:start + size])
        assert results == expected, size


class _NoAccountReads(InMemoryRiskStore):
    """A store whose profiles and freezes cannot be read (Redis down, say)."""

    def load_accounts(self, account_ids):
        raise StoreUnavailable("profiles unreachable")


def test_a_batch_of_replays_reads_no_profiles():
    events = _events()[:5]
    store = _NoAccountReads()
    first = [_engine(InMemoryRiskStore(), {}).score(e) for e in events]  # what they were
    for result in first:
        store.results[result.event_id] = result
    assert _engine(store, {}).score_batch(events) == first  # answered from stored results
    with pytest.raises(StoreUnavailable):
        _engine(store, {}).score_batch([*events, LoginEvent("new", "a", START, success=True)])


class _CrowdSpy(FixedScorer):
    """Remembers the crowd signals each event was scored with."""

    def __init__(self) -> None:
        super().__init__({})
        self.seen: dict[str, object] = {}

    def assess(self, event, profile, crowd=None):
        self.seen[event.event_id] = crowd
        return super().assess(event, profile, crowd)


class _FirstCommitLoses(InMemoryRiskStore):
    """Another replica wins the first batch commit (as with a version conflict)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = False

    def commit_batch(self, scored, versions=None):
        if not self.lost:
            self.lost = True
            return False
        return super().commit_batch(scored, versions)


def test_a_batch_redone_after_a_lost_commit_sees_the_crowd_as_one_call_per_event_would():
    # Failed sign-ins from one /24: B, then A, then B again (which replaces B's entry).
    events = [LoginEvent("b1", "b", START + 10, ip="203.0.113.7", success=False),
              LoginEvent("a1", "a", START + 15, ip="203.0.113.8", success=False),
              LoginEvent("b2", "b", START + 20, ip="203.0.113.9", success=False)]
    alone_spy, redo_spy = _CrowdSpy(), _CrowdSpy()
    alone = RiskEngine(alone_spy, RiskPolicy(), InMemoryRiskStore(), ManualClock(START + 60),
                       EngineSettings(max_future_skew_seconds=1e9))
    expected = [alone.score(e) for e in events]
    store = _FirstCommitLoses()
    redo = RiskEngine(redo_spy, RiskPolicy(), store, ManualClock(START + 60),
                      EngineSettings(max_future_skew_seconds=1e9))
    assert redo.score_batch(events) == expected
    assert store.lost
    assert redo_spy.seen == alone_spy.seen
    assert [redo_spy.seen[e.event_id].network_failed_accounts_1h for e in events] == [0, 1, 1]
