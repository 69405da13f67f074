"""Compare PyOD detectors for per-event scoring: detection on unseen accounts and cost per event.

    .venv/bin/python scripts/compare_detectors.py                 # 8,000 accounts x 28 days
    .venv/bin/python scripts/compare_detectors.py --accounts 2000 --days 21   # quicker

Each candidate (alone, and the ensembles) is trained with the same simulated traffic and
`--test-fraction 0.3`, then evaluated by the same replay as `acctguard eval`. The cost column
is the median time of one login row through the compiled detectors + calibration
(`KindModel.risk`), batch of one.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from detectors.events import EventKind
from detectors.model import RiskModel
from detectors.simulation import SimulationConfig, simulate
from detectors.training import TrainingConfig, train
from service.evaluation.report import evaluate
from service.log_config import configure_logging

CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("hbos",), ("ecod",), ("copod",), ("iforest",), ("loda",),
    ("hbos", "ecod"), ("hbos", "ecod", "iforest"),
)
KEY_SCENARIOS = ("account_takeover", "impossible_travel", "sim_swap", "cash_out",
                 "session_theft", "card_testing")


def cost_us(model: RiskModel) -> float:
    kind_model = model.kinds[EventKind.LOGIN]
    X = np.array([[float(np.median(column.sorted_scores)) for column in kind_model.tails.columns]])
    timings = []
    for _ in range(300):
        started = time.perf_counter()
        kind_model.risk(X)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=8000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="one candidate, e.g. hbos,ecod")
    args = parser.parse_args()
    candidates = (tuple(args.only.split(",")),) if args.only else CANDIDATES
    configure_logging("warning")
    stream = SimulationConfig(accounts=args.accounts, days=args.days, seed=args.seed,
                              attack_rate=0.1)
    events = list(simulate(stream))
    header = ["detectors", "ROC-AUC", "PR-AUC", *KEY_SCENARIOS, "false freezes/10k/day",
              "false challenges/10k/day", "µs/event (login)", "train s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for names in candidates:
        started = time.perf_counter()
        model = train(events, TrainingConfig(detectors=names, seed=args.seed, test_fraction=0.3))
        trained = time.perf_counter() - started
        report = evaluate(events, model)
        ensemble = report["event_level"]["ensemble"]
        recalls = [report["scenarios"].get(s, {}).get("recall_challenge") for s in KEY_SCENARIOS]
        alarms = report["false_alarms"]
        cells = ["+".join(names), f"{ensemble['roc_auc']:.3f}",
                 f"{ensemble['pr_auc']:.3f}",
                 *(f"{r:.2f}" if r is not None else "-" for r in recalls),
                 f"{alarms['freezes_per_10k_accounts_per_day']:.1f}",
                 f"{alarms['challenges_per_10k_accounts_per_day']:.0f}",
                 f"{cost_us(model):.0f}", f"{trained:.0f}"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
