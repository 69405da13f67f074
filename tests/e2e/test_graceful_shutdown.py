"""SIGTERM under load: health turns NOT_SERVING first (ACCTGUARD_SHUTDOWN_NOTICE_SECONDS) while
calls are still answered, then new calls are refused with UNAVAILABLE (at once, not a hang),
calls in flight finish within ACCTGUARD_GRACE_SECONDS, the process exits 0, and every call that
was answered OK has its answer stored: after a restart, sending it again returns it unchanged.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from tests.e2e.crash_harness import history_start, unique_prefix
from tests.e2e.processes import BACKENDS, SERVICE_NAME, Backend, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTICE = 1.0
GRACE = 5.0
MARGIN = 10.0  # exit within NOTICE + GRACE + MARGIN seconds of SIGTERM
DEADLINE = 15.0  # of every call: longer than the whole shutdown, so a hang would show
OK = grpc.StatusCode.OK
REFUSED = grpc.StatusCode.UNAVAILABLE
# A call sent in the instant the server closes its connections can be reset by the transport
# before any handler sees it; the client then reports CANCELLED instead of UNAVAILABLE. Such a
# call was never accepted (the server logs no call for it): it counts with the refusals.
RESET = grpc.StatusCode.CANCELLED


@pytest.fixture(params=BACKENDS, ids=str)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Where the server keeps its records (tests/e2e/processes.py BACKENDS)."""
    backend: Backend = request.param
    return backend


@dataclass(frozen=True)
class Call:
    kind: str
    requests: tuple[pb.ScoreRequest, ...]
    replies: tuple[pb.ScoreResponse, ...]
    code: grpc.StatusCode
    began: float  # time.monotonic()
    ended: float


class Load:
    """Unary Score from ``workers`` threads (each its own accounts, in time order) and
    ScoreBatch calls of 1,000 events back to back from one more, until stopped. A refused
    call is not sent again: this test is about what the server did with each call."""

    def __init__(self, target: str, workers: int = 4) -> None:
        self.target = target
        self.stopping = threading.Event()
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._start = history_start()
        self._prefix = unique_prefix("drain")
        self._threads = [threading.Thread(target=self._guard, args=(self._unary, n), daemon=True)
                         for n in range(workers)]
        self._threads.append(threading.Thread(target=self._guard, args=(self._batches, 0),
                                              daemon=True))

    def begin(self) -> None:
        for thread in self._threads:
            thread.start()

    def finish(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(DEADLINE + 5)
        assert not any(t.is_alive() for t in self._threads), "a load thread hung"

    def first_refusal(self) -> float | None:
        with self._lock:
            return min((c.ended for c in self.calls if c.code == REFUSED), default=None)

    def _guard(self, work: Callable[[int], None], number: int) -> None:
        try:
            work(number)
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {error}")

    def _events(self, prefix: str) -> Iterator[pb.ScoreRequest]:
        account = 0
        while True:
            name = f"{prefix}-{account}"
            week = normal_week(name, self._start)
            for event in [*week, *takeover(name, takeover_start(self._start))]:
                yield event_to_request(event)
            account += 1

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _unary(self, number: int) -> None:
        with grpc.insecure_channel(self.target) as channel:
            stub = rpc.AccountGuardStub(channel)
            for request in self._events(f"{self._prefix}-unary{number}"):
                if self.stopping.is_set():
                    return
                began = time.monotonic()
                try:
                    reply = stub.Score(request, timeout=DEADLINE)
                    self._record(Call("Score", (request,), (reply,), OK, began, time.monotonic()))
                except grpc.RpcError as error:
                    self._record(Call("Score", (request,), (), error.code(), began,
                                      time.monotonic()))
                    time.sleep(0.02)

    def _batches(self, number: int) -> None:
        events = self._events(f"{self._prefix}-batch{number}")
        with grpc.insecure_channel(self.target) as channel:
            stub = rpc.AccountGuardStub(channel)
            while not self.stopping.is_set():
                requests = tuple(next(events) for _ in range(1000))
                began = time.monotonic()
                try:
                    answer = stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests),
                                             timeout=DEADLINE)
                    self._record(Call("ScoreBatch", requests, tuple(answer.responses), OK, began,
                                      time.monotonic()))
                except grpc.RpcError as error:
                    self._record(Call("ScoreBatch", requests, (), error.code(), began,
                                      time.monotonic()))
                    time.sleep(0.05)


class HealthWatch:
    """Polls Health.Check for the AccountGuard service every 10 ms: (time, status name)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[tuple[float, str]] = []
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def begin(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        self.stopping.set()
        self._thread.join(5)

    def first(self, status: str, after: float) -> float | None:
        return next((t for t, s in self.seen if s == status and t >= after), None)

    def _watch(self) -> None:
        with grpc.insecure_channel(self.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while not self.stopping.is_set():
                try:
                    status = health_pb2.HealthCheckResponse.ServingStatus.Name(stub.Check(
                        health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=0.5).status)
                except grpc.RpcError as error:
                    status = error.code().name
                self.seen.append((time.monotonic(), status))
                time.sleep(0.01)


class HeldStream:
    """A ScoreStream kept open across the SIGTERM: a call surely in flight when the drain
    starts. Requests go in one by one; each reply is read before the next is sent."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
        self._call = rpc.AccountGuardStub(channel).ScoreStream(
            iter(self._requests.get, None), timeout=60)
        self.replies: list[tuple[pb.ScoreRequest, pb.ScoreResponse]] = []

    def send(self, request: pb.ScoreRequest) -> pb.ScoreResponse:
        self._requests.put(request)
        reply: pb.ScoreResponse = next(self._call)
        self.replies.append((request, reply))
        return reply

    def close(self) -> grpc.StatusCode:
        self._requests.put(None)
        for _ in self._call:  # the end of the stream
            pass
        return self._call.code()


def replay(target: str, answered: list[tuple[pb.ScoreRequest, pb.ScoreResponse]]) -> list[str]:
    """Send every answered event again; the differences from the first answer."""
    differences = []
    with grpc.insecure_channel(target) as channel:
        stub = rpc.AccountGuardStub(channel)
        for index in range(0, len(answered), 1000):
            chunk = answered[index:index + 1000]
            again = stub.ScoreBatch(pb.ScoreBatchRequest(requests=[r for r, _ in chunk]),
                                    timeout=60).responses
            differences += [f"{first.event_id}: {first} then {second}"
                            for (_, first), second in zip(chunk, again, strict=True)
                            if first != second]
    return differences


def event_ids(requests: list[pb.ScoreRequest]) -> list[str]:
    return [getattr(r, str(r.WhichOneof("event"))).event_id for r in requests]


def test_sigterm_under_load_drains_and_loses_nothing(tmp_path: Path, model_path: Path,
                                                     backend: Backend) -> None:
    env = {**backend.env, "ACCTGUARD_SHUTDOWN_NOTICE_SECONDS": str(NOTICE),
           "ACCTGUARD_GRACE_SECONDS": str(GRACE)}
    with ServerProcess(tmp_path / "data", model_path, env=env,
                       log_dir=tmp_path / "logs") as server:
        server.start()
        load, watch = Load(server.target), HealthWatch(server.target)
        stream_channel = grpc.insecure_channel(server.target)
        held = HeldStream(stream_channel)
        extra = (event_to_request(e) for e in normal_week(unique_prefix("held"), history_start()))
        held.send(next(extra))
        watch.begin()
        load.begin()
        time.sleep(1.0)

        sigterm = time.monotonic()
        server.terminate()
        limit = sigterm + NOTICE + GRACE + MARGIN
        while load.first_refusal() is None and time.monotonic() < limit:
            time.sleep(0.005)
        refused_at = load.first_refusal()
        held.send(next(extra))  # the drain has begun: an accepted call is still served
        stream_code = held.close()
        stream_channel.close()
        exit_status = server.wait(timeout=NOTICE + GRACE + MARGIN)
        exited = time.monotonic()
        time.sleep(0.3)  # calls after the exit are refused too
        load.finish()
        watch.finish()
        stopped_logged = any(r.get("event") == "stopped" for r in server.log_records())

        calls = load.calls
        answered = [(q, a) for c in calls if c.code == OK
                    for q, a in zip(c.requests, c.replies, strict=True)] + held.replies
        refused = [c for c in calls if c.code in (REFUSED, RESET)]
        not_serving = watch.first("NOT_SERVING", after=sigterm)
        during_notice = [c for c in calls if c.code == OK and not_serving is not None
                         and c.began > not_serving]
        in_flight = [c for c in calls if c.code == OK and refused_at is not None
                     and c.began < refused_at < c.ended]
        stored_refused: int | None = None
        if backend.uses_sqlite:
            with sqlite3.connect(f"file:{server.data_dir / 'acctguard.sqlite3'}?mode=ro",
                                 uri=True) as db:
                stored = {row[0] for row in db.execute("SELECT event_id FROM scored_events")}
            stored_refused = sum(e in stored for c in refused for e in event_ids(list(c.requests)))
            missing = [e for e in event_ids([q for q, _ in answered]) if e not in stored]
            assert not missing, f"answered OK but not stored: {missing[:10]}"

        def ms(at: float | None) -> str:
            return "never" if at is None else f"{(at - sigterm) * 1000:.0f}"

        summary = (
            f"shutdown[{backend}]: calls={len(calls)} codes="
            f"{dict(Counter(c.code.name for c in calls))} answered_events={len(answered)} "
            f"not_serving_after_ms={ms(not_serving)} first_refusal_after_ms={ms(refused_at)} "
            f"ok_calls_started_after_not_serving={len(during_notice)} "
            f"ok_calls_in_flight_at_first_refusal={len(in_flight)} "
            f"refused_max_ms={max((c.ended - c.began) * 1000 for c in refused):.1f} "
            f"refused_but_stored={stored_refused} exit_status={exit_status} "
            f"exit_after_s={exited - sigterm:.2f} (notice {NOTICE} + grace {GRACE})"
            if refused else f"shutdown[{backend}]: no call was refused; calls={len(calls)}")
        print(summary)  # noqa: T201

        assert not load.errors, load.errors
        assert {c.code for c in calls} <= {OK, REFUSED, RESET}, summary
        assert refused, summary
        assert not_serving is not None, summary
        assert refused_at is not None
        assert not_serving < refused_at, summary  # health first, then refusals
        assert during_notice, summary  # still answering during the notice
        assert all(c.ended - c.began < DEADLINE for c in refused), summary  # refused, not hung
        assert stream_code == OK, summary
        assert exit_status == 0, summary + "\n" + server.log_tail()
        assert exited - sigterm < NOTICE + GRACE + MARGIN, summary
        assert stopped_logged, server.log_tail()

        server.restart()
        differences = replay(server.target, answered)
        assert not differences, f"{len(differences)} answers changed: {differences[:3]}"
        assert server.stop() == 0
