"""Audit (shadow) mode: decide as usual, answer ALLOW, freeze nobody; switching to enforce
freezes nobody for events scored before the switch."""

from __future__ import annotations

from detectors.demo import normal_week
from detectors.events import CreditFeature, EventKind, LoginEvent, TransactionEvent
from service.domain.clock import ManualClock
from service.domain.decisions import Decision
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore
from tests.unit.fakes import NO_NEW_ACCOUNT_PHASE, FixedScorer

START = 1_767_225_600.0


def _engine(store, audit=frozenset(), risks=None):
    return RiskEngine(FixedScorer(risks or {"bad": 1.0, "bad-tx": 1.0}), RiskPolicy(), store,
                      ManualClock(START + 30 * 86400),
                      EngineSettings(audit_kinds=frozenset(audit),
                                     trust=NO_NEW_ACCOUNT_PHASE))


def test_audit_mode_reports_the_would_be_decision_and_freezes_nobody():
    store = InMemoryRiskStore()
    engine = _engine(store, {EventKind.LOGIN, EventKind.TRANSACTION})
    for event in normal_week("a", START):
        engine.score(event)
    result = engine.score(LoginEvent("bad", "a", START + 8 * 86400, device_id="evil",
                                     success=True))
    assert result.decision is Decision.ALLOW
    assert result.would_decision is Decision.FREEZE
    assert result.reasons  # the risk and reasons are still reported
    assert result.freeze_id == ""
    assert store.freezes("a") == []
    # The device that would have been frozen is not learned as the owner's.
    assert "evil" not in store.load_profile("a").to_dict().get("devices", {})


def test_switching_to_enforce_freezes_nobody_for_earlier_events():
    store = InMemoryRiskStore()
    audit = _engine(store, {EventKind.LOGIN})
    for event in normal_week("a", START):
        audit.score(event)
    shadowed = LoginEvent("bad", "a", START + 8 * 86400, success=True)
    before = audit.score(shadowed)
    enforce = _engine(store)
    assert enforce.score(shadowed) == before  # the stored answer, not a new freeze
    assert store.freezes("a") == []
    later = enforce.score(TransactionEvent("bad-tx", "a", START + 8 * 86400 + 60, 10_000,
                                           feature=CreditFeature.TRANSFER_OUT))
    assert later.decision is Decision.FREEZE  # enforcing applies to new events only
    assert later.would_decision is None


def test_only_the_audited_kinds_are_shadowed():
    store = InMemoryRiskStore()
    engine = _engine(store, {EventKind.LOGIN})
    for event in normal_week("a", START):
        engine.score(event)
    frozen = engine.score(TransactionEvent("bad-tx", "a", START + 8 * 86400, 10_000,
                                           feature=CreditFeature.TRANSFER_OUT))
    assert frozen.decision is Decision.FREEZE
