"""Real `acctguard serve` processes for fault tests: start on a fixed loopback port, wait for
health SERVING, SIGKILL, SIGTERM, restart on the same data directory and port.

Each start writes the process's stdout and stderr (JSON log lines) to its own file under
``log_dir`` (``serve-1.log``, ``serve-2.log``, ...), so a failure can show what the server said
and a pipe nobody reads can never block the server.

Backends: a :class:`Backend` is the extra environment the server process gets. ``BACKENDS`` is
the one list the fault tests are parametrised over; a PostgreSQL + Redis backend is one more
entry, e.g. ``Backend("postgresql", {"ACCTGUARD_DATABASE_URL": "postgresql://...",
"ACCTGUARD_REDIS_URL": "redis://..."})``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ACCTGUARD = Path(sys.executable).with_name("acctguard")
SERVICE_NAME = "acctguard.v1.AccountGuard"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

# Channel options for clients of a server that is killed and restarted: reconnect within a
# fraction of a second instead of gRPC's default backoff (1 s growing to 120 s).
FAST_RECONNECT: list[tuple[str, Any]] = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 250),
    ("grpc.enable_retries", 0),  # the tests decide what is retried
]


@dataclass(frozen=True)
class Backend:
    """Where the server keeps its records: ``env`` is added to the server's environment."""

    name: str
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_sqlite(self) -> bool:
        """True when the records are in ``DATA_DIR/acctguard.sqlite3`` (tests may read it)."""
        return "ACCTGUARD_DATABASE_URL" not in self.env

    def __str__(self) -> str:
        return self.name


    def require(self) -> None:
        """Skip (or, with CI=true, fail) when the services this backend needs are down."""
        from tests.backends import require_postgres, require_redis
        if "ACCTGUARD_DATABASE_URL" in self.env:
            require_postgres()
        if "ACCTGUARD_REDIS_URL" in self.env:
            require_redis()


def _postgres_redis() -> Backend:
    from tests.backends import POSTGRES_URL, REDIS_URL
    return Backend("postgresql+redis", {
        "ACCTGUARD_DATABASE_URL": POSTGRES_URL, "ACCTGUARD_DATABASE_SCHEMA": "acctguard_faults",
        "ACCTGUARD_REDIS_URL": REDIS_URL, "ACCTGUARD_REDIS_PREFIX": "acctguard-faults:"})


# The backends the fault tests run against (ids get a random suffix per run, so the shared
# PostgreSQL schema and Redis prefix are safe to reuse).
BACKENDS: tuple[Backend, ...] = (
    Backend("sqlite", {}),
)
# The crash test runs on both: the durability claim is for SQLite and for PostgreSQL.
DURABILITY_BACKENDS: tuple[Backend, ...] = (*BACKENDS, _postgres_redis())


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_status(target: str, service: str = "", timeout: float = 0.5) -> int | None:
    """The health status the server reports for ``service``, or None if it does not answer."""
    with grpc.insecure_channel(target) as channel:
        try:
            return int(health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout).status)
        except grpc.RpcError:
            return None


class ServerFailed(RuntimeError):
    """The server exited or did not become SERVING in time; the message has its log tail."""


class ServerProcess:
    """One `acctguard serve` on ``127.0.0.1:port`` with a fixed data directory, restartable.

    ``env`` is added to the environment (inherited ``ACCTGUARD_*`` variables are dropped, so
    the server sees only the settings given here). ``ACCTGUARD_SQLITE_SYNCHRONOUS`` is the
    service's default, FREEZES, unless ``env`` says otherwise: that is the durability the
    service promises (a killed process loses no commit; every commit but a plain ALLOW also
    waits for the disk, against power loss).
    """

    def __init__(self, data_dir: Path, model_path: Path, *, env: Mapping[str, str] | None = None,
                 port: int | None = None, log_dir: Path | None = None,
                 startup_timeout: float = 60.0) -> None:
        self.data_dir = data_dir
        self.model_path = model_path
        self.port = port or free_port()
        self.log_dir = log_dir or data_dir.parent / "logs"
        self.startup_timeout = startup_timeout
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACCTGUARD_")},
                    "ACCTGUARD_LOG_FORMAT": "json", "ACCTGUARD_SQLITE_SYNCHRONOUS": "FREEZES",
                    "ACCTGUARD_METRICS_LISTEN": "127.0.0.1:0",
                    **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.startup_seconds: list[float] = []  # spawn to SERVING, per start
        self._log: IO[bytes] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"serve-{self.starts}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> float:
        """Spawn the server and wait until health reports SERVING. Returns the seconds that
        took. Raises :class:`ServerFailed` if the process exits or times out first."""
        if self.running:
            raise RuntimeError("the server is already running")
        self._close_log()
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        began = time.monotonic()
        self.process = subprocess.Popen(
            [str(ACCTGUARD), "serve", "--listen", self.target, "--data-dir", str(self.data_dir),
             "--model-path", str(self.model_path)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
        self.wait_serving(self.startup_timeout)
        took = time.monotonic() - began
        self.startup_seconds.append(took)
        return took

    def wait_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.target, options=FAST_RECONNECT) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                if not self.running:
                    raise ServerFailed(f"acctguard serve exited with status "
                                       f"{self.returncode}:\n{self.log_tail()}")
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME),
                                       timeout=0.5)
                    if reply.status == SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise ServerFailed(f"not SERVING after {timeout:.0f} s:\n{self.log_tail()}")
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL and reap: no shutdown code runs in the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def terminate(self) -> None:
        """Send SIGTERM and return at once (see :meth:`wait`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit; its exit status. ``subprocess.TimeoutExpired`` if not."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the exit status (SIGKILL if it does not exit in time)."""
        self.terminate()
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def restart(self) -> float:
        """Start again on the same data directory and port (the old process must be gone)."""
        return self.start()

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 40) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "".join(text.splitlines(keepends=True)[-lines:])

    def log_records(self, start: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines of one start (default: the latest)."""
        path = self.log_dir / f"serve-{start or self.starts}.log"
        records = []
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    records.append(json.loads(line))
        return records

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        self.kill()
        self._close_log()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
