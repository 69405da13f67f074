"""Outcomes reach `train` and `eval`; `audit verify` finds a tampered trail."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from detectors.events import CreditFeature, EventKind
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from detectors.simulation import read_jsonl
from service.cli import main
from service.domain.audit import AuditRecord
from service.domain.decisions import Decision, ScoreResult
from service.domain.feedback import Outcome, OutcomeReport
from service.domain.freezes import Freeze
from service.evaluation.outcomes import REPORTED_FRAUD, read_outcomes, relabel, write_outcomes
from service.storage.sql_restore import SqlFreezeLedger
from service.storage.sqlite import SqliteRiskStore

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records") / "events.jsonl"
    result = CliRunner().invoke(main, ["simulate", "--out", str(path), "--accounts", "400",
                                       "--days", "14", "--seed", "3", "--attack-rate", "0.2"])
    assert result.exit_code == 0, result.output
    return path


def _one_of_each(events_file: Path) -> tuple[str, str]:
    honest = attack = ""
    for item in read_jsonl(events_file):
        if item.label.is_attack and not attack:
            attack = item.event.event_id
        if not item.label.is_attack and not honest:
            honest = item.event.event_id
    return honest, attack


def test_outcomes_relabel_events_for_train_and_eval(events_file, tmp_path):
    honest, attack = _one_of_each(events_file)
    outcomes = tmp_path / "outcomes.jsonl"
    write_outcomes([OutcomeReport(honest, "acct", Outcome.CONFIRMED_FRAUD, 1.0, "ops"),
                    OutcomeReport(attack, "acct", Outcome.CONFIRMED_LEGITIMATE, 2.0, "ops")],
                   outcomes)
    reported = read_outcomes(outcomes)
    relabelled = {i.event.event_id: i.label for i in relabel(read_jsonl(events_file), reported)}
    assert relabelled[honest].is_attack
    assert relabelled[honest].scenario == REPORTED_FRAUD
    assert not relabelled[attack].is_attack

    model_path = tmp_path / "model.npz"
    runner = CliRunner()
    trained = runner.invoke(main, ["train", "--out", str(model_path), "--events",
                                   str(events_file), "--outcomes", str(outcomes)])
    assert trained.exit_code == 0, trained.output
    source = RiskModel.load(model_path).metadata["source"]
    assert source["outcomes"]["reported"] == 2
    evaluated = runner.invoke(main, ["eval", "--model", str(model_path), "--events",
                                     str(events_file), "--outcomes", str(outcomes),
                                     "--out-dir", str(tmp_path / "eval")])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert report["data"]["source"]["outcomes"]["reported"] == 2
    assert report["data"]["events_by_scenario"][REPORTED_FRAUD] == 1


def test_bad_outcomes_file_is_a_clear_error(events_file, tmp_path):
    outcomes = tmp_path / "outcomes.jsonl"
    outcomes.write_text('{"event_id": "e", "outcome": "MAYBE"}\n')
    result = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "m.npz"), "--events",
                                       str(events_file), "--outcomes", str(outcomes)])
    assert result.exit_code != 0
    assert "outcomes.jsonl:1" in result.output


def _freeze(event_id: str) -> tuple[ScoreResult, Freeze]:
    reason = Reason(ReasonCode.NEW_DEVICE, "new device", 1.0)
    freeze = Freeze(f"frz-{event_id}", "a1", event_id, (CreditFeature.PAYMENT,), (reason,),
                    0.99, 100.0, 200.0)
    result = ScoreResult(event_id, "a1", EventKind.LOGIN, 0.99, Decision.FREEZE, (reason,),
                         (CreditFeature.PAYMENT,), freeze.freeze_id, "m1", 100.0)
    return result, freeze


def test_audit_verify_and_outcomes_export(tmp_path):
    data_dir = tmp_path / "data"
    store = SqliteRiskStore(data_dir / "acctguard.sqlite3")
    for event_id in ("e1", "e2"):
        result, freeze = _freeze(event_id)
        store.commit_score(result, AccountProfile.new("a1"), freeze)
    ledger = SqlFreezeLedger(store.database)
    ledger.record_outcome(OutcomeReport("e1", "a1", Outcome.CONFIRMED_FRAUD, 150.0, "ops"),
                          [AuditRecord.of(150.0, "ops", "outcome.reported", "a1", "e1")])
    store.close()
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--data-dir", str(data_dir)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == {"intact": True, "entries": 3, "first_bad_sequence": None}
    exported = runner.invoke(main, ["outcomes", "export", "--data-dir", str(data_dir),
                                    "--out", str(tmp_path / "o.jsonl")])
    assert exported.exit_code == 0, exported.output
    assert read_outcomes(tmp_path / "o.jsonl") == {"e1": Outcome.CONFIRMED_FRAUD}
    with sqlite3.connect(data_dir / "acctguard.sqlite3") as raw:
        raw.execute("DELETE FROM audit_log WHERE seq = 2")
    broken = runner.invoke(main, ["audit", "verify", "--data-dir", str(data_dir)])
    assert broken.exit_code == 1
    assert json.loads(broken.output)["first_bad_sequence"] == 3
