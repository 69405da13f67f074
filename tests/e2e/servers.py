"""The whole application as `acctguard serve` runs it (AccountGuard and AccountGuardAdmin,
security from settings), on 127.0.0.1 in this process."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.bootstrap import Application
from service.config import Settings


@contextmanager
def full_server(settings: Settings) -> Iterator[tuple[Application, int]]:
    from service.bootstrap import build_application
    from service.rpc.security import ServerSecurity
    from service.rpc.server import serve_in_background

    app = build_application(settings)
    try:
        with serve_in_background(app.handlers, settings.listen, settings.max_message_bytes,
                                 security=ServerSecurity.from_settings(settings),
                                 extra_services=app.services()[1:]) as port:
            yield app, port
    finally:
        app.close()


def database_snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read through a separate connection."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()  # noqa: S608
                for table in tables}
