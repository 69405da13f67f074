"""In-process engine throughput, one event at a time and in batches (no RPC, no database):
features, detectors, calibration, policy, freezes and profile updates, with profiles kept in
memory without copies.

    .venv/bin/python scripts/bench_engine_batch.py [--model M] [--events 40000]

Trains a small model first if none is given (not timed)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.scoring import Scorer
from detectors.simulation import SimulationConfig, simulate
from service.bootstrap import train_default_model
from service.domain.clock import ManualClock
from service.domain.decisions import ScoreResult
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.freezes import Freeze
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore


class UncopiedStore(InMemoryRiskStore):
    """The in-memory store without its defensive copies: what is left is the engine's work."""

    def load_versioned(self, account_id: str) -> tuple[AccountProfile | None, int]:
        return self.profiles.get(account_id), self.versions.get(account_id, 0)

    def commit_batch(self, scored: list[tuple[ScoreResult, AccountProfile, Freeze | None]],
                     versions: dict[str, int] | None = None) -> bool:
        for result, profile, freeze in scored:
            self.results[result.event_id] = result
            self.profiles[profile.account_id] = profile
            self.versions[profile.account_id] = self.versions.get(profile.account_id, 0) + 1
            if freeze is not None:
                self.freezes_by_account.setdefault(freeze.account_id, []).append(freeze)
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--events", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model or Path(tmp) / "model.npz"
        if args.model is None:
            train_default_model(path, 1000, 21, 11)
        model = RiskModel.load(path)
    events = [item.event for item in simulate(SimulationConfig(accounts=3000, days=7, seed=5))]
    events = events[:args.events]
    print(f"{len(events):,} simulated events (3,000 accounts x 7 days), model {model.version}")
    for size in (1, 100, 1000):
        engine = RiskEngine(Scorer(model), RiskPolicy(), UncopiedStore(), ManualClock(2e9),
                            EngineSettings(max_future_skew_seconds=1e12))
        started = time.perf_counter()
        for first in range(0, len(events), size):
            engine.score_batch(events[first:first + size])
        seconds = time.perf_counter() - started
        print(f"batch {size:>5}: {len(events) / seconds:>8,.0f} events/s, "
              f"{seconds / len(events) * 1e6:6.1f} µs per event")


if __name__ == "__main__":
    main()
