"""acctguard against plain PyOD baselines on public data (short mode), and the compiled
evaluators against PyOD on ADBench's KDD Cup 99 files.

Skipped, with the reason, when the data directory (``<repo>/../shared/data``) is absent.

Bars, from measurements (scripts/eval_public_data.py; seed 7 unless stated):

* Fraud handbook, overall ROC-AUC: acctguard beats the better raw-column baseline (IForest) in
  the full run (+0.03 for both fits) and in this short mode (+0.016 unlabelled fit, +0.020
  genuine-only fit; seeds 1-3: +0.02 to +0.04). So the test asserts a win, with no margin.
  The difference is noisy: 55% of the frauds are scenario 2 (compromised terminals), which no
  method sees (ROC-AUC 0.49-0.51), and ~600 of them give each method's AUC a standard error
  of ~0.007.
* Scenario 3 (compromised customer, amounts x5: the account-takeover-like one): acctguard's
  per-account amount features win by +0.07 to +0.17 in the short mode over four seeds and by
  +0.12 in the full run; the test asks for +0.05.
* Scenario 1 (amount > 220, a global rule) is where acctguard loses (~0.94 against ~0.999):
  its amount features are relative to the account only. Not asserted; see the report.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.evaluation.public_data import (
    DEFAULT_DATA_DIR,
    FRAUD_DIR,
    KDD_DIR,
    evaluate_public_data,
)

pytestmark = pytest.mark.slow

ACCTGUARD = ("acctguard_honest_fit:ensemble", "acctguard_unlabelled_fit:ensemble")
BASELINES = ("pyod_raw:iforest", "pyod_raw:ecod")
SCENARIO_3_WIN = 0.05
# The compiled evaluators equal PyOD's single-row decision_function to 1e-9 relative.
WIRING_TOL = 1e-9
# ECOD's fit scores rank each row among n rows; the compiled evaluator (PyOD's single-row
# decision_function) among n + 1: measured AUC gaps 1.8e-6 (smtp) and 1.8e-5 (http, 100k rows).
ECOD_FIT_SCORE_GAP = 1e-4
# Published ADBench ROC-AUCs are quoted from memory (about ±0.02), ADBench scores a test split.
PUBLISHED_TOL = 0.05


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    missing = [d for d in (FRAUD_DIR, KDD_DIR) if not (DEFAULT_DATA_DIR / d).is_dir()]
    if missing:
        pytest.skip(f"public data not available: {', '.join(missing)} missing under "
                    f"{DEFAULT_DATA_DIR} (see the READMEs there)")
    return evaluate_public_data(DEFAULT_DATA_DIR, quick=True)


@pytest.fixture(scope="module")
def fraud(result: dict[str, Any]) -> dict[str, Any]:
    part: dict[str, Any] = result["fraud_handbook"]
    assert "skipped" not in part, part
    return part


def _best_baseline(methods: dict[str, Any], metric: str, scenario: str | None = None) -> float:
    if scenario is None:
        return max(float(methods[b][metric]) for b in BASELINES)
    return max(float(methods[b][metric][scenario]) for b in BASELINES)


def test_fraud_split_is_by_time(fraud: dict[str, Any]) -> None:
    assert fraud["train_period"] == ["2018-04-01", "2018-06-20"]
    assert fraud["test_period"] == ["2018-06-21", "2018-07-31"]
    assert fraud["train_rows"] + fraud["test_rows"] == fraud["rows"] <= 300_000
    assert all(n > 50 for n in fraud["test_frauds_by_scenario"].values())


@pytest.mark.parametrize("method", ACCTGUARD)
def test_acctguard_beats_the_better_plain_baseline(fraud: dict[str, Any], method: str) -> None:
    methods = fraud["methods"]
    assert methods[method]["roc_auc"] > _best_baseline(methods, "roc_auc"), methods


@pytest.mark.parametrize("method", ACCTGUARD)
def test_acctguard_wins_on_compromised_customers(fraud: dict[str, Any], method: str) -> None:
    methods = fraud["methods"]
    ours = methods[method]["roc_auc_by_scenario"]["3"]
    assert ours >= _best_baseline(methods, "roc_auc_by_scenario", "3") + SCENARIO_3_WIN, methods


def _kdd_detectors(result: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    kdd = result["kdd99"]
    assert "skipped" not in kdd, kdd
    found = [(name, detector, values) for name, part in kdd.items() if name != "dataset"
             for detector, values in part["detectors"].items()]
    assert {name for name, _, _ in found} == {"16_http", "34_smtp"}
    return found


def test_compiled_evaluators_agree_with_pyod_on_kdd99(result: dict[str, Any]) -> None:
    for name, detector, d in _kdd_detectors(result):
        check = d["single_row"]
        assert check["max_rel_diff"] <= WIRING_TOL, (name, detector, check)
        assert check["roc_auc_compiled"] == pytest.approx(check["roc_auc_pyod"], abs=WIRING_TOL)
        gap = ECOD_FIT_SCORE_GAP if detector == "ecod" else WIRING_TOL
        assert d["abs_diff"] <= gap, (name, detector, d)


def test_kdd99_roc_auc_in_the_published_ballpark(result: dict[str, Any]) -> None:
    for name, detector, d in _kdd_detectors(result):
        published = d["published_roc_auc_approx"]
        assert d["roc_auc_pyod"] == pytest.approx(published, abs=PUBLISHED_TOL), (name, detector)
