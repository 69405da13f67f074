"""What Score answers when the risk store cannot be used: the configured fail mode.

Failing closed (the default) asks for step-up authentication: nobody is frozen on no
evidence, and nobody gets through on none. Failing open lets the activity through. Either way
the answer says why, and nothing is stored.
"""

from __future__ import annotations

from enum import StrEnum

from detectors.events import Event
from detectors.explain import describe
from detectors.reasons import Reason, ReasonCode
from service.domain.decisions import Decision, ScoreResult


class FailMode(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def unavailable_result(event: Event, mode: FailMode, model_version: str,
                       now: float) -> ScoreResult:
    code = ReasonCode.RISK_STORE_UNAVAILABLE
    decision = Decision.ALLOW if mode is FailMode.OPEN else Decision.CHALLENGE
    return ScoreResult(
        event_id=event.event_id, account_id=event.account_id, kind=event.kind, risk=0.0,
        decision=decision, reasons=(Reason(code, describe(code, {}), 1.0),), frozen_features=(),
        freeze_id="", model_version=model_version, scored_at=now)
