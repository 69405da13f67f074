"""The trust state in a profile (detectors.trust) and what the policy makes of it."""

from detectors.events import LoginEvent
from detectors.model import Thresholds
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from detectors.scoring import Assessment
from detectors.trust import (
    DistrustSource,
    Entities,
    EntityKind,
    TrustState,
    device_trust,
    distrust,
    distrust_of,
    hold_step_up,
    is_new_account,
    judge_abandoned,
    pending_step_ups,
    vouch_for,
)
from service.domain.decisions import Decision
from service.domain.policy import RiskPolicy, Standing

HOUR = 3600.0
WEEK = 7 * 86400.0


def _login(event_id, at, device="phone", ip="84.150.12.34", success=True):
    return LoginEvent(event_id, "a", at, ip=ip, device_id=device, country="DE",
                      latitude=52.5, longitude=13.4, asn=3320, success=success)


def _seasoned():
    profile = AccountProfile.new("a")
    for n in range(12):
        profile.update(_login(f"h{n}", n * HOUR))
    return profile


def test_a_challenged_event_is_pending_until_judged_abandoned():
    profile = _seasoned()
    attempt = _login("x", 20 * HOUR, device="thief", ip="45.33.101.7")
    profile.update(attempt, trusted=False)
    hold_step_up(profile, attempt)
    assert pending_step_ups(profile) == ["x"]
    assert "thief" not in profile.devices
    assert judge_abandoned(profile, 20 * HOUR + 10 * 60, 15 * 60, WEEK) == []
    [judged] = judge_abandoned(profile, 20 * HOUR + 20 * 60, 15 * 60, WEEK)
    assert (judged.event_id, judged.device_id) == ("x", "thief")
    assert pending_step_ups(profile) == []
    found = distrust_of(profile, attempt, 21 * HOUR)
    assert found is not None
    assert (found.source, found.failures) == (DistrustSource.FAILED_STEP_UP, 1)
    assert set(found.kinds) == {EntityKind.DEVICE, EntityKind.NETWORK}
    assert distrust_of(profile, attempt, 20 * HOUR + WEEK + 1) is None  # it ends by itself


def test_an_abandoned_step_up_on_a_trusted_device_holds_nothing_against_it():
    profile = _seasoned()
    attempt = _login("x", 20 * HOUR)
    hold_step_up(profile, attempt)
    assert judge_abandoned(profile, 21 * HOUR, 15 * 60, WEEK) == []
    assert profile.distrust == {}


def test_vouching_learns_and_lifts_step_up_distrust_but_not_fraud():
    profile = _seasoned()
    attempt = _login("x", 20 * HOUR, device="new-phone", ip="91.20.1.5")
    profile.alert_level = 3.0
    distrust(profile, EntityKind.DEVICE, "new-phone", 9e9, DistrustSource.FAILED_STEP_UP, 1)
    distrust(profile, EntityKind.PAYEE, "mule", 9e9, DistrustSource.CONFIRMED_FRAUD)
    vouch_for(profile, attempt)
    assert "new-phone" in profile.devices
    assert profile.devices.first_seen("new-phone") == 0.0  # never reads as freshly seen
    assert profile.alert_level == 0.0
    assert list(profile.distrust) == ["p:mule"]


def test_device_trust_lists_untrusted_pending_and_trusted():
    profile = _seasoned()
    hold_step_up(profile, _login("x", 20 * HOUR, device="laptop"))
    distrust(profile, EntityKind.DEVICE, "thief", 30 * HOUR, DistrustSource.CONFIRMED_FRAUD)
    states = [(d.device_id, d.state) for d in device_trust(profile, 21 * HOUR)]
    assert states == [("thief", TrustState.UNTRUSTED), ("laptop", TrustState.PENDING),
                      ("phone", TrustState.TRUSTED)]


def test_new_accounts_by_age_or_by_events():
    profile = _seasoned()  # 12 sign-ins within 12 hours
    assert is_new_account(profile, 13 * HOUR, 7.0, 10)
    assert not is_new_account(profile, 8 * 86400.0, 7.0, 10)
    assert is_new_account(profile, 8 * 86400.0, 7.0, 13)


def _assessment(risk):
    # A new device: a takeover sign, without which the policy never freezes.
    return Assessment(EventKindLogin, risk, (Reason(ReasonCode.NEW_DEVICE, "", 1.0),),
                      Thresholds(0.9, 0.99), False)


EventKindLogin = _login("k", 0).kind


def _standing(source, failures, new=False):
    profile = AccountProfile.new("a")
    distrust(profile, EntityKind.DEVICE, "d", 9e9, source, failures)
    return Standing(new, distrust_of(profile, _login("e", 0, device="d"), 0.0))


def test_policy_floors_from_distrust():
    policy = RiskPolicy()
    event = _login("e", 0, device="d")
    one = policy.decide(event, _assessment(0.1), standing=_standing(
        DistrustSource.FAILED_STEP_UP, 1))
    assert one.decision is Decision.CHALLENGE
    assert [r.code for r in one.reasons] == [ReasonCode.FAILED_STEP_UP]
    two = policy.decide(event, _assessment(0.1), standing=_standing(
        DistrustSource.FAILED_STEP_UP, 2))
    assert two.decision is Decision.FREEZE
    fraud = policy.decide(event, _assessment(0.1), standing=_standing(
        DistrustSource.CONFIRMED_FRAUD, 0, new=True))
    assert fraud.decision is Decision.FREEZE  # evidence, not the model: new accounts too
    assert [r.code for r in fraud.reasons] == [ReasonCode.REPORTED_FRAUD]
    failed_sign_in = policy.decide(_login("f", 0, device="d", success=False), _assessment(0.1),
                                   standing=_standing(DistrustSource.CONFIRMED_FRAUD, 0))
    assert failed_sign_in.decision is Decision.CHALLENGE  # a failed sign-in never freezes


def test_the_model_does_not_freeze_a_new_account():
    policy = RiskPolicy()
    event = _login("e", 0)
    assert policy.decide(event, _assessment(0.999)).decision is Decision.FREEZE
    assert policy.decide(event, _assessment(0.999), standing=Standing(new_account=True)
                         ).decision is Decision.CHALLENGE


def test_entities_of_an_event():
    assert Entities.of(_login("e", 0, device="d", ip="203.0.113.9")) == Entities(
        "d", "203.0.113", "")


def test_unreported_challenges_can_be_ignored_instead_of_held_against_the_device():
    profile = _seasoned()
    attempt = _login("x", 20 * HOUR, device="laptop", ip="45.33.101.7")
    hold_step_up(profile, attempt)
    assert judge_abandoned(profile, 21 * HOUR, 15 * 60, WEEK, as_evidence=False) == []
    assert pending_step_ups(profile) == []
    assert profile.distrust == {}


def test_familiar_means_a_device_used_for_a_day_on_a_network_in_use():
    from detectors.trust import is_familiar
    profile = AccountProfile.new("a")
    profile.update(_login("l0", 0))
    assert not is_familiar(profile, _login("l1", 3600))  # the phone is an hour old here
    assert is_familiar(profile, _login("l2", 2 * 86400))
    elsewhere = LoginEvent("l3", "a", 2 * 86400, ip="203.0.113.9", device_id="phone")
    assert not is_familiar(profile, elsewhere)
    stranger = LoginEvent("l4", "a", 2 * 86400, ip="84.150.12.34", device_id="laptop-x")
    assert not is_familiar(profile, stranger)
