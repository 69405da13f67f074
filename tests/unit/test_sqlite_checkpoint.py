"""The background WAL checkpointer: commits never checkpoint, the thread does."""

import sqlite3
import time

import pytest

from service.storage.sqlite_checkpoint import SAFETY_NET_PAGES, WalCheckpointer
from service.storage.sqlite_db import SqliteDatabase


def _write(database: SqliteDatabase, rows: int) -> None:
    for i in range(rows):
        with database.transaction() as db:
            db.execute("INSERT INTO profiles (account_id, data, updated_at, version) "
                       "VALUES (?, ?, 0, 1)", (f"a{i}", "x" * 2000))


def test_commits_leave_the_log_to_the_background_thread(tmp_path):
    path = tmp_path / "db.sqlite3"
    database = SqliteDatabase(path, synchronous="NORMAL", checkpoint_interval=0.05)
    try:
        # Commits checkpoint only far beyond what 300 rows write (a net if the thread dies).
        assert database._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == \
            SAFETY_NET_PAGES
        _write(database, 300)
        deadline = time.monotonic() + 5
        while database._checkpointer.completed < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert database._checkpointer.completed >= 1  # the thread copied a whole log
    finally:
        database.close()
    assert not database._checkpointer._thread.is_alive()
    again = SqliteDatabase(path)
    assert again.query_one("SELECT COUNT(*) AS n FROM profiles")["n"] == 300
    again.close()


def test_without_an_interval_sqlite_checkpoints_by_itself(tmp_path):
    database = SqliteDatabase(tmp_path / "db.sqlite3", synchronous="NORMAL")
    try:
        assert database._checkpointer is None
        assert database._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    finally:
        database.close()


def test_the_thread_never_creates_a_database_file(tmp_path):
    with pytest.raises(sqlite3.OperationalError):
        WalCheckpointer(tmp_path / "missing.sqlite3").start()
    assert not (tmp_path / "missing.sqlite3").exists()
