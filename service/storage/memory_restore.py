"""In-memory VerificationStore and FreezeLedger for unit tests: the SQL stores' contract,
nothing durable. They share the freezes and audit trail of an InMemoryRiskStore."""

from __future__ import annotations

from dataclasses import replace

from service.domain.audit import AuditEntry, AuditRecord, ChainCheck, verify_chain
from service.domain.errors import ConcurrentUpdate
from service.domain.feedback import ChallengeReport, FraudEvidence, OutcomeReport, TrustChange
from service.domain.freezes import Freeze, FreezeState
from service.domain.verification import Challenge, ChallengeState
from service.storage.memory import InMemoryRiskStore


class InMemoryVerificationStore:
    def __init__(self, risk: InMemoryRiskStore) -> None:
        self.risk = risk
        self.by_id: dict[str, Challenge] = {}
        self.failures: dict[str, list[float]] = {}
        self.locks: dict[str, float] = {}
        self.authenticators: dict[str, tuple[bytes, int]] = {}

    def add_challenge(self, challenge: Challenge, audit: AuditRecord) -> None:
        self.by_id[challenge.challenge_id] = challenge
        self.risk.append_audit([audit])

    def load_challenge(self, challenge_id: str) -> Challenge | None:
        return self.by_id.get(challenge_id)

    def challenges(self, account_id: str) -> list[Challenge]:
        return sorted((c for c in self.by_id.values() if c.account_id == account_id),
                      key=lambda c: (c.created_at, c.challenge_id))

    def update_challenge(self, expected: Challenge, updated: Challenge, audit: list[AuditRecord],
                         failure_at: float | None = None, locked_until: float | None = None,
                         totp_step: int | None = None) -> bool:
        stored = self.by_id.get(expected.challenge_id)
        if stored is None or (stored.state, stored.failures) != (expected.state,
                                                                 expected.failures):
            return False
        if totp_step is not None:
            enrolled = self.authenticators.get(updated.account_id)
            if enrolled is None or enrolled[1] >= totp_step:
                return False
            self.authenticators[updated.account_id] = (enrolled[0], totp_step)
        self.by_id[updated.challenge_id] = updated
        if failure_at is not None:
            self.failures.setdefault(updated.account_id, []).append(failure_at)
        if locked_until is not None:
            self.locks[updated.account_id] = max(locked_until,
                                                 self.locks.get(updated.account_id, 0.0))
        self.risk.append_audit(audit)
        return True

    def failures_since(self, account_id: str, since: float) -> int:
        return sum(at > since for at in self.failures.get(account_id, []))

    def locked_until(self, account_id: str) -> float | None:
        return self.locks.get(account_id)

    def set_authenticator(self, account_id: str, sealed_secret: bytes, audit: AuditRecord) -> None:
        self.authenticators[account_id] = (sealed_secret, -1)
        self.risk.append_audit([audit])

    def authenticator(self, account_id: str) -> tuple[bytes, int] | None:
        return self.authenticators.get(account_id)


class InMemoryFreezeLedger:
    def __init__(self, risk: InMemoryRiskStore, challenges: InMemoryVerificationStore) -> None:
        self.risk = risk
        self.challenges = challenges
        self.reports: dict[str, OutcomeReport] = {}
        self.step_up_results: dict[str, ChallengeReport] = {}
        self.evidence: list[FraudEvidence] = []

    def commit_trust(self, change: TrustChange) -> bool:
        if not self._holds(change):
            return False
        if change.profile is not None and not self.risk._version_holds(
                change.account_id, change.expected_version):
            raise ConcurrentUpdate(f"the profile of {change.account_id!r} changed")
        if change.use_challenge is not None:
            self.challenges.by_id[change.use_challenge.challenge_id] = replace(
                change.use_challenge, state=ChallengeState.USED, used_at=change.audit[-1].at)
        for freeze in change.lift:
            self._replace(freeze)
        if change.place is not None:
            self.risk.freezes_by_account.setdefault(change.account_id, []).append(change.place)
        if change.challenge_report is not None:
            self.step_up_results[change.challenge_report.event_id] = change.challenge_report
        if change.outcome is not None:
            self.reports[change.outcome.event_id] = change.outcome
        if change.withdraw_evidence_of:
            self.evidence = [e for e in self.evidence
                             if e.event_id != change.withdraw_evidence_of]
        known = {(e.kind, e.key, e.event_id) for e in self.evidence}
        self.evidence += [e for e in change.evidence if (e.kind, e.key, e.event_id) not in known]
        if change.profile is not None:
            self.risk._store_profile(change.profile)
        self.risk.append_audit(change.audit)
        return True

    def _holds(self, change: TrustChange) -> bool:
        """The conditions of :class:`TrustChange`, checked before anything is written."""
        if change.use_challenge is not None:
            stored = self.challenges.by_id.get(change.use_challenge.challenge_id)
            if stored is None or stored.state is not ChallengeState.VERIFIED:
                return False
        if change.lift_strict and not all(self._stored_active(f.freeze_id) for f in change.lift):
            return False
        if (change.challenge_report is not None
                and change.challenge_report.event_id in self.step_up_results):
            return False
        if change.outcome is not None:
            stored_outcome = self.reports.get(change.outcome.event_id)
            if (stored_outcome.outcome if stored_outcome else None) is not change.replaces_outcome:
                return False
        return True

    def challenge_report(self, event_id: str) -> ChallengeReport | None:
        return self.step_up_results.get(event_id)

    def outcome_of(self, event_id: str) -> OutcomeReport | None:
        return self.reports.get(event_id)

    def fraud_evidence(self, account_id: str) -> list[FraudEvidence]:
        return sorted((e for e in self.evidence if e.account_id == account_id),
                      key=lambda e: (e.reported_at, e.kind.name, e.key))

    def _all(self) -> list[Freeze]:
        return [f for freezes in self.risk.freezes_by_account.values() for f in freezes]

    def find_freeze(self, freeze_id: str) -> Freeze | None:
        return next((f for f in self._all() if f.freeze_id == freeze_id), None)

    def add_freeze(self, freeze: Freeze, audit: AuditRecord) -> None:
        self.risk.freezes_by_account.setdefault(freeze.account_id, []).append(freeze)
        self.risk.append_audit([audit])

    def _stored_active(self, freeze_id: str) -> bool:
        stored = self.find_freeze(freeze_id)
        return stored is not None and stored.state is FreezeState.ACTIVE

    def _replace(self, freeze: Freeze) -> bool:
        freezes = self.risk.freezes_by_account.get(freeze.account_id, [])
        for index, stored in enumerate(freezes):
            if stored.freeze_id == freeze.freeze_id and stored.state is FreezeState.ACTIVE:
                freezes[index] = freeze
                return True
        return False

    def lift_freezes(self, lifted: list[Freeze], audit: list[AuditRecord],
                     use_challenge: Challenge | None = None) -> bool:
        if use_challenge is not None:
            stored = self.challenges.by_id.get(use_challenge.challenge_id)
            if stored is None or stored.state is not ChallengeState.VERIFIED:
                return False
        if not all(self._stored_active(f.freeze_id) for f in lifted):
            return False
        if use_challenge is not None:
            self.challenges.by_id[use_challenge.challenge_id] = replace(
                use_challenge, state=ChallengeState.USED, used_at=audit[-1].at)
        for freeze in lifted:
            self._replace(freeze)
        self.risk.append_audit(audit)
        return True

    def record_outcome(self, report: OutcomeReport, audit: list[AuditRecord],
                       lifted: Freeze | None = None) -> None:
        self.reports[report.event_id] = report
        if lifted is not None:
            self._replace(lifted)
        self.risk.append_audit(audit)

    def outcomes(self) -> list[OutcomeReport]:
        return sorted(self.reports.values(), key=lambda r: (r.reported_at, r.event_id))

    def frozen_accounts(self, now: float, limit: int,
                        after: tuple[float, str] | None) -> list[tuple[str, float]]:
        latest: dict[str, float] = {}
        for freeze in self._all():
            if freeze.state is FreezeState.ACTIVE and freeze.expires_at > now:
                latest[freeze.account_id] = max(latest.get(freeze.account_id, 0.0),
                                                freeze.created_at)
        ranked = sorted(latest.items(), key=lambda item: (-item[1], item[0]))
        if after is not None:
            ranked = [(a, t) for a, t in ranked if (-t, a) > (-after[0], after[1])]
        return ranked[:limit]

    def forget(self, account_id: str, record: AuditRecord) -> dict[str, int]:
        risk = self.risk
        erased = {"profiles": int(risk.profiles.pop(account_id, None) is not None),
                  "scored_events": 0, "freezes": len(risk.freezes_by_account.pop(account_id, []))}
        for event_id in [e for e, r in risk.results.items() if r.account_id == account_id]:
            del risk.results[event_id]
            erased["scored_events"] += 1
        for challenge_id in [c for c, ch in self.challenges.by_id.items()
                             if ch.account_id == account_id]:
            del self.challenges.by_id[challenge_id]
        self.challenges.authenticators.pop(account_id, None)
        self.reports = {e: r for e, r in self.reports.items() if r.account_id != account_id}
        self.step_up_results = {e: r for e, r in self.step_up_results.items()
                                if r.account_id != account_id}
        self.evidence = [e for e in self.evidence if e.account_id != account_id]
        redacted = 0
        for index, entry in enumerate(risk.audit):
            if entry.record.account_id == account_id:
                blank = replace(entry.record, account_id="", subject_id="", detail="")
                risk.audit[index] = replace(entry, record=blank, salt="")
                redacted += 1
        erased["audit_log"] = redacted
        risk.append_audit([record])
        return erased

    def prune(self, before: float) -> dict[str, int]:
        risk = self.risk
        old = [e for e, r in risk.results.items() if r.scored_at < before]
        for event_id in old:
            del risk.results[event_id]
        return {"scored_events": len(old)}

    def decision_counts(self, since: float) -> dict[tuple[int, str], int]:
        counts: dict[tuple[int, str], int] = {}
        for result in self.risk.results.values():
            if result.scored_at >= since:
                key = (int(result.scored_at) // 3600, result.decision.name)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def active_freeze_count(self, now: float) -> int:
        return sum(f.is_active(now) for f in self._all())

    def audit_trail(self, account_id: str, after_sequence: int, limit: int) -> list[AuditEntry]:
        return [e for e in self.risk.audit
                if e.record.account_id == account_id and e.sequence > after_sequence][:limit]

    def verify_audit_chain(self) -> ChainCheck:
        return verify_chain(self.risk.audit)
