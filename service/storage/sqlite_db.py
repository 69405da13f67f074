"""One SQLite database file shared by the SQLite stores: connection, migrations, transactions,
and the hash-chained audit log that every store appends to inside its own transactions.

WAL mode. ``synchronous`` says which commits wait for the disk: ``FULL`` every one (each
survives power loss as well as a killed process); ``NORMAL`` none (a killed process loses
nothing, power loss may lose the last commits; about 4x faster per commit); ``FREEZES`` (the
service's default) the commits that must survive power loss, those opened with
``transaction(durable=True)``: every scored answer but a plain ALLOW, every freeze lifted,
every verification step, every audit entry. A plain ALLOW commits like ``NORMAL``. Because the
log is written in order, a durable commit (or a checkpoint) makes everything committed before
it durable too.
Schema changes are numbered migrations tracked in ``PRAGMA user_version``, applied under an
exclusive lock so several processes opening the file at once migrate it once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from service.domain.errors import StoreUnavailable
from service.storage.sql_database import AuditLog, Params, apply_migrations
from service.storage.sqlite_checkpoint import SAFETY_NET_PAGES, WalCheckpointer
from service.storage.sqlite_schema import MIGRATIONS

T = TypeVar("T")
P = ParamSpec("P")


class SqliteDatabase(AuditLog):
    """One connection, used by one thread at a time (guarded by a lock)."""

    def __init__(self, path: Path, synchronous: str = "FULL", timeout: float = 5.0,
                 checkpoint_interval: float = 0.0) -> None:
        """``checkpoint_interval`` > 0: checkpoint the log from a background thread this
        often (:mod:`service.storage.sqlite_checkpoint`) instead of inside commits."""
        synchronous = synchronous.upper()
        if synchronous not in {"FULL", "NORMAL", "EXTRA", "FREEZES"}:
            raise ValueError("synchronous must be FULL, NORMAL, EXTRA or FREEZES, not "
                             f"{synchronous!r}")
        # (durable commits, other commits)
        self._sync_modes = ("FULL", "NORMAL") if synchronous == "FREEZES" else (
            synchronous, synchronous)
        self._sync_now = self._sync_modes[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={self._sync_now}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._checkpointer: WalCheckpointer | None = None
        if checkpoint_interval > 0:
            checkpointer = WalCheckpointer(path, checkpoint_interval, timeout)
            checkpointer.start()
            self._db.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
            self._checkpointer = checkpointer

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            apply_migrations(db, MIGRATIONS, version, str(self.path),
                             lambda number: db.execute(f"PRAGMA user_version={number}"))

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Any]:
        """A write transaction (BEGIN IMMEDIATE), committed when the block ends normally and
        rolled back if it raises. ``durable=False``: may commit without waiting for the disk
        when the database was opened with ``synchronous=FREEZES``."""
        with self._lock:
            wanted = self._sync_modes[0] if durable else self._sync_modes[1]
            if wanted != self._sync_now:
                self._db.execute(f"PRAGMA synchronous={wanted}")
                self._sync_now = wanted
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back
                    self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def query_one(self, sql: str,
                  params: Params = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def ping(self) -> None:
        try:
            self.query_one("SELECT 1")
        except sqlite3.Error as exc:
            raise StoreUnavailable("the SQLite risk store cannot be read") from exc

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            self._db.close()
