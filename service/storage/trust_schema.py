"""The trust loop's schema migration, the same for SQLite and PostgreSQL but for the type of a
time column."""

from __future__ import annotations


def trust_loop_tables(real: str) -> str:
    """Events kept with their results, the verifying device on challenges, step-up results and
    fraud evidence. ``real``: the dialect's floating-point type."""
    return f"""
    ALTER TABLE scored_events ADD COLUMN event TEXT NOT NULL DEFAULT '';
    ALTER TABLE challenges ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE challenges ADD COLUMN ip TEXT NOT NULL DEFAULT '';
    CREATE TABLE challenge_results (
        event_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        result TEXT NOT NULL,
        method TEXT NOT NULL,
        reported_at {real} NOT NULL,
        reported_by TEXT NOT NULL,
        learned INTEGER NOT NULL,
        note TEXT NOT NULL
    );
    CREATE INDEX challenge_results_by_account ON challenge_results (account_id);
    CREATE TABLE fraud_evidence (
        entity_kind TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        account_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        reported_at {real} NOT NULL,
        PRIMARY KEY (entity_kind, entity_key, event_id)
    );
    CREATE INDEX fraud_evidence_by_account ON fraud_evidence (account_id);
    """
