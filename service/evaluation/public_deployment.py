"""The public card data (``fraud_handbook_sim``) as a deployment would run acctguard on it.

A card processor has history without labels and then live traffic. Here:

1. the rows of the history period become an events log, one ``{"event": ...}`` a line and no
   labels: its frauds are in it, unmarked, as they would be in a real log;
2. ``acctguard train --events`` fits the transaction model on it; sign-ins and account changes,
   which the data has none of, come from the base model (by default the service's simulator
   model);
3. ``acctguard serve`` in audit mode on the trained model scores the history with ScoreBatch
   (the rollout's backfill: the profiles learn every customer's habits, the database keeps each
   event's risk);
4. ``acctguard calibrate --data-dir`` sets the thresholds from those stored risks for the alert
   budget (``--keep-missing-kinds``: the other kinds keep the base model's);
5. ``acctguard serve`` on the calibrated model, same data directory (the profiles carry on),
   scores the replay period with ScoreBatch, and the answers are compared with the labels.

The replay server runs in audit mode too, and a decision here is its ``would_decision``: what
enforce mode decides from the risk, the thresholds and the policy's rules. An enforcing server
would also keep each freeze for 72 hours of its own clock, which a replay of weeks in minutes
turns into the rest of the replay, so every later payment of a wrongly frozen customer would
count as flagged: a measure of the replay's speed, not of the model.

Every stage is the ``acctguard`` command a deployment runs (:mod:`service.evaluation.served`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from detectors.events import EventKind, event_to_dict
from detectors.model import RiskModel
from service.evaluation.deployment_metrics import deployment_metrics
from service.evaluation.public_data import (
    FRAUD_DIR,
    FRAUD_FILE,
    FRAUD_SCENARIOS,
    CardTransactions,
    labelled_events,
    load_card_transactions,
)
from service.evaluation.served import run_command, score_batches, served

Result = dict[str, Any]
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class DeploymentPlan:
    """Which days are history (train, backfill, calibrate) and which are replayed, the alert
    budget, and how many of the file's rows to sample customers for (None: every customer)."""

    history: tuple[str, str]
    replay: tuple[str, str]
    challenge_rate: float
    freeze_rate: float
    max_rows: int | None = None
    seed: int = 7


# The documented run: every customer; history up to the same day as the comparison's split.
FULL = DeploymentPlan(("2018-04-01", "2018-06-20"), ("2018-06-21", "2018-07-31"),
                      challenge_rate=0.005, freeze_rate=0.0002)
# The tests' short mode: ~240 customers (a 60k-row sample of the file), a week of history and
# three days replayed, a few thousand events in all. Calibration needs 20 / freeze_rate events
# of history, hence the larger budget.
QUICK = DeploymentPlan(("2018-04-01", "2018-04-07"), ("2018-04-08", "2018-04-10"),
                       challenge_rate=0.05, freeze_rate=0.01, max_rows=60_000)


def _day(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def rows_between(tx: CardTransactions, days: tuple[str, str]) -> CardTransactions:
    """The rows from the first day's midnight to the end of the last day (UTC)."""
    start, end = _day(days[0]), _day(days[1]) + DAY
    return tx.take(np.flatnonzero((tx.occurred_at >= start) & (tx.occurred_at < end)))


def write_history_log(tx: CardTransactions, path: Path) -> int:
    """The rows as an unlabelled events log (what ``acctguard train --events`` reads)."""
    with path.open("w", encoding="utf-8") as sink:
        for item in labelled_events(tx):
            sink.write(json.dumps({"event": event_to_dict(item.event)},
                                  separators=(",", ":")) + "\n")
    return len(tx)


def _scenario_counts(tx: CardTransactions) -> dict[str, int]:
    return {str(k): int(np.sum(tx.scenario == k)) for k in FRAUD_SCENARIOS}


def _describe(name: str, tx: CardTransactions, days: tuple[str, str]) -> Result:
    return {f"{name}_period": list(days), f"{name}_rows": len(tx),
            f"{name}_customers": int(np.unique(tx.customer_id).size),
            f"{name}_frauds_by_scenario": _scenario_counts(tx)}


class _Stages:
    """Seconds per stage, and a progress line per stage for the impatient."""

    def __init__(self, on_progress: Callable[[str], Any] | None) -> None:
        self.seconds: dict[str, float] = {}
        self.on_progress = on_progress
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 1)
        self._last = now
        if self.on_progress is not None:
            self.on_progress(f"{stage}: {self.seconds[stage]} s")


def _rate(rate: float) -> str:
    return f"{rate * 100:.6g}%"


def evaluate_deployment(data_dir: Path, work_dir: Path, plan: DeploymentPlan = FULL,
                        base_model: Path | None = None,
                        on_progress: Callable[[str], Any] | None = None) -> Result:
    """Train, backfill, calibrate and replay as described above, in ``work_dir`` (the events
    log, the artifacts, the service's data directory and logs stay there)."""
    file = data_dir / FRAUD_DIR / FRAUD_FILE
    if not file.is_file():
        return {"skipped": f"{file} not found (see the fraud_handbook_sim README)"}
    stages = _Stages(on_progress)
    work_dir.mkdir(parents=True, exist_ok=True)
    tx = load_card_transactions(file, plan.max_rows, plan.seed)
    history, replay = rows_between(tx, plan.history), rows_between(tx, plan.replay)
    log = work_dir / "history.jsonl"
    write_history_log(history, log)
    stages.done("load_and_write_log")

    trained, calibrated = work_dir / "trained.npz", work_dir / "calibrated.npz"
    base = ["--base-model", str(base_model)] if base_model is not None else []
    out, console = run_command("train", "--out", str(trained), "--events", str(log), *base)
    training = {**json.loads(out.splitlines()[0]), "console": console[-2:]}
    stages.done("train")

    service_dir = work_dir / "service-data"
    with served(service_dir, trained, work_dir / "serve-backfill.log") as target:
        backfill = score_batches(target, [i.event for i in labelled_events(history)])
    stages.done("backfill_history_audit_mode")

    out, _ = run_command("calibrate", "--model", str(trained), "--data-dir", str(service_dir),
                         "--challenge-rate", _rate(plan.challenge_rate),
                         "--freeze-rate", _rate(plan.freeze_rate), "--keep-missing-kinds",
                         "--out", str(calibrated))
    calibration = json.loads(out)
    stages.done("calibrate")

    with served(service_dir, calibrated, work_dir / "serve-replay.log") as target:
        replies = score_batches(target, [i.event for i in labelled_events(replay)])
    stages.done("replay_calibrated_audit_mode")

    model = RiskModel.load(calibrated)
    metrics = deployment_metrics(replies.risk, replies.decision, replay.fraud, replay.scenario,
                                 FRAUD_SCENARIOS, model.kinds[EventKind.TRANSACTION].thresholds,
                                 plan.challenge_rate, plan.freeze_rate)
    return {
        "dataset": FRAUD_DIR, "file": file.name, "plan": asdict(plan),
        "customers_sampled": plan.max_rows is not None,
        **_describe("history", history, plan.history), **_describe("replay", replay, plan.replay),
        "training": training, "calibration": calibration,
        "served_versions": {"backfill": backfill.model_versions,
                            "replay": replies.model_versions},
        "score_batch_events_per_second": {"backfill": round(backfill.events_per_second),
                                          "replay": round(replies.events_per_second)},
        "replay_metrics": metrics, "seconds": stages.seconds,
    }
