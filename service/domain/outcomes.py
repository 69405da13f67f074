"""What a scored event turned out to be, reported back by a risk team or the account holder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TYPE_CHECKING

from service.domain.audit import Actor, AuditRecord
from service.domain.clock import Clock
from service.domain.errors import InvalidArgument, NotFound
from service.domain.freezes import Freeze, FreezeState
from service.domain.validation import check_id

if TYPE_CHECKING:  # the ports import OutcomeReport from here
    from service.domain.ports import FreezeLedger, RiskStore


class Outcome(IntEnum):
    """Numbers are the proto's."""

    CONFIRMED_FRAUD = 1
    CONFIRMED_LEGITIMATE = 2


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    event_id: str
    account_id: str
    outcome: Outcome
    reported_at: float
    reported_by: str


class OutcomeService:
    """Records outcomes; a confirmed-legitimate event from the risk team lifts its freeze."""

    def __init__(self, risk: RiskStore, ledger: FreezeLedger, clock: Clock) -> None:
        self.risk = risk
        self.ledger = ledger
        self.clock = clock

    def report(self, event_id: str, outcome: int, actor: Actor) -> Freeze | None:
        """Store the outcome; returns the freeze lifted because of it, if any. Only an admin's
        CONFIRMED_LEGITIMATE lifts: the account holder's word goes through verification."""
        check_id("event_id", event_id)
        if outcome not in tuple(Outcome):
            raise InvalidArgument("outcome", "must be CONFIRMED_FRAUD or CONFIRMED_LEGITIMATE")
        known = self.risk.find_result(event_id)
        if known is None:
            raise NotFound("event_id: no scored event has this id")
        now = self.clock.now()
        report = OutcomeReport(event_id, known.account_id, Outcome(outcome), now, actor.name)
        records = [AuditRecord.of(now, actor.name, "outcome.reported", known.account_id,
                                  event_id, outcome=report.outcome.name)]
        lifted = None
        if report.outcome is Outcome.CONFIRMED_LEGITIMATE and actor.is_admin:
            lifted = self._lift_caused_freeze(known.freeze_id, event_id, now, actor)
        if lifted is not None:
            records.append(AuditRecord.of(now, actor.name, "freeze.lifted", known.account_id,
                                          lifted.freeze_id, how="outcome", event_id=event_id))
        self.ledger.record_outcome(report, records, lifted)
        return lifted

    def _lift_caused_freeze(self, freeze_id: str, event_id: str, now: float,
                            actor: Actor) -> Freeze | None:
        freeze = self.ledger.find_freeze(freeze_id) if freeze_id else None
        if freeze is None or freeze.event_id != event_id or not freeze.is_active(now):
            return None  # no freeze, or one this event did not cause, or no longer active
        return replace(freeze, state=FreezeState.LIFTED_OUTCOME, lifted_at=now,
                       lifted_by=actor.name, lift_reason="event confirmed legitimate")
