"""RiskStore over any SqlDatabase (SQLite or PostgreSQL), with account profiles either in the
database or in Redis (:class:`~service.storage.redis_profiles.RedisProfiles`).

Profiles carry a version. ``commit_score`` stores the new profile only if the version is still
the one the engine read, in the same transaction as the result and the freeze; otherwise it
raises ConcurrentUpdate and writes nothing, and the engine scores the event again. So two
replicas scoring one account at the same moment never lose an update.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from detectors.profile import AccountProfile
from service.domain.audit import AuditRecord, ChainCheck
from service.domain.decisions import Decision, ScoreResult
from service.domain.errors import ConcurrentUpdate
from service.domain.freezes import Freeze
from service.domain.ports import StoredAccounts
from service.storage.profile_codec import dump_profile, load_profile
from service.storage.records import (
    freeze_audit_record,
    freeze_from_row,
    freeze_row,
    result_from_row,
    result_row,
)
from service.storage.sql_database import Connection, SqlDatabase, store_errors

INSERT_RESULT = (
    "INSERT INTO scored_events (event_id, account_id, kind, risk, decision, reasons, "
    "frozen_features, freeze_id, model_version, scored_at, would_decision, event) VALUES ("
    ":event_id, :account_id, :kind, :risk, :decision, :reasons, :frozen_features, :freeze_id, "
    ":model_version, :scored_at, :would_decision, :event) ON CONFLICT DO NOTHING"
)
INSERT_FREEZE = (
    "INSERT INTO freezes (freeze_id, account_id, event_id, features, reasons, risk, created_at, "
    "expires_at, state, placed_by, lifted_at, lifted_by, lift_reason) VALUES (:freeze_id, "
    ":account_id, :event_id, :features, :reasons, :risk, :created_at, :expires_at, :state, "
    ":placed_by, :lifted_at, :lifted_by, :lift_reason)"
)
INSERT_PROFILE = (
    "INSERT INTO profiles (account_id, data, updated_at, version) VALUES (?, ?, ?, 1) "
    "ON CONFLICT DO NOTHING"
)
UPDATE_PROFILE = (
    "UPDATE profiles SET data = ?, updated_at = ?, version = version + 1 "
    "WHERE account_id = ? AND version = ?"
)
ANY_VERSION = -1  # commit without checking the version (tools and tests)
IN_CHUNK = 512  # ids per ``IN (...)`` list, well inside both databases' parameter limits


class ProfileCache(Protocol):
    """Where profiles live when not in the database (Redis)."""

    def load(self, account_id: str) -> tuple[AccountProfile | None, int]: ...

    def load_many(self, account_ids: Sequence[str],
                  ) -> dict[str, tuple[AccountProfile | None, int]]: ...

    def swap(self, updates: dict[str, tuple[int, AccountProfile]]) -> bool:
        """Store every profile whose version is still the expected one, all or none."""
        ...

    def forget(self, account_id: str) -> None: ...


def _must_survive_power_loss(result: ScoreResult, freeze: Freeze | None) -> bool:
    """Whether a scored event's commit must reach the disk before it is answered (with
    ``synchronous=FREEZES``): anything but a plain ALLOW, so a freeze placed, a block, a
    challenge or what audit mode would have done is never lost; an ALLOW survives a killed
    process either way."""
    return (freeze is not None or result.decision is not Decision.ALLOW
            or (result.would_decision is not None
                and result.would_decision is not Decision.ALLOW))


def _versioned(row: Any) -> tuple[AccountProfile, int]:
    """A profiles row (``data``, ``version``) as the profile and its version."""
    return load_profile(row["data"]), int(row["version"])


def _chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in slices of at most IN_CHUNK, each with its ``?, ?, ...`` placeholder list
    (only placeholders are formatted into the SQL; the ids are bound as parameters). A slice is
    padded to a power of two by repeating its last id, so a few statement texts serve every
    batch size and the drivers' statement caches keep them."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), IN_CHUNK):
        chunk = unique[start:start + IN_CHUNK]
        width = 1 << (len(chunk) - 1).bit_length()
        chunk += chunk[-1:] * (width - len(chunk))
        yield chunk, ", ".join("?" * width)


def store_profiles(db: Connection, cache: ProfileCache | None,
                   updates: dict[str, tuple[int, AccountProfile]], at: float) -> bool:
    """Store each profile if it is still at its expected version (ANY_VERSION: whatever it is);
    all or none. Inside the transaction, last, so a refusal rolls everything back."""
    if cache is not None:
        return cache.swap(updates)
    for account, (version, profile) in updates.items():
        data = dump_profile(profile)
        if version == ANY_VERSION:
            db.execute("INSERT INTO profiles (account_id, data, updated_at, version) "
                       "VALUES (?, ?, ?, 1) ON CONFLICT (account_id) DO UPDATE SET "
                       "data = excluded.data, updated_at = excluded.updated_at, "
                       "version = profiles.version + 1", (account, data, at))
            continue
        stored = (db.execute(INSERT_PROFILE, (account, data, at)) if version == 0
                  else db.execute(UPDATE_PROFILE, (data, at, account, version)))
        if not stored.rowcount:
            return False
    return True


class _Rollback(Exception):
    """An event of the batch is already stored, or a profile changed: write nothing."""


class SqlRiskStore:
    def __init__(self, database: SqlDatabase, profiles: ProfileCache | None = None) -> None:
        self.database = database
        self.profiles = profiles

    @store_errors
    def load_versioned(self, account_id: str) -> tuple[AccountProfile | None, int]:
        if self.profiles is not None:
            return self.profiles.load(account_id)
        row = self.database.query_one(
            "SELECT data, version FROM profiles WHERE account_id = ?", (account_id,))
        return _versioned(row) if row is not None else (None, 0)

    def load_profile(self, account_id: str) -> AccountProfile | None:
        return self.load_versioned(account_id)[0]

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
    def find_results(self, event_ids: Sequence[str]) -> dict[str, ScoreResult]:
        """One query per 512 event_ids, where ``find_result`` is one per event."""
        found: dict[str, ScoreResult] = {}
        for chunk, marks in _chunks(event_ids):
            for row in self.database.query(
                    f"SELECT * FROM scored_events WHERE event_id IN ({marks})",  # noqa: S608
                    chunk):
                found[row["event_id"]] = result_from_row(dict(row))
        return found

    @store_errors
    def account_results(self, account_id: str, limit: int,
                        before: tuple[float, str] | None) -> list[ScoreResult]:
        """One query on the (account_id, scored_at) index."""
        if before is None:
            rows = self.database.query(
                "SELECT * FROM scored_events WHERE account_id = ? "
                "ORDER BY scored_at DESC, event_id DESC LIMIT ?", (account_id, limit))
        else:
            rows = self.database.query(
                "SELECT * FROM scored_events WHERE account_id = ? AND (scored_at < ? OR "
                "(scored_at = ? AND event_id < ?)) ORDER BY scored_at DESC, event_id DESC "
                "LIMIT ?", (account_id, before[0], before[0], before[1], limit))
        return [result_from_row(dict(row)) for row in rows]

    @store_errors
    def load_accounts(self, account_ids: Sequence[str]) -> StoredAccounts:
        """Two queries per 512 accounts (one, and a Redis pipeline, with profiles in Redis),
        where one account at a time costs two per account."""
        unique = list(dict.fromkeys(account_ids))
        state = StoredAccounts(freezes={account: [] for account in unique})
        if self.profiles is not None:
            state.profiles = self.profiles.load_many(unique)
        else:
            state.profiles = dict.fromkeys(unique, (None, 0))
            for chunk, marks in _chunks(unique):
                for row in self.database.query(
                        f"SELECT account_id, data, version FROM profiles WHERE "  # noqa: S608
                        f"account_id IN ({marks})", chunk):
                    state.profiles[row["account_id"]] = _versioned(row)
        for chunk, marks in _chunks(unique):
            for row in self.database.query(
                    f"SELECT * FROM freezes WHERE account_id IN ({marks}) "  # noqa: S608
                    "ORDER BY created_at, freeze_id", chunk):
                state.freezes[row["account_id"]].append(freeze_from_row(dict(row)))
        return state

    @store_errors
    def commit_score(self, result: ScoreResult, profile: AccountProfile, freeze: Freeze | None,
                     expected_version: int = ANY_VERSION) -> ScoreResult:
        known: dict[str, Any] | None = None
        with self.database.transaction(durable=_must_survive_power_loss(result, freeze)) as db:
            if not db.execute(INSERT_RESULT, result_row(result)).rowcount:
                known = dict(db.execute("SELECT * FROM scored_events WHERE event_id = ?",
                                        (result.event_id,)).fetchone())
            else:
                if freeze is not None:
                    self._insert_freeze(db, freeze)
                if not self._store_profiles(db, {profile.account_id: (expected_version,
                                                                      profile)},
                                            result.scored_at):
                    raise ConcurrentUpdate(f"the profile of {result.account_id!r} changed "
                                           "while the event was scored")
        return result_from_row(known) if known is not None else result

    @store_errors
    def remember_result(self, result: ScoreResult) -> ScoreResult:
        with self.database.transaction(durable=_must_survive_power_loss(result, None)) as db:
            if db.execute(INSERT_RESULT, result_row(result)).rowcount:
                return result
            known = dict(db.execute("SELECT * FROM scored_events WHERE event_id = ?",
                                    (result.event_id,)).fetchone())
        return result_from_row(known)

    @store_errors
    def commit_batch(self, scored: list[tuple[ScoreResult, AccountProfile, Freeze | None]],
                     versions: dict[str, int] | None = None) -> bool:
        profiles = {profile.account_id: profile for _, profile, _ in scored}
        expected = versions or {}
        at = max(result.scored_at for result, _, _ in scored)
        # A durable commit also makes every earlier one durable (the log is written in order).
        durable = any(_must_survive_power_loss(result, freeze) for result, _, freeze in scored)
        try:
            with self.database.transaction(durable=durable) as db:
                for result, _, freeze in scored:
                    if not db.execute(INSERT_RESULT, result_row(result)).rowcount:
                        raise _Rollback
                    if freeze is not None:
                        self._insert_freeze(db, freeze)
                updates = {account: (expected.get(account, ANY_VERSION), profile)
                           for account, profile in profiles.items()}
                if not self._store_profiles(db, updates, at):
                    raise _Rollback
        except _Rollback:
            return False
        return True

    def _insert_freeze(self, db: Connection, freeze: Freeze) -> None:
        db.execute(INSERT_FREEZE, freeze_row(freeze))
        self.database.append_audit(db, [freeze_audit_record(freeze)])

    def _store_profiles(self, db: Connection, updates: dict[str, tuple[int, AccountProfile]],
                        at: float) -> bool:
        return store_profiles(db, self.profiles, updates, at)


    @store_errors
    def forget_profile(self, account_id: str) -> None:
        if self.profiles is not None:
            self.profiles.forget(account_id)
        with self.database.transaction() as db:
            db.execute("DELETE FROM profiles WHERE account_id = ?", (account_id,))

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
