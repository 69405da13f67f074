"""Where a Score call's time goes, layer by layer, measured over real loopback gRPC.

    .venv/bin/python scripts/decompose_score.py [--duration 6] [--concurrency 1 --concurrency 16]
                                                 [--model M] [--json FILE]

Starts `acctguard serve` once per layer in its own process, each time with everything above
that layer replaced by a constant (a diagnostic: the stubs live only in this script's server
process), drives it with `scripts/loadtest.py`'s client for ``--duration`` seconds per row, and
prints calls/s and latency per layer, so the cost each layer adds can be read off as the drop
from the row above:

    trivial  grpc.health.v1 Check on the same server: gRPC itself
    wrapper  Score returning a constant response: our per-call wrapper (authorisation, the
             call's JSON log line, metrics, in-flight limit) and Score's larger messages
    handler  request to event, validation, log fields, response, with the fail mode's answer
             instead of the engine's (no batcher, no engine thread)
    hop      the micro-batcher and the hop to the engine thread and back, the engine replaced
             by the fail mode's answer
    full     nothing replaced: features, detectors, policy and the SQLite commit

Trains a small model first without ``--model`` (not timed)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.loadtest import LoadConfig, run_load
from scripts.measure_startup import wait_serving
from service.bootstrap import train_default_model

LAYERS = ("trivial", "wrapper", "handler", "hop", "full")


def install_stub(layer: str) -> None:
    """Replace what lies beyond ``layer`` in this (server) process."""
    from service.api.acctguard.v1 import acctguard_pb2 as pb
    from service.domain.degraded import FailMode, unavailable_result
    from service.domain.engine import RiskEngine
    from service.rpc.servicer import AccountGuardHandlers

    if layer == "wrapper":
        constant = pb.ScoreResponse(decision="ALLOW")

        async def constant_score(self: Any, request: Any, context: Any) -> Any:
            return constant
        AccountGuardHandlers.score = constant_score  # type: ignore[method-assign]
    elif layer == "handler":
        async def fail_mode_answer(self: Any, event: Any, context: Any) -> Any:
            return unavailable_result(event, FailMode.CLOSED, "stub", 0.0)
        AccountGuardHandlers._scored = fail_mode_answer  # type: ignore[method-assign]
    elif layer == "hop":
        def fail_mode_batch(self: Any, events: Any) -> Any:
            return [unavailable_result(e, FailMode.CLOSED, "stub", 0.0) for e in events]
        RiskEngine.score_batch = fail_mode_batch  # type: ignore[method-assign]


def serve(layer: str, argv: list[str]) -> None:
    install_stub(layer)
    from service.cli import main
    main(["serve", *argv])


def measure(layer: str, model: Path, port: int, duration: float,
            concurrency: list[int]) -> list[dict[str, Any]]:
    address = f"127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", layer, "--listen", address, "--data-dir", data,
             "--model-path", str(model)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "ACCTGUARD_METRICS_LISTEN": ""})
        try:
            with grpc.insecure_channel(address) as channel:
                wait_serving(channel)
            rows = []
            for n in concurrency:
                config = LoadConfig(target=address, mode="health" if layer == "trivial" else
                                    "unary", duration=duration, concurrency=n)
                summary = asyncio.run(run_load(config, progress=False))
                rows.append({"layer": layer, "in_flight": n, **_figures(summary)})
            return rows
        finally:
            server.terminate()
            server.wait(timeout=30)


def _figures(summary: dict[str, Any]) -> dict[str, Any]:
    latency = summary["call_latency_ms"]
    return {"calls_per_s": round(summary["events_per_s"]), "p50_ms": latency["p50"],
            "p99_ms": latency["p99"], "errors": summary["errors"]}


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = ["| layer | in flight | calls/s | p50 ms | p99 ms | µs per call | added µs |",
             "|---|---|---|---|---|---|---|"]
    previous: dict[int, float] = {}
    for row in rows:
        per_call = 1e6 / row["calls_per_s"] if row["calls_per_s"] else float("nan")
        before = previous.get(row["in_flight"])
        added = f"{per_call - before:+.0f}" if before is not None else ""
        previous[row["in_flight"]] = per_call
        lines.append(f"| {row['layer']} | {row['in_flight']} | {row['calls_per_s']:,} | "
                     f"{_ms(row['p50_ms'])} | {_ms(row['p99_ms'])} | {per_call:.0f} | {added} |"
                     + (f" errors: {row['errors']}" if row["errors"] else ""))
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--port", type=int, default=50091)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or Path(tmp) / "model.npz"
        if args.model is None:
            train_default_model(model, 1000, 21, 11)
        rows = [row for layer in LAYERS
                for row in measure(layer, model, args.port, args.duration,
                                   args.concurrency or [1, 16])]
    rows.sort(key=lambda row: (row["in_flight"], LAYERS.index(row["layer"])))
    print(format_rows(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
