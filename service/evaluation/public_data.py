"""acctguard next to plain PyOD baselines, on public data nobody here generated.

Two data sets, each described by the README in its folder under the data directory
(default ``<repo>/../shared/data``):

* ``fraud_handbook_sim``: simulated card transactions with fraud labels, from the *Reproducible
  Machine Learning for Credit Card Fraud Detection* handbook (Le Borgne et al., 2022). Every row
  becomes a :class:`~detectors.events.TransactionEvent` and goes through the service's own
  profile and feature code (:func:`detectors.training.replay`); the transaction model is fitted
  on the first ~2/3 of the period exactly as :func:`detectors.training.fit_kind` fits it, and
  scored on the last ~1/3, next to PyOD IForest and ECOD fitted on the raw columns.
* ``adbench_kdd99``: ADBench's KDD Cup 99 ``http`` and ``smtp``. PyOD HBOS, ECOD and IForest
  are fitted unsupervised; the ROC-AUC of PyOD's own scores is compared with that of the
  compiled evaluators built from the same fitted models, which checks our wiring.

Every part answers ``{"skipped": reason}`` when its files are missing. Nothing here prints or
writes: ``scripts/eval_public_data.py`` turns the result into a table.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.compiled import compile_detector
from detectors.events import CreditFeature, EventKind, TransactionEvent
from detectors.features import feature_schema
from detectors.model import KindModel, apply_priors
from detectors.simulation import Label, LabelledEvent
from detectors.training import KindTable, TrainingConfig, fit_kind, replay

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
Result = dict[str, Any]

# ACCTGUARD_PUBLIC_DATA points elsewhere when the checkout does not sit beside shared/.
DEFAULT_DATA_DIR = Path(os.environ.get(
    "ACCTGUARD_PUBLIC_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))

FRAUD_DIR = "fraud_handbook_sim"
FRAUD_FILE = "transactions_dev_2018-04_to_2018-07.csv.gz"
FRAUD_COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT",
                 "TX_FRAUD", "TX_FRAUD_SCENARIO")
FRAUD_SCENARIOS = (1, 2, 3)
# The handbook's scenarios: 1 amount > 220; 2 compromised terminal (all its transactions for 28
# days); 3 compromised customer (a third of its transactions for 14 days, amount x5).
TRAIN_SHARE = 2.0 / 3.0
# What a baseline sees of a row. TX_AMOUNT and the time of day are the only raw measurements:
# CUSTOMER_ID and TERMINAL_ID are nominal codes (4,986 and 10,000 levels) whose numeric order
# means nothing, TRANSACTION_ID is a sequence number (the test period lies entirely beyond the
# training range), and the date is what we split on. Aggregates (a customer's usual amount,
# a terminal's recent activity) are engineered features, i.e. what acctguard brings.
RAW_COLUMNS = ("TX_AMOUNT", "hour_of_day")
BASELINES = ("iforest", "ecod")
# PyOD's ECOD scores a batch by ranking it together with its whole training matrix, so scoring
# is O(n_train) per call and a big batch shifts the ranks of the others: the baselines train on
# a subsample and score in chunks small next to it (2%).
BASELINE_TRAIN_ROWS = 50_000
BASELINE_CHUNK_ROWS = 1_000
FPR_TARGETS = (0.001, 0.01)
QUICK_FRAUD_ROWS = 300_000

KDD_DIR = "adbench_kdd99"
KDD_DATASETS = ("16_http", "34_smtp")
KDD_DETECTORS = ("hbos", "ecod", "iforest")
QUICK_KDD_ROWS = 100_000
# PyOD's ECOD costs O(n) per single-row call (~0.1-0.4 s on these files): few rows suffice.
SINGLE_ROW_CHECKS = 100
QUICK_SINGLE_ROW_CHECKS = 20
# ROC-AUC published for these data sets, quoted from memory and approximate (about ±0.02):
# ADBench (Han et al., "ADBench: Anomaly Detection Benchmark", NeurIPS 2022), unsupervised
# setting, PyOD defaults; ECOD's own paper (Li et al., TKDE 2022) gives about the same ECOD
# values (http ~0.98, smtp ~0.88). ADBench scores a 30% test split; we fit and score all rows.
PUBLISHED_ROC_AUC: dict[str, dict[str, float]] = {
    "16_http": {"hbos": 0.99, "ecod": 0.98, "iforest": 1.00},
    "34_smtp": {"hbos": 0.81, "ecod": 0.88, "iforest": 0.90},
}

DAY = 86_400.0
HOUR = 3_600.0


# --- the fraud handbook's transactions ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CardTransactions:
    """The handbook's columns as arrays, in time order; ``occurred_at`` in UTC epoch seconds."""

    transaction_id: Ints
    occurred_at: Floats
    customer_id: Ints
    terminal_id: Ints
    amount: Floats
    fraud: Bools
    scenario: Ints

    def __len__(self) -> int:
        return int(self.transaction_id.size)

    def take(self, index: NDArray[np.intp]) -> CardTransactions:
        return CardTransactions(self.transaction_id[index], self.occurred_at[index],
                                self.customer_id[index], self.terminal_id[index],
                                self.amount[index], self.fraud[index], self.scenario[index])


def _read_lines(path: Path) -> tuple[list[str], list[str]]:
    """The header fields and the data lines (the file is ~55 MB unpacked: read at once)."""
    with gzip.open(path, "rb") as handle:
        lines = handle.read().decode("utf-8").splitlines()
    if len(lines) < 2:
        raise ValueError(f"{path}: no rows")
    header = next(csv.reader(lines[:1]))
    missing = [name for name in FRAUD_COLUMNS if name not in header]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return header, lines[1:]


def _customer_ids(header: list[str], lines: list[str]) -> Ints:
    """CUSTOMER_ID of each line without full CSV parsing (the fields before it are a number and
    a date, never quoted)."""
    at = header.index("CUSTOMER_ID")
    return np.array([line.split(",", at + 1)[at] for line in lines], dtype=np.int64)


def sample_customers(customer_ids: Ints, max_rows: int, seed: int) -> NDArray[np.intp]:
    """Rows of a seeded random set of customers, as many customers as fit in ``max_rows`` rows.
    Unlike the first ``max_rows`` rows (two weeks), this keeps the whole period: profiles are
    as old as in the full run and the time split falls on the same day."""
    customers, counts = np.unique(customer_ids, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(customers))
    fitting = int(np.searchsorted(np.cumsum(counts[order]), max_rows, side="right"))
    return np.flatnonzero(np.isin(customer_ids, customers[order[:fitting]]))


def load_card_transactions(path: Path, max_rows: int | None = None,
                           seed: int = 7) -> CardTransactions:
    """The file's rows (with ``max_rows``, those of :func:`sample_customers`), sorted by time
    then id. TX_DATETIME has no zone: it is read as UTC."""
    header, lines = _read_lines(path)
    if max_rows is not None:
        keep = sample_customers(_customer_ids(header, lines), max_rows, seed)
        lines = [lines[i] for i in keep.tolist()]
    columns = list(zip(*csv.reader(lines), strict=True))
    raw = {name: columns[header.index(name)] for name in FRAUD_COLUMNS}
    stamps = np.array(raw["TX_DATETIME"], dtype="datetime64[s]").astype(np.int64)
    tx = CardTransactions(
        transaction_id=np.array(raw["TRANSACTION_ID"], dtype=np.int64),
        occurred_at=stamps.astype(np.float64),
        customer_id=np.array(raw["CUSTOMER_ID"], dtype=np.int64),
        terminal_id=np.array(raw["TERMINAL_ID"], dtype=np.int64),
        amount=np.array(raw["TX_AMOUNT"], dtype=np.float64),
        fraud=np.array(raw["TX_FRAUD"], dtype=np.int64) == 1,
        scenario=np.array(raw["TX_FRAUD_SCENARIO"], dtype=np.int64),
    )
    return tx.take(np.lexsort((tx.transaction_id, tx.occurred_at)))


def _label(fraud: bool, scenario: int) -> Label:
    return Label(is_attack=fraud, scenario=f"scenario_{scenario}" if fraud else "honest")


def labelled_events(tx: CardTransactions) -> Iterator[LabelledEvent]:
    """Each row as the card payment the service would score, with its ground truth apart."""
    labels: dict[tuple[bool, int], Label] = {}
    columns = (tx.transaction_id.tolist(), tx.occurred_at.tolist(), tx.customer_id.tolist(),
               tx.terminal_id.tolist(), tx.amount.tolist(), tx.fraud.tolist(),
               tx.scenario.tolist())
    for tx_id, at, customer, terminal, amount, fraud, scenario in zip(*columns, strict=True):
        label = labels.get((fraud, scenario))
        if label is None:
            label = labels[(fraud, scenario)] = _label(fraud, scenario)
        event = TransactionEvent(
            event_id=f"tx-{tx_id}", account_id=f"cust-{customer}", occurred_at=at,
            amount_minor=round(amount * 100), currency="EUR", payee_id=f"term-{terminal}",
            feature=CreditFeature.PAYMENT, channel="pos")
        yield LabelledEvent(event, label)


def split_time(occurred_at: Floats, train_share: float = TRAIN_SHARE) -> float:
    """Midnight (UTC) closest to ``train_share`` of the days covered: training before it."""
    first_day = math.floor(float(occurred_at.min()) / DAY) * DAY
    days = math.floor((float(occurred_at.max()) - first_day) / DAY) + 1
    return first_day + min(max(1, round(days * train_share)), max(1, days - 1)) * DAY


def _iso_day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


# --- acctguard on the handbook -----------------------------------------------------------------

def head_table(table: KindTable, n: int, unlabelled: bool) -> KindTable:
    """The first ``n`` rows; ``unlabelled`` hides the labels, so fit_kind fits on every row."""
    return KindTable(
        rows=table.rows[:n], empty_profile=table.empty_profile[:n],
        is_attack=[False] * n if unlabelled else table.is_attack[:n],
        scenario=["unlabelled"] * n if unlabelled else table.scenario[:n],
        account_id=table.account_id[:n], event_id=table.event_id[:n])


def acctguard_scores(model: KindModel, X: Floats, empty: Bools) -> dict[str, Floats]:
    """Ensemble risk and each detector's own risk, priors applied as the service applies them."""
    risk, parts = model.risk_parts(apply_priors(X, empty, model.priors))
    scores = {"ensemble": risk}
    for j, detector in enumerate(model.detectors):
        scores[detector.name] = parts[:, j]
    return scores


@dataclass(frozen=True, slots=True)
class FeatureTables:
    """acctguard's transaction features of every row, split into training and test periods."""

    table: KindTable
    n_train: int

    def train(self, unlabelled: bool) -> KindTable:
        return head_table(self.table, self.n_train, unlabelled)

    def test(self) -> tuple[Floats, Bools]:
        rows = self.table.rows[self.n_train:]
        X = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
        return X, np.asarray(self.table.empty_profile[self.n_train:], dtype=bool)


# Variants of the acctguard fit: as detectors.training does it (honest rows only, which needs
# labels), and on every training-period row with the labels hidden (the fair comparison with
# unsupervised baselines, and what a deployment without fraud labels would do).
ACCTGUARD_VARIANTS: dict[str, bool] = {"honest_fit": False, "unlabelled_fit": True}


def score_acctguard(features: FeatureTables, config: TrainingConfig) -> dict[str, Floats]:
    X_test, empty_test = features.test()
    scores: dict[str, Floats] = {}
    for variant, unlabelled in ACCTGUARD_VARIANTS.items():
        model = fit_kind(EventKind.TRANSACTION, features.train(unlabelled), config)
        for part, values in acctguard_scores(model, X_test, empty_test).items():
            scores[f"acctguard_{variant}:{part}"] = values
    return scores


# --- plain PyOD baselines on raw columns -------------------------------------------------------

def raw_matrix(tx: CardTransactions) -> Floats:
    """The columns of :data:`RAW_COLUMNS`: amount and fractional UTC hour of day."""
    return np.column_stack([tx.amount, (tx.occurred_at % DAY) / HOUR])


def pyod_model(name: str, seed: int) -> Any:
    """A PyOD detector with PyOD's defaults (IForest seeded)."""
    if name == "hbos":
        from pyod.models.hbos import HBOS
        return HBOS()
    if name == "ecod":
        from pyod.models.ecod import ECOD
        return ECOD()
    if name == "iforest":
        from pyod.models.iforest import IForest
        return IForest(n_estimators=100, random_state=seed)
    raise ValueError(f"unknown detector {name!r}")


def chunked_decision(model: Any, X: Floats, chunk_rows: int) -> Floats:
    parts = [np.asarray(model.decision_function(X[i:i + chunk_rows]), dtype=np.float64)
             for i in range(0, len(X), chunk_rows)]
    return np.concatenate(parts) if parts else np.zeros(0)


def score_baselines(X_train: Floats, X_test: Floats, seed: int) -> dict[str, Floats]:
    rng = np.random.default_rng(seed)
    if len(X_train) > BASELINE_TRAIN_ROWS:
        X_train = X_train[np.sort(rng.choice(len(X_train), BASELINE_TRAIN_ROWS, replace=False))]
    scores: dict[str, Floats] = {}
    for name in BASELINES:
        model = pyod_model(name, seed)
        model.fit(X_train)
        scores[f"pyod_raw:{name}"] = chunked_decision(model, X_test, BASELINE_CHUNK_ROWS)
    return scores


# --- metrics -----------------------------------------------------------------------------------

def recall_at_fpr(y: Bools, score: Floats, fpr_target: float) -> tuple[float, float]:
    """Best recall with a false-positive rate at most ``fpr_target``, and its threshold."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y, score, drop_intermediate=False)
    allowed = np.flatnonzero(fpr <= fpr_target)
    best = allowed[np.argmax(tpr[allowed])]
    return float(tpr[best]), float(thresholds[best])


def _by_scenario(score: Floats, fraud: Bools, scenario: Ints, threshold: float) -> Result:
    """Per fraud scenario: ROC-AUC of its frauds against all genuine rows, and the share of its
    frauds at or above ``threshold``."""
    from sklearn.metrics import roc_auc_score

    by_auc: dict[str, float] = {}
    by_recall: dict[str, float] = {}
    for k in FRAUD_SCENARIOS:
        positive = scenario == k
        if positive.any():
            mask = ~fraud | positive
            by_auc[str(k)] = float(roc_auc_score(positive[mask], score[mask]))
            by_recall[str(k)] = float(np.mean(score[positive] >= threshold))
    return {"roc_auc_by_scenario": by_auc,
            f"recall_at_fpr_{FPR_TARGETS[-1]:g}_by_scenario": by_recall}


def detection_metrics(score: Floats, fraud: Bools, scenario: Ints) -> Result:
    """ROC-AUC, PR-AUC and recall at the FPRs of :data:`FPR_TARGETS`, overall; ROC-AUC and
    recall at the largest of those FPRs (its overall threshold) per scenario."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    metrics: Result = {"roc_auc": float(roc_auc_score(fraud, score)),
                       "pr_auc": float(average_precision_score(fraud, score))}
    for target in FPR_TARGETS:
        metrics[f"recall_at_fpr_{target:g}"] = recall_at_fpr(fraud, score, target)[0]
    threshold = recall_at_fpr(fraud, score, FPR_TARGETS[-1])[1]
    return metrics | _by_scenario(score, fraud, scenario, threshold)


def _scenario_counts(tx: CardTransactions) -> dict[str, int]:
    return {str(k): int(np.sum(tx.scenario == k)) for k in FRAUD_SCENARIOS}


class _Stopwatch:
    """Seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 2)
        self._last = now


def _fraud_description(tx: CardTransactions, n_train: int, split: float) -> Result:
    train, test = tx.take(np.arange(n_train)), tx.take(np.arange(n_train, len(tx)))
    return {
        "rows": len(tx),
        "train_period": [_iso_day(float(tx.occurred_at[0])), _iso_day(split - DAY)],
        "test_period": [_iso_day(split), _iso_day(float(tx.occurred_at[-1]))],
        "train_rows": len(train), "test_rows": len(test),
        "train_frauds_by_scenario": _scenario_counts(train),
        "test_frauds_by_scenario": _scenario_counts(test),
        "test_genuine": int(np.sum(~test.fraud)),
        "raw_columns": list(RAW_COLUMNS),
        "baseline_train_rows": min(BASELINE_TRAIN_ROWS, len(train)),
        "baseline_chunk_rows": BASELINE_CHUNK_ROWS,
    }


def evaluate_fraud_handbook(path: Path, max_rows: int | None = None,
                            config: TrainingConfig | None = None) -> Result:
    """acctguard's transaction model and plain PyOD baselines on the handbook's transactions.

    ``path`` is the CSV file or its folder. Time split at the midnight nearest 2/3 of the period
    covered; metrics on the test period only."""
    config = config or TrainingConfig()
    file = path / FRAUD_FILE if path.is_dir() else path
    if not file.is_file():
        return {"skipped": f"{file} not found (see the fraud_handbook_sim README)"}
    watch = _Stopwatch()
    tx = load_card_transactions(file, max_rows, config.seed)
    split = split_time(tx.occurred_at)
    n_train = int(np.searchsorted(tx.occurred_at, split, side="left"))
    watch.lap("load")
    features = FeatureTables(replay(labelled_events(tx))[EventKind.TRANSACTION], n_train)
    watch.lap("replay_features")
    scores = score_acctguard(features, config)
    watch.lap("acctguard_fit_and_score")
    raw = raw_matrix(tx)
    scores.update(score_baselines(raw[:n_train], raw[n_train:], config.seed))
    watch.lap("baselines_fit_and_score")
    test = tx.take(np.arange(n_train, len(tx)))
    methods = {name: detection_metrics(values, test.fraud, test.scenario)
               for name, values in scores.items()}
    watch.lap("metrics")
    return {"dataset": FRAUD_DIR, "file": file.name, **_fraud_description(tx, n_train, split),
            "acctguard_detectors": list(config.detectors),
            # features.py evolves: record which features this run measured
            "acctguard_features": feature_schema(EventKind.TRANSACTION),
            "acctguard_max_train_rows": config.max_train_rows,
            "methods": methods, "seconds": watch.seconds}


# --- KDD Cup 99 wiring check -------------------------------------------------------------------

def _subsample(X: Floats, y: Bools, max_rows: int | None, seed: int) -> tuple[Floats, Bools]:
    if max_rows is None or len(X) <= max_rows:
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))
    return X[keep], y[keep]


def _check_rows(y: Bools, count: int, seed: int) -> NDArray[np.intp]:
    """Up to ``count`` rows with up to a quarter of them positive, for the single-row check."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y), np.flatnonzero(~y)
    n_pos = min(len(positives), count // 4)
    n_neg = min(len(negatives), count - n_pos)
    picked = np.concatenate([rng.choice(positives, n_pos, replace=False),
                             rng.choice(negatives, n_neg, replace=False)])
    return np.sort(picked)


def _roc_auc(y: Bools, score: Floats) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if 0 < int(y.sum()) < len(y) else None


def single_row_check(model: Any, X: Floats, y: Bools, rows: NDArray[np.intp]) -> Result:
    """PyOD's ``decision_function`` one row at a time (the compiled evaluators' reference)
    against the compiled evaluator, on the rows ``rows``."""
    compiled = compile_detector(model).score(X[rows])
    pyod = np.array([model.decision_function(X[i:i + 1])[0] for i in rows], dtype=np.float64)
    return {"rows": len(rows), "positives": int(y[rows].sum()),
            "max_abs_diff": float(np.max(np.abs(compiled - pyod))),
            # the compiled evaluators' documented tolerance is 1e-9 of max(1, |score|)
            "max_rel_diff": float(np.max(np.abs(compiled - pyod) / np.maximum(1.0, np.abs(pyod)))),
            "roc_auc_pyod": _roc_auc(y[rows], pyod),
            "roc_auc_compiled": _roc_auc(y[rows], compiled)}


def kdd_detector(name: str, X: Floats, y: Bools, check_rows: NDArray[np.intp],
                 seed: int, published: float | None = None) -> Result:
    """Fit one PyOD detector on all of ``X`` and compare PyOD's scores of ``X`` with the compiled
    evaluator's. PyOD's own scores are ``decision_scores_`` (the fit's scores of its training
    rows, equal to ``decision_function(X)`` for HBOS and IForest). For ECOD they are ranked
    among the n training rows, while ``decision_function`` of one row, which the compiled
    evaluator reproduces, ranks it among n + 1 (the row counted twice): the full-data AUCs then
    differ by ~1e-6, and the exact check is the single-row one."""
    started = time.perf_counter()
    model = pyod_model(name, seed)
    model.fit(X)
    pyod_auc = _roc_auc(y, np.asarray(model.decision_scores_, dtype=np.float64))
    compiled_auc = _roc_auc(y, compile_detector(model).score(X))
    return {"roc_auc_pyod": pyod_auc, "roc_auc_compiled": compiled_auc,
            "abs_diff": abs(pyod_auc - compiled_auc)
            if pyod_auc is not None and compiled_auc is not None else None,
            "single_row": single_row_check(model, X, y, check_rows),
            "published_roc_auc_approx": published,
            "seconds": round(time.perf_counter() - started, 2)}


def evaluate_kdd_file(path: Path, max_rows: int | None = None,
                      single_row_checks: int = SINGLE_ROW_CHECKS, seed: int = 7) -> Result:
    with np.load(path, allow_pickle=False) as data:
        X_all = np.asarray(data["X"], dtype=np.float64)
        y_all = np.asarray(data["y"]) == 1
    X, y = _subsample(X_all, y_all, max_rows, seed)
    rows = _check_rows(y, single_row_checks, seed)
    published = PUBLISHED_ROC_AUC.get(path.stem, {})
    detectors = {name: kdd_detector(name, X, y, rows, seed, published.get(name))
                 for name in KDD_DETECTORS}
    return {"rows": len(X), "rows_in_file": len(X_all), "positives": int(y.sum()),
            "features": int(X.shape[1]), "detectors": detectors}


def evaluate_kdd99(directory: Path, datasets: tuple[str, ...] = KDD_DATASETS,
                   max_rows: int | None = None,
                   single_row_checks: int = SINGLE_ROW_CHECKS) -> Result:
    """For each ADBench file, HBOS, ECOD and IForest fitted unsupervised on all its rows (or a
    seeded random ``max_rows`` subsample), scored on the same rows by PyOD and by the compiled
    evaluators."""
    if not directory.is_dir():
        return {"skipped": f"{directory} not found (see the adbench_kdd99 README)"}
    results: Result = {"dataset": KDD_DIR}
    for name in datasets:
        path = directory / f"{name}.npz"
        results[name] = (evaluate_kdd_file(path, max_rows, single_row_checks) if path.is_file()
                         else {"skipped": f"{path} not found"})
    return results


# --- both ---------------------------------------------------------------------------------------

def _part(directory: Path, run: Callable[[Path], Result]) -> Result:
    if not directory.is_dir():
        return {"skipped": f"{directory} not found"}
    return run(directory)


def evaluate_public_data(data_dir: Path = DEFAULT_DATA_DIR, quick: bool = False) -> Result:
    """Both evaluations. ``quick`` (for tests): the transactions of a quarter of the customers
    (300k rows, the whole period) and at most 100k rows of each KDD file; the full mode reads
    everything."""
    if not data_dir.is_dir():
        reason = f"data directory {data_dir} not found"
        return {"data_dir": str(data_dir), "fraud_handbook": {"skipped": reason},
                "kdd99": {"skipped": reason}}
    fraud_rows = QUICK_FRAUD_ROWS if quick else None
    kdd_rows = QUICK_KDD_ROWS if quick else None
    checks = QUICK_SINGLE_ROW_CHECKS if quick else SINGLE_ROW_CHECKS
    return {
        "data_dir": str(data_dir), "quick": quick,
        "fraud_handbook": _part(data_dir / FRAUD_DIR,
                                lambda d: evaluate_fraud_handbook(d, fraud_rows)),
        "kdd99": _part(data_dir / KDD_DIR, lambda d: evaluate_kdd99(d, max_rows=kdd_rows,
                                                          single_row_checks=checks)),
    }
