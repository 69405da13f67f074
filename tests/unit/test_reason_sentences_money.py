"""Reason sentences about money state true numbers: the amounts, the usual amount the amount
features compared with, the new payees and their total, the pace within the hour and the
holder's peak, the time since a credential change (see test_reason_sentences.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from detectors.profile import DAY, HOUR, AccountProfile
from detectors.reasons import ReasonCode
from tests.unit.reason_scenarios import (
    ACCOUNT,
    EXAMPLES,
    LATER,
    START,
    TRANSACTION,
    change,
    covers,
    login,
    ordinary,
    pay,
    sentence,
    usual_amount,
)
from tests.unit.sentence_numbers import assert_states

HISTORY_AMOUNTS = st.lists(st.integers(300, 9_000), min_size=1, max_size=15)


def _paid(amounts: Sequence[int]) -> AccountProfile:
    """A holder who paid these amounts at shops, two a day, from their phone at home (over by
    LATER, with at most 16 amounts)."""
    profile = AccountProfile.new(ACCOUNT)
    profile.update(login(START))
    for n, amount in enumerate(amounts):
        profile.update(pay(START + n * DAY / 2 + HOUR, amount, payee=f"shop-{n % 3}"))
    return profile


@covers((TRANSACTION, ReasonCode.AMOUNT_SPIKE))
@EXAMPLES
@given(amounts=HISTORY_AMOUNTS, earlier=st.lists(st.integers(300, 90_000), max_size=3),
       spike=st.integers(100_000, 5_000_000))
@example(amounts=[1_000], earlier=[], spike=250_000)
@example(amounts=[1_000, 2_000], earlier=[40_000, 30_000], spike=250_000)
def test_an_amount_spike_states_the_amounts_and_the_usual_one(amounts, earlier, spike):
    """``earlier``: the holder's payments within the hour before (learned as theirs)."""
    profile = _paid(amounts)
    for n, amount in enumerate(earlier):
        profile.update(pay(LATER - 50 * 60 + 60 * n, amount))
    text, _ = sentence(pay(LATER, spike, payee="mule"), profile, ReasonCode.AMOUNT_SPIKE)
    usual = ("money", usual_amount([*amounts, *earlier]))
    if earlier:
        assert_states(text, [("money", sum(earlier) + spike), ("money", spike), usual])
    else:
        assert_states(text, [("money", spike), usual])
    assert "usual amounts" in text


@covers((TRANSACTION, ReasonCode.AMOUNT_SPIKE))
@EXAMPLES
@given(rent=st.integers(50_000, 200_000), times_more=st.integers(3, 20))
def test_a_spike_over_what_a_payee_was_paid_states_that_amount(rent, times_more):
    """The rent sets the landlord's usual amount: a spike to the landlord is against it."""
    profile = _paid([1_500, 2_000, 800, 3_000])
    profile.update(pay(START + 5 * DAY, rent, payee="landlord"))
    text, _ = sentence(pay(LATER, rent * times_more, payee="landlord"), profile,
                       ReasonCode.AMOUNT_SPIKE)
    assert_states(text, [("money", rent * times_more), ("money", rent)])
    assert "what this account last paid this recipient" in text


@covers((TRANSACTION, ReasonCode.TINY_AMOUNT))
@EXAMPLES
@given(amounts=HISTORY_AMOUNTS, tiny=st.integers(1, 150))
def test_a_tiny_amount_to_a_new_payee_states_the_amounts(amounts, tiny):
    profile = _paid(amounts)
    text, _ = sentence(pay(LATER, tiny, payee="new-shop"), profile, ReasonCode.TINY_AMOUNT)
    assert_states(text, [("money", tiny), ("money", usual_amount(amounts))])


@covers((TRANSACTION, ReasonCode.NEW_PAYEE))
@EXAMPLES
@given(sent=st.lists(st.integers(20_000, 300_000), max_size=8), current_new=st.booleans(),
       amount=st.integers(20_000, 300_000))
@example(sent=[], current_new=True, amount=50_000)
@example(sent=[60_000], current_new=True, amount=50_000)
@example(sent=[60_000], current_new=False, amount=50_000)
@example(sent=[60_000, 70_000], current_new=False, amount=50_000)
def test_money_to_new_payees_within_the_window_is_counted(sent, current_new, amount):
    """``sent``: payments to payees never paid before, within the last 3 hours (and one more
    five hours ago, outside them); then a payment to a new payee or to a known shop."""
    assume(current_new or sent)  # else no new payee: no evidence
    profile = _paid([1_500, 2_000, 800, 3_000])
    profile.update(pay(LATER - 5 * HOUR, 90_000, payee="mule-old"))
    for n, each in enumerate(sent):
        profile.update(pay(LATER - 2 * HOUR + 60 * n, each, payee=f"mule-{n}"))
    payee = "mule-new" if current_new else "shop-0"
    text, _ = sentence(pay(LATER, amount, payee=payee), profile, ReasonCode.NEW_PAYEE)
    received = [*sent, amount] if current_new else sent
    if current_new and not sent:
        assert_states(text, [])
    else:
        assert_states(text, [("count", len(received)), ("money", sum(received)),
                             ("hours", 3.0)])
    assert text.startswith("The money goes to a recipient") == current_new


@covers((TRANSACTION, ReasonCode.RAPID_TRANSACTIONS))
@EXAMPLES
@given(peak=st.integers(0, 10), today=st.integers(0, 15), count=st.integers(1, 30))
@example(peak=0, today=0, count=1)
@example(peak=1, today=0, count=2)
@example(peak=2, today=12, count=5)
def test_transactions_within_the_hour_are_counted_against_the_holders_peak(peak, today, count):
    """The holder paid ``peak`` bills within minutes a week ago, and ``today`` payments three
    hours ago (not yet part of their habits); now ``count`` payments within the hour."""
    profile = AccountProfile.new(ACCOUNT)
    for day in range(5):
        profile.update(login(START + day * DAY))
    for n in range(peak):
        profile.update(pay(START + 2 * DAY + 60 * n, 3_000, payee=f"biller-{n}"))
    for n in range(today):
        profile.update(pay(LATER - 3 * HOUR + 60 * n, 3_000))
    for n in range(count - 1):
        profile.update(pay(LATER + 60 * n, 3_000))
    text, values = sentence(pay(LATER + 60 * count, 3_000), profile,
                            ReasonCode.RAPID_TRANSACTIONS)
    # The numbers are what the pace features measured.
    assert math.expm1(values["tx_1h_log"]) == pytest.approx(count)
    assert values["tx_1h_over_peak_log"] == pytest.approx(
        max(0.0, math.log1p(count) - math.log1p(peak)))
    assert_states(text, [("count", count)] + ([("count", peak)] if peak else []))
    # The peak leaves out the latest day (a stolen session's burst must not excuse itself), and
    # the sentence says so: ``today``'s payments may well be more.
    assert ("a day or more ago" in text) == (peak > 0)


@covers((TRANSACTION, ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT))
@EXAMPLES
@given(seconds=st.integers(0, 3 * DAY))
@example(seconds=0)
@example(seconds=60)
@example(seconds=3600)
@example(seconds=3 * 3600)
def test_money_moved_after_a_credential_change_states_how_long_after(seconds):
    profile, _ = ordinary()
    profile.update(change(LATER))
    text, _ = sentence(pay(LATER + seconds, 2_000), profile,
                       ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT)
    assert_states(text, [("hours", seconds / HOUR)])
