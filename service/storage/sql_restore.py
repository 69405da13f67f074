"""SQLite stores for the restore path: challenges and authenticators (VerificationStore) and
freezes lifted or placed outside scoring, outcomes and the audit trail (FreezeLedger).

Every update is conditional on the state the domain read, inside one transaction with its
audit entries, so a lost race writes nothing and reports False.
"""

from __future__ import annotations

from service.domain.audit import AuditEntry, AuditRecord, ChainCheck
from service.domain.errors import ConcurrentUpdate
from service.domain.feedback import ChallengeReport, FraudEvidence, OutcomeReport, TrustChange
from service.domain.freezes import Freeze, FreezeState
from service.domain.verification import Challenge, ChallengeState
from service.storage.records import (
    challenge_from_row,
    challenge_report_from_row,
    challenge_report_row,
    challenge_row,
    evidence_from_row,
    evidence_row,
    freeze_from_row,
    freeze_row,
    outcome_from_row,
)
from service.storage.sql_database import Connection, SqlDatabase, store_errors
from service.storage.sql_risk import INSERT_FREEZE, ProfileCache, store_profiles

INSERT_CHALLENGE = (
    "INSERT INTO challenges (challenge_id, account_id, method, started_by, created_at, "
    "expires_at, attempts_allowed, code_mac, failures, state, verified_at, used_at, device_id, "
    "ip) VALUES (:challenge_id, :account_id, :method, :started_by, :created_at, :expires_at, "
    ":attempts_allowed, :code_mac, :failures, :state, :verified_at, :used_at, :device_id, :ip)"
)
UPDATE_CHALLENGE = (
    "UPDATE challenges SET failures = :failures, state = :state, verified_at = :verified_at, "
    "used_at = :used_at WHERE challenge_id = :challenge_id AND failures = :expected_failures "
    "AND state = :expected_state"
)


# Tables holding an account's own data, erased by ForgetAccount (the audit log is redacted).
ERASED_TABLES = ("profiles", "scored_events", "freezes", "challenges", "verification_failures",
                 "verification_locks", "authenticators", "outcomes", "challenge_results",
                 "fraud_evidence")
# Per-event records and profiles older than the retention age go (table, time column).
PRUNED = (("scored_events", "scored_at"), ("profiles", "updated_at"),
          ("challenges", "created_at"), ("verification_failures", "at"),
          ("outcomes", "reported_at"), ("challenge_results", "reported_at"),
          ("fraud_evidence", "reported_at"))


class _Abort(Exception):
    """Rolls back a transaction whose condition no longer holds."""


class SqlVerificationStore:
    def __init__(self, database: SqlDatabase) -> None:
        self.database = database

    @store_errors
    def add_challenge(self, challenge: Challenge, audit: AuditRecord) -> None:
        with self.database.transaction() as db:
            db.execute(INSERT_CHALLENGE, challenge_row(challenge))
            self.database.append_audit(db, [audit])

    @store_errors
    def load_challenge(self, challenge_id: str) -> Challenge | None:
        row = self.database.query_one("SELECT * FROM challenges WHERE challenge_id = ?",
                                      (challenge_id,))
        return challenge_from_row(dict(row)) if row else None

    @store_errors
    def challenges(self, account_id: str) -> list[Challenge]:
        rows = self.database.query("SELECT * FROM challenges WHERE account_id = ? "
                                   "ORDER BY created_at, challenge_id", (account_id,))
        return [challenge_from_row(dict(row)) for row in rows]

    @store_errors
    def update_challenge(self, expected: Challenge, updated: Challenge, audit: list[AuditRecord],
                         failure_at: float | None = None, locked_until: float | None = None,
                         totp_step: int | None = None) -> bool:
        params = challenge_row(updated) | {"expected_failures": expected.failures,
                                           "expected_state": expected.state.value}
        try:
            with self.database.transaction() as db:
                if not db.execute(UPDATE_CHALLENGE, params).rowcount:
                    raise _Abort
                if totp_step is not None and not db.execute(
                        "UPDATE authenticators SET last_step = ? WHERE account_id = ? "
                        "AND last_step < ?", (totp_step, updated.account_id, totp_step)).rowcount:
                    raise _Abort  # this time step was accepted meanwhile
                if failure_at is not None:
                    db.execute("INSERT INTO verification_failures (account_id, at) VALUES (?, ?)",
                               (updated.account_id, failure_at))
                if locked_until is not None:
                    db.execute(
                        "INSERT INTO verification_locks (account_id, locked_until) VALUES (?, ?) "
                        "ON CONFLICT (account_id) DO UPDATE SET locked_until = CASE WHEN "
                        "excluded.locked_until > verification_locks.locked_until THEN "
                        "excluded.locked_until ELSE verification_locks.locked_until END",
                        (updated.account_id, locked_until))
                self.database.append_audit(db, audit)
        except _Abort:
            return False
        return True

    @store_errors
    def failures_since(self, account_id: str, since: float) -> int:
        row = self.database.query_one("SELECT COUNT(*) AS n FROM verification_failures "
                                      "WHERE account_id = ? AND at > ?", (account_id, since))
        return int(row["n"]) if row else 0

    @store_errors
    def locked_until(self, account_id: str) -> float | None:
        row = self.database.query_one(
            "SELECT locked_until FROM verification_locks WHERE account_id = ?", (account_id,))
        return float(row["locked_until"]) if row else None

    @store_errors
    def set_authenticator(self, account_id: str, sealed_secret: bytes, audit: AuditRecord) -> None:
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO authenticators (account_id, sealed_secret, last_step, enrolled_at) "
                "VALUES (?, ?, -1, ?) ON CONFLICT (account_id) DO UPDATE SET "
                "sealed_secret = excluded.sealed_secret, last_step = -1, "
                "enrolled_at = excluded.enrolled_at", (account_id, sealed_secret, audit.at))
            self.database.append_audit(db, [audit])

    @store_errors
    def authenticator(self, account_id: str) -> tuple[bytes, int] | None:
        row = self.database.query_one(
            "SELECT sealed_secret, last_step FROM authenticators WHERE account_id = ?",
            (account_id,))
        return (bytes(row["sealed_secret"]), int(row["last_step"])) if row else None


class _ProfileMoved(Exception):
    """The profile changed since it was read: roll back, then raise ConcurrentUpdate."""


class SqlFreezeLedger:
    """``profiles``: where the risk store keeps profiles when not in the database (Redis), so
    a lesson's profile goes where the engine reads it."""

    def __init__(self, database: SqlDatabase, profiles: ProfileCache | None = None) -> None:
        self.database = database
        self.profiles = profiles

    @store_errors
    def commit_trust(self, change: TrustChange) -> bool:
        try:
            with self.database.transaction() as db:
                self._apply(db, change)
                if change.profile is not None and not store_profiles(
                        db, self.profiles,
                        {change.account_id: (change.expected_version, change.profile)},
                        change.audit[-1].at if change.audit else 0.0):
                    raise _ProfileMoved
        except _Abort:
            return False
        except _ProfileMoved:
            raise ConcurrentUpdate(f"the profile of {change.account_id!r} changed") from None
        return True

    def _apply(self, db: Connection, change: TrustChange) -> None:
        """Everything but the profile, in the open transaction; _Abort if a condition fails."""
        if change.use_challenge is not None and not db.execute(
                "UPDATE challenges SET state = ?, used_at = ? WHERE challenge_id = ? "
                "AND state = ?", (ChallengeState.USED.value, change.audit[-1].at,
                                  change.use_challenge.challenge_id,
                                  ChallengeState.VERIFIED.value)).rowcount:
            raise _Abort
        for freeze in change.lift:
            if not self._lift(db, freeze) and change.lift_strict:
                raise _Abort
        if change.place is not None:
            db.execute(INSERT_FREEZE, freeze_row(change.place))
        if change.challenge_report is not None and not db.execute(
                "INSERT INTO challenge_results (event_id, account_id, result, method, "
                "reported_at, reported_by, learned, note) VALUES (:event_id, :account_id, "
                ":result, :method, :reported_at, :reported_by, :learned, :note) "
                "ON CONFLICT DO NOTHING", challenge_report_row(change.challenge_report)).rowcount:
            raise _Abort
        if change.outcome is not None:
            self._store_outcome(db, change.outcome, change.replaces_outcome is not None,
                                change.replaces_outcome.name if change.replaces_outcome else "")
        if change.withdraw_evidence_of:
            db.execute("DELETE FROM fraud_evidence WHERE event_id = ?",
                       (change.withdraw_evidence_of,))
        for evidence in change.evidence:
            db.execute("INSERT INTO fraud_evidence (entity_kind, entity_key, account_id, "
                       "event_id, reported_at) VALUES (:entity_kind, :entity_key, :account_id, "
                       ":event_id, :reported_at) ON CONFLICT DO NOTHING", evidence_row(evidence))
        self.database.append_audit(db, change.audit)

    @staticmethod
    def _store_outcome(db: Connection, report: OutcomeReport, replacing: bool,
                       expected: str) -> None:
        values = (report.event_id, report.account_id, report.outcome.name, report.reported_at,
                  report.reported_by)
        if not replacing:
            stored = db.execute("INSERT INTO outcomes (event_id, account_id, outcome, "
                                "reported_at, reported_by) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT DO NOTHING", values)
        else:
            stored = db.execute("UPDATE outcomes SET outcome = ?, reported_at = ?, "
                                "reported_by = ? WHERE event_id = ? AND outcome = ?",
                                (*values[2:], report.event_id, expected))
        if not stored.rowcount:
            raise _Abort

    @store_errors
    def challenge_report(self, event_id: str) -> ChallengeReport | None:
        row = self.database.query_one("SELECT * FROM challenge_results WHERE event_id = ?",
                                      (event_id,))
        return challenge_report_from_row(dict(row)) if row else None

    @store_errors
    def outcome_of(self, event_id: str) -> OutcomeReport | None:
        row = self.database.query_one("SELECT * FROM outcomes WHERE event_id = ?", (event_id,))
        return outcome_from_row(dict(row)) if row else None

    @store_errors
    def fraud_evidence(self, account_id: str) -> list[FraudEvidence]:
        rows = self.database.query("SELECT * FROM fraud_evidence WHERE account_id = ? "
                                   "ORDER BY reported_at, entity_kind, entity_key",
                                   (account_id,))
        return [evidence_from_row(dict(row)) for row in rows]

    @store_errors
    def find_freeze(self, freeze_id: str) -> Freeze | None:
        row = self.database.query_one("SELECT * FROM freezes WHERE freeze_id = ?", (freeze_id,))
        return freeze_from_row(dict(row)) if row else None

    @store_errors
    def add_freeze(self, freeze: Freeze, audit: AuditRecord) -> None:
        with self.database.transaction() as db:
            db.execute(INSERT_FREEZE, freeze_row(freeze))
            self.database.append_audit(db, [audit])

    @store_errors
    def lift_freezes(self, lifted: list[Freeze], audit: list[AuditRecord],
                     use_challenge: Challenge | None = None) -> bool:
        try:
            with self.database.transaction() as db:
                if use_challenge is not None and not db.execute(
                        "UPDATE challenges SET state = ?, used_at = ? WHERE challenge_id = ? "
                        "AND state = ?", (ChallengeState.USED.value, audit[-1].at,
                                          use_challenge.challenge_id,
                                          ChallengeState.VERIFIED.value)).rowcount:
                    raise _Abort
                for freeze in lifted:
                    if not self._lift(db, freeze):
                        raise _Abort
                self.database.append_audit(db, audit)
        except _Abort:
            return False
        return True

    @staticmethod
    def _lift(db: Connection, freeze: Freeze) -> bool:
        return bool(db.execute(
            "UPDATE freezes SET state = ?, lifted_at = ?, lifted_by = ?, lift_reason = ? "
            "WHERE freeze_id = ? AND state = ?",
            (freeze.state.name, freeze.lifted_at, freeze.lifted_by, freeze.lift_reason,
             freeze.freeze_id, FreezeState.ACTIVE.name)).rowcount)

    @store_errors
    def record_outcome(self, report: OutcomeReport, audit: list[AuditRecord],
                       lifted: Freeze | None = None) -> None:
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO outcomes (event_id, account_id, outcome, reported_at, reported_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET "
                "outcome = excluded.outcome, reported_at = excluded.reported_at, "
                "reported_by = excluded.reported_by",
                (report.event_id, report.account_id, report.outcome.name, report.reported_at,
                 report.reported_by))
            if lifted is not None:
                self._lift(db, lifted)  # already lifted meanwhile: the outcome still counts
            self.database.append_audit(db, audit)

    @store_errors
    def outcomes(self) -> list[OutcomeReport]:
        rows = self.database.query("SELECT * FROM outcomes ORDER BY reported_at, event_id")
        return [outcome_from_row(dict(row)) for row in rows]

    @store_errors
    def frozen_accounts(self, now: float, limit: int,
                        after: tuple[float, str] | None) -> list[tuple[str, float]]:
        last, account = after if after is not None else (float("inf"), "")
        rows = self.database.query(
            "SELECT account_id, MAX(created_at) AS last FROM freezes WHERE state = ? AND "
            "expires_at > ? GROUP BY account_id HAVING MAX(created_at) < ? OR "
            "(MAX(created_at) = ? AND account_id > ?) ORDER BY last DESC, account_id LIMIT ?",
            (FreezeState.ACTIVE.name, now, last, last, account, limit))
        return [(row["account_id"], float(row["last"])) for row in rows]

    @store_errors
    def forget(self, account_id: str, record: AuditRecord) -> dict[str, int]:
        """Erase the account's records and redact its audit entries (blank fields and salts,
        digests kept), then append ``record``; one transaction. Returns counts per kind."""
        erased: dict[str, int] = {}
        with self.database.transaction() as db:
            for table in ERASED_TABLES:
                erased[table] = db.execute(f"DELETE FROM {table} WHERE account_id = ?",  # noqa: S608
                                           (account_id,)).rowcount
            erased["audit_log"] = db.execute(
                "UPDATE audit_log SET account_id = '', subject_id = '', detail = '', salt = '' "
                "WHERE account_id = ?", (account_id,)).rowcount
            self.database.append_audit(db, [record])
        return erased

    @store_errors
    def prune(self, before: float) -> dict[str, int]:
        """Delete per-event records, profiles and ended freezes older than ``before``."""
        pruned: dict[str, int] = {}
        with self.database.transaction() as db:
            for table, column in PRUNED:
                pruned[table] = db.execute(f"DELETE FROM {table} WHERE {column} < ?",  # noqa: S608
                                           (before,)).rowcount
            pruned["freezes"] = db.execute(  # ended: expired, or lifted, before the cut-off
                "DELETE FROM freezes WHERE expires_at < ? OR (state <> ? AND lifted_at < ?)",
                (before, FreezeState.ACTIVE.name, before)).rowcount
        return pruned

    @store_errors
    def decision_counts(self, since: float) -> dict[tuple[int, str], int]:
        """(hour number since the epoch, decision) -> scored events."""
        rows = self.database.query(
            "SELECT CAST(scored_at AS BIGINT) / 3600 AS hour, decision, COUNT(*) AS n "
            "FROM scored_events WHERE scored_at >= ? GROUP BY CAST(scored_at AS BIGINT) / 3600, "
            "decision", (since,))
        return {(int(row["hour"]), str(row["decision"])): int(row["n"]) for row in rows}

    @store_errors
    def active_freeze_count(self, now: float) -> int:
        row = self.database.query_one("SELECT COUNT(*) AS n FROM freezes WHERE state = ? AND "
                                      "expires_at > ?", (FreezeState.ACTIVE.name, now))
        return int(row["n"]) if row else 0

    @store_errors
    def audit_trail(self, account_id: str, after_sequence: int, limit: int) -> list[AuditEntry]:
        return self.database.audit_trail(account_id, after_sequence, limit)

    @store_errors
    def verify_audit_chain(self) -> ChainCheck:
        return self.database.verify_audit_chain()
