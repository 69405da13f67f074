"""Reason sentences: one plain sentence per reason code that a support agent can read out.

A sentence states only numbers its context holds, and the context (detectors.features) holds
what the features measured: the failures the failure feature counted, the pace and the peak
the pace features compared... Counts agree with their nouns ("1 failed sign-in attempt", "2
failed sign-in attempts"), and durations are given in the unit that reads best.
"""

from __future__ import annotations

from collections.abc import Callable

from detectors.features import (
    CHANGE_WINDOW_DAYS,
    HOUSEHOLD_FAILED_ACCOUNTS,
    NEW_PAYEE_WINDOW_HOURS,
    Context,
)
from detectors.reasons import ReasonCode


def counted(count: int, noun: str) -> str:
    """``count`` with its noun in agreement: "1 day", "3 days", "2 new recipients"."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


def times(count: int) -> str:
    """How many times: "once", "twice", "3 times"."""
    return {1: "once", 2: "twice"}.get(count, f"{count:,} times")


def duration(hours: float) -> str:
    """A span in minutes, hours (to a tenth) or days, whichever reads best: "less than a
    minute", "36 minutes", "1 hour", "2.5 hours", "90 days"."""
    minutes = round(hours * 60.0)
    if hours * 60.0 < 1.0:
        return "less than a minute"
    if minutes < 60:
        return counted(minutes, "minute")
    if hours < 48.0:
        tenths = f"{hours:.1f}".removesuffix(".0")
        return f"{tenths} {'hour' if tenths == '1' else 'hours'}"
    return counted(round(hours / 24.0), "day")


def amount(minor: float, currency: object) -> str:
    """An amount in minor units as major units: "1,500.00 EUR"."""
    unit = f" {currency}" if currency else ""
    return f"{minor / 100:,.2f}{unit}"


def _count(c: Context, key: str, default: int = 0) -> int:
    return round(float(c.get(key, default)))


def _there(count: int, noun: str) -> str:
    return f"There {'was' if count == 1 else 'were'} {counted(count, noun)}"


def _new_device(c: Context) -> str:
    hours = -1.0
    if float(c.get("new_device", 1)) <= 0:  # the evidence is a new device's recent sign-in
        hours = float(c.get("hours_since_new_device_login", -1))
    if hours < 0:
        return "The activity came from a device not seen on this account before."
    return (f"A device this account had not used before signed in {duration(hours)} before "
            "this activity.")


def _new_country(c: Context) -> str:
    country = c.get("country") or "an unknown place"
    if float(c.get("country_first_seen_today", 0)) > 0:
        return (f"The activity came from {country}, a country this account had not been used "
                "in before today.")
    return f"The activity came from {country}, a country not seen on this account before."


def _impossible_travel(c: Context) -> str:
    hours = float(c.get("hours", 0))
    speed = f"{float(c.get('speed_kmh', 0)):,.0f} km/h"
    if hours * 60.0 < 1.0:  # the speed assumes a minute: the real one was higher still
        speed = f"at least {speed}"
    return (f"This sign-in is {float(c.get('distance_km', 0)):,.0f} km from the previous one, "
            f"{duration(hours)} later: faster than anyone can travel ({speed}).")


def _failed_login_burst(c: Context) -> str:
    own = _count(c, "failures_1h")
    accounts = _count(c, "network_failed_accounts_1h")
    if accounts > max(own, HOUSEHOLD_FAILED_ACCOUNTS):
        return ("The sign-in came from a network where sign-ins to "
                f"{counted(accounts, 'other account')} failed in the last hour, a sign of "
                "password guessing.")
    failed = f"{_there(own, 'failed sign-in attempt')} in the last hour"
    unknown = min(_count(c, "unknown_device_failures_1h"), own)
    if unknown <= 0:
        return f"{failed}."
    if own == 1:
        which = "from a device this account had never used"
    elif unknown == own:
        which = "all from devices this account had never used"
    else:
        devices = "a device" if unknown == 1 else "devices"
        which = f"{unknown:,} of them from {devices} this account had never used"
    return f"{failed}, {which}: someone else guessing the password."


def _login_velocity(c: Context) -> str:
    return f"{_there(_count(c, 'attempts_1h'), 'sign-in attempt')} in the last hour."


def _unusual_hour(c: Context) -> str:
    hour = _count(c, "hour") % 24
    return (f"The activity happened between {hour:02d}:00 and {(hour + 1) % 24:02d}:00 UTC, a "
            "time this account is rarely used.")


def _usual(c: Context) -> str:
    usual = amount(float(c.get("usual_amount_minor", 0)), c.get("currency"))
    if float(c.get("usual_from_payee", 0)) > 0:
        return f"what this account last paid this recipient ({usual})"
    return f"this account's usual amounts (about {usual})"


def _amount_spike(c: Context) -> str:
    now = amount(float(c.get("amount_minor", 0)), c.get("currency"))
    if _count(c, "tx_1h", 1) < 2:
        return f"The amount {now} is far above {_usual(c)}."
    hour = amount(float(c.get("amount_1h_minor", 0)), c.get("currency"))
    return f"{hour} moved within one hour ({now} now), far above {_usual(c)}."


def _new_payee(c: Context) -> str:
    payees = _count(c, "new_payees_3h")
    new = float(c.get("new_payee", 1)) > 0
    if new and payees < 2:
        return "The money goes to a recipient this account has never paid before."
    total = amount(float(c.get("new_payee_amount_3h", 0)), c.get("currency"))
    window = duration(NEW_PAYEE_WINDOW_HOURS)
    if new:
        return (f"The money goes to a recipient this account has never paid before: "
                f"{counted(payees, 'new recipient')} received {total} in the last {window}.")
    return (f"{counted(payees, 'recipient')} this account had never paid before received "
            f"{total} in the last {window}.")


def _tiny_amount(c: Context) -> str:
    now = amount(float(c.get("amount_minor", 0)), c.get("currency"))
    usual = amount(float(c.get("usual_amount_minor", 0)), c.get("currency"))
    return (f"The amount {now} is far below this account's usual amounts (about {usual}), "
            "like a small payment made to test whether a stolen card works.")


def _rapid_transactions(c: Context) -> str:
    count = _count(c, "tx_1h")
    peak = _count(c, "usual_tx_1h")
    if peak < 1:
        return f"This is transaction {count:,} within one hour, far more than usual."
    return (f"This is transaction {count:,} within one hour; in any hour a day or more ago, "
            f"this account made at most {counted(peak, 'transaction')}.")


def _credential_change_then_payout(c: Context) -> str:
    hours = float(c.get("hours_since_change", -1))
    when = duration(hours) if hours >= 0 else "shortly"
    return (f"Money is being moved {when} after the account's credentials or contact details "
            "changed.")


def _dormant_account(c: Context) -> str:
    idle = duration(float(c.get("dormant_days", 0)) * 24.0)
    if float(c.get("dormant_before_sign_in", 0)) > 0:
        return f"The account had not been used for {idle} before its latest sign-in."
    return f"The account had not been used for {idle}."


def _rapid_account_changes(c: Context) -> str:
    what = "The account's credentials or contact details changed"
    if "changes_7d" in c:
        return (f"{what} {times(_count(c, 'changes_7d'))} in the last "
                f"{counted(CHANGE_WINDOW_DAYS, 'day')}, this change included.")
    hours = float(c.get("hours_since_change", -1))
    if hours >= 0:
        return f"{what} {duration(hours)} before this sign-in."
    return f"{what} recently."


def _entities(c: Context) -> str:
    return str(c.get("entities") or "device")


def _reported_fraud(c: Context) -> str:
    return f"Activity on this account from the same {_entities(c)} was confirmed as fraud."


def _failed_step_up(c: Context) -> str:
    if c.get("restored_elsewhere"):
        return (f"The account holder restored service from another device after activity from "
                f"this {_entities(c)} was frozen.")
    return (f"An identity check on this account from this {_entities(c)} was failed or "
            f"abandoned {times(_count(c, 'failures', 1))} recently.")


def _fixed(sentence: str) -> Callable[[Context], str]:
    return lambda _: sentence


_SENTENCES: dict[ReasonCode, Callable[[Context], str]] = {
    ReasonCode.NEW_DEVICE: _new_device,
    ReasonCode.NEW_COUNTRY: _new_country,
    ReasonCode.NEW_NETWORK: _fixed(
        "The activity came from an internet provider or network this account had not used "
        "before today."),
    ReasonCode.IMPOSSIBLE_TRAVEL: _impossible_travel,
    ReasonCode.FAILED_LOGIN_BURST: _failed_login_burst,
    ReasonCode.UNUSUAL_HOUR: _unusual_hour,
    ReasonCode.AMOUNT_SPIKE: _amount_spike,
    ReasonCode.NEW_PAYEE: _new_payee,
    ReasonCode.RAPID_TRANSACTIONS: _rapid_transactions,
    ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT: _credential_change_then_payout,
    ReasonCode.DORMANT_ACCOUNT: _dormant_account,
    ReasonCode.RAPID_ACCOUNT_CHANGES: _rapid_account_changes,
    ReasonCode.LOGIN_VELOCITY: _login_velocity,
    ReasonCode.FEATURE_FROZEN: _fixed(
        "This credit feature is frozen on the account until the holder verifies their "
        "identity."),
    ReasonCode.NEW_ACCOUNT: _fixed(
        "The account has no history yet, so it was compared with typical new customers."),
    ReasonCode.OPERATOR_FREEZE: _fixed(
        "An operator froze the account's credit features for review."),
    ReasonCode.TINY_AMOUNT: _tiny_amount,
    ReasonCode.RISK_STORE_UNAVAILABLE: _fixed(
        "The account's history could not be read just now, so this activity was not scored; "
        "the decision is the service's rule for that case."),
    ReasonCode.REPORTED_FRAUD: _reported_fraud,
    ReasonCode.FAILED_STEP_UP: _failed_step_up,
    ReasonCode.NOT_SCORED_IN_TIME: _fixed(
        "The request left too little time to check this activity against the account's "
        "history, so it was not scored; the decision is the service's rule for that case."),
}
_UNUSUAL_PATTERN = ("The combination of details in this activity is unlike this account's "
                    "normal use.")


def describe(code: ReasonCode, context: Context) -> str:
    """One plain sentence about ``code`` for an event with this ``context``."""
    sentence = _SENTENCES.get(code)
    return sentence(context) if sentence is not None else _UNUSUAL_PATTERN
