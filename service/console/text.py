"""Plain words for the console: times, durations, enum names. Everything here returns text that
still has to be escaped by the caller (views.py does)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.timestamp_pb2 import Timestamp

from service.api.acctguard.v1 import acctguard_pb2 as pb

_FEATURES = {
    "CREDIT_LINE": "credit line",
    "INSTALLMENT_LOAN": "instalment loans",
    "TRANSFER_OUT": "transfers out",
    "PAYMENT": "payments",
    "CASH_WITHDRAWAL": "cash withdrawals",
}


def seconds(ts: Timestamp) -> float | None:
    """Seconds since the epoch, or None for an unset timestamp."""
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.seconds + ts.nanos / 1e9


def when(ts: Timestamp) -> str:
    value = seconds(ts)
    if value is None:
        return "–"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(delta: float) -> str:
    """A rough length of time: '2 d 5 h', '3 h 10 min', '4 min', 'under a minute'."""
    delta = abs(delta)
    days, rest = divmod(int(delta), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under a minute"


def relative(ts: Timestamp, now: float) -> str:
    value = seconds(ts)
    if value is None:
        return ""
    return f"in {duration(value - now)}" if value >= now else f"{duration(now - value)} ago"


def _name(enum: EnumTypeWrapper, value: int) -> str:
    try:
        return str(enum.Name(value))
    except ValueError:
        return str(value)


def words(name: str) -> str:
    """'IMPOSSIBLE_TRAVEL' -> 'Impossible travel'."""
    return name.replace("_", " ").capitalize()


def reason_title(code: int) -> str:
    return words(_name(pb.ReasonCode, code))


def feature(value: int) -> str:
    return feature_named(_name(pb.CreditFeature, value))


def feature_named(name: str) -> str:
    """'TRANSFER_OUT' -> 'transfers out'."""
    return _FEATURES.get(name, name.replace("_", " ").lower())


def features(values: Any) -> str:
    return ", ".join(feature(v) for v in values) or "no features"


def method(value: int) -> str:
    return {"ONE_TIME_CODE": "one-time code", "TOTP": "authenticator app"}.get(
        _name(pb.VerificationMethod, value), "unknown method")


def trust_state_name(value: int) -> str:
    """'TRUSTED', 'PENDING', 'UNTRUSTED'; 'UNKNOWN' for a state this console does not know."""
    name = _name(pb.TrustState, value)
    return name if name in {"TRUSTED", "PENDING", "UNTRUSTED"} else "UNKNOWN"


def percent(value: float) -> str:
    """A share as a percentage with one decimal, or as many more as it takes to show two
    significant digits of what is left to 100 % (so 99.5 % and 99.998 % differ, and a risk
    below 1 never reads as 100 %)."""
    left = 100 * (1 - value)
    decimals = 1
    if 0 < left < 0.1:
        decimals = min(9, 1 - math.floor(math.log10(left)))
    shown = f"{100 * value:.{decimals}f}"
    if decimals > 1:
        shown = shown.rstrip("0").removesuffix(".")
        shown += "" if "." in shown else ".0"
    return f"{shown} %"


def pretty_json(text: str) -> str:
    """Indented JSON, or the text as it is when it is not JSON."""
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return text
