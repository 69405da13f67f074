"""Crash test harness: FREEZE-worthy load while `acctguard serve` is SIGKILLed at random moments,
then checks that every FREEZE the callers were told about is stored, active and single.

Used by ``tests/e2e/test_crash.py`` (20 kills, in CI) and ``scripts/crash_test.py`` (as many
kills as asked). Load: ``workers`` threads, each with its own channel to 127.0.0.1, take fresh
accounts one after another; an account gets a week of ordinary history in one ``ScoreBatch``
(``detectors.demo.normal_week``), then its takeover (``detectors.demo.takeover``) event by
event with unary ``Score``. A call broken by a kill (``UNAVAILABLE``, or a deadline while the
server restarts) is sent again, the same event, until it is answered: scoring is idempotent per
``event_id``, so the answer is the stored one if the killed process had committed it.

Checks, on the server started after the last kill (any backend):
- every reply that said FREEZE names a freeze that ``GetAccountStatus`` lists as ACTIVE;
- the stored freezes of the run's accounts are exactly the ones replies named, each with the id
  derived from its event's id (``freeze_id_for``) and one per event: nothing placed twice,
  nothing placed that no caller was told about;
- sending every answered event again returns the identical reply;
- the audit chain (``VerifyAuditChain``) is intact;
and, with SQLite, after a graceful stop, in the file itself (read-only): ``integrity_check``,
one ``scored_events`` row per answered event, the freezes ACTIVE, and which broken calls had
been committed by the killed process (their reply was lost, not their decision).
"""

from __future__ import annotations

import itertools
import math
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.domain.engine import freeze_id_for
from service.rpc.converters import event_to_request
from tests.e2e.processes import FAST_RECONNECT, Backend, ServerProcess

DAY = 86400.0
# What a call broken by a kill looks like: the connection drops (UNAVAILABLE), or the call
# waits for the restarted server past its deadline.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
REPLAY_CHUNK = 1000
Reply = TypeVar("Reply")


@dataclass(frozen=True)
class CrashConfig:
    kills: int = 20
    seed: int = 1
    workers: int = 4
    min_uptime: float = 0.1  # seconds of load between SERVING and the next SIGKILL
    max_uptime: float = 0.6
    settle_seconds: float = 0.5  # load after the last restart, before the checks
    call_timeout: float = 20.0
    give_up_seconds: float = 90.0  # one event unanswered this long: the run fails
    max_seconds: float | None = None  # stop killing after this long (the report says so)
    run_id: str = ""  # account and event id prefix; default: random, so ids never repeat


@dataclass(frozen=True)
class BrokenCall:
    """A call that failed; its events were sent again."""

    event_ids: tuple[str, ...]
    code: str
    at: float  # wall clock, when the failure was seen


@dataclass
class CrashReport:
    backend: str
    seed: int
    kills_requested: int
    kills: int = 0
    seconds: float = 0.0
    restart_seconds: list[float] = field(default_factory=list)
    accounts: int = 0
    events_sent: int = 0  # distinct events answered (history + takeover)
    calls: int = 0  # RPCs made by the load, retries included
    broken_calls: Counter[str] = field(default_factory=Counter)
    retried_events: int = 0  # distinct events whose call failed at least once
    freeze_replies: int = 0
    freezes_named: int = 0  # distinct freeze ids in FREEZE replies
    verified_present: int = 0  # FREEZE replies whose freeze is listed ACTIVE after restart
    stored_freezes: int = 0
    replays_identical: int = 0
    replays: int = 0
    audit_entries: int = 0
    committed_before_kill: int | None = None  # SQLite only: broken calls already committed
    sqlite_rows: int | None = None
    final_exit_status: int | None = None
    problems: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        restart = (f"{sum(self.restart_seconds) / len(self.restart_seconds):.2f}"
                   if self.restart_seconds else "-")
        committed = ("" if self.committed_before_kill is None
                     else f" committed_before_kill={self.committed_before_kill}")
        return (f"crash[{self.backend} seed={self.seed}]: kills={self.kills}/"
                f"{self.kills_requested} seconds={self.seconds:.1f} restart_mean_s={restart} "
                f"accounts={self.accounts} events_sent={self.events_sent} calls={self.calls} "
                f"broken_calls={sum(self.broken_calls.values())} "
                f"({', '.join(f'{k}={v}' for k, v in sorted(self.broken_calls.items()))}) "
                f"retried_events={self.retried_events}{committed} "
                f"freeze_replies={self.freeze_replies} freezes_named={self.freezes_named} "
                f"verified_present={self.verified_present} stored_freezes={self.stored_freezes} "
                f"replays_identical={self.replays_identical}/{self.replays} "
                f"audit_entries={self.audit_entries} problems={len(self.problems)}")

    def table(self) -> str:
        restarts = sorted(self.restart_seconds)
        rows: list[tuple[str, Any]] = [
            ("backend", self.backend), ("seed", self.seed),
            ("SIGKILLs", f"{self.kills} of {self.kills_requested}"),
            ("run time (s)", f"{self.seconds:.1f}"),
            ("restart to SERVING, median / max (s)",
             f"{restarts[len(restarts) // 2]:.2f} / {restarts[-1]:.2f}" if restarts else "-"),
            ("accounts (history + takeover)", self.accounts),
            ("events sent and answered", self.events_sent),
            ("RPCs (retries included)", self.calls),
            ("calls broken by a kill", ", ".join(
                f"{k} {v}" for k, v in sorted(self.broken_calls.items())) or "0"),
            ("events sent again after a broken call", self.retried_events),
            ("  of which the killed process had committed",
             "-" if self.committed_before_kill is None else self.committed_before_kill),
            ("FREEZE replies", self.freeze_replies),
            ("distinct freezes named in replies", self.freezes_named),
            ("FREEZE replies whose freeze is ACTIVE after restart",
             f"{self.verified_present} of {self.freeze_replies}"),
            ("freezes stored for the run's accounts", self.stored_freezes),
            ("answered events re-sent: identical reply",
             f"{self.replays_identical} of {self.replays}"),
            ("audit chain entries (intact)", self.audit_entries),
            ("SQLite scored_events rows for the run",
             "-" if self.sqlite_rows is None else self.sqlite_rows),
            ("exit status of the final SIGTERM",
             "-" if self.final_exit_status is None else self.final_exit_status),
            ("problems", len(self.problems)),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        lines.extend(f"PROBLEM: {problem}" for problem in self.problems[:50])
        return "\n".join(lines)


def unique_prefix(name: str) -> str:
    """``name`` plus a random suffix: account and event ids no earlier run used (a shared
    database, as with PostgreSQL, keeps the events of every run)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def history_start(now: float | None = None) -> float:
    """Midnight UTC eight days ago: the takeover then falls about a day before now."""
    return math.floor((time.time() if now is None else now) / DAY) * DAY - 8 * DAY


class LoadGenerator:
    """Threads sending FREEZE-worthy traffic; broken calls are retried until answered."""

    def __init__(self, target: str, config: CrashConfig, prefix: str) -> None:
        self.target = target
        self.config = config
        self.prefix = prefix
        self.start = history_start()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self.replies: dict[str, pb.ScoreResponse] = {}
        self.requests: dict[str, pb.ScoreRequest] = {}
        self.accounts: list[str] = []  # every account the load started
        self.broken: list[BrokenCall] = []
        self.errors: list[str] = []
        self.calls = 0
        self._threads: list[threading.Thread] = []

    def begin(self) -> None:
        self._threads = [threading.Thread(target=self._work, name=f"load-{n}", daemon=True)
                         for n in range(self.config.workers)]
        for thread in self._threads:
            thread.start()

    def finish(self, timeout: float) -> bool:
        """Stop after the accounts in progress; False if a thread is still busy after
        ``timeout`` seconds (a hang)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _work(self) -> None:
        try:
            with grpc.insecure_channel(self.target, options=FAST_RECONNECT) as channel:
                stub = rpc.AccountGuardStub(channel)
                while not self.stopping.is_set():
                    self._one_account(stub, f"{self.prefix}-{next(self._numbers)}")
        except Exception as error:  # the checks report it; the kill loop stops early
            with self._lock:
                self.errors.append(f"{type(error).__name__}: {error}")

    def _one_account(self, stub: rpc.AccountGuardStub, account: str) -> None:
        with self._lock:
            self.accounts.append(account)
        history = [event_to_request(e) for e in normal_week(account, self.start)]
        ids = [_event_id(r) for r in history]
        answer = self._call(stub.ScoreBatch, pb.ScoreBatchRequest(requests=history), ids)
        self._record(history, list(answer.responses))
        for event in takeover(account, takeover_start(self.start)):
            request = event_to_request(event)
            self._record([request], [self._call(stub.Score, request, [event.event_id])])

    def _call(self, method: Callable[..., Reply], request: Any, event_ids: Sequence[str]
              ) -> Reply:
        give_up = time.monotonic() + self.config.give_up_seconds
        while True:
            with self._lock:
                self.calls += 1
            try:
                return method(request, timeout=self.config.call_timeout, wait_for_ready=True)
            except grpc.RpcError as error:
                code = error.code()  # the error is also the grpc.Call
                if code not in RETRYABLE or time.monotonic() > give_up:
                    raise RuntimeError(f"{event_ids[0]}: {code} {error.details()}") from None
                with self._lock:
                    self.broken.append(BrokenCall(tuple(event_ids), code.name, time.time()))
                time.sleep(0.01)

    def _record(self, requests: Sequence[pb.ScoreRequest],
                replies: Sequence[pb.ScoreResponse]) -> None:
        with self._lock:
            for request, reply in zip(requests, replies, strict=True):
                self.requests[reply.event_id] = request
                self.replies[reply.event_id] = reply


def run_crash_test(server: ServerProcess, backend: Backend, config: CrashConfig,
                   progress: Callable[[str], None] | None = None) -> CrashReport:
    """Start ``server`` (if needed), run the load, kill and restart it ``config.kills`` times
    at random moments (``config.seed``), then check. The server is stopped with SIGTERM at the
    end. Returns the report; ``report.problems`` lists every violation found."""
    rng = random.Random(config.seed)
    report = CrashReport(backend=backend.name, seed=config.seed, kills_requested=config.kills)
    prefix = config.run_id or unique_prefix("crash")
    if not server.running:
        server.start()
    began = time.monotonic()
    load = LoadGenerator(server.target, config, prefix)
    kill_times: list[float] = []
    load.begin()
    try:
        for number in range(1, config.kills + 1):
            time.sleep(rng.uniform(config.min_uptime, config.max_uptime))
            if load.errors:
                break
            if config.max_seconds is not None and time.monotonic() - began > config.max_seconds:
                report.problems.append(f"stopped after {number - 1} kills: over the time "
                                       f"budget of {config.max_seconds:.0f} s")
                break
            server.kill()
            kill_times.append(time.time())
            report.kills += 1
            report.restart_seconds.append(server.restart())
            if progress is not None:
                progress(f"kill {number}/{config.kills}: {len(load.replies)} events answered, "
                         f"{len(load.broken)} broken calls")
        time.sleep(config.settle_seconds)
    finally:
        finished = load.finish(timeout=config.give_up_seconds + config.call_timeout)
    report.seconds = time.monotonic() - began
    if not finished:
        report.problems.append("a load thread did not finish: a call hung")
    report.problems.extend(f"load error: {error}" for error in load.errors)
    _summarise_load(report, load)
    _check_server(report, server.target, load)
    report.final_exit_status = server.stop(timeout=60)
    if report.final_exit_status != 0:
        report.problems.append(f"the final SIGTERM exited with status "
                               f"{report.final_exit_status}")
    if backend.uses_sqlite:
        _check_sqlite(report, server.data_dir / "acctguard.sqlite3", load, prefix)
    return report


def _summarise_load(report: CrashReport, load: LoadGenerator) -> None:
    report.accounts = len(load.accounts)
    report.events_sent = len(load.replies)
    report.calls = load.calls
    report.broken_calls = Counter(b.code for b in load.broken)
    report.retried_events = len({e for b in load.broken for e in b.event_ids})
    freezes = [r for r in load.replies.values() if r.decision == pb.FREEZE]
    report.freeze_replies = len(freezes)
    report.freezes_named = len({r.freeze_id for r in freezes})


def _account_of(request: pb.ScoreRequest) -> str:
    which = request.WhichOneof("event")
    return str(getattr(request, str(which)).account_id)


def _event_id(request: pb.ScoreRequest) -> str:
    which = request.WhichOneof("event")
    return str(getattr(request, str(which)).event_id)


def _check_server(report: CrashReport, target: str, load: LoadGenerator) -> None:
    named: dict[str, set[str]] = defaultdict(set)  # account -> freeze ids replies named
    for event_id, reply in load.replies.items():
        if reply.decision == pb.FREEZE:
            named[_account_of(load.requests[event_id])].add(reply.freeze_id)
    with grpc.insecure_channel(target) as channel:
        stub = rpc.AccountGuardStub(channel)
        stored: dict[str, dict[str, pb.Freeze]] = {}
        for account in load.accounts:
            status = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id=account),
                                           timeout=10, wait_for_ready=True)
            stored[account] = {f.freeze_id: f for f in status.freezes}
            report.stored_freezes += len(status.freezes)
            events = [f.event_id for f in status.freezes]
            if len(events) != len(set(events)):
                report.problems.append(f"{account}: one event has two freezes: {events}")
            for freeze in status.freezes:
                if freeze.placed_by == "engine" and freeze.freeze_id != freeze_id_for(
                        freeze.event_id):
                    report.problems.append(f"{freeze.freeze_id}: not the id of its event "
                                           f"{freeze.event_id}")
            unnamed = set(stored[account]) - named.get(account, set())
            if unnamed:
                report.problems.append(f"{account}: freezes no reply named: {sorted(unnamed)}")
        for event_id, reply in load.replies.items():
            if reply.decision != pb.FREEZE:
                continue
            freeze = stored[_account_of(load.requests[event_id])].get(reply.freeze_id)
            if freeze is not None and freeze.state == pb.ACTIVE:
                report.verified_present += 1
            else:
                report.problems.append(
                    f"{event_id}: the reply said FREEZE {reply.freeze_id}, but after restart "
                    f"it is {'missing' if freeze is None else pb.FreezeState.Name(freeze.state)}")
        _replay(report, stub, load)
        audit = rpc.AccountGuardAdminStub(channel).VerifyAuditChain(
            pb.VerifyAuditChainRequest(), timeout=60)
        report.audit_entries = audit.entries
        if not audit.intact:
            report.problems.append(f"audit chain broken at entry {audit.first_bad_sequence}")


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for index in range(0, len(items), size):
        yield items[index:index + size]


def _replay(report: CrashReport, stub: rpc.AccountGuardStub, load: LoadGenerator) -> None:
    """Every answered event again: the stored answer must come back, unchanged."""
    event_ids = list(load.replies)
    for chunk in _chunks(event_ids, REPLAY_CHUNK):
        answer = stub.ScoreBatch(pb.ScoreBatchRequest(
            requests=[load.requests[e] for e in chunk]), timeout=60)
        for event_id, again in zip(chunk, answer.responses, strict=True):
            report.replays += 1
            if again == load.replies[event_id]:
                report.replays_identical += 1
            else:
                report.problems.append(f"{event_id}: sent again, the reply differs: "
                                       f"{load.replies[event_id]} then {again}")


def _check_sqlite(report: CrashReport, path: Path, load: LoadGenerator, prefix: str) -> None:
    """Read the database file (read-only) after the graceful stop."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            report.problems.append(f"SQLite integrity_check: {integrity}")
        pattern = prefix + "-%"
        scored = dict(db.execute("SELECT event_id, scored_at FROM scored_events "
                                 "WHERE account_id LIKE ?", (pattern,)).fetchall())
        report.sqlite_rows = len(scored)
        if set(scored) != set(load.replies):
            report.problems.append(
                f"scored_events: {len(set(load.replies) - set(scored))} answered events "
                f"missing, {len(set(scored) - set(load.replies))} never answered")
        for freeze_id, event_id, state in db.execute(
                "SELECT freeze_id, event_id, state FROM freezes WHERE account_id LIKE ?",
                (pattern,)):
            if state != "ACTIVE" or freeze_id != freeze_id_for(event_id):
                report.problems.append(f"freezes row {freeze_id} ({event_id}): {state}")
    committed = set()
    for broken in load.broken:
        for event_id in broken.event_ids:
            at = scored.get(event_id)
            if at is not None and at <= broken.at:
                committed.add(event_id)
    report.committed_before_kill = len(committed)
