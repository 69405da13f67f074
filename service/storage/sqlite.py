"""SQLite RiskStore: the embedded default, one file under the data directory (see
:mod:`service.storage.sqlite_db` for durability settings and migrations)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from detectors.profile import AccountProfile
from service.domain.audit import AuditRecord, ChainCheck
from service.domain.decisions import ScoreResult
from service.domain.freezes import Freeze
from service.storage.records import (
    freeze_audit_record,
    freeze_from_row,
    freeze_row,
    result_from_row,
    result_row,
)
from service.storage.sqlite_db import SqliteDatabase, store_errors

INSERT_RESULT = (
    "INSERT INTO scored_events (event_id, account_id, kind, risk, decision, reasons, "
    "frozen_features, freeze_id, model_version, scored_at) VALUES (:event_id, :account_id, "
    ":kind, :risk, :decision, :reasons, :frozen_features, :freeze_id, :model_version, "
    ":scored_at) ON CONFLICT DO NOTHING"
)
INSERT_FREEZE = (
    "INSERT INTO freezes (freeze_id, account_id, event_id, features, reasons, risk, created_at, "
    "expires_at, state, placed_by, lifted_at, lifted_by, lift_reason) VALUES (:freeze_id, "
    ":account_id, :event_id, :features, :reasons, :risk, :created_at, :expires_at, :state, "
    ":placed_by, :lifted_at, :lifted_by, :lift_reason)"
)

UPSERT_PROFILE = (
    "INSERT INTO profiles (account_id, data, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (account_id) DO UPDATE SET data = excluded.data, "
    "updated_at = excluded.updated_at"
)


def _profile_json(profile: AccountProfile) -> str:
    return json.dumps(profile.to_dict(), separators=(",", ":"))


class _Conflict(Exception):
    """An event of the batch is already stored: roll the batch back."""


class SqliteRiskStore:
    def __init__(self, path: Path, synchronous: str = "FULL", timeout: float = 5.0,
                 database: SqliteDatabase | None = None) -> None:
        self.database = database or SqliteDatabase(path, synchronous, timeout)
        self.path = self.database.path

    @property
    def schema_version(self) -> int:
        return self.database.schema_version

    @store_errors
    def load_profile(self, account_id: str) -> AccountProfile | None:
        row = self.database.query_one("SELECT data FROM profiles WHERE account_id = ?",
                                      (account_id,))
        return AccountProfile.from_dict(json.loads(row["data"])) if row else None

    @store_errors
    def find_result(self, event_id: str) -> ScoreResult | None:
        row = self.database.query_one("SELECT * FROM scored_events WHERE event_id = ?",
                                      (event_id,))
        return result_from_row(dict(row)) if row else None

    @store_errors
    def freezes(self, account_id: str) -> list[Freeze]:
        rows = self.database.query(
            "SELECT * FROM freezes WHERE account_id = ? ORDER BY created_at, freeze_id",
            (account_id,))
        return [freeze_from_row(dict(row)) for row in rows]

    @store_errors
    def commit_score(self, result: ScoreResult, profile: AccountProfile,
                     freeze: Freeze | None) -> ScoreResult:
        row = result_row(result)
        known: dict[str, Any] | None = None
        with self.database.transaction() as db:
            if not db.execute(INSERT_RESULT, row).rowcount:
                known = dict(db.execute("SELECT * FROM scored_events WHERE event_id = ?",
                                        (result.event_id,)).fetchone())
            else:
                db.execute(UPSERT_PROFILE, (profile.account_id, _profile_json(profile),
                                            result.scored_at))
                if freeze is not None:
                    db.execute(INSERT_FREEZE, freeze_row(freeze))
                    SqliteDatabase.append_audit(db, [freeze_audit_record(freeze)])
        return result_from_row(known) if known is not None else result

    @store_errors
    def commit_batch(self, scored: list[tuple[ScoreResult, AccountProfile, Freeze | None]],
                     ) -> bool:
        profiles = {profile.account_id: (profile, result.scored_at)
                    for result, profile, _ in scored}
        try:
            with self.database.transaction() as db:
                for result, _, freeze in scored:
                    if not db.execute(INSERT_RESULT, result_row(result)).rowcount:
                        raise _Conflict
                    if freeze is not None:
                        db.execute(INSERT_FREEZE, freeze_row(freeze))
                        SqliteDatabase.append_audit(db, [freeze_audit_record(freeze)])
                db.executemany(UPSERT_PROFILE, [
                    (account, _profile_json(profile), at)
                    for account, (profile, at) in profiles.items()])
        except _Conflict:
            return False
        return True

    @store_errors
    def audit_entries(self, account_id: str) -> list[AuditRecord]:
        return [entry.record for entry in self.database.audit_trail(account_id, 0, 1 << 30)]

    @store_errors
    def verify_audit_chain(self) -> ChainCheck:
        return self.database.verify_audit_chain()

    def ping(self) -> None:
        self.database.ping()

    def close(self) -> None:
        self.database.close()
