"""Send simulator traffic to an acctguard on this machine and report throughput and latency.

    .venv/bin/python scripts/loadtest.py --mode unary --concurrency 16 --duration 10
    .venv/bin/python scripts/loadtest.py --mode batch --batch-size 100 --rate 0
    .venv/bin/python scripts/loadtest.py --spawn --mode stream      # no server running

Modes: ``unary`` (one Score call per event), ``stream`` (ScoreStream, one event per message,
each stream keeping up to ``--window`` messages unanswered), ``batch`` (ScoreBatch,
``--batch-size`` events per call) and ``health`` (grpc.health.v1 Check: a trivial call on the
same server, for ratios; its "events" are calls). ``--concurrency`` calls (streams) are in
flight at once; ``--rate`` caps events/s (0: as fast as the server answers). The tool is
closed-loop: when the server is slower than ``--rate`` it sends slower rather than queueing.

Traffic is simulated once before the clock starts (``--accounts`` x ``--days``; about 1.5 s
for the defaults) and serialized; when a run needs more events than that, the same events are
sent again under fresh account ids. Every account id and event id carries the run id, so runs
against one server never collide. Only 127.0.0.1, localhost and [::1] are accepted targets.

``--spawn`` serves an acctguard in this process on 127.0.0.1 (temporary data directory,
``ACCTGUARD_*`` settings apply). Without ``--model`` it first trains a small model (1,000
accounts x 21 days: about 15 s on 2 cores). Client and server then share one process and one
GIL, so figures are lower than against ``acctguard serve``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import grpc
import numpy as np
from grpc_health.v1 import health_pb2

from detectors.simulation import SimulationConfig, simulate
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.cli_client import ClientOptions, client_options
from service.rpc.converters import event_to_request

MODES = ("unary", "stream", "batch", "health")
METHODS = {"unary": "/acctguard.v1.AccountGuard/Score",
           "stream": "/acctguard.v1.AccountGuard/ScoreStream",
           "batch": "/acctguard.v1.AccountGuard/ScoreBatch",
           "health": "/grpc.health.v1.Health/Check"}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_DURATION = 300.0
DAY = 86400.0
HEALTH_CHECK: bytes = health_pb2.HealthCheckRequest(service="").SerializeToString()
Deserializer = Callable[[bytes], Any]


class TargetRefused(ValueError):
    """The target is not this machine's loopback address."""


def check_target(target: str) -> str:
    """``target`` if it is ``127.0.0.1:P``, ``localhost:P`` or ``[::1]:P``; else TargetRefused."""
    host, sep, port = target.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or host.lower() not in LOOPBACK_HOSTS or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise TargetRefused(f"refusing target {target!r}: the load tool only sends to "
                            "127.0.0.1:PORT, localhost:PORT or [::1]:PORT")
    return target


@dataclass(frozen=True, slots=True)
class LoadConfig:
    target: str = "127.0.0.1:50051"
    mode: str = "unary"
    rate: float = 0.0  # events/s; 0 = as fast as the server answers
    duration: float = 10.0
    concurrency: int = 1
    batch_size: int = 100
    window: int = 64  # stream mode: unanswered messages per stream
    timeout: float = 30.0  # per call (per stream: duration + timeout)
    accounts: int = 2000
    days: int = 7
    seed: int = 5
    run_id: str = field(default_factory=lambda: f"lt{secrets.token_hex(4)}")
    client: ClientOptions = field(default_factory=ClientOptions)

    def __post_init__(self) -> None:
        check_target(self.target)
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if not 0 < self.duration <= MAX_DURATION:
            raise ValueError(f"duration must be in (0, {MAX_DURATION:g}] seconds")
        if self.rate < 0 or self.concurrency < 1 or self.window < 1 \
                or not 1 <= self.batch_size <= 10_000:
            raise ValueError("rate >= 0, concurrency >= 1, window >= 1, batch size 1..10,000")

    @property
    def events_per_call(self) -> int:
        return self.batch_size if self.mode == "batch" else 1


class Traffic:
    """Serialized ScoreRequests: the simulation once, then again under fresh ids per round."""

    def __init__(self, run_id: str, accounts: int, days: int, seed: int) -> None:
        start = (time.time() // DAY - days - 1) * DAY  # all in the recent past
        events = [item.event for item in simulate(
            SimulationConfig(accounts=accounts, days=days, seed=seed, start=start))]
        self._requests = [event_to_request(e) for e in events]
        self._ids = [(e.event_id, e.account_id) for e in events]
        self._run_id = run_id
        self._round = 0
        self._ready: deque[bytes] = deque()

    def take(self, n: int) -> list[bytes]:
        while len(self._ready) < n:
            self._ready.extend(self._next_round())
        return [self._ready.popleft() for _ in range(n)]

    def _next_round(self) -> Iterator[bytes]:
        prefix = f"{self._run_id}.{self._round}-"
        self._round += 1
        for request, (event_id, account_id) in zip(self._requests, self._ids, strict=True):
            event = getattr(request, request.WhichOneof("event") or "login")
            event.event_id, event.account_id = prefix + event_id, prefix + account_id
            yield request.SerializeToString()


def batch_bytes(requests: list[bytes]) -> bytes:
    """A serialized ScoreBatchRequest from serialized ScoreRequests (field 1, repeated)."""
    return b"".join(_field1(r) for r in requests)


def _field1(message: bytes) -> bytes:
    size, prefix = len(message), bytearray(b"\x0a")
    while size > 0x7F:
        prefix.append(0x80 | size & 0x7F)
        size >>= 7
    prefix.append(size)
    return bytes(prefix) + message


class Pacer:
    """Spaces sends to ``rate`` events/s across all senders; no catching up after a stall."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = time.perf_counter()

    async def wait(self, events: int) -> None:
        if not self._interval:
            return
        now = time.perf_counter()
        slot = max(self._next, now)
        self._next = slot + events * self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class Recorder:
    sent: int = 0
    ok: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds per successful call
    errors: Counter[str] = field(default_factory=Counter)

    def success(self, events: int, seconds: float) -> None:
        self.ok += events
        self.latencies.append(seconds)

    def failure(self, error: grpc.aio.AioRpcError) -> None:
        self.errors[error.code().name] += 1


@dataclass
class Run:
    """What every sender shares."""
    config: LoadConfig
    channel: grpc.aio.Channel
    traffic: Traffic | None
    pacer: Pacer
    recorder: Recorder
    deadline: float

    @property
    def over(self) -> bool:
        return time.perf_counter() >= self.deadline

    def payload(self) -> bytes:
        if self.traffic is None:
            return HEALTH_CHECK
        requests = self.traffic.take(self.config.events_per_call)
        return batch_bytes(requests) if self.config.mode == "batch" else requests[0]


async def unary_sender(run: Run) -> None:
    """One call at a time, until the run is over (batch and health use it too)."""
    deserialize: Deserializer = {"unary": pb.ScoreResponse.FromString,
                                 "batch": pb.ScoreBatchResponse.FromString,
                                 "health": health_pb2.HealthCheckResponse.FromString
                                 }[run.config.mode]
    call = run.channel.unary_unary(METHODS[run.config.mode], None, deserialize)
    events = run.config.events_per_call
    while not run.over:
        await run.pacer.wait(events)
        payload = run.payload()
        run.recorder.sent += events
        started = time.perf_counter()
        try:
            await call(payload, timeout=run.config.timeout, metadata=run.config.client.metadata)
        except grpc.aio.AioRpcError as error:
            run.recorder.failure(error)
            await asyncio.sleep(0.01)  # do not spin on a server that refuses everything
            continue
        run.recorder.success(events, time.perf_counter() - started)


async def stream_sender(run: Run) -> None:
    """One ScoreStream after another (a new one after an error), until the run is over."""
    method = run.channel.stream_stream(METHODS["stream"], None, pb.ScoreResponse.FromString)
    while not run.over:
        call = method(None, timeout=run.config.duration + run.config.timeout,
                      metadata=run.config.client.metadata)
        sent_at: deque[float] = deque()
        window = asyncio.Semaphore(run.config.window)
        writer = asyncio.create_task(_write_stream(run, call, sent_at, window))
        try:
            async for _ in call:
                run.recorder.success(1, time.perf_counter() - sent_at.popleft())
                window.release()
            await writer
        except grpc.aio.AioRpcError as error:
            writer.cancel()
            run.recorder.failure(error)
            await asyncio.sleep(0.01)


async def _write_stream(run: Run, call: Any, sent_at: deque[float],
                        window: asyncio.Semaphore) -> None:
    while True:
        await window.acquire()
        await run.pacer.wait(1)
        if run.over:
            break
        payload = run.payload()
        run.recorder.sent += 1
        sent_at.append(time.perf_counter())
        await call.write(payload)
    await call.done_writing()


async def show_progress(recorder: Recorder, started: float) -> None:
    last_ok, last = 0, started
    while True:
        await asyncio.sleep(1.0)
        now = time.perf_counter()
        rate = (recorder.ok - last_ok) / (now - last)
        print(f"[{now - started:5.1f}s] sent {recorder.sent:,}  ok {recorder.ok:,}  "
              f"errors {sum(recorder.errors.values()):,}  {rate:,.0f} events/s",
              file=sys.stderr, flush=True)
        last_ok, last = recorder.ok, now


def open_channel(config: LoadConfig) -> grpc.aio.Channel:
    options: list[tuple[str, Any]] = [("grpc.max_receive_message_length", 64 << 20),
               ("grpc.max_send_message_length", 64 << 20)]
    client = config.client
    if not client.uses_tls:
        return grpc.aio.insecure_channel(config.target, options=options)
    credentials = grpc.ssl_channel_credentials(*(
        path.read_bytes() if path else None
        for path in (client.ca_file, client.key_file, client.cert_file)))
    if client.server_name:
        options.append(("grpc.ssl_target_name_override", client.server_name))
    return grpc.aio.secure_channel(config.target, credentials, options=options)


async def run_load(config: LoadConfig, progress: bool = True) -> dict[str, Any]:
    """Drive the target for ``config.duration`` seconds; the summary (see :func:`summarise`)."""
    traffic = None if config.mode == "health" else Traffic(
        config.run_id, config.accounts, config.days, config.seed)
    async with open_channel(config) as channel:
        await asyncio.wait_for(channel.channel_ready(), timeout=10)
        started = time.perf_counter()
        run = Run(config, channel, traffic, Pacer(config.rate), Recorder(),
                  started + config.duration)
        sender: Callable[[Run], Awaitable[None]] = (
            stream_sender if config.mode == "stream" else unary_sender)
        ticker = asyncio.create_task(show_progress(run.recorder, started)) if progress else None
        await asyncio.gather(*(sender(run) for _ in range(config.concurrency)))
        elapsed = time.perf_counter() - started
        if ticker is not None:
            ticker.cancel()
    return summarise(config, run.recorder, elapsed)


def _percentiles_ms(seconds: list[float], per: int = 1) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p95": None, "p99": None}
    values = np.percentile(np.asarray(seconds) * 1e3 / per, [50, 95, 99])
    return {f"p{q}": round(float(v), 3) for q, v in zip((50, 95, 99), values, strict=True)}


def summarise(config: LoadConfig, recorder: Recorder, elapsed: float) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "mode": config.mode, "target": config.target, "run_id": config.run_id,
        "concurrency": config.concurrency, "rate": config.rate,
        "batch_size": config.batch_size if config.mode == "batch" else None,
        "seconds": round(elapsed, 3), "events_sent": recorder.sent, "events_ok": recorder.ok,
        "calls_ok": len(recorder.latencies),
        "events_per_s": round(recorder.ok / elapsed, 1),
        "call_latency_ms": _percentiles_ms(recorder.latencies),
        "errors": dict(recorder.errors.most_common())}
    if config.mode == "batch":
        summary["event_latency_ms"] = _percentiles_ms(recorder.latencies, config.batch_size)
    return summary


def format_table(summary: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    rows = [("mode", summary["mode"] + (f" ({summary['batch_size']} per call)"
                                        if summary["batch_size"] else "")),
            ("concurrency", str(summary["concurrency"])),
            ("rate", f"{summary['rate']:g} events/s" if summary["rate"] else "max"),
            ("seconds", f"{summary['seconds']:.2f}"),
            ("events sent", f"{summary['events_sent']:,}"),
            ("events ok", f"{summary['events_ok']:,}"),
            ("events/s", f"{summary['events_per_s']:,.0f}")]
    for key, label in (("call_latency_ms", "per call"), ("event_latency_ms", "per event")):
        if key in summary:
            lat = summary[key]
            rows.append((f"latency {label} ms p50/p95/p99",
                         f"{ms(lat['p50'])} / {ms(lat['p95'])} / {ms(lat['p99'])}"))
    errors = ", ".join(f"{code} {n:,}" for code, n in summary["errors"].items())
    rows.append(("errors", errors or "none"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


@contextmanager
def spawned_server(model: Path | None) -> Iterator[str]:
    """An acctguard on 127.0.0.1 in this process, on a temporary data directory."""
    from service.bootstrap import build_application, train_default_model
    from service.config import Settings
    from service.log_config import configure_logging
    from service.rpc.server import serve_in_background

    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="acctguard-loadtest-") as tmp:
        if model is None:
            print("training a small model (1,000 accounts x 21 days)...", file=sys.stderr)
            model = Path(tmp) / "model.npz"
            train_default_model(model, 1000, 21, 11)
        settings = Settings(listen="127.0.0.1:0", data_dir=Path(tmp) / "data", model_path=model)
        app = build_application(settings)
        try:
            with serve_in_background(app.handlers, settings.listen, settings.max_message_bytes,
                                     extra_services=app.services()[1:]) as port:
                yield f"127.0.0.1:{port}"
        finally:
            app.close()


@click.command(help=__doc__.split("\n\n")[0] if __doc__ else None)
@click.option("--target", default="127.0.0.1:50051", show_default=True,
              help="127.0.0.1:PORT, localhost:PORT or [::1]:PORT")
@click.option("--mode", type=click.Choice(MODES), default="unary", show_default=True)
@click.option("--rate", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="events/s; 0 = as fast as the server answers")
@click.option("--duration", type=click.FloatRange(0, MAX_DURATION, min_open=True),
              default=10.0, show_default=True, help=f"seconds, at most {MAX_DURATION:g}")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="calls (streams) in flight")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--window", type=click.IntRange(min=1), default=64, show_default=True,
              help="stream mode: unanswered messages per stream")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="seconds per call")
@click.option("--accounts", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--seed", default=5, show_default=True)
@click.option("--run-id", default=None, help="prefix of account and event ids (default: random)")
@click.option("--spawn", is_flag=True, help="serve an acctguard in this process and load it")
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="with --spawn: model artifact (default: train a small one)")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the summary as JSON here")
@click.option("--no-progress", is_flag=True, help="no progress lines on stderr")
@client_options
def main(target: str, spawn: bool, model: Path | None, json_path: Path | None,
         no_progress: bool, run_id: str | None, client: ClientOptions, **settings: Any) -> None:
    try:
        check_target(target)
    except TargetRefused as refused:
        raise click.UsageError(str(refused)) from None  # exit status 2
    with spawned_server(model) if spawn else _as_is(target) as address:
        if run_id:
            settings["run_id"] = run_id
        config = LoadConfig(target=address, client=client, **settings)
        try:
            summary = asyncio.run(run_load(config, progress=not no_progress))
        except TimeoutError:
            raise click.ClickException(f"no connection to {address} within 10 s") from None
    click.echo(format_table(summary))
    if json_path is not None:
        json_path.write_text(json.dumps(summary, indent=2) + "\n")


@contextmanager
def _as_is(target: str) -> Iterator[str]:
    yield target


if __name__ == "__main__":
    main()
