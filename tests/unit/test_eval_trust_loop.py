"""The evaluation's trust loop: who answers what, when, and what it counts (fake gateways);
and its gateways on the service's own calls, over the replay's store (a fixed scorer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.events import EventKind, LoginEvent
from detectors.simulation import HONEST, Label, LabelledEvent
from service.domain.decisions import Decision, ScoreResult
from service.domain.engine import EngineSettings, RiskEngine, freeze_id_for
from service.domain.policy import RiskPolicy
from service.evaluation.gateways import ServiceGateways
from service.evaluation.replay import ReplayClock, ReplayRiskStore
from service.evaluation.trust_loop import (
    HONEST_RESTORE_DELAY,
    MINUTE,
    OWNER_RESTORE_DELAY,
    StepUp,
    TrustLoop,
    loop_section,
)
from tests.unit.fakes import NO_NEW_ACCOUNT_PHASE, FixedScorer

T0 = 1_767_225_600.0
ATTACK = Label(True, "account_takeover", "atk-1")


@dataclass
class FakeGateways:
    clock: ReplayClock
    calls: list[tuple[float, str, tuple[str, ...]]] = field(default_factory=list)
    frozen: dict[str, list[str]] = field(default_factory=dict)
    trusted: set[str] = field(default_factory=set)

    def step_up(self, event_id: str, result: StepUp, method: str) -> bool:
        self.calls.append((self.clock.now(), "step_up", (event_id, result.value, method)))
        return True

    def restore(self, account_id: str, device_id: str, ip: str) -> tuple[str, ...]:
        self.calls.append((self.clock.now(), "restore", (account_id, device_id)))
        return tuple(self.frozen.pop(account_id, []))

    def confirm_fraud(self, event_id: str) -> str:
        self.calls.append((self.clock.now(), "fraud", (event_id,)))
        return ""

    def trusts_device(self, account_id: str, device_id: str) -> bool:
        return device_id in self.trusted


def _login(event_id: str, at: float, device: str = "phone", account: str = "a") -> LoginEvent:
    return LoginEvent(event_id, account, at, ip="10.0.0.1", device_id=device, success=True)


def _answer(event: LoginEvent, decision: Decision, placed: bool = False) -> ScoreResult:
    return ScoreResult(event.event_id, event.account_id, EventKind.LOGIN, 0.5, decision, (),
                       (), freeze_id_for(event.event_id) if placed else "", "m",
                       event.occurred_at)


def _rig(seed: int = 0) -> tuple[TrustLoop, FakeGateways, ReplayClock]:
    clock = ReplayClock(T0)
    gateways = FakeGateways(clock)
    return TrustLoop(gateways, clock, seed), gateways, clock


def _feed(loop: TrustLoop, clock: ReplayClock, event: LoginEvent, label: Label,
          decision: Decision, placed: bool = False) -> None:
    loop.until(event.occurred_at)
    clock.set(event.occurred_at)
    loop.observe(LabelledEvent(event, label), _answer(event, decision, placed), placed)


def test_an_honest_challenge_is_passed_minutes_later_not_before():
    loop, gateways, clock = _rig()
    _feed(loop, clock, _login("e1", T0), HONEST, Decision.CHALLENGE)
    _feed(loop, clock, _login("e2", T0 + 30), HONEST, Decision.ALLOW)
    assert gateways.calls == []  # not due yet
    loop.finish()
    [(at, call, args)] = gateways.calls
    assert (call, args) == ("step_up", ("e1", "passed", "sms"))
    assert T0 + 1 * MINUTE <= at <= T0 + 3 * MINUTE


def test_attackers_fail_or_abandon_the_same_way_for_the_same_seed():
    answers = []
    for _ in range(2):
        loop, gateways, clock = _rig(seed=5)
        for i in range(20):
            _feed(loop, clock, _login(f"x{i}", T0 + i * 3600, account=f"v{i}"), ATTACK,
                  Decision.CHALLENGE)
        loop.finish()
        answers.append([args[1] for _, call, args in gateways.calls if call == "step_up"])
    assert answers[0] == answers[1]
    assert set(answers[0]) == {"failed", "abandoned"}


def test_an_honest_freeze_is_restored_from_its_own_device_and_a_refreeze_counts():
    loop, gateways, clock = _rig()
    _feed(loop, clock, _login("f1", T0, device="tablet"), HONEST, Decision.FREEZE, placed=True)
    gateways.frozen["a"] = [freeze_id_for("f1")]
    loop.until(T0 + 3 * 3600)
    [(at, call, args)] = gateways.calls
    assert (call, args) == ("restore", ("a", "tablet"))
    assert T0 + HONEST_RESTORE_DELAY[0] <= at <= T0 + HONEST_RESTORE_DELAY[1]
    _feed(loop, clock, _login("f2", T0 + 4 * 3600, device="tablet"), HONEST, Decision.FREEZE,
          placed=True)
    loop.finish()
    section = loop_section(loop, honest_accounts=1, days=1.0)
    assert section["refreezes"] == 1
    assert section["refreezes_from_a_device_restored_from"] == 1
    assert section["time_to_restore"]["honest"]["restored"] == 1
    assert section["restores"] == {"from_frozen_device": 1, "nothing_to_restore": 1}


def test_the_holder_restores_an_attack_freeze_from_the_device_they_use_most():
    loop, gateways, clock = _rig()
    for i, device in enumerate(["laptop", "phone", "phone", "phone"]):
        _feed(loop, clock, _login(f"h{i}", T0 + i, device=device), HONEST, Decision.ALLOW)
    gateways.trusted = {"laptop"}  # the phone is not trusted (any more): the laptop it is
    _feed(loop, clock, _login("x1", T0 + 60, device="evil"), ATTACK, Decision.FREEZE,
          placed=True)
    gateways.frozen["a"] = [freeze_id_for("x1")]
    loop.finish()
    restores = [(at, args) for at, call, args in gateways.calls if call == "restore"]
    [(at, args)] = restores
    assert args == ("a", "laptop")
    assert T0 + 60 + OWNER_RESTORE_DELAY[0] <= at <= T0 + 60 + OWNER_RESTORE_DELAY[1]


def test_an_attack_allowed_after_a_failed_step_up_got_through():
    loop, _, clock = _rig()
    _feed(loop, clock, _login("x1", T0, device="evil"), ATTACK, Decision.CHALLENGE)
    _feed(loop, clock, _login("x2", T0 + 3600, device="evil"), ATTACK, Decision.ALLOW)
    _feed(loop, clock, _login("x3", T0 + 7200, device="evil"), ATTACK, Decision.FREEZE)
    loop.finish()
    section = loop_section(loop, honest_accounts=1, days=1.0)
    assert section["attacks_stopped_at_step_up"] == 1
    assert section["attacks_through_after_step_up"] == 1
    assert section["attack_events_after_step_up"] == {"ALLOW": 1, "FREEZE": 1}


def test_no_loop_reports_only_that():
    assert loop_section(None, honest_accounts=10, days=1.0) == {"feedback": "none"}


def _service(risks: dict[str, float]) -> tuple[RiskEngine, ServiceGateways, ReplayClock]:
    clock, store = ReplayClock(T0), ReplayRiskStore()
    engine = RiskEngine(FixedScorer(risks), RiskPolicy(), store, clock,
                        EngineSettings(trust=NO_NEW_ACCOUNT_PHASE))
    for i in range(3):
        clock.set(T0 + i * 3600)
        engine.score(_login(f"own{i}", clock.now()))
    return engine, ServiceGateways(engine, store, clock), clock


def test_a_restore_from_the_frozen_device_teaches_it_and_scoring_goes_on():
    engine, gateways, clock = _service({"bad": 1.0})
    clock.set(T0 + 4 * 3600)
    assert engine.score(_login("bad", clock.now(), device="tablet")).freeze_id
    assert not gateways.trusts_device("a", "tablet")
    clock.set(T0 + 5 * 3600)
    assert gateways.restore("a", "tablet", "10.0.0.1") == (freeze_id_for("bad"),)
    assert gateways.trusts_device("a", "tablet")
    assert gateways.restore("a", "tablet", "10.0.0.1") == ()  # nothing left to restore
    clock.set(T0 + 6 * 3600)  # the engine's next commit meets the restore's version
    assert engine.score(_login("later", clock.now(), device="tablet")).decision is Decision.ALLOW


def test_a_failed_step_up_holds_the_device_against_the_account():
    engine, gateways, clock = _service({"odd": 0.995})
    clock.set(T0 + 4 * 3600)
    assert engine.score(_login("odd", clock.now(), device="tablet")).decision \
        is Decision.CHALLENGE
    clock.set(T0 + 4 * 3600 + 120)
    assert gateways.step_up("odd", StepUp.FAILED, "sms") is True
    clock.set(T0 + 5 * 3600)
    again = engine.score(_login("again", clock.now(), device="tablet"))
    assert again.decision is Decision.CHALLENGE  # its own risk would be allowed
    assert not gateways.trusts_device("a", "tablet")


def test_confirmed_fraud_freezes_the_account():
    engine, gateways, clock = _service({})
    clock.set(T0 + 4 * 3600)
    engine.score(_login("x", clock.now(), device="evil"))
    clock.set(T0 + 2 * 86400)
    placed = gateways.confirm_fraud("x")
    assert placed
    assert [f.freeze_id for f in engine.account_freezes("a")] == [placed]
