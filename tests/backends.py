"""The store backends the contract tests run against. PostgreSQL and Redis are used for real
when reachable; with CI=true they must be (the test fails instead of skipping)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get("ACCTGUARD_TEST_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ACCTGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ["memory", "sqlite", "postgres", "postgres+redis"]


def _unreachable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the PostgreSQL and Redis tests")
    pytest.skip(message)


def require_postgres() -> None:
    import psycopg
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2) as db:
            db.execute("SELECT 1")
    except psycopg.Error as error:
        _unreachable(f"PostgreSQL at {POSTGRES_URL}", error)


def require_redis() -> None:
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _unreachable(f"Redis at {REDIS_URL}", error)


def unique_name() -> str:
    return "t_" + secrets.token_hex(6)


@dataclass
class Stores:
    risk: Any
    challenges: Any
    ledger: Any


@contextmanager
def stores(kind: str, tmp_path: Path, schema: str = "", prefix: str = "") -> Iterator[Stores]:
    """Fresh stores of one backend (a new PostgreSQL schema and Redis prefix each time)."""
    if kind == "memory":
        from service.storage.memory import InMemoryRiskStore
        from service.storage.memory_restore import InMemoryFreezeLedger, InMemoryVerificationStore
        risk = InMemoryRiskStore()
        challenges = InMemoryVerificationStore(risk)
        yield Stores(risk, challenges, InMemoryFreezeLedger(risk, challenges))
        return
    from service.storage.sql_restore import SqlFreezeLedger, SqlVerificationStore
    from service.storage.sql_risk import SqlRiskStore
    if kind == "sqlite":
        from service.storage.sqlite_db import SqliteDatabase
        database: Any = SqliteDatabase(tmp_path / "db.sqlite3", synchronous="NORMAL")
        yield Stores(SqlRiskStore(database), SqlVerificationStore(database),
                     SqlFreezeLedger(database))
        database.close()
        return
    require_postgres()
    from service.storage.postgres import PostgresDatabase
    database = PostgresDatabase(POSTGRES_URL, schema=schema or unique_name())
    profiles = None
    if kind == "postgres+redis":
        require_redis()
        from service.storage.redis_profiles import RedisProfiles
        profiles = RedisProfiles(REDIS_URL, prefix=prefix or f"{unique_name()}:")
    try:
        yield Stores(SqlRiskStore(database, profiles), SqlVerificationStore(database),
                     SqlFreezeLedger(database, profiles))
    finally:
        if profiles is not None:
            profiles.delete_all()
            profiles.close()
        database.drop_schema()
        database.close()
