"""SQLite RiskStore: the embedded default, one file under the data directory (see
:mod:`service.storage.sqlite_db` for durability settings and migrations)."""

from __future__ import annotations

from pathlib import Path

from service.storage.sql_risk import SqlRiskStore
from service.storage.sqlite_db import SqliteDatabase


class SqliteRiskStore(SqlRiskStore):
    def __init__(self, path: Path, synchronous: str = "FULL", timeout: float = 5.0,
                 database: SqliteDatabase | None = None) -> None:
        self.sqlite = database or SqliteDatabase(path, synchronous, timeout)
        super().__init__(self.sqlite)
        self.path = self.sqlite.path

    @property
    def schema_version(self) -> int:
        return self.sqlite.schema_version
