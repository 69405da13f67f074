"""The trust loop's gateways on the service's own feedback calls: ReportChallengeResult,
StartVerification / CompleteVerification / Unfreeze and ReportOutcome, as the domain services
behind them, on the replay's in-memory stores and clock."""

from __future__ import annotations

import hashlib

from detectors.trust import EntityKind, entity_key, is_trusted
from service.domain.audit import Actor, Role
from service.domain.challenge_results import ChallengeResults
from service.domain.engine import RiskEngine
from service.domain.errors import FailedPrecondition
from service.domain.feedback import ChallengeResult, Outcome
from service.domain.outcomes import OutcomeService
from service.domain.restore import VerificationService
from service.domain.verification import CodeHasher, VerificationMethod, VerificationRules
from service.evaluation.replay import ReplayClock, ReplayRiskStore
from service.evaluation.trust_loop import StepUp
from service.keys import AesGcmBox
from service.storage.memory_restore import InMemoryFreezeLedger, InMemoryVerificationStore

GATEWAY = Actor("eval-gateway", Role.GATEWAY)
VERIFIER = Actor("eval-verifier", Role.VERIFIER)  # no code sender: it gets the code to deliver
RISK_TEAM = Actor("eval-risk-team", Role.VERIFIER)
RESULTS = {StepUp.PASSED: ChallengeResult.PASSED, StepUp.FAILED: ChallengeResult.FAILED,
           StepUp.ABANDONED: ChallengeResult.ABANDONED}


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"acctguard-eval:{purpose}".encode()).digest()


class ServiceGateways:
    """:class:`~service.evaluation.trust_loop.Gateways` on the service's domain services."""

    def __init__(self, engine: RiskEngine, store: ReplayRiskStore, clock: ReplayClock) -> None:
        risk = store.detached()
        challenges = InMemoryVerificationStore(risk)
        ledger = InMemoryFreezeLedger(risk, challenges)
        trust = engine.settings.trust
        self.risk = risk
        self.clock = clock
        self.results = ChallengeResults(risk, ledger, clock, trust, engine.crowd)
        self.verification = VerificationService(
            risk, challenges, ledger, clock, VerificationRules(), CodeHasher(_key("code")),
            AesGcmBox(_key("box")), None, trust)
        self.outcomes = OutcomeService(risk, ledger, clock, trust)

    def step_up(self, event_id: str, result: StepUp, method: str) -> bool:
        return self.results.report(event_id, RESULTS[result], method, GATEWAY).learned

    def restore(self, account_id: str, device_id: str, ip: str) -> tuple[str, ...]:
        now = self.clock.now()
        if not any(f.is_active(now) for f in self.risk.freezes(account_id)):
            return ()
        started = self.verification.start(account_id, VerificationMethod.ONE_TIME_CODE,
                                          VERIFIER, device_id=device_id, ip=ip)
        challenge_id = started.challenge.challenge_id
        if not self.verification.complete(challenge_id, started.code, VERIFIER).verified:
            raise FailedPrecondition("the delivered code was refused")
        restoration = self.verification.unfreeze(account_id, challenge_id, VERIFIER)
        return tuple(f.freeze_id for f in restoration.lifted)

    def confirm_fraud(self, event_id: str) -> str:
        return self.outcomes.report(event_id, Outcome.CONFIRMED_FRAUD, RISK_TEAM).placed_freeze_id

    def trusts_device(self, account_id: str, device_id: str) -> bool:
        profile = self.risk.profiles.get(account_id)
        if profile is None or not is_trusted(profile, EntityKind.DEVICE, device_id):
            return False
        held = profile.distrust.get(entity_key(EntityKind.DEVICE, device_id))
        return held is None or held[0] <= self.clock.now()
