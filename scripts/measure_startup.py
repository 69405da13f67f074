"""Time from `acctguard serve` to health SERVING, and the first Score calls after it.

    .venv/bin/python scripts/measure_startup.py [--runs 5] [--model M]

Trains a small model first if none is given (that time is not counted). The process is a real
`acctguard serve` on 127.0.0.1 with a fresh data directory each run."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc

ACCTGUARD = str(Path(sys.executable).with_name("acctguard"))


def wait_serving(channel: grpc.Channel, limit: float = 30.0) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if stub.Check(health_pb2.HealthCheckRequest(), timeout=0.2).status == 1:
                return
        except grpc.RpcError:
            time.sleep(0.005)
    raise TimeoutError("the server did not report SERVING")


def one_run(model: Path, port: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        process = subprocess.Popen(
            [ACCTGUARD, "serve", "--data-dir", data, "--model-path", str(model),
             "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                wait_serving(channel)
                ready = time.perf_counter() - started
                stub = rpc.AccountGuardStub(channel)
                calls = []
                for index in range(3):
                    request = pb.ScoreRequest(login=pb.LoginEvent(
                        event_id=f"first-{index}", account_id="startup", success=True,
                        occurred_at=Timestamp(seconds=int(time.time()) - 5)))
                    began = time.perf_counter()
                    stub.Score(request, timeout=5)
                    calls.append((time.perf_counter() - began) * 1e3)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return ready, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--port", type=int, default=6211)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or Path(tmp) / "model.npz"
        if args.model is None:
            subprocess.run([ACCTGUARD, "train", "--out", str(model), "--accounts", "1000",
                            "--days", "14"], check=True, stdout=subprocess.DEVNULL)
        runs = [one_run(model, args.port) for _ in range(args.runs)]
    readies = [r for r, _ in runs]
    print(f"to SERVING: median {statistics.median(readies):.3f} s, max {max(readies):.3f} s "
          f"over {len(runs)} runs")
    for position in range(3):
        values = [calls[position] for _, calls in runs]
        print(f"Score call {position + 1} after SERVING: median {statistics.median(values):.2f} ms,"
              f" max {max(values):.2f} ms")


if __name__ == "__main__":
    main()
