"""Audit entries as sentences an analyst can read, with times in the console's local time zone
(or the one given). Returns text still to be escaped (views.py does)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import text

Detail = dict[str, Any]


def local_time(seconds: float | None, tz: tzinfo | None = None) -> str:
    """'2026-12-03 15:27 CET' in ``tz`` (None: the console's local time zone)."""
    if not seconds:
        return "–"
    moment = datetime.fromtimestamp(seconds, tz) if tz else datetime.fromtimestamp(seconds)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()


def _features(detail: Detail) -> str:
    names = detail.get("features") or []
    if not isinstance(names, list) or not names:
        return "every credit feature"
    return ", ".join(text.feature_named(str(n)) for n in names)


def _reasons(detail: Detail) -> str:
    codes = detail.get("reasons") or []
    return ", ".join(text.words(str(code)).lower() for code in codes) if isinstance(
        codes, list) else ""


def _method(name: Any) -> str:
    return {"ONE_TIME_CODE": "one-time code", "TOTP": "authenticator app"}.get(
        str(name), text.words(str(name)).lower())


def _quoted(detail: Detail, key: str) -> str:
    value = detail.get(key)
    return f": “{value}”" if value else ""


class _Writer:
    def __init__(self, entry: pb.AuditEntry, detail: Detail, tz: tzinfo | None) -> None:
        self.entry, self.detail, self.tz = entry, detail, tz

    def time(self, key: str) -> str:
        value = self.detail.get(key)
        return local_time(float(value), self.tz) if isinstance(value, int | float) else "–"

    def freeze_placed(self) -> str:
        d, e = self.detail, self.entry
        until = f", until {self.time('expires_at')}" if "expires_at" in d else ""
        if d.get("how") == "operator":
            return (f"{e.actor} froze {_features(d)} (freeze {e.subject_id}){until}"
                    f"{_quoted(d, 'reason')}.")
        why = _reasons(d)
        risk = (f"risk {text.percent(float(d['risk']))}" if isinstance(d.get("risk"),
                                                                        int | float) else "")
        because = "; ".join(x for x in (risk, why) if x)
        who = "The engine" if e.actor == "engine" else e.actor
        return (f"{who} froze {_features(d)} (freeze {e.subject_id}) after event "
                f"{d.get('event_id') or '–'}" + (f" ({because})" if because else "")
                + f"{until}.")

    def freeze_lifted(self) -> str:
        d, e = self.detail, self.entry
        how = d.get("how")
        if how == "verified":
            return (f"Freeze {e.subject_id} on {_features(d)} was lifted after verification "
                    f"{d.get('challenge_id', '–')} succeeded.")
        if how == "outcome":
            return (f"{e.actor} lifted freeze {e.subject_id}: event {d.get('event_id', '–')} was "
                    "reported legitimate.")
        return f"{e.actor} lifted freeze {e.subject_id}{_quoted(d, 'reason')}."

    def verification_started(self) -> str:
        d, e = self.detail, self.entry
        device = f" on device {d['device_id']}" if d.get("device_id") else ""
        delivery = (f", sent by {str(d['delivery']).lower().replace('_', ' ')}"
                    if d.get("delivery") else "")
        return (f"{e.actor} started verification {e.subject_id} by "
                f"{_method(d.get('method'))}{device}{delivery}, valid until "
                f"{self.time('expires_at')}.")

    def verification_succeeded(self) -> str:
        return (f"Verification {self.entry.subject_id} succeeded "
                f"({_method(self.detail.get('method'))}).")

    def verification_failed(self) -> str:
        left = self.detail.get("attempts_left")
        return (f"A wrong code was entered for verification {self.entry.subject_id}"
                + (f"; {left} attempt{'s' if left != 1 else ''} left." if left is not None
                   else "."))

    def verification_locked(self) -> str:
        return (f"Verification was locked until {self.time('until')} after "
                f"{self.detail.get('failures_in_window', 'too many')} failed attempts.")

    def verification_used(self) -> str:
        freezes = self.detail.get("freezes") or []
        listed = ", ".join(str(f) for f in freezes) if isinstance(freezes, list) else ""
        return (f"Verification {self.entry.subject_id} was used to lift "
                + (f"freezes {listed}." if listed else "no freeze."))

    def authenticator_enrolled(self) -> str:
        return f"{self.entry.actor} enrolled an authenticator app."

    def challenge_result_reported(self) -> str:
        d, e = self.detail, self.entry
        result = str(d.get("result", "unknown")).lower()
        learned = "; it was learned from" if d.get("learned") else ""
        note = f" ({d['note']})" if d.get("note") else ""
        return (f"{e.actor} reported the step-up of event {e.subject_id} as {result}"
                f"{learned}{note}.")

    def outcome_reported(self) -> str:
        d, e = self.detail, self.entry
        outcome = text.words(str(d.get("outcome", "unknown"))).lower()
        before = (f", replacing {text.words(str(d['overrides'])).lower()}"
                  if d.get("overrides") else "")
        return f"{e.actor} reported event {e.subject_id} as {outcome}{before}."

    def restore_learned(self) -> str:
        return self._restore("taught the account's profile")

    def restore_unlearned(self) -> str:
        return self._restore("was not learned from")

    def _restore(self, what: str) -> str:
        d = self.detail
        note = f" ({d['note']})" if d.get("note") else ""
        return (f"The verified lift of freeze {self.entry.subject_id} (event "
                f"{d.get('event_id') or '–'}) {what}{note}.")

    def account_forgotten(self) -> str:
        return f"{self.entry.actor} erased the account's data{_quoted(self.detail, 'reason')}."

    def fallback(self) -> str:
        """An action this console has no sentence for: its name and details, times local."""
        parts = []
        for key, value in sorted(self.detail.items()):
            shown = (self.time(key) if isinstance(value, int | float) and not isinstance(
                value, bool) and (key.endswith("_at") or key == "until") else value)
            parts.append(f"{key.replace('_', ' ')} {shown}")
        subject = f" {self.entry.subject_id}" if self.entry.subject_id else ""
        return (f"{self.entry.actor}: {self.entry.action.replace('.', ' ').replace('_', ' ')}"
                f"{subject}" + (f" ({'; '.join(parts)})" if parts else "") + ".")


_SENTENCES: dict[str, Callable[[_Writer], str]] = {
    "freeze.placed": _Writer.freeze_placed,
    "freeze.lifted": _Writer.freeze_lifted,
    "verification.started": _Writer.verification_started,
    "verification.succeeded": _Writer.verification_succeeded,
    "verification.failed": _Writer.verification_failed,
    "verification.locked": _Writer.verification_locked,
    "verification.used": _Writer.verification_used,
    "authenticator.enrolled": _Writer.authenticator_enrolled,
    "challenge.result_reported": _Writer.challenge_result_reported,
    "outcome.reported": _Writer.outcome_reported,
    "restore.learned": _Writer.restore_learned,
    "restore.unlearned": _Writer.restore_unlearned,
    "account.forgotten": _Writer.account_forgotten,
}


def sentence(entry: pb.AuditEntry, tz: tzinfo | None = None) -> str:
    """What the entry records, in words; its detail's times in ``tz`` (None: local)."""
    try:
        detail = json.loads(entry.detail) if entry.detail else {}
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    writer = _Writer(entry, detail, tz)
    try:
        return _SENTENCES.get(entry.action, _Writer.fallback)(writer)
    except (KeyError, TypeError, ValueError):  # a detail of an unexpected shape
        return writer.fallback()
