"""Reading a server's SQLite file behind its back, for tests that check nothing was written."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def database_snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read through a separate connection."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()  # noqa: S608
                for table in tables}
