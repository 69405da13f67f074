"""Decisions and the record of a scored event."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from detectors.events import CreditFeature, Event, EventKind
from detectors.reasons import Reason


class Decision(IntEnum):
    """Ordered by severity, so ``max`` picks the most severe."""

    ALLOW = 1
    CHALLENGE = 2
    FREEZE = 3


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The answer to one scored event; stored, so a repeated event gets the same answer."""

    event_id: str
    account_id: str
    kind: EventKind
    risk: float
    decision: Decision
    reasons: tuple[Reason, ...]
    frozen_features: tuple[CreditFeature, ...]
    freeze_id: str
    model_version: str
    scored_at: float
    # Audit mode: the decision enforcing would have made (``decision`` is then ALLOW).
    would_decision: Decision | None = None
    # The event itself, kept with its result so that what comes back later (a step-up result,
    # a verified restore, an outcome) can learn from it or hold it against its origin. None
    # for results stored before events were kept. Not part of the answer.
    event: Event | None = field(default=None, compare=False, repr=False)
