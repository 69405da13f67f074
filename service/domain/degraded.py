"""What Score answers when an event cannot be scored: the configured fail mode.

Failing closed (the default) asks for step-up authentication: nobody is frozen on no
evidence, and nobody gets through on none. Failing open lets the activity through. Either way
the answer says why: ``RISK_STORE_UNAVAILABLE`` when the store could not be used in time,
``NOT_SCORED_IN_TIME`` when the call's deadline left too little time to score. A fail-mode
answer is stored as the event's answer whenever the store can still be written, so the same
event_id gets it again; the profile learns nothing from the event.
"""

from __future__ import annotations

from enum import StrEnum

from detectors.events import Event
from detectors.reasons import Reason, ReasonCode
from detectors.sentences import describe
from service.domain.decisions import Decision, ScoreResult


class FailMode(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def unavailable_result(event: Event, mode: FailMode, model_version: str,
                       now: float) -> ScoreResult:
    """The fail mode's answer when the store cannot be used (or not in time)."""
    return fail_mode_result(event, mode, model_version, now, ReasonCode.RISK_STORE_UNAVAILABLE)


def not_in_time_result(event: Event, mode: FailMode, model_version: str,
                       now: float) -> ScoreResult:
    """The fail mode's answer when the call's deadline is too short to score the event in."""
    return fail_mode_result(event, mode, model_version, now, ReasonCode.NOT_SCORED_IN_TIME)


def fail_mode_result(event: Event, mode: FailMode, model_version: str, now: float,
                     code: ReasonCode) -> ScoreResult:
    decision = Decision.ALLOW if mode is FailMode.OPEN else Decision.CHALLENGE
    return ScoreResult(
        event_id=event.event_id, account_id=event.account_id, kind=event.kind, risk=0.0,
        decision=decision, reasons=(Reason(code, describe(code, {}), 1.0),), frozen_features=(),
        freeze_id="", model_version=model_version, scored_at=now, event=event)


def is_fail_mode(result: ScoreResult) -> bool:
    """Whether ``result`` is a fail-mode answer (the event was not scored)."""
    return any(r.code in FAIL_MODE_CODES for r in result.reasons)


FAIL_MODE_CODES = frozenset({ReasonCode.RISK_STORE_UNAVAILABLE, ReasonCode.NOT_SCORED_IN_TIME})
