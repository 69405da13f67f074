"""A short seeded evaluation on the stress population with the session's real model: the
honest account-days and events of each persona are exactly the recorded ones (the simulator
is deterministic), no persona's false freezes rise above the recorded count, the personas add up
to the overall false alarms, and attack recall per scenario is reported on the same run.

The recorded table is ``stress_baseline.json`` beside this file. After a deliberate change to
the model, features or policy, regenerate it with::

    ACCTGUARD_UPDATE_STRESS_BASELINE=1 .venv/bin/pytest tests/e2e/test_stress_evaluation.py

and commit it with the change that moved the figures (the diff shows which personas moved).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from detectors.model import RiskModel
from detectors.simulation import SimulationConfig, read_jsonl, simulate
from detectors.simulation.stress import STRESS_PERSONAS
from service.evaluation import evaluate
from service.evaluation.personas import persona_lines
from tests.e2e.serve_process import ACCTGUARD

pytestmark = [pytest.mark.slow]

# 50 accounts per persona for three weeks; with the session model (tests/conftest.py, trained
# without a test split) every account is evaluated.
STRESS = SimulationConfig(accounts=550, days=21, seed=13, attack_rate=0.1, population="stress")
BASELINE = Path(__file__).with_name("stress_baseline.json")
UPDATE_VARIABLE = "ACCTGUARD_UPDATE_STRESS_BASELINE"
REGENERATE = f"{UPDATE_VARIABLE}=1 .venv/bin/pytest tests/e2e/test_stress_evaluation.py"


@pytest.fixture(scope="module")
def report(model_path: Path) -> dict[str, Any]:
    return evaluate(simulate(STRESS), RiskModel.load(model_path), source={"test": "stress"})


def _recorded(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "comment": f"Per-persona figures of tests/e2e/test_stress_evaluation.py (the session "
                   f"model of tests/conftest.py on {STRESS.accounts} stress accounts, "
                   f"{STRESS.days} days, seed {STRESS.seed}, attack rate {STRESS.attack_rate}). "
                   f"The test fails when a persona's false freezes rise above these. "
                   f"Regenerate after a deliberate model or policy change: {REGENERATE}",
        "model": report["model"]["version"],
        "personas": {name: {"honest_account_days": row["honest_account_days"],
                            "honest_events": row["honest_events"],
                            "false_freezes": row["false_freezes"]}
                     for name, row in report["personas"].items()},
    }


def _table(report: dict[str, Any]) -> str:
    return "\n".join(persona_lines(report["personas"]))


def test_per_persona_false_freezes_stay_within_the_recorded_table(report):
    if os.environ.get(UPDATE_VARIABLE) == "1":
        BASELINE.write_text(json.dumps(_recorded(report), indent=2) + "\n")
    recorded = json.loads(BASELINE.read_text())["personas"]
    measured = report["personas"]
    assert list(measured) == list(STRESS_PERSONAS), _table(report)
    stream = {name: (row["honest_account_days"], row["honest_events"])
              for name, row in measured.items()}
    assert stream == {name: (row["honest_account_days"], row["honest_events"])
                      for name, row in recorded.items()}, (
        f"the stress stream changed; regenerate the table: {REGENERATE}\n{_table(report)}")
    risen = {name: (row["false_freezes"], recorded[name]["false_freezes"])
             for name, row in measured.items()
             if row["false_freezes"] > recorded[name]["false_freezes"]}
    assert not risen, (f"false freezes above the recorded count (measured, recorded): {risen}\n"
                       f"{_table(report)}\nafter a deliberate change: {REGENERATE}")


def test_personas_add_up_to_the_overall_false_alarms(report):
    alarms, rows = report["false_alarms"], report["personas"].values()
    assert sum(row["honest_accounts"] for row in rows) == alarms["honest_accounts"]
    assert sum(row["honest_events"] for row in rows) == alarms["honest_events"]
    assert sum(row["false_freezes"] for row in rows) == alarms["freezes"]
    assert sum(row["false_challenges"] for row in rows) == alarms["challenges"]
    assert (sum(row["honest_events_refused_by_a_freeze"] for row in rows)
            == alarms["honest_events_refused_by_a_freeze"])
    assert sum(row["false_refreezes"] for row in rows) == report["trust_loop"]["refreezes"]
    total_days = alarms["honest_accounts"] * alarms["days"]
    assert sum(row["honest_account_days"] for row in rows) == pytest.approx(total_days, abs=1.0)
    for row in rows:
        assert 0.0 <= row["honest_events_not_allowed_share"] <= 1.0


def test_attack_recall_per_scenario_is_reported_on_the_same_run(report):
    scenarios = report["scenarios"]
    assert len(scenarios) >= 8
    assert all(row["instances"] > 0 and row["recall_challenge"] is not None
               for row in scenarios.values())
    assert report["scenarios"]["account_takeover"]["recall_challenge"] >= 0.9


def test_simulate_and_eval_commands_take_the_population(tmp_path, model_path):
    events = tmp_path / "stress.jsonl"
    run = subprocess.run([str(ACCTGUARD), "simulate", "--out", str(events), "--accounts", "33",
                          "--days", "4", "--population", "stress"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert {item.label.persona for item in read_jsonl(events)} == set(STRESS_PERSONAS)
    out = tmp_path / "eval"
    run = subprocess.run([str(ACCTGUARD), "eval", "--model", str(model_path), "--out-dir",
                          str(out), "--accounts", "110", "--days", "7", "--population",
                          "stress"], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    written = json.loads((out / "report.json").read_text())
    assert written["data"]["source"]["simulator"]["population"] == "stress"
    assert list(written["personas"]) == list(STRESS_PERSONAS)
    assert "false alarms of honest customers by persona" in run.stdout
    assert "typo_prone" in run.stdout
