"""What the SQL stores need from a database, whichever it is (SQLite or PostgreSQL).

Statements are written once, with ``?`` and ``:name`` placeholders and SQL both engines
accept; the PostgreSQL adapter rewrites the placeholders. Each adapter appends to the
hash-chained audit log inside the caller's transaction, serialising appenders its own way.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ParamSpec, Protocol, TypeVar

import psycopg
import psycopg_pool
import redis

from service.domain.audit import (
    AUDIT_FIELDS,
    GENESIS_HASH,
    AuditEntry,
    AuditRecord,
    ChainCheck,
    verify_chain,
)
from service.domain.errors import StoreUnavailable

T = TypeVar("T")
P = ParamSpec("P")
Params = Sequence[Any] | dict[str, Any]
DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error, psycopg.Error, psycopg_pool.PoolTimeout, redis.RedisError)


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, params: Iterable[Params], /) -> Any: ...


class SqlDatabase(Protocol):
    def transaction(self, durable: bool = True) -> AbstractContextManager[Connection]:
        """A write transaction: committed when the block ends normally, rolled back if it
        raises. ``durable=False``: the commit may skip waiting for the disk where the database
        allows it (a killed process still loses nothing)."""
        ...

    def query(self, sql: str, params: Params = ()) -> list[Any]: ...

    def query_one(self, sql: str, params: Params = ()) -> Any | None: ...

    def append_audit(self, db: Connection, records: Iterable[AuditRecord]) -> None: ...

    def audit_trail(self, account_id: str, after_sequence: int,
                    limit: int) -> list[AuditEntry]: ...

    def verify_audit_chain(self) -> ChainCheck: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def store_errors(method: Callable[P, T]) -> Callable[P, T]:
    """Driver failures (locked, disk I/O, connection refused, timeouts) become StoreUnavailable,
    which the RPC layer answers with UNAVAILABLE; the cause stays in the exception chain."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except DRIVER_ERRORS as exc:
            raise StoreUnavailable(f"the risk store failed ({type(exc).__name__})") from exc
    return wrapper


def rows_as_dicts(rows: Iterator[Any] | list[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(int(row["seq"]), AuditRecord(*(row[k] for k in AUDIT_FIELDS)),
                      row["prev_hash"], row["hash"], row["salt"], row["account_digest"],
                      row["subject_digest"], row["detail_digest"])


INSERT_AUDIT = (
    "INSERT INTO audit_log (at, actor, action, account_id, subject_id, detail, prev_hash, hash, "
    "salt, account_digest, subject_digest, detail_digest) VALUES (:at, :actor, :action, "
    ":account_id, :subject_id, :detail, :prev_hash, :hash, :salt, :account_digest, "
    ":subject_digest, :detail_digest)"
)


def sealed_row(entry: AuditEntry) -> dict[str, Any]:
    return {**entry.record.as_dict(), "prev_hash": entry.prev_hash, "hash": entry.hash,
            "salt": entry.salt, "account_digest": entry.account_digest,
            "subject_digest": entry.subject_digest, "detail_digest": entry.detail_digest}


def rechain_audit(db: Connection) -> None:
    """Migration step: seal every existing entry in the redactable format, in order (the old
    hashes covered the raw fields; this trail starts a new chain from them)."""
    rows = db.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    prev = GENESIS_HASH
    for row in rows:
        record = AuditRecord(*(row[k] for k in AUDIT_FIELDS))
        entry = AuditEntry.seal(int(row["seq"]), record, prev)
        db.execute("UPDATE audit_log SET prev_hash = :prev_hash, hash = :hash, salt = :salt, "
                   "account_digest = :account_digest, subject_digest = :subject_digest, "
                   "detail_digest = :detail_digest WHERE seq = :seq",
                   {**sealed_row(entry), "seq": entry.sequence})
        prev = entry.hash


class AuditLog:
    """The audit trail, for a database class that provides ``query``. Appends happen inside the
    writer's transaction, after :meth:`lock_audit`, so entries chain in commit order."""

    def query(self, sql: str, params: Params = ()) -> list[Any]:
        raise NotImplementedError

    def lock_audit(self, db: Connection) -> None:
        """Serialise appenders until the transaction ends (nothing to do where transactions
        already are serial)."""

    def append_audit(self, db: Connection, records: Iterable[AuditRecord]) -> None:
        locked = False
        for record in records:
            if not locked:
                self.lock_audit(db)
                locked = True
            last = db.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            prev = last["hash"] if last else GENESIS_HASH
            db.execute(INSERT_AUDIT, sealed_row(AuditEntry.seal(0, record, prev)))

    def audit_trail(self, account_id: str, after_sequence: int, limit: int) -> list[AuditEntry]:
        rows = self.query("SELECT * FROM audit_log WHERE account_id = ? AND seq > ? "
                          "ORDER BY seq LIMIT ?", (account_id, after_sequence, limit))
        return [_entry(row) for row in rows]

    def verify_audit_chain(self) -> ChainCheck:
        rows = self.query("SELECT * FROM audit_log ORDER BY seq")
        return verify_chain([_entry(row) for row in rows])


Migration = str | Callable[[Any], None]


def apply_migrations(db: Connection, migrations: Sequence[Migration], version: int,
                     where: str, record: Callable[[int], None]) -> None:
    """Apply ``migrations`` after the first ``version`` in order, inside the caller's
    transaction; ``record(number)`` stores each new version. A schema newer than this build
    is refused (``where`` names the database in the message)."""
    if version > len(migrations):
        raise RuntimeError(f"{where}: schema version {version} is newer than this build knows "
                           f"({len(migrations)}); run a newer acctguard")
    for number, script in enumerate(migrations[version:], start=version + 1):
        if callable(script):  # a step SQL cannot express
            script(db)
        else:
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
        record(number)
