"""One contract, run against every RiskStore implementation."""

import dataclasses

import pytest

from detectors.events import CreditFeature, EventKind
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from service.domain.decisions import Decision, ScoreResult
from service.domain.errors import ConcurrentUpdate
from service.domain.freezes import Freeze
from service.storage.sqlite import SqliteRiskStore
from tests.backends import BACKENDS, stores


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with stores(request.param, tmp_path) as backend:
        yield backend.risk


def _result(event_id="e1", account="a1", freeze_id="", decision=Decision.ALLOW):
    return ScoreResult(event_id, account, EventKind.LOGIN, 0.5, decision,
                       (Reason(ReasonCode.NEW_DEVICE, "new device", 1.0),),
                       (CreditFeature.PAYMENT,) if freeze_id else (), freeze_id, "m1", 100.0)


def _freeze(event_id="e1", account="a1"):
    return Freeze(f"frz-{event_id}", account, event_id, (CreditFeature.PAYMENT,),
                  (Reason(ReasonCode.NEW_DEVICE, "new device", 1.0),), 0.99, 100.0, 200.0)


def test_commit_then_read_back(store):
    profile = AccountProfile.new("a1")
    profile.event_count = 3
    result = _result(freeze_id="frz-e1", decision=Decision.FREEZE)
    assert store.commit_score(result, profile, _freeze()) == result
    assert store.find_result("e1") == result
    assert store.load_profile("a1").event_count == 3
    assert store.freezes("a1") == [_freeze()]
    assert store.freezes("other") == []


def test_second_commit_of_same_event_keeps_the_first(store):
    first = _result(freeze_id="frz-e1", decision=Decision.FREEZE)
    store.commit_score(first, AccountProfile.new("a1"), _freeze())
    second = _result()
    changed = AccountProfile.new("a1")
    changed.event_count = 99
    assert store.commit_score(second, changed, _freeze()) == first
    assert len(store.freezes("a1")) == 1
    assert store.load_profile("a1").event_count == 0


def test_missing_things_are_none(store):
    assert store.load_profile("nobody") is None
    assert store.find_result("nothing") is None
    store.ping()


def test_batch_reads_equal_the_single_reads(store):
    """find_results and load_accounts equal find_result, load_versioned and freezes one by one,
    for known and unknown ids alike (and for more ids than fit one IN list)."""
    first = _result("e1", "a1", freeze_id="frz-e1", decision=Decision.FREEZE)
    store.commit_score(first, AccountProfile.new("a1"), _freeze("e1", "a1"))
    later = Freeze("frz-e2", "a1", "e2", (CreditFeature.INSTALLMENT_LOAN,), (), 0.9, 150.0, 300.0)
    changed = AccountProfile.new("a1")
    changed.event_count = 7
    store.commit_score(_result("e2", "a1"), changed, later)
    store.commit_score(_result("e3", "a2"), AccountProfile.new("a2"), None)
    event_ids = ["e3", "nothing", "e1", "e1", *(f"x{i}" for i in range(600))]
    accounts = ["a2", "nobody", "a1", "a1", *(f"n{i}" for i in range(600))]
    results = store.find_results(event_ids)
    assert results == {i: store.find_result(i) for i in ("e1", "e3")}
    assert results["e1"] == first
    state = store.load_accounts(accounts)
    assert set(state.profiles) == set(state.freezes) == set(accounts)
    for account in accounts:
        profile, version = state.profiles[account]
        single_profile, single_version = store.load_versioned(account)
        assert version == single_version
        assert (profile.to_dict() if profile else None) == (
            single_profile.to_dict() if single_profile else None)
        assert state.freezes[account] == store.freezes(account)
    assert state.profiles["a1"][0].event_count == 7
    assert [f.freeze_id for f in state.freezes["a1"]] == ["frz-e1", "frz-e2"]
    assert state.profiles["nobody"] == (None, 0)


def test_sqlite_survives_reopen_and_audits_freezes(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = SqliteRiskStore(path)
    store.commit_score(_result(freeze_id="frz-e1", decision=Decision.FREEZE),
                       AccountProfile.new("a1"), _freeze())
    store.close()
    again = SqliteRiskStore(path)
    assert again.schema_version == 7
    assert again.freezes("a1") == [_freeze()]
    [entry] = again.audit_entries("a1")
    assert entry.action == "freeze.placed"
    assert entry.subject_id == "frz-e1"
    assert again.verify_audit_chain().intact
    again.database._db.execute("UPDATE audit_log SET detail = '{}'")
    assert not again.verify_audit_chain().intact
    again.close()


def test_profile_versions_refuse_a_stale_writer(store):
    profile, version = store.load_versioned("a1")
    assert (profile, version) == (None, 0)
    store.commit_score(_result("e1"), AccountProfile.new("a1"), None, 0)
    _, version = store.load_versioned("a1")
    assert version == 1
    with pytest.raises(ConcurrentUpdate):  # written against version 0, which is gone
        store.commit_score(_result("e2"), AccountProfile.new("a1"), None, 0)
    assert store.find_result("e2") is None
    store.commit_score(_result("e2"), AccountProfile.new("a1"), None, 1)
    assert store.load_versioned("a1")[1] == 2


def test_batches_are_all_or_nothing(store):
    store.commit_score(_result("e1"), AccountProfile.new("a1"), None, 0)
    batch = [(_result("e2"), AccountProfile.new("a1"), None),
             (_result("e3", account="a2"), AccountProfile.new("a2"), None)]
    assert not store.commit_batch(batch, {"a1": 0, "a2": 0})  # a1 is at version 1
    assert store.find_result("e3") is None
    assert store.commit_batch(batch, {"a1": 1, "a2": 0})
    assert store.find_result("e3") is not None
    again = [(_result("e3", account="a2"), AccountProfile.new("a2"), None)]
    assert not store.commit_batch(again, {"a2": 1})  # e3 is already stored


def test_a_remembered_answer_is_stored_once_and_touches_no_profile(store):
    """A fail-mode answer stored as the event's answer: read back, kept over a later commit
    of the same event_id, and no profile written or versioned."""
    from detectors.events import LoginEvent
    from service.domain.degraded import FailMode, not_in_time_result

    event = LoginEvent("late-1", "a9", 100.0, ip="192.0.2.1", device_id="d")
    late = not_in_time_result(event, FailMode.CLOSED, "m1", 100.0)
    assert store.remember_result(late) is late
    assert store.find_result("late-1") == late
    assert store.find_result("late-1").event == event
    assert store.load_versioned("a9") == (None, 0)
    assert store.commit_score(_result("late-1", "a9"), AccountProfile.new("a9"), None) == late
    assert store.load_versioned("a9") == (None, 0)
    store.commit_score(_result("e1"), AccountProfile.new("a1"), None)
    # An event_id already answered keeps its stored answer.
    assert store.remember_result(dataclasses.replace(late, event_id="e1")) == _result("e1")


def test_upgrading_an_older_database_re_chains_the_audit_trail(tmp_path):
    import sqlite3

    from service.storage.sqlite_schema import MIGRATIONS
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:4], start=1):  # the schema before redaction
        old.executescript(script)
        old.execute(f"PRAGMA user_version={number}")
    old.execute("INSERT INTO audit_log (at, actor, action, account_id, subject_id, detail, "
                "prev_hash, hash) VALUES (1, 'engine', 'freeze.placed', 'a1', 'f1', '{}', "
                "'x', 'y')")
    old.commit()
    old.close()
    upgraded = SqliteRiskStore(path)
    assert upgraded.schema_version == len(MIGRATIONS)
    check = upgraded.verify_audit_chain()
    assert check.intact
    assert check.entries == 1
    upgraded.close()


def test_replicas_opening_a_new_postgres_schema_together_all_start():
    """Several replicas started at once create the same schema and migrate it once."""
    from concurrent.futures import ThreadPoolExecutor

    from service.storage.postgres import PostgresDatabase
    from tests.backends import POSTGRES_URL, require_postgres, unique_name
    require_postgres()
    schema = unique_name()
    with ThreadPoolExecutor(max_workers=6) as pool:
        databases = list(pool.map(
            lambda _: PostgresDatabase(POSTGRES_URL, schema=schema, pool_size=1), range(6)))
    try:
        assert {database.schema_version for database in databases} == {
            databases[0].schema_version}
        assert databases[0].schema_version > 0
    finally:
        databases[0].drop_schema()
        for database in databases:
            database.close()


def test_an_accounts_results_page_newest_first_from_a_cursor(store):
    """account_results: only the account's results, newest first (event_id breaks a tie in
    scored_at), at most ``limit``, strictly before the cursor; batches and fail-mode answers
    included."""
    times = {"e1": 100.0, "e2": 300.0, "e3": 200.0, "e4": 300.0, "e5": 50.5}
    for event_id in ("e1", "e2", "e3"):
        store.commit_score(dataclasses.replace(_result(event_id), scored_at=times[event_id]),
                           AccountProfile.new("a1"), None)
    assert store.commit_batch([(dataclasses.replace(_result("e4"), scored_at=times["e4"]),
                                AccountProfile.new("a1"), None)])
    store.remember_result(dataclasses.replace(_result("e5"), scored_at=times["e5"]))
    store.commit_score(_result("other", "a2"), AccountProfile.new("a2"), None)
    newest = ["e4", "e2", "e3", "e1", "e5"]
    assert [r.event_id for r in store.account_results("a1", 10, None)] == newest
    assert store.account_results("a1", 10, None)[0] == store.find_result("e4")
    pages, before = [], None
    while True:
        page = store.account_results("a1", 2, before)
        pages.append([r.event_id for r in page])
        if len(page) < 2:
            break
        before = (page[-1].scored_at, page[-1].event_id)
    assert pages == [["e4", "e2"], ["e3", "e1"], ["e5"]]
    assert [r.event_id for r in store.account_results("a1", 10, (300.0, "e3"))] == [
        "e2", "e3", "e1", "e5"]
    assert store.account_results("nobody", 10, None) == []
    assert store.account_results("a1", 10, (50.5, "e5")) == []
