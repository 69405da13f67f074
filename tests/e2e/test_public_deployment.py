"""The public card data as a deployment runs acctguard on it, in the short mode: an unlabelled
history log trains the transaction model (the other kinds from the base model), a server in
audit mode backfills it, `acctguard calibrate` sets the thresholds from the stored risks, and a
server on the calibrated model answers the replayed days over ScoreBatch.

Skipped, with the reason, when the data directory (``<repo>/../shared/data``) is absent. The
report's fields and the sanity of their values are checked, not the targets: those are for the
full run (scripts/eval_public_data.py --mode deployment, docs/evaluation.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from detectors.model import RiskModel
from service.evaluation.public_data import DEFAULT_DATA_DIR, FRAUD_DIR, FRAUD_FILE
from service.evaluation.public_deployment import QUICK, evaluate_deployment
from service.evaluation.public_deployment_report import deployment_report

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
# Wiring, not a target: a server on the wrong model or thresholds flags far more than this.
SANE_HONEST_SHARE = 5 * QUICK.challenge_rate


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deployment")


@pytest.fixture(scope="module")
def result(work_dir: Path, model_path: Path) -> dict[str, Any]:
    if not (DEFAULT_DATA_DIR / FRAUD_DIR / FRAUD_FILE).is_file():
        pytest.skip(f"public data not available: {FRAUD_DIR}/{FRAUD_FILE} missing under "
                    f"{DEFAULT_DATA_DIR} (see the README there)")
    found = evaluate_deployment(DEFAULT_DATA_DIR, work_dir, QUICK, base_model=model_path)
    assert "skipped" not in found, found
    return found


def _log_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_periods_and_a_few_thousand_rows(result):
    assert result["history_period"] == list(QUICK.history)
    assert result["replay_period"] == list(QUICK.replay)
    assert 1_000 <= result["history_rows"] <= 10_000
    assert 300 <= result["replay_rows"] <= result["history_rows"]
    assert result["customers_sampled"]


def test_trained_on_transactions_with_the_rest_from_the_base(result, model_path):
    training = result["training"]
    assert training["trained_kinds"] == ["transaction"]
    assert training["base_kinds"] == ["login", "account_change"]
    assert training["base_model_version"] == RiskModel.load(model_path).version
    assert training["console"][0] == (f"trained on this log: transaction "
                                      f"({result['history_rows']:,} events)")


def test_calibrated_on_the_backfill_and_served(result, work_dir):
    calibration = result["calibration"]
    trained = RiskModel.load(work_dir / "trained.npz").version
    assert calibration["previous_version"] == trained
    assert calibration["events"]["transaction"] == result["history_rows"]
    assert sorted(calibration["kept_previous"]) == ["account_change", "login"]
    assert result["served_versions"] == {"backfill": [trained],
                                         "replay": [calibration["version"]]}


def test_servers_were_on_loopback_and_stopped(result, work_dir):
    # ``result`` runs the deployment (or skips when the data is absent) before the logs are read.
    for name in ("serve-backfill.log", "serve-replay.log"):
        lines = _log_events(work_dir / name)
        serving = [line for line in lines if line.get("event") == "serving"]
        assert len(serving) == 1
        assert serving[0]["listen"] == "127.0.0.1:0"
        assert lines[-1]["event"] == "stopped"


def test_report_fields_and_sane_values(result):
    m = result["replay_metrics"]
    assert m["events"] == result["replay_rows"] == sum(m["decisions"].values())
    frauds = result["replay_frauds_by_scenario"]
    assert m["honest_events"] == m["events"] - sum(frauds.values())
    assert 0.0 < m["thresholds"]["challenge"] <= m["thresholds"]["freeze"] <= 1.0
    assert 0.0 <= m["risk_at_fpr_0.01"] <= 1.0
    assert m["calibrated_budget"] == {"challenge_or_freeze": QUICK.challenge_rate,
                                      "freeze": QUICK.freeze_rate}
    for share in (*m["honest_flagged"].values(), *m["honest_risk_at_or_above"].values()):
        assert 0.0 <= share <= SANE_HONEST_SHARE
    assert set(m["honest_within_budget"]) == {"challenge_or_freeze", "freeze"}
    assert set(m["by_scenario"]) == {"1", "2", "3"}
    for scenario, caught in [*m["by_scenario"].items(), ("all", m["all_frauds"])]:
        expected = sum(frauds.values()) if scenario == "all" else frauds[scenario]
        assert caught["frauds"] == expected
        for key in ("recall_challenge_or_freeze", "recall_freeze", "recall_at_fpr_0.01"):
            value = caught[key]
            assert value is None if expected == 0 else 0.0 <= value <= 1.0, (scenario, key)
        assert caught["recall_freeze"] is None or (
            caught["recall_freeze"] <= caught["recall_challenge_or_freeze"])


def test_report_renders(result):
    text = deployment_report(result, quick=True)
    assert "deployment mode" in text
    assert "| 3 compromised customer |" in text
    assert "| calibrated budget | 5% | 1% |" in text
