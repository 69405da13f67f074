"""PostgreSQL for the durable records when several replicas share them.

A small connection pool (psycopg 3), a statement timeout and a connect timeout, so a database
that stops answering makes calls fail fast with UNAVAILABLE instead of hanging. Migrations run
under a transaction-scoped advisory lock, so replicas starting together migrate once. Audit
appends take another advisory lock, so the hash chain follows commit order across replicas.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from service.domain.errors import StoreUnavailable
from service.storage.postgres_schema import MIGRATIONS
from service.storage.sql_database import DRIVER_ERRORS, AuditLog, Params, apply_migrations

_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@lru_cache(maxsize=256)
def to_pyformat(sql: str) -> str:
    """``?`` and ``:name`` placeholders (the SQLite style the stores use) to psycopg's."""
    return _NAMED.sub(r"%(\1)s", sql.replace("?", "%s"))


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) - (1 << 31)  # a stable signed 32-bit advisory lock key


class _Connection:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> Any:
        return self._connection.execute(to_pyformat(sql), params)

    def executemany(self, sql: str, params: Iterable[Params]) -> Any:
        with self._connection.cursor() as cursor:
            cursor.executemany(to_pyformat(sql), list(params))
            return cursor


class PostgresDatabase(AuditLog):
    def __init__(self, url: str, schema: str = "", pool_size: int = 4,
                 connect_timeout: float = 3.0, statement_timeout_ms: int = 5000) -> None:
        if schema and not _SCHEMA.fullmatch(schema):
            raise ValueError(f"schema must be a lower-case SQL identifier, not {schema!r}")
        self.url = url
        self.schema = schema or "public"
        options = f"-c statement_timeout={statement_timeout_ms}"
        if schema:
            options += f" -c search_path={schema}"
            with psycopg.connect(url, connect_timeout=int(connect_timeout)) as db, \
                    db.transaction():
                # Replicas starting together race on CREATE SCHEMA IF NOT EXISTS (the catalogue's
                # unique index rejects the second); the advisory lock lets one create it.
                db.execute("SELECT pg_advisory_xact_lock(%s)",
                           (_lock_key(f"acctguard.schema.{schema}"),))
                db.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=pool_size, timeout=connect_timeout, open=True,
            kwargs={"row_factory": dict_row, "autocommit": True, "options": options,
                    "connect_timeout": max(1, int(connect_timeout))})
        self._audit_key = _lock_key(f"acctguard.audit.{self.schema}")
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?)",
                       (_lock_key(f"acctguard.migrate.{self.schema}"),))
            db.execute("CREATE TABLE IF NOT EXISTS acctguard_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT COALESCE(MAX(version), 0) AS v FROM acctguard_schema"
                             ).fetchone()
            apply_migrations(
                db, MIGRATIONS, int(row["v"]), f"PostgreSQL schema {self.schema}",
                lambda number: db.execute("INSERT INTO acctguard_schema (version) VALUES (?)",
                                          (number,)))

    @property
    def schema_version(self) -> int:
        row = self.query_one("SELECT COALESCE(MAX(version), 0) AS v FROM acctguard_schema")
        return int(row["v"]) if row else 0

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Any]:
        """Every PostgreSQL commit is durable (the server's ``synchronous_commit``)."""
        with self.pool.connection() as connection, connection.transaction():
            yield _Connection(connection)

    def query(self, sql: str, params: Params = ()) -> list[Any]:
        with self.pool.connection() as connection:
            rows: list[Any] = connection.execute(to_pyformat(sql), params).fetchall()
            return rows

    def query_one(self, sql: str, params: Params = ()) -> Any | None:
        with self.pool.connection() as connection:
            return connection.execute(to_pyformat(sql), params).fetchone()

    def lock_audit(self, db: Any) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?)", (self._audit_key,))

    def ping(self) -> None:
        try:
            self.query_one("SELECT 1 AS one")
        except DRIVER_ERRORS as exc:
            raise StoreUnavailable("the PostgreSQL risk store cannot be reached") from exc

    def drop_schema(self) -> None:
        """Remove the schema and everything in it (tests use a schema each)."""
        if self.schema != "public":
            with self.pool.connection() as connection:
                connection.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def close(self) -> None:
        self.pool.close()
