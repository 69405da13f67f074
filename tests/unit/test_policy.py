from hypothesis import given
from hypothesis import strategies as st

from detectors.events import (
    ALL_CREDIT_FEATURES,
    CreditFeature,
    EventKind,
    LoginEvent,
    TransactionEvent,
)
from detectors.reasons import Reason, ReasonCode
from detectors.scoring import Assessment
from service.domain.decisions import Decision
from service.domain.policy import RiskPolicy
from tests.unit.fakes import THRESHOLDS

LOGIN = LoginEvent("e", "a", 1.8e9)
TRANSFER = TransactionEvent("t", "a", 1.8e9, amount_minor=100, feature=CreditFeature.TRANSFER_OUT)


def _assess(risk, kind=EventKind.LOGIN, new_account=False, codes=(ReasonCode.AMOUNT_SPIKE,)):
    reasons = tuple(Reason(c, "", 1.0) for c in codes)
    return Assessment(kind, risk, reasons, THRESHOLDS, new_account)


def test_thresholds_map_to_decisions():
    policy = RiskPolicy()
    assert policy.decide(LOGIN, _assess(0.5)).decision is Decision.ALLOW
    assert policy.decide(LOGIN, _assess(0.995)).decision is Decision.CHALLENGE
    assert policy.decide(LOGIN, _assess(0.9995)).decision is Decision.FREEZE


@given(st.floats(0, 1), st.floats(0, 1), st.booleans())
def test_higher_risk_never_gives_a_milder_decision(a, b, new_account):
    policy = RiskPolicy()
    low, high = sorted((a, b))
    assert (policy.decide(LOGIN, _assess(low, new_account=new_account)).decision
            <= policy.decide(LOGIN, _assess(high, new_account=new_account)).decision)


def test_new_account_is_never_frozen_automatically():
    verdict = RiskPolicy().decide(LOGIN, _assess(1.0, new_account=True))
    assert verdict.decision is Decision.CHALLENGE
    assert verdict.freeze_scope == ()


def test_login_freeze_covers_everything():
    assert RiskPolicy().decide(LOGIN, _assess(1.0)).freeze_scope == ALL_CREDIT_FEATURES


def test_transfer_freeze_is_scoped_unless_takeover_signs():
    scoped = RiskPolicy().decide(TRANSFER, _assess(1.0, EventKind.TRANSACTION)).freeze_scope
    assert set(scoped) == {CreditFeature.TRANSFER_OUT, CreditFeature.CASH_WITHDRAWAL}
    takeover = RiskPolicy().decide(
        TRANSFER, _assess(1.0, EventKind.TRANSACTION, codes=(ReasonCode.NEW_DEVICE,)))
    assert takeover.freeze_scope == ALL_CREDIT_FEATURES


def test_failed_login_is_challenged_never_frozen():
    failed = LoginEvent("f", "a", 1.8e9, success=False)
    assert RiskPolicy().decide(failed, _assess(1.0)).decision is Decision.CHALLENGE
