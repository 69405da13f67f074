import contextlib

from detectors.accumulation import RiskAccumulator
from detectors.demo import normal_week
from detectors.events import CreditFeature, LoginEvent, TransactionEvent
from detectors.reasons import ReasonCode
from service.domain.clock import ManualClock
from service.domain.decisions import Decision
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.errors import EventIdConflict, InvalidArgument
from service.domain.freezes import FreezeState
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore
from tests.unit.fakes import NO_NEW_ACCOUNT_PHASE, FixedScorer

START = 1_767_225_600.0


def _engine(risks=None, ttl=3600.0):
    clock = ManualClock(START + 30 * 86400)
    store = InMemoryRiskStore()
    engine = RiskEngine(FixedScorer(risks or {}), RiskPolicy(), store, clock,
                        EngineSettings(freeze_ttl_seconds=ttl,
                                       trust=NO_NEW_ACCOUNT_PHASE))
    return engine, store, clock


def _seasoned(engine):
    for event in normal_week("a", START):
        engine.score(event)


def test_freeze_is_placed_and_listed():
    engine, _, _ = _engine({"bad": 1.0})
    _seasoned(engine)
    result = engine.score(LoginEvent("bad", "a", START + 8 * 86400))
    assert result.decision is Decision.FREEZE
    assert result.freeze_id
    assert set(result.frozen_features) == set(CreditFeature)
    [freeze] = engine.account_freezes("a")
    assert freeze.freeze_id == result.freeze_id
    assert freeze.event_id == "bad"


def test_same_event_twice_gives_one_freeze_and_the_same_answer():
    engine, store, _ = _engine({"bad": 1.0})
    _seasoned(engine)
    event = LoginEvent("bad", "a", START + 8 * 86400)
    first = engine.score(event)
    profile_after_first = store.load_profile("a").to_dict()
    assert engine.score(event) == first
    assert len(store.freezes("a")) == 1
    assert store.load_profile("a").to_dict() == profile_after_first


def test_reused_event_id_for_another_account_is_refused():
    engine, _, _ = _engine()
    engine.score(LoginEvent("e", "a", START))
    try:
        engine.score(LoginEvent("e", "b", START))
    except EventIdConflict:
        pass
    else:
        raise AssertionError("expected EventIdConflict")


def test_invalid_event_changes_nothing():
    engine, store, _ = _engine()
    with contextlib.suppress(InvalidArgument):
        engine.score(LoginEvent("e", "a", START, latitude=200.0))
    assert store.load_profile("a") is None
    assert store.find_result("e") is None


def test_frozen_feature_blocks_transactions_until_expiry():
    engine, _, clock = _engine({"bad": 1.0}, ttl=3600.0)
    _seasoned(engine)
    engine.score(LoginEvent("bad", "a", START + 8 * 86400))
    blocked = engine.score(TransactionEvent("t1", "a", START + 8 * 86400 + 60, amount_minor=500,
                                            feature=CreditFeature.PAYMENT))
    assert blocked.decision is Decision.FREEZE
    assert blocked.reasons[0].code is ReasonCode.FEATURE_FROZEN
    clock.advance(3601)
    assert engine.account_freezes("a") == []
    later = engine.score(TransactionEvent("t2", "a", START + 8 * 86400 + 120, amount_minor=500,
                                          feature=CreditFeature.PAYMENT))
    assert later.decision is Decision.ALLOW
    [freeze] = engine.store.freezes("a")
    assert freeze.state_at(clock.now()) is FreezeState.EXPIRED


def test_new_account_gets_challenge_not_freeze():
    engine, store, _ = _engine({"first": 1.0})
    result = engine.score(LoginEvent("first", "brand-new", START))
    assert result.decision is Decision.CHALLENGE
    assert ReasonCode.NEW_ACCOUNT in [r.code for r in result.reasons]
    assert store.freezes("brand-new") == []


def test_allow_carries_no_reasons():
    engine, _, _ = _engine()
    result = engine.score(LoginEvent("ok", "a", START))
    assert result.decision is Decision.ALLOW
    assert result.reasons == ()


def test_no_second_freeze_while_one_covers_the_scope():
    engine, store, _ = _engine({"bad1": 1.0, "bad2": 1.0})
    _seasoned(engine)
    first = engine.score(LoginEvent("bad1", "a", START + 8 * 86400))
    second = engine.score(LoginEvent("bad2", "a", START + 8 * 86400 + 60))
    assert second.decision is Decision.FREEZE
    assert second.freeze_id == first.freeze_id
    assert len(store.freezes("a")) == 1


def test_fresh_evidence_near_a_freezes_expiry_places_a_new_freeze():
    engine, _, clock = _engine({"bad1": 1.0, "bad2": 1.0}, ttl=3600.0)
    _seasoned(engine)
    first = engine.score(LoginEvent("bad1", "a", START + 8 * 86400))
    clock.advance(3000)  # 10 minutes left on the first freeze
    second = engine.score(LoginEvent("bad2", "a", START + 8 * 86400 + 3000))
    assert second.freeze_id != first.freeze_id
    clock.advance(700)  # the first has lapsed; the second still holds
    assert [f.freeze_id for f in engine.account_freezes("a")] == [second.freeze_id]


def test_frozen_events_do_not_make_the_attacker_known():
    engine, store, _ = _engine({"bad": 1.0})
    _seasoned(engine)
    engine.score(LoginEvent("bad", "a", START + 8 * 86400, device_id="attacker", country="BR"))
    profile = store.load_profile("a")
    assert "attacker" not in profile.devices
    assert "BR" not in profile.countries


def test_a_run_of_moderate_risks_escalates_to_challenge_and_the_level_is_stored():
    engine, store, _ = _engine({f"m{n}": 0.97 for n in range(6)})
    engine.scorer.accumulator = RiskAccumulator(half_life_hours=1.0, allowance=2.0,
                                                challenge_level=4.0)
    _seasoned(engine)
    base = START + 8 * 86400
    decisions = [engine.score(LoginEvent(f"m{n}", "a", base + 300 * n)).decision
                 for n in range(6)]
    assert decisions[0] is Decision.ALLOW  # 0.97 is below the challenge threshold alone
    assert decisions[-1] is Decision.CHALLENGE
    assert store.load_profile("a").alert_level >= 4.0


def test_failed_logins_of_other_accounts_reach_the_scorer_once_stored():
    engine, _, _ = _engine()
    seen = []
    original = engine.scorer.assess

    def spy(event, profile, crowd=None):
        seen.append(crowd)
        return original(event, profile, crowd)

    engine.scorer.assess = spy
    for n in range(5):
        event = LoginEvent(f"f{n}", f"victim-{n}", START + n, ip="203.0.113.9", success=False)
        engine.score(event)
        engine.score(event)  # a retry of a stored event is not counted again
    engine.score(LoginEvent("probe", "target", START + 10, ip="203.0.113.77", success=False))
    assert seen[-1].network_failed_accounts_1h == 5
