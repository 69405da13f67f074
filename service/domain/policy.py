"""RiskPolicy: from a model's assessment to a decision and, for FREEZE, the features to freeze."""

from __future__ import annotations

from dataclasses import dataclass

from detectors.events import (
    ALL_CREDIT_FEATURES,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
)
from detectors.features import Context
from detectors.reasons import Reason, ReasonCode
from detectors.scoring import Assessment
from detectors.sentences import amount, describe
from detectors.trust import Distrust, DistrustSource, EntityKind
from service.domain.decisions import Decision

# Evidence that the account itself (not only one payment) is in the wrong hands.
TAKEOVER_SIGNS = frozenset({
    ReasonCode.NEW_DEVICE, ReasonCode.NEW_COUNTRY, ReasonCode.NEW_NETWORK,
    ReasonCode.IMPOSSIBLE_TRAVEL, ReasonCode.FAILED_LOGIN_BURST,
    ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT, ReasonCode.RAPID_ACCOUNT_CHANGES,
    ReasonCode.FAILED_STEP_UP, ReasonCode.REPORTED_FRAUD,
})
# Signs that someone may be guessing or resetting credentials, which the holder shows too when
# they mistype at their own phone and home: no FREEZE from these on a familiar device and network.
HOLDER_LOOKALIKE_SIGNS = frozenset({
    ReasonCode.FAILED_LOGIN_BURST, ReasonCode.RAPID_ACCOUNT_CHANGES,
    ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT,
})
# Failed or abandoned step-ups of one device or network before its next attempt is frozen.
FREEZE_AFTER_FAILED_STEP_UPS = 2


@dataclass(frozen=True, slots=True)
class Standing:
    """What the account's trust state says about an event (see detectors.trust)."""

    # Under the new-account age or event count: the model's FREEZE becomes a CHALLENGE.
    new_account: bool = False
    # What the account holds against the event's device, network or payee.
    distrust: Distrust | None = None
    # A new account's money movement, large for the population, to a payee it never paid.
    large_to_new_payee: bool = False
    # From a device the holder has used for a day or more, on a network they use (trust.py).
    familiar: bool = False


NO_STANDING = Standing()


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    decision: Decision
    freeze_scope: tuple[CreditFeature, ...] = ()
    # Reasons the trust state adds to the model's (strongest first).
    reasons: tuple[Reason, ...] = ()


class RiskPolicy:
    """Thresholds come from the model (target false-positive rates on held-out normal traffic).

    An account without history is never frozen automatically: the most it gets is a CHALLENGE.
    Neither is a *failed* sign-in: the attacker did not get in, and if failures could freeze
    credit, anyone who knows an account id could freeze it at will. The gateway challenges or
    refuses the attempt; the successful sign-in that follows a burst is what gets frozen.

    **A FREEZE needs evidence that someone other than the holder is acting**: a takeover sign
    among the reasons (:data:`TAKEOVER_SIGNS`: a new device, network or country, impossible
    travel, a failed-sign-in burst, a credential change before a payout, a burst of account
    changes, a failed step-up or an untrusted device or network, confirmed fraud). Without one
    the most the model's risk earns is a CHALLENGE: an owner's spending spree from their own
    device and place is unusual, not a takeover, however high its risk. The exception is an
    event that names no device and no network (a card-present payment, an ATM withdrawal, a
    card processor's log): it carries no sign either way, so it is judged on amount, payee and
    pace alone and may FREEZE, but only the feature it used. Any other FREEZE (a sign-in, an
    account change, a transaction with a takeover sign) covers every credit feature.
    On a *familiar* device and network (used by the holder for a day or more), failed sign-ins,
    account changes and a payment after a credential change are what a holder who mistyped and
    reset their password does (:data:`HOLDER_LOOKALIKE_SIGNS`): they are no takeover sign there.

    The account's trust state (:class:`Standing`) only ever makes a decision stricter, except
    for new accounts, which the model does not freeze (a CHALLENGE instead):

    * a device, network or payee that failed or abandoned a step-up is CHALLENGEd at least,
      and FROZEN after repeated failures (never milder than the attempt the first time);
    * one confirmed as fraud, or flagged by the holder's restore from another device, is
      FROZEN (new accounts included: that is evidence, not the model's guess);
    * a new account's large payment to a new payee is CHALLENGEd at least.
    """

    def decide(self, event: Event, assessment: Assessment, escalate: bool = False,
               standing: Standing = NO_STANDING) -> PolicyDecision:
        """``escalate``: the account's accumulated evidence asks for at least a CHALLENGE."""
        decision = Decision.ALLOW
        if assessment.risk >= assessment.thresholds.freeze:
            decision = Decision.FREEZE
        elif assessment.risk >= assessment.thresholds.challenge or escalate:
            decision = Decision.CHALLENGE
        if decision is Decision.FREEZE and (assessment.new_account or standing.new_account):
            decision = Decision.CHALLENGE
        added: tuple[Reason, ...] = ()
        if standing.large_to_new_payee and isinstance(event, TransactionEvent):
            decision = max(decision, Decision.CHALLENGE)
            if not assessment.reasons:
                added = _large_to_new_payee_reasons(event)
        distrust = standing.distrust
        if distrust is not None:
            decision = max(decision, _floor(distrust))
            added = (_distrust_reason(distrust), *added)
        if decision is Decision.FREEZE and _failed_login(event):
            decision = Decision.CHALLENGE
        if (decision is Decision.FREEZE and not _anonymous(event)
                and not _takeover_sign(assessment, added, standing.familiar)):
            decision = Decision.CHALLENGE
        if decision is not Decision.FREEZE:
            return PolicyDecision(decision, reasons=added)
        return PolicyDecision(decision, self.freeze_scope(event, assessment, added), added)

    @staticmethod
    def freeze_scope(event: Event, assessment: Assessment,
                     added: tuple[Reason, ...] = ()) -> tuple[CreditFeature, ...]:
        if (isinstance(event, TransactionEvent) and _anonymous(event)
                and not _takeover_sign(assessment, added)):
            return (event.feature,)
        return ALL_CREDIT_FEATURES


def _takeover_sign(assessment: Assessment, added: tuple[Reason, ...],
                   familiar: bool = False) -> bool:
    signs = TAKEOVER_SIGNS - HOLDER_LOOKALIKE_SIGNS if familiar else TAKEOVER_SIGNS
    return any(reason.code in signs for reason in (*assessment.reasons, *added))


def _anonymous(event: Event) -> bool:
    """A transaction that names neither a device nor a network (card-present, a card log)."""
    return isinstance(event, TransactionEvent) and not event.device_id and not event.ip


def _large_to_new_payee_reasons(event: TransactionEvent) -> tuple[Reason, ...]:
    moved = amount(event.amount_minor, event.currency)
    return (Reason(ReasonCode.AMOUNT_SPIKE,
                   f"The amount {moved} is more than almost any customer moves at once, and "
                   "this account is too new to have habits to compare it with.", 0.5),
            Reason(ReasonCode.NEW_PAYEE, describe(ReasonCode.NEW_PAYEE, {}), 0.5))


def _floor(distrust: Distrust) -> Decision:
    if distrust.source is not DistrustSource.FAILED_STEP_UP:
        return Decision.FREEZE
    if distrust.failures >= FREEZE_AFTER_FAILED_STEP_UPS:
        return Decision.FREEZE
    return Decision.CHALLENGE


_ENTITY_WORDS = {EntityKind.DEVICE: "device", EntityKind.NETWORK: "network",
                 EntityKind.PAYEE: "recipient"}


def _distrust_reason(distrust: Distrust) -> Reason:
    words = [_ENTITY_WORDS[kind] for kind in distrust.kinds]
    context: Context = {"entities": " and ".join(words), "failures": distrust.failures}
    if distrust.source is DistrustSource.CONFIRMED_FRAUD:
        code = ReasonCode.REPORTED_FRAUD
    else:
        code = ReasonCode.FAILED_STEP_UP
        if distrust.source is DistrustSource.RESTORED_ELSEWHERE:
            context["restored_elsewhere"] = "yes"
    return Reason(code, describe(code, context), 1.0)


def _failed_login(event: Event) -> bool:
    return isinstance(event, LoginEvent) and not event.success
