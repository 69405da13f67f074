"""Checks on an event before anything is read or written. Field names in errors are the
request's own paths (``login.latitude``), so a caller knows exactly what to fix."""

from __future__ import annotations

import ipaddress
import math
import re

from detectors.events import AccountChangeEvent, Event, EventKind, LoginEvent, TransactionEvent
from service.domain.errors import InvalidArgument

MAX_ID = 128
MAX_TEXT = 256
MAX_USER_AGENT = 1024
MAX_AMOUNT_MINOR = 10**15
EARLIEST = 946684800.0  # 2000-01-01T00:00:00Z
_ID = re.compile(r"[\x21-\x7e]+")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def check_id(field: str, value: str) -> str:
    """An id as every RPC takes it: 1 to 128 printable ASCII characters without spaces."""
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > MAX_ID:
        raise InvalidArgument(field, f"is longer than {MAX_ID} characters")
    if not _ID.fullmatch(value):
        raise InvalidArgument(field, "must be printable ASCII without spaces")
    return value


def _check_text(field: str, value: str, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        raise InvalidArgument(field, f"is longer than {limit} characters")


def _check_ip(field: str, value: str) -> None:
    if not value:
        return
    _check_text(field, value, 64)
    if _IPV4.fullmatch(value):  # the common case, without ipaddress's cost
        return
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise InvalidArgument(field, "is not an IPv4 or IPv6 address") from None


def _check_country(field: str, value: str) -> None:
    if value and not _COUNTRY.fullmatch(value):
        raise InvalidArgument(field, "must be an ISO 3166-1 alpha-2 code such as DE")


_FIELDS = ("event_id", "account_id", "occurred_at", "device_id", "ip", "user_agent",
           "auth_method", "country", "latitude", "longitude", "amount_minor", "currency",
           "payee_id", "channel")
# "login.device_id" and the like, made once rather than for every event checked.
_PATHS: dict[EventKind, dict[str, str]] = {
    kind: {name: f"{kind}.{name}" for name in _FIELDS} for kind in EventKind}


def validate_event(event: Event, now: float, max_future_skew: float) -> None:
    """Raise :class:`InvalidArgument` for the first problem found."""
    path = _PATHS[event.kind]
    check_id(path["event_id"], event.event_id)
    check_id(path["account_id"], event.account_id)
    if not math.isfinite(event.occurred_at) or event.occurred_at < EARLIEST:
        raise InvalidArgument(path["occurred_at"], "is missing or before 2000-01-01")
    if event.occurred_at > now + max_future_skew:
        raise InvalidArgument(path["occurred_at"],
                              f"is more than {max_future_skew:.0f} s in the future")
    _check_text(path["device_id"], event.device_id)
    _check_ip(path["ip"], event.ip)
    if isinstance(event, LoginEvent):
        _check_text(path["user_agent"], event.user_agent, MAX_USER_AGENT)
        _check_text(path["auth_method"], event.auth_method, 64)
        _check_country(path["country"], event.country)
        if not (math.isfinite(event.latitude) and -90.0 <= event.latitude <= 90.0):
            raise InvalidArgument(path["latitude"], "must be between -90 and 90")
        if not (math.isfinite(event.longitude) and -180.0 <= event.longitude <= 180.0):
            raise InvalidArgument(path["longitude"], "must be between -180 and 180")
    elif isinstance(event, TransactionEvent):
        if event.amount_minor < 0:
            raise InvalidArgument(path["amount_minor"], "must not be negative")
        if event.amount_minor > MAX_AMOUNT_MINOR:
            raise InvalidArgument(path["amount_minor"], "is implausibly large")
        if event.currency and not _CURRENCY.fullmatch(event.currency):
            raise InvalidArgument(path["currency"], "must be an ISO 4217 code such as EUR")
        _check_text(path["payee_id"], event.payee_id)
        _check_text(path["channel"], event.channel, 64)
        _check_country(path["country"], event.country)
    elif isinstance(event, AccountChangeEvent):
        pass  # the change kind is checked when the request is converted
