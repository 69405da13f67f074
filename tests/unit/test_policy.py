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
from service.domain.policy import TAKEOVER_SIGNS, RiskPolicy, Standing
from tests.unit.fakes import THRESHOLDS

LOGIN = LoginEvent("e", "a", 1.8e9)
TRANSFER = TransactionEvent("t", "a", 1.8e9, amount_minor=100, feature=CreditFeature.TRANSFER_OUT,
                            device_id="phone", ip="192.0.2.7")
CARD = TransactionEvent("c", "a", 1.8e9, amount_minor=100, feature=CreditFeature.PAYMENT)
SPREE = (ReasonCode.AMOUNT_SPIKE, ReasonCode.NEW_PAYEE, ReasonCode.RAPID_TRANSACTIONS)


def _assess(risk, kind=EventKind.LOGIN, new_account=False, codes=(ReasonCode.NEW_DEVICE,)):
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


def test_a_freeze_needs_a_takeover_sign():
    """An owner's spree from their own device and network is at most a CHALLENGE."""
    policy = RiskPolicy()
    spree = policy.decide(TRANSFER, _assess(1.0, EventKind.TRANSACTION, codes=SPREE))
    assert spree.decision is Decision.CHALLENGE
    assert spree.freeze_scope == ()
    assert policy.decide(LOGIN, _assess(1.0, codes=(ReasonCode.UNUSUAL_HOUR,))
                         ).decision is Decision.CHALLENGE
    takeover = policy.decide(
        TRANSFER, _assess(1.0, EventKind.TRANSACTION, codes=(*SPREE, ReasonCode.NEW_DEVICE)))
    assert takeover.decision is Decision.FREEZE
    assert takeover.freeze_scope == ALL_CREDIT_FEATURES


@given(st.sampled_from(sorted(TAKEOVER_SIGNS)))
def test_every_takeover_sign_allows_a_freeze(code):
    verdict = RiskPolicy().decide(TRANSFER, _assess(1.0, EventKind.TRANSACTION, codes=(code,)))
    assert verdict.decision is Decision.FREEZE


def test_an_event_without_device_or_network_freezes_only_the_feature_it_used():
    verdict = RiskPolicy().decide(CARD, _assess(1.0, EventKind.TRANSACTION, codes=SPREE))
    assert verdict.decision is Decision.FREEZE
    assert verdict.freeze_scope == (CreditFeature.PAYMENT,)


def test_failed_login_is_challenged_never_frozen():
    failed = LoginEvent("f", "a", 1.8e9, success=False)
    assert RiskPolicy().decide(failed, _assess(1.0)).decision is Decision.CHALLENGE


def test_a_holders_typos_and_reset_at_their_own_phone_and_home_do_not_freeze():
    familiar = Standing(familiar=True)
    typos = _assess(1.0, codes=(ReasonCode.FAILED_LOGIN_BURST, ReasonCode.RAPID_ACCOUNT_CHANGES,
                                ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT))
    assert RiskPolicy().decide(LOGIN, typos, standing=familiar).decision is Decision.CHALLENGE
    assert RiskPolicy().decide(LOGIN, typos).decision is Decision.FREEZE
    travel = _assess(1.0, codes=(ReasonCode.FAILED_LOGIN_BURST, ReasonCode.IMPOSSIBLE_TRAVEL))
    assert RiskPolicy().decide(LOGIN, travel, standing=familiar).decision is Decision.FREEZE
