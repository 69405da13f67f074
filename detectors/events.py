"""Events the service scores, as plain immutable values.

Times are seconds since the Unix epoch (UTC) as floats: the domain does arithmetic on them on
every event, and converting at the edges (protobuf Timestamp, JSON) keeps that cheap.
Enum values equal the protobuf enum numbers in protos/acctguard/v1/acctguard.proto.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum, StrEnum
from typing import Any, TypeAlias


class CreditFeature(IntEnum):
    CREDIT_LINE = 1
    INSTALLMENT_LOAN = 2
    TRANSFER_OUT = 3
    PAYMENT = 4
    CASH_WITHDRAWAL = 5


ALL_CREDIT_FEATURES: tuple[CreditFeature, ...] = tuple(CreditFeature)
OUTFLOW_FEATURES = frozenset({CreditFeature.TRANSFER_OUT, CreditFeature.CASH_WITHDRAWAL})


class AccountChangeKind(IntEnum):
    PASSWORD = 1
    PHONE = 2
    EMAIL = 3
    DEVICE_BINDING = 4
    MFA = 5
    ADDRESS = 6


CREDENTIAL_CHANGES = frozenset(
    {AccountChangeKind.PASSWORD, AccountChangeKind.PHONE, AccountChangeKind.EMAIL,
     AccountChangeKind.DEVICE_BINDING, AccountChangeKind.MFA}
)


class EventKind(StrEnum):
    LOGIN = "login"
    TRANSACTION = "transaction"
    ACCOUNT_CHANGE = "account_change"


@dataclass(frozen=True, slots=True)
class LoginEvent:
    event_id: str
    account_id: str
    occurred_at: float
    ip: str = ""
    device_id: str = ""
    user_agent: str = ""
    country: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    asn: int = 0
    success: bool = True
    auth_method: str = ""

    kind = EventKind.LOGIN

    @property
    def has_location(self) -> bool:
        return not (self.latitude == 0.0 and self.longitude == 0.0)


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    event_id: str
    account_id: str
    occurred_at: float
    amount_minor: int
    currency: str = ""
    payee_id: str = ""
    feature: CreditFeature = CreditFeature.PAYMENT
    channel: str = ""
    device_id: str = ""
    ip: str = ""
    country: str = ""

    kind = EventKind.TRANSACTION


@dataclass(frozen=True, slots=True)
class AccountChangeEvent:
    event_id: str
    account_id: str
    occurred_at: float
    change: AccountChangeKind
    device_id: str = ""
    ip: str = ""

    kind = EventKind.ACCOUNT_CHANGE


Event: TypeAlias = LoginEvent | TransactionEvent | AccountChangeEvent

_CLASSES: dict[str, type[LoginEvent] | type[TransactionEvent] | type[AccountChangeEvent]] = {
    EventKind.LOGIN: LoginEvent,
    EventKind.TRANSACTION: TransactionEvent,
    EventKind.ACCOUNT_CHANGE: AccountChangeEvent,
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict with the event's kind; enums are written by name."""
    fields = asdict(event)
    for key, value in fields.items():
        if isinstance(value, IntEnum):
            fields[key] = value.name
    return {"kind": str(event.kind), **fields}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The inverse of :func:`event_to_dict`; raises KeyError/ValueError/TypeError on bad input."""
    fields = dict(data)
    kind = EventKind(fields.pop("kind"))
    if kind is EventKind.TRANSACTION and "feature" in fields:
        fields["feature"] = CreditFeature[fields["feature"]]
    if kind is EventKind.ACCOUNT_CHANGE:
        fields["change"] = AccountChangeKind[fields["change"]]
    return _CLASSES[kind](**fields)
