"""`acctguard calibrate` on a deployment's own stored risks (SQLite and PostgreSQL) and on an
event log: the asked shares reach CHALLENGE and FREEZE, confirmed fraud and failed step-ups are
left out, too little data is refused in one line, and the new artifact reloads into a running
server and scores under its own version."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import grpc
import numpy as np
import pytest
from click.testing import CliRunner, Result

from detectors.events import EventKind
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.recalibration import LABELLED_ATTACK, allowed_alerts, replayed_risks
from detectors.simulation import SimulationConfig, read_jsonl, simulate, write_jsonl
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.cli_calibrate import calibrate
from service.config import Settings
from service.domain.audit import AuditRecord
from service.domain.decisions import Decision, ScoreResult
from service.domain.feedback import ChallengeReport, ChallengeResult, Outcome, OutcomeReport
from service.rpc.converters import event_to_request
from service.storage.records import challenge_report_row
from service.storage.sql_database import SqlDatabase
from service.storage.sql_restore import SqlFreezeLedger
from service.storage.sql_risk import SqlRiskStore
from service.storage.sqlite_db import SqliteDatabase
from service.storage.stored_risks import describe_database_url
from tests.backends import POSTGRES_URL, require_postgres, unique_name
from tests.conftest import running_server

pytestmark = pytest.mark.e2e
VERSION = "m-test"


def _run(*args: str) -> Result:
    return CliRunner().invoke(calibrate, list(args))


def _at_or_above(risks: list[float], threshold: float) -> int:
    return sum(1 for r in risks if r >= threshold)


def _store_risks(database: SqlDatabase, kind: EventKind, risks: list[float],
                 version: str = VERSION, prefix: str = "", at: float = 1.8e9) -> list[str]:
    """Scored events as the engine commits them, one a second from ``at``; returns their
    event ids."""
    store = SqlRiskStore(database)
    tag = prefix or f"{kind}-{version}-{at:.0f}"
    ids = [f"{tag}-{i}" for i in range(len(risks))]
    scored = [(ScoreResult(event_id, f"acct-{i % 50}", kind, risk, Decision.ALLOW, (), (), "",
                           version, at + i), AccountProfile.new(f"acct-{i % 50}"), None)
              for i, (event_id, risk) in enumerate(zip(ids, risks, strict=True))]
    assert store.commit_batch(scored)
    return ids


def _report_fraud(database: SqlDatabase, event_ids: list[str]) -> None:
    ledger = SqlFreezeLedger(database)
    for event_id in event_ids:
        ledger.record_outcome(OutcomeReport(event_id, "acct", Outcome.CONFIRMED_FRAUD, 1.9e9,
                                            "risk-team"),
                              [AuditRecord.of(1.9e9, "risk-team", "outcome.reported", "acct",
                                              event_id)])


def _report_step_up(database: SqlDatabase, event_id: str, result: ChallengeResult,
                    learned: bool) -> None:
    report = ChallengeReport(event_id, "acct", result, "otp", 1.9e9, "gateway", learned)
    with database.transaction() as db:
        db.execute("INSERT INTO challenge_results (event_id, account_id, result, method, "
                   "reported_at, reported_by, learned, note) VALUES (:event_id, :account_id, "
                   ":result, :method, :reported_at, :reported_by, :learned, :note)",
                   challenge_report_row(report))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _sqlite(data_dir: Path) -> SqliteDatabase:
    return SqliteDatabase(Settings(data_dir=data_dir).database_path, synchronous="NORMAL")


def _calibration(path: Path) -> dict:
    return RiskModel.load(path).metadata["calibration"]


def test_stored_risks_set_thresholds_for_the_asked_shares(model_path, data_dir, tmp_path):
    """Stored with a model version whose events are ours; other versions' events, confirmed
    fraud and failed step-ups on untrusted devices do not count."""
    model = RiskModel.load(model_path)
    rng = np.random.default_rng(5)
    logins = rng.random(1_020).tolist()
    transfers = rng.random(600).tolist()
    database = _sqlite(data_dir)
    login_ids = _store_risks(database, EventKind.LOGIN, logins, model.version)
    _store_risks(database, EventKind.TRANSACTION, transfers, model.version)
    _store_risks(database, EventKind.LOGIN, [1.0] * 300, "another-model")
    by_risk = sorted(range(len(logins)), key=lambda i: -logins[i])
    fraud = [login_ids[i] for i in by_risk[:15]]  # the highest: they would move the thresholds
    _report_fraud(database, fraud)
    failed = [login_ids[i] for i in by_risk[15:20]]
    for event_id in failed:
        _report_step_up(database, event_id, ChallengeResult.FAILED, learned=True)
    # Reported but teaching nothing (a trusted device), or passed: these events count.
    _report_step_up(database, login_ids[by_risk[20]], ChallengeResult.ABANDONED, learned=False)
    _report_step_up(database, login_ids[by_risk[21]], ChallengeResult.PASSED, learned=True)
    database.close()

    out = tmp_path / "calibrated.npz"
    result = _run("--model", str(model_path), "--data-dir", str(data_dir), "--challenge-rate",
                  "10%", "--freeze-rate", "0.04", "--keep-missing-kinds", "--out", str(out))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    calibrated = RiskModel.load(out)
    assert answer["version"] == calibrated.version != model.version
    assert answer["kept_previous"] == ["account_change"]

    left_out = {login_ids[i] for i in by_risk[:20]}
    used = {EventKind.LOGIN: [r for i, r in enumerate(logins) if login_ids[i] not in left_out],
            EventKind.TRANSACTION: transfers}
    for kind, risks in used.items():
        thresholds = calibrated.kinds[kind].thresholds
        assert _at_or_above(risks, thresholds.challenge) == math.floor(0.10 * len(risks))
        assert _at_or_above(risks, thresholds.freeze) == math.floor(0.04 * len(risks))
    assert (calibrated.kinds[EventKind.ACCOUNT_CHANGE].thresholds
            == model.kinds[EventKind.ACCOUNT_CHANGE].thresholds)

    info = _calibration(out)
    assert info["source"] == {"data_dir": str(data_dir)}
    assert (info["challenge_rate"], info["freeze_rate"]) == (0.10, 0.04)
    assert info["kinds"]["login"]["events"] == 1_000
    assert info["kinds"]["login"]["left_out"] == {"confirmed_fraud": 15, "failed_step_up": 5}
    assert info["kinds"]["transaction"]["left_out"] == {}
    assert info["kinds"]["account_change"]["kept_previous"]
    assert info["previous_version"] == model.version
    assert info["previous_thresholds"]["login"]["freeze"] == (
        model.kinds[EventKind.LOGIN].thresholds.freeze)


def test_too_few_events_or_a_missing_kind_are_refused_in_one_line(model_path, data_dir,
                                                                   tmp_path):
    model = RiskModel.load(model_path)
    database = _sqlite(data_dir)
    _store_risks(database, EventKind.LOGIN, np.linspace(0, 1, 700).tolist(), model.version)
    _store_risks(database, EventKind.TRANSACTION, np.linspace(0, 1, 450).tolist(),
                 model.version)
    database.close()
    out = tmp_path / "calibrated.npz"
    base = ["--model", str(model_path), "--data-dir", str(data_dir), "--out", str(out)]

    refused = _run(*base, "--challenge-rate", "10%", "--freeze-rate", "4%",
                   "--keep-missing-kinds")
    assert refused.exit_code == 1
    assert refused.output == ("Error: not calibrated: transaction has 450 events, 500 needed "
                              "for a 4% freeze rate (at least 20 expected at or above "
                              "FREEZE)\n")
    assert not out.exists()

    missing = _run(*base, "--challenge-rate", "10%", "--freeze-rate", "5%")
    assert missing.exit_code == 1
    assert missing.output.count("\n") == 1
    assert "account_change has no events (--keep-missing-kinds keeps its thresholds)" in (
        missing.output)
    assert "Traceback" not in missing.output
    assert not out.exists()

    other = tmp_path / "other.npz"
    RiskModel("never-served", model.kinds, model.metadata).save(other)
    unused = _run("--model", str(other), "--data-dir", str(data_dir), "--out", str(out),
                  "--challenge-rate", "10%", "--freeze-rate", "5%")
    assert unused.exit_code == 1
    assert "no events scored by model never-served" in unused.output
    assert f"{model.version} (1,150)" in unused.output


def test_since_leaves_out_a_backfill_scored_before_it(model_path, data_dir, tmp_path):
    model = RiskModel.load(model_path)
    live_from = 1.9e9
    database = _sqlite(data_dir)
    # A backfill of cold profiles (here: saturated risks) would make the budget impossible.
    _store_risks(database, EventKind.LOGIN, [1.0] * 300, model.version, at=1.8e9)
    live = np.random.default_rng(2).random(800).tolist()
    _store_risks(database, EventKind.LOGIN, live, model.version, at=live_from)
    database.close()
    base = ["--model", str(model_path), "--data-dir", str(data_dir), "--challenge-rate", "10%",
            "--freeze-rate", "5%", "--keep-missing-kinds"]

    everything = _run(*base, "--out", str(tmp_path / "all.npz"))
    assert everything.exit_code == 1
    assert "no threshold puts 10% of them at or above it" in everything.output

    out = tmp_path / "live.npz"
    result = _run(*base, "--since", "2030-03-17T17:46:40", "--out", str(out))  # = live_from
    assert result.exit_code == 0, result.output
    thresholds = RiskModel.load(out).kinds[EventKind.LOGIN].thresholds
    assert _at_or_above(live, thresholds.challenge) == 80
    assert _at_or_above(live, thresholds.freeze) == 40
    info = _calibration(out)
    assert info["source"]["since"] == "2030-03-17T17:46:40+00:00"
    assert info["kinds"]["login"]["events"] == 800

    later = _run(*base, "--since", "2031-01-01", "--out", str(out))
    assert later.exit_code == 1
    assert "since 2031-01-01T00:00:00+00:00" in later.output
    bad = _run(*base, "--since", "last week", "--out", str(out))
    assert bad.exit_code == 2
    assert "'last week' is not a date or time" in bad.output


@pytest.mark.parametrize(("args", "message"), [
    (["--challenge-rate", "1%", "--freeze-rate", "0.1%"],
     "give exactly one of --data-dir, --database-url, --events"),
    (["--data-dir", "d", "--events", "e.jsonl", "--challenge-rate", "1%", "--freeze-rate",
      "0.1%"], "give exactly one of"),
    (["--data-dir", "d", "--challenge-rate", "half", "--freeze-rate", "0.1%"],
     "'half' is not a rate such as 0.5% or 0.005"),
    (["--data-dir", "d", "--challenge-rate", "1%", "--freeze-rate", "2%"],
     "the freeze rate (2%) is above the challenge rate (1%)"),
    (["--data-dir", "nowhere", "--challenge-rate", "1%", "--freeze-rate", "0.1%"],
     "no database at nowhere/acctguard.sqlite3"),
])
def test_bad_arguments_are_refused_without_a_traceback(model_path, tmp_path, monkeypatch, args,
                                                       message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.jsonl").write_text("")
    result = _run("--model", str(model_path), "--out", "m.npz", *args)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "nowhere").exists()  # nothing created where nothing was


def test_postgres_risks_and_no_password_in_the_artifact(model_path, tmp_path):
    require_postgres()
    from service.storage.postgres import PostgresDatabase

    model = RiskModel.load(model_path)
    schema = unique_name()
    database = PostgresDatabase(POSTGRES_URL, schema=schema)
    try:
        rng = np.random.default_rng(9)
        risks = {kind: rng.random(520).tolist() for kind in EventKind}
        ids = {kind: _store_risks(database, kind, values, model.version)
               for kind, values in risks.items()}
        _report_fraud(database, ids[EventKind.TRANSACTION][:20])
        out = tmp_path / "calibrated.npz"
        result = _run("--model", str(model_path), "--database-url", POSTGRES_URL,
                      "--database-schema", schema, "--challenge-rate", "10%",
                      "--freeze-rate", "4%", "--out", str(out))
        assert result.exit_code == 0, result.output
    finally:
        database.drop_schema()
        database.close()
    calibrated = RiskModel.load(out)
    for kind, values in risks.items():
        kept = values[20:] if kind is EventKind.TRANSACTION else values
        assert (_at_or_above(kept, calibrated.kinds[kind].thresholds.freeze)
                == math.floor(0.04 * len(kept)))
    info = _calibration(out)
    assert info["source"]["schema"] == schema
    assert info["source"]["database"]["dbname"] == "test"
    assert info["kinds"]["transaction"]["left_out"] == {"confirmed_fraud": 20}
    where = describe_database_url("postgresql://ops:s3cret@db.internal:5433/bank"
                                  "?sslmode=require&password=other")
    assert where == {"host": "db.internal", "port": "5433", "dbname": "bank", "user": "ops"}
    assert "s3cret" not in json.dumps(where)
    assert "other" not in json.dumps(where)


def test_an_event_log_is_replayed_and_its_labelled_attacks_left_out(model_path, tmp_path):
    model = RiskModel.load(model_path)
    stream = [item for item in simulate(SimulationConfig(accounts=150, days=14, seed=21,
                                                         attack_rate=0.1))
              if item.event.kind is not EventKind.ACCOUNT_CHANGE]
    log = tmp_path / "events.jsonl"
    write_jsonl(stream, log)
    out = tmp_path / "calibrated.npz"
    result = _run("--model", str(model_path), "--events", str(log), "--challenge-rate", "20%",
                  "--freeze-rate", "5%", "--keep-missing-kinds", "--out", str(out))
    assert result.exit_code == 0, result.output
    calibrated = RiskModel.load(out)
    info = _calibration(out)
    assert info["source"] == {"events": str(log)}
    replayed = replayed_risks(read_jsonl(log), model)
    for kind in (EventKind.LOGIN, EventKind.TRANSACTION):
        honest = sum(1 for i in stream if i.event.kind is kind and not i.label.is_attack)
        attacks = sum(1 for i in stream if i.event.kind is kind and i.label.is_attack)
        assert info["kinds"][str(kind)]["events"] == honest
        assert info["kinds"][str(kind)]["left_out"] == {LABELLED_ATTACK: attacks}
        risks = replayed[kind].highest.tolist()
        thresholds = calibrated.kinds[kind].thresholds
        for rate, threshold in ((0.20, thresholds.challenge), (0.05, thresholds.freeze)):
            count = _at_or_above(risks, threshold)
            # Never above the budget; below it only by events tied at the boundary.
            assert 0.9 * allowed_alerts(honest, rate) <= count <= allowed_alerts(honest, rate)


def test_calibrated_from_a_running_servers_traffic_and_reloaded(model_path, tmp_path):
    """Audit mode, as a rollout runs: score simulated traffic, confirm some fraud, calibrate
    from the live database, reload the artifact, and see events scored under its version."""
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp_path / "data",
                        model_path=model_path, sqlite_synchronous="NORMAL", mode="audit")
    stream = [item.event for item in simulate(SimulationConfig(accounts=120, days=10, seed=31,
                                                               attack_rate=0.05))
              if item.event.kind is not EventKind.ACCOUNT_CHANGE]
    out = tmp_path / "calibrated.npz"
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        guard, admin = rpc.AccountGuardStub(channel), rpc.AccountGuardAdminStub(channel)
        before = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).version
        replies = guard.ScoreBatch(pb.ScoreBatchRequest(
            requests=[event_to_request(e) for e in stream]), timeout=60).responses
        assert {r.model_version for r in replies} == {before}
        riskiest = sorted(zip(replies, stream, strict=True), key=lambda pair: -pair[0].risk)
        fraud = [event for _, event in riskiest
                 if event.kind is EventKind.TRANSACTION][:8]
        for event in fraud:
            guard.ReportOutcome(pb.ReportOutcomeRequest(event_id=event.event_id,
                                                        outcome=pb.CONFIRMED_FRAUD), timeout=5)

        result = _run("--model", str(model_path), "--data-dir", str(settings.data_dir),
                      "--challenge-rate", "20%", "--freeze-rate", "5%", "--keep-missing-kinds",
                      "--out", str(out))
        assert result.exit_code == 0, result.output
        info = admin.ReloadModel(pb.ReloadModelRequest(path=str(out)), timeout=30)
        calibrated = RiskModel.load(out)
        assert info.version == calibrated.version != before
        described = json.loads(admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).source)
        assert described["calibration"]["previous_version"] == before
        assert described["thresholds"]["login"]["freeze"] == (
            calibrated.kinds[EventKind.LOGIN].thresholds.freeze)
        after = guard.Score(event_to_request(replace(stream[-1], event_id="after-reload")),
                            timeout=5)
        assert after.model_version == calibrated.version

    fraud_ids = {event.event_id for event in fraud}
    with sqlite3.connect(settings.database_path) as raw:
        rows = raw.execute("SELECT event_id, kind, risk FROM scored_events WHERE "
                           "model_version = ?", (before,)).fetchall()
    meta = calibrated.metadata["calibration"]
    assert meta["kinds"]["transaction"]["left_out"] == {"confirmed_fraud": len(fraud)}
    for kind in (EventKind.LOGIN, EventKind.TRANSACTION):
        risks = [risk for event_id, k, risk in rows
                 if k == str(kind) and event_id not in fraud_ids]
        assert meta["kinds"][str(kind)]["events"] == len(risks)
        thresholds = calibrated.kinds[kind].thresholds
        for rate, threshold, key in ((0.20, thresholds.challenge, "at_or_above_challenge"),
                                     (0.05, thresholds.freeze, "at_or_above_freeze")):
            count = _at_or_above(risks, threshold)
            assert count == meta["kinds"][str(kind)][key]
            assert 0.9 * allowed_alerts(len(risks), rate) <= count <= allowed_alerts(
                len(risks), rate)

    again = _run("--model", str(out), "--data-dir", str(settings.data_dir), "--challenge-rate",
                 "20%", "--freeze-rate", "5%", "--keep-missing-kinds", "--out",
                 str(tmp_path / "again.npz"))
    assert again.exit_code == 1  # the new version scored one event so far
    assert f"{stream[-1].kind} has 1 event, 400 needed" in again.output
