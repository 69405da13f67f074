"""acctguard as a deployment runs it, for evaluations: its commands as subprocesses, and a server
on 127.0.0.1 fed over gRPC with ScoreBatch.

The server is the real ``acctguard serve`` process, bound to 127.0.0.1 on a port the system
picks, its log in a file (nothing reads a pipe that could fill and block it), always stopped on
the way out (SIGTERM, then SIGKILL if it does not stop in time).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.events import Event

ACCTGUARD = Path(sys.executable).with_name("acctguard")
START_TIMEOUT = 300.0  # a model load and warm-up on a busy machine
STOP_TIMEOUT = 60.0
BATCH_EVENTS = 2_000  # well under ScoreBatch's 10,000 and the 1 MiB message limit
BATCH_TIMEOUT = 300.0


class CommandFailed(RuntimeError):
    """An acctguard command exited non-zero (the message ends with its last output lines)."""


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_command(*args: str) -> tuple[str, list[str]]:
    """``acctguard ARGS``: its stdout and its stderr lines; raises :class:`CommandFailed`."""
    # S603: the acctguard installed beside this interpreter, with arguments built here.
    done = subprocess.run([str(ACCTGUARD), *args],  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailed(f"acctguard {' '.join(args)} exited {done.returncode}:\n"
                            f"{_tail(done.stdout + done.stderr)}")
    return done.stdout, done.stderr.splitlines()


def _serving_port(log: Path) -> int | None:
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "serving":
            return int(record["port"])
    return None


@contextmanager
def served(data_dir: Path, model_path: Path, log_path: Path, mode: str = "audit",
           ) -> Iterator[str]:
    """``acctguard serve`` on 127.0.0.1 in ``mode``; yields its ``host:port`` and stops it."""
    env = {**os.environ, "ACCTGUARD_MODE": mode, "ACCTGUARD_LOG_FORMAT": "json",
           "ACCTGUARD_METRICS_LISTEN": "", "ACCTGUARD_SQLITE_SYNCHRONOUS": "NORMAL",
           "ACCTGUARD_SHUTDOWN_NOTICE_SECONDS": "0"}
    for name in ("ACCTGUARD_TOKENS_FILE", "ACCTGUARD_DATABASE_URL", "ACCTGUARD_REDIS_URL"):
        env.pop(name, None)  # this process's own SQLite file, anonymous callers
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 (as in run_command)
            [str(ACCTGUARD), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
             "--model-path", str(model_path)], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while port is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise CommandFailed(f"acctguard serve did not start:\n"
                                    f"{_tail(log_path.read_text(errors='replace'))}")
            time.sleep(0.2)
            port = _serving_port(log_path)
        yield f"127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Replies:
    """What the service answered, per event in request order: the risk, and its decision (in
    audit mode the one it would have made)."""

    risk: NDArray[np.float64]
    decision: list[str]
    model_versions: list[str]
    seconds: float

    @property
    def events_per_second(self) -> float:
        return len(self.decision) / self.seconds if self.seconds > 0 else 0.0


def score_batches(target: str, events: Sequence[Event], batch_events: int = BATCH_EVENTS,
                  on_progress: Callable[[int], Any] | None = None) -> Replies:
    """Send ``events`` in order, ``batch_events`` per ScoreBatch call, one call at a time."""
    import grpc

    from service.api.acctguard.v1 import acctguard_pb2 as pb
    from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
    from service.rpc.converters import event_to_request

    risks: list[float] = []
    decisions: list[str] = []
    versions: set[str] = set()
    started = time.perf_counter()
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = rpc.AccountGuardStub(channel)  # type: ignore[no-untyped-call]
        for first in range(0, len(events), batch_events):
            chunk = events[first:first + batch_events]
            reply = stub.ScoreBatch(pb.ScoreBatchRequest(
                requests=[event_to_request(e) for e in chunk]), timeout=BATCH_TIMEOUT)
            for response in reply.responses:
                risks.append(response.risk)
                decided = response.would_decision or response.decision
                decisions.append(pb.Decision.Name(decided))
                versions.add(response.model_version)
            if on_progress is not None:
                on_progress(first + len(chunk))
    return Replies(np.asarray(risks, dtype=np.float64), decisions, sorted(versions),
                   time.perf_counter() - started)
