"""SQLite RiskStore: the embedded default, one file under the data directory.

WAL mode; ``synchronous=FULL`` by default so a committed freeze survives power loss as well as a
killed process (``NORMAL`` survives a killed process only, and is about 4x faster per commit).
Schema changes are numbered migrations tracked in ``PRAGMA user_version``. One connection,
used by one thread at a time (the service's store worker).
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from detectors.profile import AccountProfile
from service.domain.decisions import ScoreResult
from service.domain.errors import StoreUnavailable
from service.domain.freezes import Freeze
from service.storage.records import (
    audit_detail_for_freeze,
    freeze_from_row,
    freeze_row,
    result_from_row,
    result_row,
)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE profiles (
        account_id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE scored_events (
        event_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        risk REAL NOT NULL,
        decision TEXT NOT NULL,
        reasons TEXT NOT NULL,
        frozen_features TEXT NOT NULL,
        freeze_id TEXT NOT NULL,
        model_version TEXT NOT NULL,
        scored_at REAL NOT NULL
    );
    CREATE INDEX scored_events_by_account ON scored_events (account_id, scored_at);
    CREATE TABLE freezes (
        freeze_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        features TEXT NOT NULL,
        reasons TEXT NOT NULL,
        risk REAL NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        state TEXT NOT NULL,
        lifted_at REAL,
        lifted_by TEXT
    );
    CREATE INDEX freezes_by_account ON freezes (account_id, created_at);
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        account_id TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    """,
)

GENESIS_HASH = "0" * 64
T = TypeVar("T")
P = ParamSpec("P")


def store_errors(method: Callable[P, T]) -> Callable[P, T]:
    """SQLite failures (locked, disk I/O, corrupt file) become StoreUnavailable, which the RPC
    layer answers with UNAVAILABLE; the cause stays in the exception chain for the log."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the SQLite risk store failed ({type(exc).__name__})") from exc
    return wrapper
INSERT_RESULT = (
    "INSERT INTO scored_events (event_id, account_id, kind, risk, decision, reasons, "
    "frozen_features, freeze_id, model_version, scored_at) VALUES (:event_id, :account_id, "
    ":kind, :risk, :decision, :reasons, :frozen_features, :freeze_id, :model_version, "
    ":scored_at) ON CONFLICT DO NOTHING"
)
INSERT_FREEZE = (
    "INSERT INTO freezes (freeze_id, account_id, event_id, features, reasons, risk, created_at, "
    "expires_at, state) VALUES (:freeze_id, :account_id, :event_id, :features, :reasons, :risk, "
    ":created_at, :expires_at, :state)"
)


def audit_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """Each audit entry's hash covers the previous one, so a removed or edited entry shows."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class SqliteRiskStore:
    def __init__(self, path: Path, synchronous: str = "FULL", timeout: float = 5.0) -> None:
        if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                if version > len(MIGRATIONS):
                    raise RuntimeError(
                        f"{self.path}: schema version {version} is newer than this build knows "
                        f"({len(MIGRATIONS)}); run a newer acctguard")
                for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in filter(str.strip, script.split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back if a transaction is still open (SQLite may already have rolled back)."""
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @store_errors
    def load_profile(self, account_id: str) -> AccountProfile | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM profiles WHERE account_id = ?",
                                   (account_id,)).fetchone()
        return AccountProfile.from_dict(json.loads(row["data"])) if row else None

    @store_errors
    def find_result(self, event_id: str) -> ScoreResult | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM scored_events WHERE event_id = ?",
                                   (event_id,)).fetchone()
        return result_from_row(dict(row)) if row else None

    @store_errors
    def freezes(self, account_id: str) -> list[Freeze]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM freezes WHERE account_id = ? ORDER BY created_at, freeze_id",
                (account_id,)).fetchall()
        return [freeze_from_row(dict(row)) for row in rows]

    @store_errors
    def commit_score(self, result: ScoreResult, profile: AccountProfile,
                     freeze: Freeze | None) -> ScoreResult:
        row = result_row(result)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                inserted = self._db.execute(INSERT_RESULT, row).rowcount
                if not inserted:
                    known = self._db.execute("SELECT * FROM scored_events WHERE event_id = ?",
                                             (result.event_id,)).fetchone()
                    self._rollback()
                    return result_from_row(dict(known))
                self._db.execute(
                    "INSERT INTO profiles (account_id, data, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (account_id) DO UPDATE SET data = excluded.data, "
                    "updated_at = excluded.updated_at",
                    (profile.account_id, json.dumps(profile.to_dict(), separators=(",", ":")),
                     result.scored_at))
                if freeze is not None:
                    self._insert_freeze(freeze)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return result

    def _insert_freeze(self, freeze: Freeze) -> None:
        self._db.execute(INSERT_FREEZE, freeze_row(freeze))
        self._append_audit(at=freeze.created_at, actor="engine", action="freeze.placed",
                           account_id=freeze.account_id, subject_id=freeze.freeze_id,
                           detail=audit_detail_for_freeze(freeze))

    def _append_audit(self, **entry: Any) -> None:
        last = self._db.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last["hash"] if last else GENESIS_HASH
        self._db.execute(
            "INSERT INTO audit_log (at, actor, action, account_id, subject_id, detail, "
            "prev_hash, hash) VALUES (:at, :actor, :action, :account_id, :subject_id, :detail, "
            ":prev_hash, :hash)",
            {**entry, "prev_hash": prev, "hash": audit_hash(prev, entry)})

    @store_errors
    def audit_entries(self, account_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit_log WHERE account_id = ? ORDER BY seq",
                                    (account_id,)).fetchall()
        return [dict(row) for row in rows]

    def verify_audit_chain(self) -> bool:
        prev = GENESIS_HASH
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
        for row in rows:
            entry = {k: row[k] for k in ("at", "actor", "action", "account_id", "subject_id",
                                         "detail")}
            if row["prev_hash"] != prev or row["hash"] != audit_hash(prev, entry):
                return False
            prev = row["hash"]
        return True

    def ping(self) -> None:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable("the SQLite risk store cannot be read") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()
