"""Latency and throughput of the scoring path, for the figures in docs/reports/performance.md.

    .venv/bin/python scripts/bench_scoring.py            # full: 20,000 events per stage
    .venv/bin/python scripts/bench_scoring.py --quick    # 2,000 events per stage

Stages, each on the same simulated traffic (time-ordered, realistic mix of kinds):
  in-process   features + compiled detectors + calibration + reasons + policy (no storage)
  engine       the whole RiskEngine with a SQLite store (synchronous NORMAL and FULL)
  grpc         Score over a loopback channel, one call in flight, next to GetAccountStatus
               (a trivial call on the same server) measured in the same run
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from detectors.events import Event
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.scoring import Scorer
from detectors.simulation import SimulationConfig, simulate
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import train_default_model
from service.domain.clock import SystemClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.policy import RiskPolicy
from service.log_config import configure_logging
from service.rpc.converters import event_to_request
from service.rpc.server import serve_in_background
from service.rpc.servicer import AccountGuardHandlers
from service.storage.sqlite import SqliteRiskStore


def summary(name: str, seconds: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3
    return {"stage": name, "n": len(ordered), "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "events_per_s": len(ordered) / sum(ordered),
            "mean_ms": statistics.fmean(ordered) * 1e3}


def timed(events: Sequence[Event], fn: Callable[[Event], object]) -> list[float]:
    out = []
    for event in events:
        started = time.perf_counter()
        fn(event)
        out.append(time.perf_counter() - started)
    return out


def in_process(model: RiskModel, events: Sequence[Event]) -> list[float]:
    scorer, policy = Scorer(model), RiskPolicy()
    profiles: dict[str, AccountProfile] = {}
    out = []
    for event in events:
        profile = profiles.setdefault(event.account_id, AccountProfile.new(event.account_id))
        started = time.perf_counter()
        policy.decide(event, scorer.assess(event, profile))
        out.append(time.perf_counter() - started)
        profile.update(event)
    return out


def sqlite_engine(model: RiskModel, store: SqliteRiskStore) -> RiskEngine:
    """The service's engine on a SQLite store; simulated events may lie in the past or future."""
    return RiskEngine(Scorer(model), RiskPolicy(), store, SystemClock(),
                      EngineSettings(max_future_skew_seconds=1e12))


def engine_stage(model: RiskModel, events: Sequence[Event], sync: str, tmp: Path) -> list[float]:
    store = SqliteRiskStore(tmp / f"bench-{sync}.sqlite3", synchronous=sync)
    engine = sqlite_engine(model, store)
    try:
        return timed(events, engine.score)
    finally:
        store.close()


def grpc_stage(model: RiskModel, events: Sequence[Event], tmp: Path) -> list[dict[str, Any]]:
    store = SqliteRiskStore(tmp / "bench-grpc.sqlite3", synchronous="NORMAL")
    engine = sqlite_engine(model, store)
    handlers = AccountGuardHandlers(engine, engine.clock)
    requests = [event_to_request(e) for e in events]
    try:
        with serve_in_background(handlers, "127.0.0.1:0") as port, \
                grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = rpc.AccountGuardStub(channel)
            status = pb.GetAccountStatusRequest(account_id="nobody")
            trivial = timed(events, lambda _: stub.GetAccountStatus(status, timeout=5))
            scores = timed(range(len(requests)),  # type: ignore[arg-type]
                           lambda i: stub.Score(requests[i], timeout=5))  # type: ignore[index]
    finally:
        handlers.close()
        store.close()
    return [summary("grpc GetAccountStatus (trivial)", trivial),
            summary("grpc Score", scores)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 events per stage")
    parser.add_argument("--model", type=Path, help="artifact (default: train a fresh one)")
    args = parser.parse_args()
    configure_logging("warning")
    n = 2_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model = (RiskModel.load(args.model) if args.model
                 else train_default_model(tmp / "model.npz", 1000, 21, 11))
        stream = simulate(SimulationConfig(accounts=2000, days=14, seed=5))
        events = [item.event for _, item in zip(range(n), stream, strict=False)]
        rows = [summary("in-process assess+decide", in_process(model, events)),
                summary("engine + SQLite NORMAL", engine_stage(model, events, "NORMAL", tmp)),
                summary("engine + SQLite FULL", engine_stage(model, events, "FULL", tmp))]
        rows += grpc_stage(model, events[: max(500, n // 4)], tmp)
    print(f"model {model.version}; {n} simulated events per stage")
    print("| stage | n | p50 ms | p95 ms | p99 ms | events/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['n']} | {r['p50_ms']:.3f} | {r['p95_ms']:.3f} | "
              f"{r['p99_ms']:.3f} | {r['events_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
