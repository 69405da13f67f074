"""RiskPolicy: from a model's assessment to a decision and, for FREEZE, the features to freeze."""

from __future__ import annotations

from dataclasses import dataclass

from detectors.events import (
    ALL_CREDIT_FEATURES,
    OUTFLOW_FEATURES,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
)
from detectors.reasons import ReasonCode
from detectors.scoring import Assessment
from service.domain.decisions import Decision

# Evidence that the account itself (not only one payment) is in the wrong hands.
TAKEOVER_SIGNS = frozenset({
    ReasonCode.NEW_DEVICE, ReasonCode.NEW_COUNTRY, ReasonCode.NEW_NETWORK,
    ReasonCode.IMPOSSIBLE_TRAVEL, ReasonCode.FAILED_LOGIN_BURST,
    ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT, ReasonCode.RAPID_ACCOUNT_CHANGES,
})


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    decision: Decision
    freeze_scope: tuple[CreditFeature, ...] = ()


class RiskPolicy:
    """Thresholds come from the model (target false-positive rates on held-out normal traffic).

    An account without history is never frozen automatically: the most it gets is a CHALLENGE.
    Neither is a *failed* sign-in: the attacker did not get in, and if failures could freeze
    credit, anyone who knows an account id could freeze it at will. The gateway challenges or
    refuses the attempt; the successful sign-in that follows a burst is what gets frozen.
    A FREEZE after a login or a credential change covers every credit feature; after a
    transaction it covers that feature and the ways money leaves the account, or everything
    when the reasons point at a taken-over account.
    """

    def decide(self, event: Event, assessment: Assessment,
               escalate: bool = False) -> PolicyDecision:
        """``escalate``: the account's accumulated evidence asks for at least a CHALLENGE."""
        decision = Decision.ALLOW
        if assessment.risk >= assessment.thresholds.freeze:
            decision = Decision.FREEZE
        elif assessment.risk >= assessment.thresholds.challenge or escalate:
            decision = Decision.CHALLENGE
        if decision is Decision.FREEZE and (assessment.new_account or _failed_login(event)):
            decision = Decision.CHALLENGE
        if decision is not Decision.FREEZE:
            return PolicyDecision(decision)
        return PolicyDecision(decision, self.freeze_scope(event, assessment))

    @staticmethod
    def freeze_scope(event: Event, assessment: Assessment) -> tuple[CreditFeature, ...]:
        if not isinstance(event, TransactionEvent):
            return ALL_CREDIT_FEATURES
        if any(reason.code in TAKEOVER_SIGNS for reason in assessment.reasons):
            return ALL_CREDIT_FEATURES
        return tuple(sorted(OUTFLOW_FEATURES | {event.feature}))


def _failed_login(event: Event) -> bool:
    return isinstance(event, LoginEvent) and not event.success
