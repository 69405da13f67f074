"""Reason sentences state true numbers: for every reason on every event kind that can carry it,
a concrete history and event that give that reason's evidence, and a check that each number
the sentence states equals what the events say (computed here from the events, not read back
from the features), with the count's noun in agreement.

Reasons about money are in test_reason_sentences_money.py; the policy's own reasons (a failed
step-up, confirmed fraud, a new account's large payment) are at the end.
"""

from __future__ import annotations

import importlib
import math

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from detectors.crowd import CrowdSignals
from detectors.demo import HOME
from detectors.events import AccountChangeKind, Event
from detectors.features import FEATURE_SPECS, HOUSEHOLD_FAILED_ACCOUNTS, SESSION_HOURS
from detectors.geo import haversine_km
from detectors.profile import DAY, HOUR, AccountProfile
from detectors.reasons import ReasonCode
from detectors.scoring import Assessment
from detectors.sentences import describe, duration
from detectors.trust import Distrust, DistrustSource, EntityKind
from service.domain.policy import RiskPolicy, Standing
from tests.unit.fakes import THRESHOLDS
from tests.unit.reason_scenarios import (
    CHANGE,
    COVERED,
    EXAMPLES,
    LATER,
    LOGIN,
    PHONE,
    SAO_PAULO,
    THIEF,
    TRANSACTION,
    change,
    covers,
    event_of,
    last_activity,
    login,
    ordinary,
    pay,
    sentence,
)
from tests.unit.sentence_numbers import assert_grammatical, assert_states, stated

# -- the device, network and country -------------------------------------------------------------

@covers((LOGIN, ReasonCode.NEW_DEVICE), (TRANSACTION, ReasonCode.NEW_DEVICE),
        (CHANGE, ReasonCode.NEW_DEVICE), (LOGIN, ReasonCode.NEW_NETWORK),
        (TRANSACTION, ReasonCode.NEW_NETWORK), (CHANGE, ReasonCode.NEW_NETWORK))
@pytest.mark.parametrize("kind", [LOGIN, TRANSACTION, CHANGE])
def test_a_new_device_or_network_states_no_number(kind):
    profile, _ = ordinary()
    device, _ = sentence(event_of(kind, LATER, device=THIEF), profile, ReasonCode.NEW_DEVICE)
    assert device == "The activity came from a device not seen on this account before."
    network, _ = sentence(event_of(kind, LATER, ip="203.0.113.9"), profile,
                          ReasonCode.NEW_NETWORK)
    assert_states(network, [])


@covers((TRANSACTION, ReasonCode.NEW_DEVICE), (CHANGE, ReasonCode.NEW_DEVICE))
@EXAMPLES
@given(kind=st.sampled_from([TRANSACTION, CHANGE]), seconds=st.integers(0, 6 * 3600),
       own_device=st.booleans())
@example(kind=CHANGE, seconds=60, own_device=False)
@example(kind=TRANSACTION, seconds=2 * 3600, own_device=True)
def test_a_new_devices_sign_in_before_states_how_long_before(kind, seconds, own_device):
    """The device the thief signed in with is known by the time they act (or the activity
    names no device, as a card log): the evidence is that sign-in, not this device."""
    profile, _ = ordinary()
    profile.update(login(LATER, THIEF))
    device = THIEF if own_device else ""
    text, _ = sentence(event_of(kind, LATER + seconds, device=device), profile,
                       ReasonCode.NEW_DEVICE)
    assert text.startswith("A device this account had not used before signed in")
    assert_states(text, [("hours", seconds / HOUR)])


@covers((LOGIN, ReasonCode.NEW_COUNTRY), (TRANSACTION, ReasonCode.NEW_COUNTRY))
@pytest.mark.parametrize("kind", [LOGIN, TRANSACTION])
def test_a_new_country_is_named(kind):
    profile, _ = ordinary()
    event = (login(LATER, country="FR") if kind is LOGIN
             else pay(LATER, 1_500, country="FR"))
    text, _ = sentence(event, profile, ReasonCode.NEW_COUNTRY)
    assert text == "The activity came from FR, a country not seen on this account before."
    # A stolen session's sign-in makes its country known; its payment is still from a country
    # first seen today.
    profile.update(login(LATER, country="FR"))
    if kind is TRANSACTION:
        text, _ = sentence(pay(LATER + 600, 1_500, country="FR"), profile,
                           ReasonCode.NEW_COUNTRY)
        assert text.endswith("a country this account had not been used in before today.")


# -- sign-ins ------------------------------------------------------------------------------------

@covers((LOGIN, ReasonCode.IMPOSSIBLE_TRAVEL))
@EXAMPLES
@given(seconds=st.integers(1, 11 * 3600))
@example(seconds=20)  # less than a minute: the speed is a floor
@example(seconds=60)
@example(seconds=3600)
@example(seconds=2 * 3600)
def test_impossible_travel_states_distance_time_and_speed(seconds):
    profile, _ = ordinary()
    profile.update(login(LATER, latitude=HOME["latitude"], longitude=HOME["longitude"]))
    far = login(LATER + seconds, THIEF, latitude=SAO_PAULO[0], longitude=SAO_PAULO[1],
                country="BR", ip="45.33.101.7", asn=14061)
    text, values = sentence(far, profile, ReasonCode.IMPOSSIBLE_TRAVEL)
    km = haversine_km(HOME["latitude"], HOME["longitude"], *SAO_PAULO)
    hours = seconds / HOUR
    speed = km / max(hours, 1 / 60)
    assert_states(text, [("km", km), ("hours", hours), ("km/h", speed)])
    assert ("at least" in text) == (seconds < 60)
    assert math.expm1(values["travel_excess_speed_log"]) + 800 == pytest.approx(speed)


def _failed_burst(profile: AccountProfile, failures: int, own_device: int, old: int) -> float:
    """``old`` failed sign-ins two hours ago, then ``failures`` within the hour, the first
    ``own_device`` of them from the holder's phone (typos), the rest from a thief's laptop.
    Returns the time after the last."""
    for n in range(old):
        profile.update(login(LATER - 2 * HOUR + n, THIEF, success=False))
    for n in range(failures):
        device = PHONE if n < own_device else THIEF
        profile.update(login(LATER + 30 * n, device, success=False))
    return LATER + 30 * failures


def _burst_numbers(failures: int, unknown: int) -> list[tuple[str, float]]:
    """The sentence states the failures, and how many came from unknown devices when that is
    some of them but not all."""
    return [("count", failures)] + ([("count", unknown)] if 0 < unknown < failures else [])


@st.composite
def _bursts(draw: st.DrawFn) -> tuple[int, int, int]:
    failures = draw(st.integers(1, 30))
    return failures, draw(st.integers(0, failures)), draw(st.integers(0, 4))


@covers((LOGIN, ReasonCode.FAILED_LOGIN_BURST))
@EXAMPLES
@given(burst=_bursts(), crowd=st.integers(0, 60))
@example(burst=(1, 0, 0), crowd=0)
@example(burst=(1, 1, 0), crowd=0)
@example(burst=(2, 0, 0), crowd=0)
@example(burst=(6, 3, 2), crowd=2)
@example(burst=(6, 5, 0), crowd=0)
@example(burst=(1, 1, 0), crowd=3)
def test_failed_sign_ins_before_a_sign_in_are_counted(burst, crowd):
    failures, own_device, old = burst
    profile, _ = ordinary()
    at = _failed_burst(profile, failures, own_device, old)
    text, values = sentence(login(at, THIEF), profile, ReasonCode.FAILED_LOGIN_BURST,
                            CrowdSignals(crowd))
    unknown = failures - own_device
    assert math.expm1(values["failures_1h_log"]) == pytest.approx(failures)
    assert math.expm1(values["unknown_device_failures_1h_log"]) == pytest.approx(unknown)
    if crowd > max(failures, HOUSEHOLD_FAILED_ACCOUNTS):
        assert_states(text, [("count", crowd)])
        assert "other account" in text
    else:
        assert_states(text, _burst_numbers(failures, unknown))
        assert ("never used" in text) == (unknown > 0)


@covers((CHANGE, ReasonCode.FAILED_LOGIN_BURST))
@EXAMPLES
@given(burst=_bursts())
@example(burst=(6, 0, 0))  # six failed sign-ins, a success, a phone-number change
@example(burst=(1, 1, 0))
@example(burst=(3, 1, 1))
def test_failed_sign_ins_before_an_account_change_are_counted(burst):
    failures, own_device, old = burst
    profile, _ = ordinary()
    at = _failed_burst(profile, failures, own_device, old)
    profile.update(login(at, THIEF))
    text, values = sentence(change(at + 300, device=THIEF), profile,
                            ReasonCode.FAILED_LOGIN_BURST)
    assert math.expm1(values["failures_1h_log"]) == pytest.approx(failures)
    assert_states(text, _burst_numbers(failures, failures - own_device))


@covers((LOGIN, ReasonCode.LOGIN_VELOCITY))
@EXAMPLES
@given(attempts=st.integers(1, 40))
@example(attempts=1)
@example(attempts=2)
def test_sign_in_attempts_within_the_hour_are_counted(attempts):
    profile, _ = ordinary()
    profile.update(login(LATER - 2 * HOUR))  # outside the hour
    for n in range(attempts - 1):
        profile.update(login(LATER + 60 * n, success=n % 3 != 0))
    text, values = sentence(login(LATER + 60 * attempts), profile, ReasonCode.LOGIN_VELOCITY)
    assert math.expm1(values["logins_1h_log"]) == pytest.approx(attempts)
    assert_states(text, [("count", attempts)])


@covers((LOGIN, ReasonCode.RAPID_ACCOUNT_CHANGES))
@EXAMPLES
@given(seconds=st.integers(0, 3 * DAY))
@example(seconds=30)
@example(seconds=60)
@example(seconds=3600)
@example(seconds=5400)
def test_a_sign_in_after_a_credential_change_states_how_long_after(seconds):
    profile, _ = ordinary()
    profile.update(change(LATER, AccountChangeKind.PASSWORD))
    text, values = sentence(login(LATER + seconds), profile, ReasonCode.RAPID_ACCOUNT_CHANGES)
    hours = seconds / HOUR
    assert values["credential_change_recency"] == pytest.approx(math.exp(-hours / 24))
    assert_states(text, [("hours", hours)])
    assert text.endswith("before this sign-in.")


# -- account changes -----------------------------------------------------------------------------

@covers((CHANGE, ReasonCode.RAPID_ACCOUNT_CHANGES))
@EXAMPLES
@given(earlier=st.integers(0, 12))
@example(earlier=0)
@example(earlier=1)
@example(earlier=2)
def test_account_changes_within_a_week_are_counted(earlier):
    profile, _ = ordinary()
    profile.update(change(LATER - 8 * DAY))  # outside the week
    for n in range(earlier):
        profile.update(change(LATER - 6 * DAY + n * HOUR, AccountChangeKind.ADDRESS))
    text, values = sentence(change(LATER), profile, ReasonCode.RAPID_ACCOUNT_CHANGES)
    assert math.expm1(values["changes_7d_log"]) == pytest.approx(earlier + 1)
    assert_states(text, [("times", earlier + 1), ("hours", 7 * 24)])


# -- every kind ----------------------------------------------------------------------------------

@covers(*((kind, ReasonCode.UNUSUAL_HOUR) for kind in (LOGIN, TRANSACTION, CHANGE)))
@EXAMPLES
@given(kind=st.sampled_from([LOGIN, TRANSACTION, CHANGE]), hour=st.integers(0, 23),
       minute=st.integers(0, 59))
@example(kind=LOGIN, hour=23, minute=59)
def test_an_unusual_hour_states_the_hour_it_happened_in(kind, hour, minute):
    profile, _ = ordinary()
    text, _ = sentence(event_of(kind, LATER + hour * HOUR + minute * 60), profile,
                       ReasonCode.UNUSUAL_HOUR)
    assert_states(text, [("clock", hour), ("clock", (hour + 1) % 24)])


@covers(*((kind, ReasonCode.DORMANT_ACCOUNT) for kind in (LOGIN, TRANSACTION, CHANGE)))
@EXAMPLES
@given(kind=st.sampled_from([LOGIN, TRANSACTION, CHANGE]), seconds=st.integers(1, 400 * DAY))
@example(kind=LOGIN, seconds=3600)
@example(kind=TRANSACTION, seconds=DAY)
@example(kind=CHANGE, seconds=90 * DAY)
def test_dormancy_states_the_idle_time(kind, seconds):
    # Within a few hours of the holder's last sign-in a payment or a change belongs to its
    # session, whose own idle time counts (the next test).
    assume(kind is LOGIN or seconds > SESSION_HOURS * HOUR)
    profile, events = ordinary()
    at = last_activity(events) + seconds
    text, values = sentence(event_of(kind, at), profile, ReasonCode.DORMANT_ACCOUNT)
    assert math.expm1(values["dormancy_log"]) == pytest.approx(seconds / DAY)
    assert_states(text, [("hours", seconds / HOUR)])
    assert "sign-in" not in text


@covers((TRANSACTION, ReasonCode.DORMANT_ACCOUNT), (CHANGE, ReasonCode.DORMANT_ACCOUNT))
@EXAMPLES
@given(kind=st.sampled_from([TRANSACTION, CHANGE]), idle=st.integers(2 * 3600, 400 * DAY),
       seconds=st.integers(0, 6 * 3600))
def test_dormancy_before_a_sessions_sign_in_says_so(kind, idle, seconds):
    """Money moved or details changed an hour after a sign-in that ended months of silence:
    the silence is what counts, and the sentence says it ended at that sign-in."""
    profile, events = ordinary()
    signed_in = last_activity(events) + idle
    profile.update(login(signed_in))
    text, _ = sentence(event_of(kind, signed_in + seconds), profile,
                       ReasonCode.DORMANT_ACCOUNT)
    if idle > seconds:
        assert_states(text, [("hours", idle / HOUR)])
        assert text.endswith("before its latest sign-in.")
    else:
        assert_states(text, [("hours", seconds / HOUR)])
        assert "sign-in" not in text


def test_every_reason_on_every_kind_is_checked():
    importlib.import_module("tests.unit.test_reason_sentences_money")  # its tests count too
    carried = {(kind, spec.reason) for kind, specs in FEATURE_SPECS.items() for spec in specs
               if spec.reason is not None}
    assert carried - COVERED == set()


# -- reasons the policy adds ---------------------------------------------------------------------

def _policy_reasons(event: Event, standing: Standing) -> dict[ReasonCode, str]:
    assessment = Assessment(event.kind, 0.1, (), THRESHOLDS, False)
    verdict = RiskPolicy().decide(event, assessment, standing=standing)
    return {reason.code: reason.message for reason in verdict.reasons}


@EXAMPLES
@given(kind=st.sampled_from([LOGIN, TRANSACTION, CHANGE]), failures=st.integers(1, 30),
       kinds=st.sampled_from([(EntityKind.DEVICE,), (EntityKind.NETWORK,),
                              (EntityKind.DEVICE, EntityKind.NETWORK)]))
@example(kind=LOGIN, failures=1, kinds=(EntityKind.DEVICE,))
@example(kind=TRANSACTION, failures=2, kinds=(EntityKind.NETWORK,))
@example(kind=CHANGE, failures=3, kinds=(EntityKind.DEVICE,))
def test_failed_step_ups_are_counted(kind, failures, kinds):
    distrust = Distrust(DistrustSource.FAILED_STEP_UP, failures, LATER + DAY, kinds)
    text = _policy_reasons(event_of(kind, LATER, device=THIEF), Standing(distrust=distrust))[
        ReasonCode.FAILED_STEP_UP]
    assert_states(text, [("times", failures)])
    fraud = Distrust(DistrustSource.CONFIRMED_FRAUD, failures, LATER + DAY, kinds)
    text = _policy_reasons(event_of(kind, LATER, device=THIEF), Standing(distrust=fraud))[
        ReasonCode.REPORTED_FRAUD]
    assert_states(text, [])


@EXAMPLES
@given(amount=st.integers(1, 10_000_000))
def test_a_new_accounts_large_payment_states_its_amount(amount):
    reasons = _policy_reasons(pay(LATER, amount, payee="stranger"),
                              Standing(new_account=True, large_to_new_payee=True))
    assert_states(reasons[ReasonCode.AMOUNT_SPIKE], [("money", amount)])
    assert_states(reasons[ReasonCode.NEW_PAYEE], [])


# -- the wording -----------------------------------------------------------------------------------

@given(hours=st.floats(0, 50_000))
@example(hours=59.5 / 60)
@example(hours=1.0)
@example(hours=47.97)
def test_a_duration_reads_back_within_its_rounding(hours):
    text = f"It took {duration(hours)}."
    (span,) = stated(text)
    assert span.kind == "hours"
    assert span.holds(hours), text
    assert_grammatical(text)


@given(count=st.integers(0, 10_000))
@example(count=0)
@example(count=1)
@example(count=2)
def test_counts_agree_with_their_nouns(count):
    for code, context in (
            (ReasonCode.FAILED_LOGIN_BURST, {"failures_1h": count}),
            (ReasonCode.FAILED_LOGIN_BURST, {"failures_1h": count,
                                             "unknown_device_failures_1h": 1}),
            (ReasonCode.FAILED_LOGIN_BURST, {"failures_1h": 0,
                                             "network_failed_accounts_1h": count}),
            (ReasonCode.LOGIN_VELOCITY, {"attempts_1h": count}),
            (ReasonCode.RAPID_TRANSACTIONS, {"tx_1h": count + 1, "usual_tx_1h": count}),
            (ReasonCode.RAPID_ACCOUNT_CHANGES, {"changes_7d": count}),
            (ReasonCode.NEW_PAYEE, {"new_payee": 0.0, "new_payees_3h": count}),
            (ReasonCode.FAILED_STEP_UP, {"failures": count}),
            (ReasonCode.DORMANT_ACCOUNT, {"dormant_days": count / 24}),
            (ReasonCode.DORMANT_ACCOUNT, {"dormant_days": float(count)}),
            (ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT, {"hours_since_change": count / 60})):
        assert_grammatical(describe(code, context))
