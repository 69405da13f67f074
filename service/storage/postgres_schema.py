"""The PostgreSQL schema, as numbered migrations (table ``acctguard_schema`` counts those
applied). Same tables and columns as SQLite's, in PostgreSQL's types. Never edit a migration
that has shipped; add the next one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.storage.sql_database import rechain_audit
from service.storage.trust_schema import trust_loop_tables

MIGRATIONS: tuple[str | Callable[[Any], None], ...] = (
    """
    CREATE TABLE profiles (
        account_id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        version BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE scored_events (
        event_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        risk DOUBLE PRECISION NOT NULL,
        decision TEXT NOT NULL,
        reasons TEXT NOT NULL,
        frozen_features TEXT NOT NULL,
        freeze_id TEXT NOT NULL,
        model_version TEXT NOT NULL,
        scored_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX scored_events_by_account ON scored_events (account_id, scored_at);
    CREATE TABLE freezes (
        freeze_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        event_id TEXT UNIQUE,
        features TEXT NOT NULL,
        reasons TEXT NOT NULL,
        risk DOUBLE PRECISION NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL,
        placed_by TEXT NOT NULL DEFAULT 'engine',
        lifted_at DOUBLE PRECISION,
        lifted_by TEXT NOT NULL DEFAULT '',
        lift_reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX freezes_by_account ON freezes (account_id, created_at);
    CREATE INDEX freezes_active ON freezes (state, expires_at);
    CREATE TABLE audit_log (
        seq BIGSERIAL PRIMARY KEY,
        at DOUBLE PRECISION NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        account_id TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_account ON audit_log (account_id, seq);
    CREATE TABLE challenges (
        challenge_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        method TEXT NOT NULL,
        started_by TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        attempts_allowed INTEGER NOT NULL,
        code_mac TEXT NOT NULL,
        failures INTEGER NOT NULL,
        state TEXT NOT NULL,
        verified_at DOUBLE PRECISION,
        used_at DOUBLE PRECISION
    );
    CREATE INDEX challenges_by_account ON challenges (account_id, created_at);
    CREATE TABLE verification_failures (
        account_id TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX verification_failures_by_account ON verification_failures (account_id, at);
    CREATE TABLE verification_locks (
        account_id TEXT PRIMARY KEY,
        locked_until DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE authenticators (
        account_id TEXT PRIMARY KEY,
        sealed_secret BYTEA NOT NULL,
        last_step BIGINT NOT NULL,
        enrolled_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE outcomes (
        event_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reported_at DOUBLE PRECISION NOT NULL,
        reported_by TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE scored_events ADD COLUMN would_decision TEXT NOT NULL DEFAULT '';
    """,
    """
    ALTER TABLE audit_log ADD COLUMN salt TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit_log ADD COLUMN account_digest TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit_log ADD COLUMN subject_digest TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit_log ADD COLUMN detail_digest TEXT NOT NULL DEFAULT ''
    """,
    rechain_audit,
    trust_loop_tables("DOUBLE PRECISION"),
)
