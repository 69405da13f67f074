"""In-memory RiskStore for unit tests: same contract as the SQL stores, nothing durable."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from detectors.profile import AccountProfile
from service.domain.audit import GENESIS_HASH, AuditEntry, AuditRecord
from service.domain.decisions import ScoreResult
from service.domain.errors import ConcurrentUpdate
from service.domain.freezes import Freeze
from service.domain.ports import StoredAccounts
from service.storage.records import freeze_audit_record


class InMemoryRiskStore:
    def __init__(self) -> None:
        self.profiles: dict[str, AccountProfile] = {}
        self.results: dict[str, ScoreResult] = {}
        self.freezes_by_account: dict[str, list[Freeze]] = {}
        self.audit: list[AuditEntry] = []
        self.versions: dict[str, int] = {}

    def append_audit(self, records: list[AuditRecord]) -> None:
        for record in records:
            prev = self.audit[-1].hash if self.audit else GENESIS_HASH
            self.audit.append(AuditEntry.seal(len(self.audit) + 1, record, prev))

    def load_profile(self, account_id: str) -> AccountProfile | None:
        profile = self.profiles.get(account_id)
        return copy.deepcopy(profile) if profile is not None else None

    def load_versioned(self, account_id: str) -> tuple[AccountProfile | None, int]:
        return self.load_profile(account_id), self.versions.get(account_id, 0)

    def find_result(self, event_id: str) -> ScoreResult | None:
        return self.results.get(event_id)

    def freezes(self, account_id: str) -> list[Freeze]:
        return list(self.freezes_by_account.get(account_id, []))

    def find_results(self, event_ids: Sequence[str]) -> dict[str, ScoreResult]:
        return {i: self.results[i] for i in event_ids if i in self.results}

    def account_results(self, account_id: str, limit: int,
                        before: tuple[float, str] | None) -> list[ScoreResult]:
        mine = sorted((r for r in self.results.values() if r.account_id == account_id),
                      key=lambda r: (r.scored_at, r.event_id), reverse=True)
        if before is not None:
            mine = [r for r in mine if (r.scored_at, r.event_id) < before]
        return mine[:limit]

    def load_accounts(self, account_ids: Sequence[str]) -> StoredAccounts:
        unique = list(dict.fromkeys(account_ids))
        return StoredAccounts(profiles={a: self.load_versioned(a) for a in unique},
                              freezes={a: self.freezes(a) for a in unique})

    def commit_score(self, result: ScoreResult, profile: AccountProfile, freeze: Freeze | None,
                     expected_version: int = -1) -> ScoreResult:
        known = self.results.get(result.event_id)
        if known is not None:
            return known
        if not self._version_holds(profile.account_id, expected_version):
            raise ConcurrentUpdate(f"the profile of {profile.account_id!r} changed")
        self._store_result(result, freeze)
        self._store_profile(profile)
        return result

    def commit_batch(self, scored: list[tuple[ScoreResult, AccountProfile, Freeze | None]],
                     versions: dict[str, int] | None = None) -> bool:
        ids = [result.event_id for result, _, _ in scored]
        if len(set(ids)) != len(ids) or any(i in self.results for i in ids):
            return False
        if not all(self._version_holds(a, v) for a, v in (versions or {}).items()):
            return False
        for result, _, freeze in scored:
            self._store_result(result, freeze)
        for profile in {id(p): p for _, p, _ in scored}.values():  # the last state, once
            self._store_profile(profile)
        return True

    def remember_result(self, result: ScoreResult) -> ScoreResult:
        known = self.results.get(result.event_id)
        if known is not None:
            return known
        self._store_result(result, None)
        return result

    def _store_result(self, result: ScoreResult, freeze: Freeze | None) -> None:
        self.results[result.event_id] = result
        if freeze is not None:
            self.freezes_by_account.setdefault(freeze.account_id, []).append(freeze)
            self.append_audit([freeze_audit_record(freeze)])

    def _version_holds(self, account_id: str, expected: int) -> bool:
        return expected == -1 or self.versions.get(account_id, 0) == expected

    def _store_profile(self, profile: AccountProfile) -> None:
        self.profiles[profile.account_id] = copy.deepcopy(profile)
        self.versions[profile.account_id] = self.versions.get(profile.account_id, 0) + 1

    def forget_profile(self, account_id: str) -> None:
        self.profiles.pop(account_id, None)
        self.versions.pop(account_id, None)

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
