"""The trust-loop writes (FreezeLedger.commit_trust and its reads), on every backend."""

from dataclasses import replace

import pytest

from detectors.events import CreditFeature, EventKind, TransactionEvent
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from detectors.trust import EntityKind
from service.domain.audit import AuditRecord
from service.domain.decisions import Decision, ScoreResult
from service.domain.errors import ConcurrentUpdate
from service.domain.feedback import (
    ChallengeReport,
    ChallengeResult,
    FraudEvidence,
    Outcome,
    OutcomeReport,
    TrustChange,
)
from service.domain.freezes import Freeze, FreezeState
from tests.backends import BACKENDS, stores

EVENT = TransactionEvent("e1", "a1", 100.0, amount_minor=4200, currency="EUR",
                         payee_id="mule-1", feature=CreditFeature.TRANSFER_OUT,
                         device_id="d1", ip="203.0.113.9", country="DE")


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    with stores(request.param, tmp_path) as stored:
        yield stored


def _audit(action="test"):
    return [AuditRecord.of(150.0, "tester", action, "a1", "e1")]


def _scored(backend, decision=Decision.CHALLENGE, freeze=None):
    result = ScoreResult("e1", "a1", EventKind.TRANSACTION, 0.9, decision,
                         (Reason(ReasonCode.NEW_PAYEE, "new payee", 1.0),), (),
                         freeze.freeze_id if freeze else "", "m1", 100.0, event=EVENT)
    backend.risk.commit_score(result, AccountProfile.new("a1"), freeze)
    return result


def test_the_event_is_kept_with_its_result(backend):
    _scored(backend)
    assert backend.risk.find_result("e1").event == EVENT
    assert backend.risk.find_results(["e1"])["e1"].event == EVENT


def test_a_step_up_result_is_stored_once_with_its_profile(backend):
    _scored(backend)
    profile, version = backend.risk.load_versioned("a1")
    profile.alert_level = 0.0
    profile.step_ups["e1"] = [100.0, 0, "d1", "203.0.113.9"]
    report = ChallengeReport("e1", "a1", ChallengeResult.PASSED, "sms", 150.0, "gw", True)
    assert backend.ledger.commit_trust(TrustChange("a1", _audit(), profile, version,
                                                   challenge_report=report))
    assert backend.ledger.challenge_report("e1") == report
    assert backend.risk.load_profile("a1").step_ups == {"e1": [100.0, 0, "d1", "203.0.113.9"]}
    other = replace(report, result=ChallengeResult.FAILED)
    assert not backend.ledger.commit_trust(TrustChange("a1", _audit(), None,
                                                       challenge_report=other))
    assert backend.ledger.challenge_report("e1") == report
    assert backend.ledger.challenge_report("never") is None


def test_a_stale_profile_writes_nothing(backend):
    _scored(backend)
    profile, version = backend.risk.load_versioned("a1")
    report = ChallengeReport("e1", "a1", ChallengeResult.FAILED, "", 150.0, "gw", True)
    with pytest.raises(ConcurrentUpdate):
        backend.ledger.commit_trust(TrustChange("a1", _audit(), profile, version - 1,
                                                challenge_report=report))
    assert backend.ledger.challenge_report("e1") is None
    assert [e.record.action for e in backend.ledger.audit_trail("a1", 0, 10)] == []


def test_fraud_places_a_freeze_keeps_evidence_and_an_admin_can_undo_it(backend):
    _scored(backend, Decision.ALLOW)
    profile, version = backend.risk.load_versioned("a1")
    fraud_freeze = Freeze("frz-fraud", "a1", "", tuple(CreditFeature),
                          (Reason(ReasonCode.REPORTED_FRAUD, "fraud", 1.0),), 1.0, 150.0, 9e9,
                          placed_by="risk-team")
    evidence = [FraudEvidence(EntityKind.DEVICE, "d1", "a1", "e1", 150.0),
                FraudEvidence(EntityKind.PAYEE, "mule-1", "a1", "e1", 150.0)]
    fraud = OutcomeReport("e1", "a1", Outcome.CONFIRMED_FRAUD, 150.0, "risk-team")
    assert backend.ledger.commit_trust(TrustChange(
        "a1", _audit("outcome.reported"), profile, version, place=fraud_freeze, outcome=fraud,
        evidence=evidence))
    assert backend.ledger.outcome_of("e1") == fraud
    assert [f.freeze_id for f in backend.risk.freezes("a1")] == ["frz-fraud"]
    assert backend.ledger.fraud_evidence("a1") == sorted(evidence, key=lambda e: e.kind.name)
    # A second first report loses; the override must name what it replaces.
    legit = OutcomeReport("e1", "a1", Outcome.CONFIRMED_LEGITIMATE, 160.0, "admin")
    assert not backend.ledger.commit_trust(TrustChange("a1", _audit(), outcome=legit))
    lifted = replace(fraud_freeze, state=FreezeState.LIFTED_OUTCOME, lifted_at=160.0,
                     lifted_by="admin")
    assert backend.ledger.commit_trust(TrustChange(
        "a1", _audit(), outcome=legit, replaces_outcome=Outcome.CONFIRMED_FRAUD, lift=[lifted],
        lift_strict=False, withdraw_evidence_of="e1"))
    assert backend.ledger.outcome_of("e1") == legit
    assert backend.risk.freezes("a1")[0].state is FreezeState.LIFTED_OUTCOME
    assert backend.ledger.fraud_evidence("a1") == []
    assert backend.ledger.verify_audit_chain().intact
