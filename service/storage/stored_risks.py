"""The risks the service stored for the events one model version scored, per event kind, for
calibrating that model's thresholds (:mod:`detectors.recalibration`).

Left out: events reported as CONFIRMED_FRAUD, and events whose step-up FAILED or was ABANDONED
where the account did not trust the device or network (``learned``: the result was recorded as
evidence). Only each kind's count and its highest risks are read, so a week of a bank's traffic
is not loaded into memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from detectors.events import EventKind
from detectors.recalibration import AlertBudget, KindRisks
from service.storage.sql_database import SqlDatabase, store_errors

CONFIRMED_FRAUD = "confirmed_fraud"
FAILED_STEP_UP = "failed_step_up"
# Reading a large table takes longer than the service's per-call statement timeout allows.
READ_TIMEOUT_MS = 30 * 60 * 1000

_SCORED = (
    "FROM scored_events s "
    "LEFT JOIN outcomes o ON o.event_id = s.event_id AND o.outcome = 'CONFIRMED_FRAUD' "
    "LEFT JOIN challenge_results c ON c.event_id = s.event_id "
    "AND c.result IN ('FAILED', 'ABANDONED') AND c.learned = 1 "
    "WHERE s.model_version = ? AND s.scored_at >= ?"
)
COUNTS = (
    f"SELECT s.kind AS kind, CASE WHEN o.event_id IS NOT NULL THEN '{CONFIRMED_FRAUD}' "
    f"WHEN c.event_id IS NOT NULL THEN '{FAILED_STEP_UP}' ELSE '' END AS left_out, "
    f"COUNT(*) AS n {_SCORED} GROUP BY 1, 2"
)
HIGHEST = (
    f"SELECT s.risk AS risk {_SCORED} AND s.kind = ? "
    "AND o.event_id IS NULL AND c.event_id IS NULL ORDER BY s.risk DESC LIMIT ?"
)
VERSIONS = ("SELECT model_version, COUNT(*) AS n FROM scored_events GROUP BY model_version "
            "ORDER BY n DESC")


@store_errors
def stored_risks(database: SqlDatabase, model_version: str, budget: AlertBudget,
                 since: float = 0.0) -> dict[EventKind, KindRisks]:
    """Per kind: the events ``model_version`` scored at or after ``since`` that calibration
    uses, those left out by why, and as many of the highest risks as ``budget`` needs."""
    used = dict.fromkeys(EventKind, 0)
    left_out: dict[EventKind, dict[str, int]] = {kind: {} for kind in EventKind}
    for row in database.query(COUNTS, (model_version, since)):
        kind, reason, count = EventKind(row["kind"]), row["left_out"], int(row["n"])
        if reason:
            left_out[kind][reason] = left_out[kind].get(reason, 0) + count
        else:
            used[kind] += count
    found: dict[EventKind, KindRisks] = {}
    for kind in EventKind:
        wanted = budget.highest_needed(used[kind]) if used[kind] else 0
        rows = database.query(HIGHEST, (model_version, since, str(kind), wanted)) if wanted else []
        highest = np.array([float(row["risk"]) for row in rows], dtype=np.float64)
        found[kind] = KindRisks(used[kind], highest, left_out[kind])
    return found


@store_errors
def stored_versions(database: SqlDatabase) -> list[tuple[str, int]]:
    """Every model version with scored events, and how many, most first."""
    return [(str(row["model_version"]), int(row["n"])) for row in database.query(VERSIONS)]


def open_sqlite(path: Path) -> SqlDatabase:
    """The service's SQLite database file (FileNotFoundError if there is none: an empty one is
    not created)."""
    from service.storage.sqlite_db import SqliteDatabase

    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}")
    return SqliteDatabase(path, synchronous="NORMAL", timeout=30.0)


def open_postgres(url: str, schema: str = "") -> SqlDatabase:
    """The service's PostgreSQL database, with a statement timeout long enough to read it. One
    plain connection first, so an unreachable server fails at once with libpq's reason rather
    than after the pool's retries."""
    import psycopg

    from service.storage.postgres import PostgresDatabase

    psycopg.connect(url, connect_timeout=10).close()
    return PostgresDatabase(url, schema=schema, pool_size=1, connect_timeout=10.0,
                            statement_timeout_ms=READ_TIMEOUT_MS)


def describe_database_url(url: str) -> dict[str, Any]:
    """Where a PostgreSQL URL (or ``key=value`` string) points, without its password or any
    other setting (ValueError, echoing nothing of it, if it cannot be read)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except ProgrammingError:
        raise ValueError("the database URL is not a PostgreSQL connection URL") from None
    return {key: str(parts[key]) for key in ("host", "port", "dbname", "user") if parts.get(key)}
