"""What a scored event turned out to be, reported back by a risk team or the account holder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from detectors.events import ALL_CREDIT_FEATURES
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from service.domain.audit import ENGINE, Actor, AuditRecord
from service.domain.clock import Clock
from service.domain.engine import TrustSettings, freeze_id_for
from service.domain.errors import ConcurrentUpdate, FailedPrecondition, InvalidArgument, NotFound
from service.domain.feedback import Outcome, OutcomeReport, TrustChange
from service.domain.freezes import Freeze, FreezeState
from service.domain.lessons import confirmed_fraud, confirmed_legitimate
from service.domain.validation import check_id

if TYPE_CHECKING:
    from service.domain.decisions import ScoreResult
    from service.domain.ports import FreezeLedger, RiskStore

MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class OutcomeEffect:
    """What a report did to the account's freezes."""

    lifted: Freeze | None = None  # the freeze the event caused, lifted (confirmed legitimate)
    placed_freeze_id: str = ""  # the confirmed-fraud freeze placed, or already in place


class OutcomeService:
    """Records outcomes and acts on them at once, in the same transaction:

    * CONFIRMED_FRAUD freezes every credit feature of the account (one such freeze, not
      stacked), forgets the event's device, network and payee as the holder's and holds them
      against the account, and keeps them as fraud evidence for signals across accounts;
    * CONFIRMED_LEGITIMATE lifts the freeze the event caused and learns the event like a
      passed step-up.

    The first report on an event stands; an admin may report the opposite later, which undoes
    the first (fraud then legitimate lifts the fraud freeze and restores trust).
    """

    def __init__(self, risk: RiskStore, ledger: FreezeLedger, clock: Clock,
                 trust: TrustSettings | None = None) -> None:
        self.risk = risk
        self.ledger = ledger
        self.clock = clock
        self.trust = trust or TrustSettings()

    def report(self, event_id: str, outcome: int, actor: Actor) -> OutcomeEffect:
        check_id("event_id", event_id)
        if outcome not in tuple(Outcome):
            raise InvalidArgument("outcome", "must be CONFIRMED_FRAUD or CONFIRMED_LEGITIMATE")
        for _ in range(MAX_ATTEMPTS):
            effect = self._try_report(event_id, Outcome(outcome), actor)
            if effect is not None:
                return effect
        raise ConcurrentUpdate("the account is being updated by others; try again")

    def _try_report(self, event_id: str, outcome: Outcome, actor: Actor) -> OutcomeEffect | None:
        known = self.risk.find_result(event_id)
        if known is None:
            raise NotFound("event_id: no scored event has this id")
        account = known.account_id
        stored = self.ledger.outcome_of(event_id)
        now = self.clock.now()
        if stored is not None and stored.outcome is outcome:  # the same report: same answer
            if outcome is Outcome.CONFIRMED_FRAUD:
                return OutcomeEffect(placed_freeze_id=self._fraud_freeze_id(account, now))
            return OutcomeEffect(lifted=self._lifted_by_outcome(known.freeze_id, event_id))
        if stored is not None and not actor.is_admin:
            raise FailedPrecondition(f"outcome: the event was already reported "
                                     f"{stored.outcome.name}; only an admin may report otherwise")
        report = OutcomeReport(event_id, account, outcome, now, actor.name)
        change = TrustChange(account, [AuditRecord.of(
            now, actor.name, "outcome.reported", account, event_id, outcome=outcome.name,
            overrides=stored.outcome.name if stored is not None else None)],
            outcome=report, replaces_outcome=stored.outcome if stored is not None else None)
        profile, change.expected_version = self.risk.load_versioned(account)
        change.profile = profile or AccountProfile.new(account)
        if outcome is Outcome.CONFIRMED_FRAUD:
            effect = self._fraud(change, known, now, actor)
        else:
            effect = self._legitimate(change, known, stored, now, actor)
        try:
            return effect if self.ledger.commit_trust(change) else None
        except ConcurrentUpdate:
            return None

    def _fraud(self, change: TrustChange, known: ScoreResult, now: float,
               actor: Actor) -> OutcomeEffect:
        account = known.account_id
        assert change.profile is not None
        if known.event is not None:
            change.evidence = confirmed_fraud(change.profile, known.event, now, self.trust, now)
        placed = self._fraud_freeze_id(account, now)
        if not placed:
            code = ReasonCode.REPORTED_FRAUD
            freeze = Freeze(
                freeze_id=freeze_id_for(f"{known.event_id}#fraud@{now!r}"), account_id=account,
                event_id="", features=ALL_CREDIT_FEATURES,
                reasons=(Reason(code, "Activity on this account was confirmed as fraud.", 1.0),),
                risk=1.0, created_at=now, expires_at=now + self.trust.fraud_freeze_seconds,
                placed_by=actor.name)
            change.place, placed = freeze, freeze.freeze_id
            change.audit.append(AuditRecord.of(
                now, actor.name, "freeze.placed", account, freeze.freeze_id,
                event_id=known.event_id, features=[f.name for f in freeze.features],
                reasons=[code.name], expires_at=freeze.expires_at))
        return OutcomeEffect(placed_freeze_id=placed)

    def _legitimate(self, change: TrustChange, known: ScoreResult,
                    stored: OutcomeReport | None, now: float, actor: Actor) -> OutcomeEffect:
        account, event_id = known.account_id, known.event_id
        assert change.profile is not None
        lifted = self._lift_caused_freeze(known.freeze_id, event_id, now, actor)
        if lifted is not None:
            change.lift.append(lifted)
        if stored is not None:  # fraud, overridden: its freeze goes too, and its evidence
            change.lift += [replace(f, state=FreezeState.LIFTED_OUTCOME, lifted_at=now,
                                    lifted_by=actor.name, lift_reason="event confirmed "
                                    "legitimate after all")
                            for f in self.risk.freezes(account)
                            if f.is_active(now) and f.created_at == stored.reported_at
                            and _is_fraud_freeze(f)]
            change.withdraw_evidence_of = event_id
        if known.event is not None:
            confirmed_legitimate(change.profile, known.event)
        change.lift_strict = False  # lifted meanwhile: the outcome still counts
        change.audit += [AuditRecord.of(now, actor.name, "freeze.lifted", account, f.freeze_id,
                                        how="outcome", event_id=event_id) for f in change.lift]
        return OutcomeEffect(lifted=lifted)

    def _fraud_freeze_id(self, account_id: str, now: float) -> str:
        """The account's active confirmed-fraud freeze, if any ('' if none)."""
        return next((f.freeze_id for f in self.risk.freezes(account_id)
                     if f.is_active(now) and _is_fraud_freeze(f)), "")

    def _lifted_by_outcome(self, freeze_id: str, event_id: str) -> Freeze | None:
        freeze = self.ledger.find_freeze(freeze_id) if freeze_id else None
        if freeze is None or freeze.event_id != event_id \
                or freeze.state is not FreezeState.LIFTED_OUTCOME:
            return None
        return freeze

    def _lift_caused_freeze(self, freeze_id: str, event_id: str, now: float,
                            actor: Actor) -> Freeze | None:
        freeze = self.ledger.find_freeze(freeze_id) if freeze_id else None
        if freeze is None or freeze.event_id != event_id or not freeze.is_active(now):
            return None  # no freeze, or one this event did not cause, or no longer active
        return replace(freeze, state=FreezeState.LIFTED_OUTCOME, lifted_at=now,
                       lifted_by=actor.name, lift_reason="event confirmed legitimate")


def _is_fraud_freeze(freeze: Freeze) -> bool:
    return freeze.placed_by != ENGINE and any(r.code is ReasonCode.REPORTED_FRAUD
                                              for r in freeze.reasons)
