"""Hand-written event sequences for the walkthrough and the end-to-end tests: an ordinary week
of one account, and an account takeover that follows it."""

from __future__ import annotations

from typing import Any

from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
)
from detectors.profile import DAY, HOUR

HOME: dict[str, Any] = {"country": "DE", "latitude": 52.52, "longitude": 13.405,
                        "asn": 3320, "ip": "84.150.12.34"}
ATTACKER: dict[str, Any] = {"country": "BR", "latitude": -23.55, "longitude": -46.63,
                            "asn": 14061, "ip": "45.33.101.7"}
USER_AGENT = "AcmePay/5.2 (iPhone; iOS 18.1)"
PAYEES = ("grocer-4411", "transit-berlin", "cafe-mitte", "bookshop-12")


# Days of ordinary history: a week and a day, so the account is past its new-account week
# (service/domain/engine.py TrustSettings) when the takeover comes.
WEEK_DAYS = 8


def normal_week(account_id: str, start: float, prefix: str | None = None) -> list[Event]:
    """WEEK_DAYS days from ``start`` (best a midnight UTC): two sign-ins a day from the home
    network on the usual phone, and one or two card payments of 8 to 60 EUR. Event and device
    ids start with ``prefix`` (default: the account id)."""
    prefix = prefix or account_id
    device = f"{prefix}-phone"
    events: list[Event] = []
    for day in range(WEEK_DAYS):
        base = start + day * DAY
        for n, hour in enumerate((7.5, 19.0)):
            events.append(LoginEvent(
                event_id=f"{prefix}-d{day}-login{n}", account_id=account_id,
                occurred_at=base + hour * HOUR + day * 60, ip=str(HOME["ip"]), device_id=device,
                user_agent=USER_AGENT, country=str(HOME["country"]),
                latitude=float(HOME["latitude"]), longitude=float(HOME["longitude"]),
                asn=int(HOME["asn"]), success=True, auth_method="biometric"))
        for n in range(1 + day % 2):
            events.append(TransactionEvent(
                event_id=f"{prefix}-d{day}-pay{n}", account_id=account_id,
                occurred_at=base + (12.0 + 4 * n) * HOUR, amount_minor=800 + 700 * ((day + n) % 8),
                currency="EUR", payee_id=PAYEES[(day + n) % len(PAYEES)],
                feature=CreditFeature.PAYMENT, channel="app", device_id=device,
                ip=str(HOME["ip"]), country=str(HOME["country"])))
    return sorted(events, key=lambda e: e.occurred_at)


def takeover(account_id: str, at: float, prefix: str | None = None) -> list[Event]:
    """Starting at ``at`` (best 30 minutes after the owner's last sign-in in Berlin): a burst of
    failed sign-ins from a hosting network, a success from a new device in Brazil, a phone
    number change, and a large transfer to a new payee."""
    prefix = prefix or account_id
    device = f"{prefix}-attacker"
    where = {"ip": str(ATTACKER["ip"]), "country": str(ATTACKER["country"])}
    events: list[Event] = [
        LoginEvent(event_id=f"{prefix}-ato-fail{n}", account_id=account_id,
                   occurred_at=at + n * 40.0, device_id=device, user_agent="python-requests/2.32",
                   latitude=float(ATTACKER["latitude"]), longitude=float(ATTACKER["longitude"]),
                   asn=int(ATTACKER["asn"]), success=False, auth_method="password", **where)
        for n in range(8)
    ]
    events.append(LoginEvent(
        event_id=f"{prefix}-ato-login", account_id=account_id, occurred_at=at + 400.0,
        device_id=device, user_agent="python-requests/2.32",
        latitude=float(ATTACKER["latitude"]), longitude=float(ATTACKER["longitude"]),
        asn=int(ATTACKER["asn"]), success=True, auth_method="password", **where))
    events.append(AccountChangeEvent(
        event_id=f"{prefix}-ato-phone", account_id=account_id, occurred_at=at + 700.0,
        change=AccountChangeKind.PHONE, device_id=device, ip=where["ip"]))
    events.append(TransactionEvent(
        event_id=f"{prefix}-ato-transfer", account_id=account_id, occurred_at=at + 1000.0,
        amount_minor=250_000, currency="EUR", payee_id="mule-7781",
        feature=CreditFeature.TRANSFER_OUT, channel="web", device_id=device, **where))
    return events


def takeover_start(week_start: float) -> float:
    """30 minutes after the last sign-in of :func:`normal_week`."""
    last = WEEK_DAYS - 1
    return week_start + last * DAY + 19.5 * HOUR + last * 60
