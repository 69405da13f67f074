"""The restore path in the domain: challenges, codes, locks, Unfreeze, outcomes, admin actions,
run against the in-memory and the SQLite stores alike."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from detectors.events import CreditFeature, LoginEvent
from service.domain.admin import AdminService
from service.domain.audit import Actor, Role
from service.domain.clock import ManualClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.errors import (
    DeliveryFailed,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RateLimited,
)
from service.domain.feedback import Outcome
from service.domain.freezes import FreezeState
from service.domain.outcomes import OutcomeService
from service.domain.policy import RiskPolicy
from service.domain.restore import UNUSABLE_CHALLENGE, VerificationService
from service.domain.verification import (
    ChallengeState,
    CodeDelivery,
    CodeHasher,
    VerificationMethod,
    VerificationRules,
    totp_code,
)
from service.keys import AesGcmBox
from service.storage.memory import InMemoryRiskStore
from service.storage.memory_restore import InMemoryFreezeLedger, InMemoryVerificationStore
from tests.backends import BACKENDS, Stores, stores
from tests.unit.fakes import NO_NEW_ACCOUNT_PHASE, FixedScorer

START = 1_767_225_600.0
VERIFIER = Actor("flow", Role.VERIFIER)
OTHER_VERIFIER = Actor("other-flow", Role.VERIFIER)
ADMIN = Actor("ops", Role.ADMIN)
GATEWAY = Actor("gw", Role.GATEWAY)


@dataclass
class Rig:
    clock: ManualClock
    engine: RiskEngine
    verification: VerificationService
    outcomes: OutcomeService
    admin: AdminService
    store: object
    ledger: object
    challenges: object


class RecordingSender:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    def send(self, challenge, code):
        if self.fail:
            raise DeliveryFailed("down")
        self.sent.append((challenge.challenge_id, code))


def _rig(backend, sender=None, rules=None):
    clock = ManualClock(START)
    risk, challenges, ledger = backend.risk, backend.challenges, backend.ledger
    engine = RiskEngine(FixedScorer({"bad": 1.0, "bad2": 1.0}), RiskPolicy(), risk, clock,
                        EngineSettings(freeze_ttl_seconds=72 * 3600.0,
                                       trust=NO_NEW_ACCOUNT_PHASE))
    verification = VerificationService(
        risk, challenges, ledger, clock, rules or VerificationRules(),
        CodeHasher(secrets.token_bytes(32)), AesGcmBox(secrets.token_bytes(32)), sender)
    return Rig(clock, engine, verification, OutcomeService(risk, ledger, clock),
               AdminService(risk, ledger, clock, 3600.0), risk, ledger, challenges)


def _memory():
    risk = InMemoryRiskStore()
    challenges = InMemoryVerificationStore(risk)
    return Stores(risk, challenges, InMemoryFreezeLedger(risk, challenges))


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    with stores(request.param, tmp_path) as chosen:
        yield chosen


@pytest.fixture
def rig(backend):
    return _rig(backend)


def _frozen(rig, account="a", event_id="bad"):
    """An account with history and then a freeze-worthy sign-in."""
    for i in range(3):
        rig.engine.score(LoginEvent(f"{account}-ok{i}", account, rig.clock.now() - 3600 + i,
                                    success=True))
    result = rig.engine.score(LoginEvent(event_id, account, rig.clock.now(), success=True))
    assert result.freeze_id, result
    return result


def _wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_takeover_is_restored_by_the_right_code(rig):
    _frozen(rig)
    rig.clock.advance(60)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    assert started.delivery is CodeDelivery.CALLER
    assert len(started.code) == 6
    assert started.challenge.expires_at == rig.clock.now() + 600
    attempt = rig.verification.complete(started.challenge.challenge_id, _wrong(started.code),
                                        VERIFIER)
    assert (attempt.verified, attempt.attempts_left) == (False, 4)
    attempt = rig.verification.complete(started.challenge.challenge_id, started.code, VERIFIER)
    assert attempt.verified
    restored = rig.verification.unfreeze("a", started.challenge.challenge_id, VERIFIER)
    assert set(restored.features) == set(CreditFeature)
    assert len(restored.lifted) == 1
    assert rig.engine.account_freezes("a") == []
    [lifted] = rig.store.freezes("a")
    assert lifted.state is FreezeState.LIFTED_VERIFIED
    assert lifted.lifted_by == "flow"
    assert "ONE_TIME_CODE" in lifted.lift_reason
    assert rig.ledger.verify_audit_chain().intact
    actions = [e.record.action for e in rig.ledger.audit_trail("a", 0, 100)]
    assert actions == ["freeze.placed", "verification.started", "verification.failed",
                       "verification.succeeded", "freeze.lifted", "verification.used",
                       "restore.unlearned"]


def test_code_is_stored_only_as_a_mac(tmp_path):
    with stores("sqlite", tmp_path) as backend:
        _code_is_stored_only_as_a_mac(_rig(backend), tmp_path)


def _code_is_stored_only_as_a_mac(rig, tmp_path):
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    raw = (tmp_path / "db.sqlite3").read_bytes() + (tmp_path / "db.sqlite3-wal").read_bytes()
    assert started.code.encode() not in raw.replace(started.challenge.challenge_id.encode(), b"")
    stored = rig.challenges.load_challenge(started.challenge.challenge_id)
    assert stored.code_mac
    assert started.code not in stored.code_mac


def test_five_wrong_codes_kill_the_challenge(rig):
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    challenge_id = started.challenge.challenge_id
    lefts = [rig.verification.complete(challenge_id, _wrong(started.code), VERIFIER)
             .attempts_left for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    dead = rig.verification.complete(challenge_id, started.code, VERIFIER)
    assert (dead.verified, dead.attempts_left) == (False, 0)
    with pytest.raises(FailedPrecondition):
        rig.verification.unfreeze("a", challenge_id, VERIFIER)
    assert len(rig.engine.account_freezes("a")) == 1


def test_expired_reused_unknown_and_foreign_challenges_look_the_same(rig):
    _frozen(rig)
    expired = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.clock.advance(601)
    used = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    assert rig.verification.complete(used.challenge.challenge_id, used.code, VERIFIER).verified
    foreign = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    messages = set()
    for challenge_id, code, actor in [
            (expired.challenge.challenge_id, expired.code, VERIFIER),
            (used.challenge.challenge_id, used.code, VERIFIER),
            ("chl_nonexistent", "123456", VERIFIER),
            (foreign.challenge.challenge_id, foreign.code, OTHER_VERIFIER),
            (foreign.challenge.challenge_id, foreign.code, ADMIN)]:
        with pytest.raises(NotFound) as raised:
            rig.verification.complete(challenge_id, code, actor)
        messages.add(str(raised.value))
    assert messages == {UNUSABLE_CHALLENGE}


def test_an_admin_cannot_use_another_callers_challenge(rig):
    """Admins act through LiftFreeze with a reason, not through a customer's challenge: a
    verified challenge of another caller does not unfreeze for them, and stays good for its
    owner."""
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    challenge_id = started.challenge.challenge_id
    assert rig.verification.complete(challenge_id, started.code, VERIFIER).verified
    with pytest.raises(FailedPrecondition):
        rig.verification.unfreeze("a", challenge_id, ADMIN)
    assert len(rig.engine.account_freezes("a")) == 1
    assert rig.verification.unfreeze("a", challenge_id, VERIFIER).features


def test_a_challenge_unfreezes_once(rig):
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.verification.complete(started.challenge.challenge_id, started.code, VERIFIER)
    rig.verification.unfreeze("a", started.challenge.challenge_id, VERIFIER)
    rig.clock.advance(10)
    _frozen(rig, event_id="bad2")
    with pytest.raises(FailedPrecondition):
        rig.verification.unfreeze("a", started.challenge.challenge_id, VERIFIER)
    assert len(rig.engine.account_freezes("a")) == 1


def test_unfreeze_needs_a_verified_challenge_of_the_same_account(rig):
    _frozen(rig, "a")
    _frozen(rig, "b", event_id="bad2")
    started = rig.verification.start("b", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    with pytest.raises(FailedPrecondition):  # not verified yet
        rig.verification.unfreeze("b", started.challenge.challenge_id, VERIFIER)
    rig.verification.complete(started.challenge.challenge_id, started.code, VERIFIER)
    with pytest.raises(FailedPrecondition):  # another account's challenge
        rig.verification.unfreeze("a", started.challenge.challenge_id, VERIFIER)
    assert len(rig.engine.account_freezes("a")) == 1
    assert len(rig.engine.account_freezes("b")) == 1


def test_freezes_placed_after_verification_stay(rig):
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.verification.complete(started.challenge.challenge_id, started.code, VERIFIER)
    rig.clock.advance(5)
    later = rig.admin.freeze_account("a", [CreditFeature.INSTALLMENT_LOAN], "chargeback review",
                                     0, ADMIN)
    restored = rig.verification.unfreeze("a", started.challenge.challenge_id, VERIFIER)
    assert CreditFeature.INSTALLMENT_LOAN not in restored.features
    assert [f.freeze_id for f in rig.engine.account_freezes("a")] == [later.freeze_id]


def test_ten_failures_an_hour_lock_the_account_for_thirty_minutes(rig):
    _frozen(rig)
    attempts = []
    for _ in range(2):
        started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
        attempts += [rig.verification.complete(started.challenge.challenge_id,
                                               _wrong(started.code), VERIFIER)
                     for _ in range(5)]
    assert [a.locked for a in attempts] == [False] * 9 + [True]
    with pytest.raises(RateLimited, match="locked"):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.clock.advance(29 * 60)
    with pytest.raises(RateLimited, match="locked"):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.clock.advance(2 * 60)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    assert rig.verification.complete(started.challenge.challenge_id, started.code,
                                     VERIFIER).verified


def test_lock_applies_to_open_challenges_too(rig):
    _frozen(rig)
    spare = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    for _ in range(2):
        started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
        for _ in range(5):
            rig.verification.complete(started.challenge.challenge_id, _wrong(started.code),
                                      VERIFIER)
    with pytest.raises(RateLimited):
        rig.verification.complete(spare.challenge.challenge_id, spare.code, VERIFIER)


def test_at_most_five_starts_an_hour(rig):
    _frozen(rig)
    for _ in range(5):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    with pytest.raises(RateLimited, match="at most 5"):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.clock.advance(3601)
    rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)


def test_start_needs_a_freeze_a_method_and_a_deliverer(rig, tmp_path):
    with pytest.raises(FailedPrecondition, match="no active freeze"):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    _frozen(rig)
    with pytest.raises(InvalidArgument, match="method"):
        rig.verification.start("a", 0, VERIFIER)
    with pytest.raises(FailedPrecondition, match="only a verifier"):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, GATEWAY)
    with pytest.raises(FailedPrecondition, match="no authenticator"):
        rig.verification.start("a", VerificationMethod.TOTP, VERIFIER)


def test_webhook_delivery_keeps_the_code_out_of_the_response(tmp_path):
    sender = RecordingSender()
    rig = _rig(_memory(), sender=sender)
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    assert started.delivery is CodeDelivery.WEBHOOK
    assert started.code == ""
    [(challenge_id, code)] = sender.sent
    assert challenge_id == started.challenge.challenge_id
    assert rig.verification.complete(challenge_id, code, VERIFIER).verified


def test_failed_delivery_is_reported_and_counted(tmp_path):
    rig = _rig(_memory(), sender=RecordingSender(fail=True))
    _frozen(rig)
    with pytest.raises(DeliveryFailed):
        rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    assert len(rig.challenges.challenges("a")) == 1


def test_code_lifetime_longer_than_ten_minutes_is_refused():
    with pytest.raises(ValueError, match="at most 600"):
        VerificationRules(code_ttl_seconds=601)


def test_totp_verifies_and_never_accepts_a_step_twice(rig):
    enrolment = rig.verification.enroll("a", "Bank", VERIFIER)
    assert enrolment.otpauth_uri.startswith("otpauth://totp/Bank%3Aa?secret=")
    import base64
    secret = base64.b32decode(enrolment.secret_base32 + "=" * (-len(enrolment.secret_base32) % 8))
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.TOTP, VERIFIER)
    assert started.delivery is CodeDelivery.AUTHENTICATOR_APP
    code = totp_code(secret, int(rig.clock.now() // 30))
    assert rig.verification.complete(started.challenge.challenge_id, code, VERIFIER).verified
    again = rig.verification.start("a", VerificationMethod.TOTP, VERIFIER)
    replay = rig.verification.complete(again.challenge.challenge_id, code, VERIFIER)
    assert not replay.verified
    rig.clock.advance(30)
    fresh = totp_code(secret, int(rig.clock.now() // 30))
    assert rig.verification.complete(again.challenge.challenge_id, fresh, VERIFIER).verified


def test_totp_matches_rfc_6238_vectors():
    secret = b"12345678901234567890"
    assert totp_code(secret, 59 // 30, digits=8) == "94287082"
    assert totp_code(secret, 1111111109 // 30, digits=8) == "07081804"
    assert totp_code(secret, 20000000000 // 30, digits=8) == "65353130"


def test_no_enrolment_while_frozen(rig):
    _frozen(rig)
    with pytest.raises(FailedPrecondition, match="frozen"):
        rig.verification.enroll("a", "", VERIFIER)


def test_confirmed_legitimate_from_the_risk_team_lifts_the_freeze(rig):
    result = _frozen(rig)
    lifted = rig.outcomes.report("bad", Outcome.CONFIRMED_LEGITIMATE, VERIFIER).lifted
    assert lifted is not None
    assert lifted.freeze_id == result.freeze_id
    assert lifted.state is FreezeState.LIFTED_OUTCOME
    assert rig.engine.account_freezes("a") == []
    assert [(o.event_id, o.outcome) for o in rig.ledger.outcomes()] == [
        ("bad", Outcome.CONFIRMED_LEGITIMATE)]
    # The same report again changes nothing and answers the same; the opposite one is for an
    # admin only.
    again = rig.outcomes.report("bad", Outcome.CONFIRMED_LEGITIMATE, VERIFIER).lifted
    assert again is not None
    assert again.freeze_id == lifted.freeze_id
    with pytest.raises(FailedPrecondition, match="only an admin"):
        rig.outcomes.report("bad", Outcome.CONFIRMED_FRAUD, VERIFIER)


def test_outcomes_are_validated(rig):
    with pytest.raises(NotFound):
        rig.outcomes.report("never-scored", Outcome.CONFIRMED_FRAUD, ADMIN)
    _frozen(rig)
    with pytest.raises(InvalidArgument, match="outcome"):
        rig.outcomes.report("bad", 0, ADMIN)
    placed = rig.outcomes.report("bad", Outcome.CONFIRMED_FRAUD, ADMIN).placed_freeze_id
    assert placed
    assert [f.freeze_id for f in rig.engine.account_freezes("a")][-1] == placed


def test_admin_freeze_lift_and_listing(rig):
    first = rig.admin.freeze_account("a", [], "suspected mule account", 0, ADMIN)
    assert set(first.features) == set(CreditFeature)
    assert first.placed_by == "ops"
    rig.clock.advance(1)
    rig.admin.freeze_account("b", [CreditFeature.PAYMENT], "court order", 60, ADMIN)
    listed = rig.admin.frozen_accounts(1, None)
    assert [a.account_id for a in listed] == ["b"]
    following = rig.admin.frozen_accounts(1, (listed[0].last_frozen_at, "b"))
    assert [a.account_id for a in following] == ["a"]
    with pytest.raises(InvalidArgument, match="reason"):
        rig.admin.lift_freeze(first.freeze_id, "  ", ADMIN)
    lifted = rig.admin.lift_freeze(first.freeze_id, "cleared by review", ADMIN)
    assert lifted.state is FreezeState.LIFTED_ADMIN
    with pytest.raises(FailedPrecondition):
        rig.admin.lift_freeze(first.freeze_id, "again", ADMIN)
    rig.clock.advance(61)
    assert rig.admin.frozen_accounts(10, None) == []  # b's freeze expired by itself
    assert rig.admin.verify_audit_chain().intact


def test_account_state_shows_open_challenges_and_locks(rig):
    _frozen(rig)
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    state = rig.verification.account_state("a")
    assert [c.challenge_id for c in state.open_challenges] == [started.challenge.challenge_id]
    assert state.open_challenges[0].state is ChallengeState.OPEN
    assert state.locked_until is None
    assert not state.authenticator_enrolled


def test_decision_summary_counts_per_hour(rig):
    _frozen(rig)
    summary = rig.admin.decision_summary(3)
    assert len(summary) == 3
    assert sum(h.allow + h.challenge + h.freeze for h in summary) == 4
    assert summary[-1].freeze == 1
    with pytest.raises(InvalidArgument, match="hours"):
        rig.admin.decision_summary(1000)


def test_forget_account_erases_records_and_keeps_the_chain_verifiable(rig):
    _frozen(rig, "a")
    _frozen(rig, "b", event_id="bad2")
    started = rig.verification.start("a", VerificationMethod.ONE_TIME_CODE, VERIFIER)
    rig.verification.complete(started.challenge.challenge_id, started.code, VERIFIER)
    before_b = [e.record for e in rig.ledger.audit_trail("b", 0, 100)]
    with pytest.raises(InvalidArgument, match="reason"):
        rig.admin.forget_account("a", "", ADMIN)
    erased = rig.admin.forget_account("a", "GDPR request 42", ADMIN)
    assert erased["scored_events"] == 4
    assert erased["audit_log"] == 3  # freeze.placed, verification.started, .succeeded
    assert rig.store.load_profile("a") is None
    assert rig.store.freezes("a") == []
    assert rig.store.find_result("bad") is None
    assert rig.ledger.audit_trail("a", 0, 100) == []
    assert [e.record for e in rig.ledger.audit_trail("b", 0, 100)] == before_b
    assert rig.ledger.verify_audit_chain().intact  # redacted, still verifiable
    assert rig.store.load_profile("b") is not None


def test_a_forged_redaction_or_edit_is_detected(tmp_path):
    with stores("sqlite", tmp_path) as backend:
        rig = _rig(backend)
        _frozen(rig, "a")
        db = backend.ledger.database
        with db.transaction() as raw:  # blank a field without blanking its salt
            raw.execute("UPDATE audit_log SET account_id = '' WHERE seq = 1")
        assert not backend.ledger.verify_audit_chain().intact


def test_retention_prunes_old_records_and_keeps_recent_ones(backend):
    rig = _rig(backend)
    _frozen(rig, "old")
    rig.clock.advance(200 * 86400)
    _frozen(rig, "new", event_id="bad2")
    pruned = rig.admin.prune(180 * 86400)
    assert pruned["scored_events"] == 4
    assert rig.store.find_result("bad") is None
    assert rig.store.find_result("bad2") is not None
    assert rig.ledger.verify_audit_chain().intact
