"""synchronous=FREEZES: commits that place a freeze, or answer anything but ALLOW, wait for the
disk; plain ALLOWs do not; FULL and NORMAL treat every commit alike."""

import dataclasses

import pytest

from detectors.events import CreditFeature, EventKind
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from service.domain.decisions import Decision, ScoreResult
from service.domain.freezes import Freeze
from service.storage.sql_risk import SqlRiskStore
from service.storage.sqlite_db import SqliteDatabase

FULL, NORMAL = 2, 1  # PRAGMA synchronous values


def _sync_level(database: SqliteDatabase) -> int:
    return int(database._db.execute("PRAGMA synchronous").fetchone()[0])


def _scored(event_id: str, frozen: bool) -> tuple[ScoreResult, AccountProfile, Freeze | None]:
    reason = Reason(ReasonCode.NEW_DEVICE, "new device", 1.0)
    freeze = Freeze(f"frz-{event_id}", "a1", event_id, (CreditFeature.PAYMENT,), (reason,),
                    0.99, 100.0, 200.0) if frozen else None
    result = ScoreResult(event_id, "a1", EventKind.LOGIN, 0.99 if frozen else 0.1,
                         Decision.FREEZE if frozen else Decision.ALLOW, (reason,) if frozen
                         else (), (CreditFeature.PAYMENT,) if frozen else (),
                         freeze.freeze_id if freeze else "", "m1", 100.0)
    return result, AccountProfile.new("a1"), freeze


def test_only_commits_with_a_freeze_wait_for_the_disk(tmp_path):
    database = SqliteDatabase(tmp_path / "db.sqlite3", synchronous="FREEZES")
    store = SqlRiskStore(database)
    try:
        levels = []
        for frozen in (False, True, False):
            with database.transaction(durable=frozen):
                levels.append(_sync_level(database))
        assert levels == [NORMAL, FULL, NORMAL]
        assert store.commit_batch([_scored("e4", False)])
        assert _sync_level(database) == NORMAL
        assert store.commit_batch([_scored("e5", False), _scored("e6", True)])
        assert _sync_level(database) == FULL  # one freeze makes the whole batch durable
        store.commit_score(*_scored("e7", False))
        assert _sync_level(database) == NORMAL
        store.commit_score(*_scored("e8", True))
        assert _sync_level(database) == FULL
        with database.transaction():  # restore-path writes and audits: durable by default
            assert _sync_level(database) == FULL
        assert [f.freeze_id for f in store.freezes("a1")] == ["frz-e6", "frz-e8"]
    finally:
        database.close()


@pytest.mark.parametrize(("mode", "level"), [("FULL", FULL), ("NORMAL", NORMAL)])
def test_full_and_normal_treat_every_commit_alike(tmp_path, mode, level):
    database = SqliteDatabase(tmp_path / "db.sqlite3", synchronous=mode)
    try:
        for durable in (False, True, False):
            with database.transaction(durable=durable):
                assert _sync_level(database) == level
    finally:
        database.close()


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="FREEZES"):
        SqliteDatabase(tmp_path / "db.sqlite3", synchronous="SOMETIMES")


@pytest.mark.parametrize("decision", [Decision.CHALLENGE, Decision.FREEZE])
def test_any_answer_but_allow_waits_for_the_disk(tmp_path, decision):
    """A challenge, or a freeze answer covered by an existing freeze (no new one placed)."""
    database = SqliteDatabase(tmp_path / "db.sqlite3", synchronous="FREEZES")
    store = SqlRiskStore(database)
    try:
        result, profile, _ = _scored("e1", False)
        store.commit_batch([(dataclasses.replace(result, decision=decision), profile, None)])
        assert _sync_level(database) == FULL
        result, profile, _ = _scored("e2", False)
        audit_only = dataclasses.replace(result, would_decision=Decision.FREEZE)
        store.commit_score(audit_only, profile, None)
        assert _sync_level(database) == FULL  # audit mode: what enforcing would have done
        store.commit_score(*_scored("e3", False))
        assert _sync_level(database) == NORMAL
    finally:
        database.close()
