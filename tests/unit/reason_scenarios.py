"""Histories and events for the reason-sentence tests, and the reading of a reason's sentence:
the sentence ``explain`` gives when the event's features for that reason are strong evidence,
checked to read only numbers its context holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from hypothesis import settings

from detectors.crowd import CrowdSignals
from detectors.demo import HOME, normal_week
from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    Event,
    EventKind,
    LoginEvent,
    TransactionEvent,
)
from detectors.explain import explain
from detectors.features import (
    FEATURE_SPECS,
    NO_CROWD,
    PRIOR_AMOUNT_LOG_MEAN,
    PRIOR_WEIGHT,
    Context,
    extract_features,
    feature_schema,
)
from detectors.profile import DAY, AccountProfile
from detectors.reasons import ReasonCode
from detectors.sentences import describe

LOGIN, TRANSACTION, CHANGE = EventKind.LOGIN, EventKind.TRANSACTION, EventKind.ACCOUNT_CHANGE
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
LATER = START + 10 * DAY  # two days after the ordinary week (normal_week) ends
ACCOUNT = "acct"
PHONE = f"{ACCOUNT}-phone"  # the holder's device in normal_week
HOME_IP = str(HOME["ip"])
THIEF = "thief-laptop"
SAO_PAULO = (-23.55, -46.63)
# Context keys a sentence may miss on a kind, because the kind does not measure them: an
# account change has no crowd of other accounts' failed sign-ins.
NOT_MEASURED = {CHANGE: {"network_failed_accounts_1h"}}
EXAMPLES = settings(max_examples=25, deadline=None)
COVERED: set[tuple[EventKind, ReasonCode]] = set()


def covers(*pairs: tuple[EventKind, ReasonCode]) -> Callable[[Callable[..., None]],
                                                             Callable[..., None]]:
    """Record which reasons on which kinds a test checks (see the completeness test)."""
    def mark(test: Callable[..., None]) -> Callable[..., None]:
        COVERED.update(pairs)
        return test
    return mark


class Reading(dict[str, float | str]):
    """A context that notes the keys a sentence asked for and did not find."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.missing: set[str] = set()

    def get(self, key: str, default: object = None) -> object:
        if key not in self:
            self.missing.add(key)
        return super().get(key, default)


def sentence(event: Event, profile: AccountProfile, code: ReasonCode,
             crowd: CrowdSignals = NO_CROWD) -> tuple[str, dict[str, float]]:
    """The sentence ``explain`` gives for ``code`` when the event's features for it are
    strong evidence, and the feature values (asserting the features do give evidence)."""
    vector = extract_features(event, profile, crowd)
    specs = FEATURE_SPECS[event.kind]
    evidence = [10.0 if spec.reason is code and value > 0 else 0.0
                for spec, value in zip(specs, vector.values, strict=True)]
    assert any(evidence), f"no evidence for {code.name}"
    reasons = explain(specs, evidence, vector.context)
    assert [reason.code for reason in reasons] == [code]
    reading = Reading(vector.context)
    assert describe(code, reading) == reasons[0].message
    assert reading.missing <= NOT_MEASURED.get(event.kind, set()), reading.missing
    return reasons[0].message, dict(zip(feature_schema(event.kind), vector.values, strict=True))


def ordinary() -> tuple[AccountProfile, list[Event]]:
    """An ordinary week of the holder's: sign-ins from home on their phone, small payments."""
    events = normal_week(ACCOUNT, START)
    profile = AccountProfile.new(ACCOUNT)
    for event in events:
        profile.update(event)
    return profile, events


def login(at: float, device: str = PHONE, success: bool = True, **where: object) -> LoginEvent:
    place: dict[str, object] = {"ip": HOME_IP, "country": "DE", "asn": 3320} | where
    return LoginEvent(f"l{at}", ACCOUNT, at, device_id=device, success=success, **place)


def pay(at: float, amount: int, payee: str = "grocer-4411", device: str = PHONE,
        **where: str) -> TransactionEvent:
    place = {"ip": HOME_IP, "country": "DE"} | where
    return TransactionEvent(f"t{at}", ACCOUNT, at, amount_minor=amount, currency="EUR",
                            payee_id=payee, device_id=device, **place)


def change(at: float, kind: AccountChangeKind = AccountChangeKind.PHONE, device: str = PHONE,
           ip: str = HOME_IP) -> AccountChangeEvent:
    return AccountChangeEvent(f"c{at}", ACCOUNT, at, kind, device_id=device, ip=ip)


def event_of(kind: EventKind, at: float, device: str = PHONE, ip: str = HOME_IP) -> Event:
    """A harmless event of ``kind`` (a sign-in, a small payment, an e-mail change)."""
    if kind is LOGIN:  # a network is known by its provider (ASN) when the sign-in names one
        return login(at, device, ip=ip, asn=3320 if ip == HOME_IP else 64500)
    if kind is TRANSACTION:
        return pay(at, 1_500, device=device, ip=ip)
    return change(at, AccountChangeKind.EMAIL, device, ip)


def usual_amount(amounts: Sequence[int]) -> float:
    """The usual amount the amount features compare with: the mean of the holder's log
    amounts, shrunk towards the population prior."""
    logs = [math.log1p(a) for a in amounts]
    mean = (sum(logs) + PRIOR_WEIGHT * PRIOR_AMOUNT_LOG_MEAN) / (len(logs) + PRIOR_WEIGHT)
    return math.expm1(mean)


def last_activity(events: Sequence[Event]) -> float:
    return max(e.occurred_at for e in events if not isinstance(e, AccountChangeEvent))
