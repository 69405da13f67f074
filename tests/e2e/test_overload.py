"""Overload: with ACCTGUARD_MAX_CONCURRENT_RPCS=4, calls beyond four in flight are refused at
once with RESOURCE_EXHAUSTED instead of queueing into their deadlines; the calls that were let
in succeed, and the server keeps serving afterwards. Latencies are reported, not asserted
tightly: the only timing bound is the call deadline."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from detectors.demo import normal_week
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from tests.e2e.crash_harness import history_start, unique_prefix
from tests.e2e.processes import BACKENDS, SERVICE_NAME, SERVING, Backend, ServerProcess
from tests.e2e.processes import health_status as health

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT = 4
DEADLINE = 10.0  # seconds, for every call of the bursts
OK = grpc.StatusCode.OK
SHED = grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.fixture(params=BACKENDS, ids=str)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Where the server keeps its records (tests/e2e/processes.py BACKENDS)."""
    backend: Backend = request.param
    return backend


@pytest.fixture
def server(tmp_path: Path, model_path: Path, backend: Backend) -> Iterator[ServerProcess]:
    env = {**backend.env, "ACCTGUARD_MAX_CONCURRENT_RPCS": str(LIMIT)}
    with ServerProcess(tmp_path / "data", model_path, env=env,
                       log_dir=tmp_path / "logs") as process:
        process.start()
        yield process
        assert process.stop() == 0


@dataclass(frozen=True)
class Outcome:
    kind: str
    code: grpc.StatusCode
    seconds: float


async def timed(kind: str, call: Callable[[], Awaitable[object]]) -> Outcome:
    began = time.perf_counter()
    try:
        await call()
        code = OK
    except grpc.aio.AioRpcError as error:
        code = error.code()
    return Outcome(kind, code, time.perf_counter() - began)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def describe(outcomes: list[Outcome]) -> str:
    """Counts, and latency percentiles per call kind for shed and accepted calls (ms)."""
    parts = [f"calls={len(outcomes)} accepted={sum(o.code == OK for o in outcomes)} "
             f"shed={sum(o.code == SHED for o in outcomes)} deadline_ms={DEADLINE * 1000:.0f}"]
    for kind in sorted({o.kind for o in outcomes}):
        for label, code in (("shed", SHED), ("accepted", OK)):
            ms = [o.seconds * 1000 for o in outcomes if o.kind == kind and o.code == code]
            if ms:
                parts.append(f"{kind} {label}={len(ms)} p50={percentile(ms, 0.5):.1f} "
                             f"p99={percentile(ms, 0.99):.1f} max={max(ms):.1f}")
    others = Counter(o.code.name for o in outcomes if o.code not in (OK, SHED))
    if others:
        parts.append(f"other codes={dict(others)}")
    return "; ".join(parts)


def score_requests(prefix: str, accounts: int) -> list[pb.ScoreRequest]:
    """A week of history for each account: 24 fresh events per account."""
    start = history_start()
    return [event_to_request(e) for n in range(accounts)
            for e in normal_week(f"{prefix}-{n}", start)]


def first_events(prefix: str, accounts: int) -> list[pb.ScoreRequest]:
    """One fresh event for each of ``accounts`` accounts (no two calls for one account)."""
    start = history_start()
    return [event_to_request(normal_week(f"{prefix}-{n}", start)[0]) for n in range(accounts)]


def serves_normally(server: ServerProcess) -> None:
    """After the burst: health SERVING and ordinary calls answered, one at a time."""
    assert health(server.target, SERVICE_NAME) == SERVING
    with grpc.insecure_channel(server.target) as channel:
        stub = rpc.AccountGuardStub(channel)
        prefix = unique_prefix("after")
        for request in score_requests(prefix, 1)[:10]:
            assert stub.Score(request, timeout=DEADLINE).decision != pb.DECISION_UNSPECIFIED
        stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id=f"{prefix}-0"),
                              timeout=DEADLINE)


def test_calls_beyond_the_limit_are_shed_at_once(server: ServerProcess) -> None:
    """Four streams hold every slot (each has been answered once, so it is surely in); then 25
    clients at once, 8 calls each one after another (Score and GetAccountStatus), all get
    RESOURCE_EXHAUSTED; the streams go on and finish OK."""
    requests = score_requests(unique_prefix("held"), LIMIT)
    singles = first_events(unique_prefix("shed"), 100)

    async def run() -> tuple[list[Outcome], list[grpc.StatusCode]]:
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = rpc.AccountGuardStub(channel)
            streams = [stub.ScoreStream(timeout=60) for _ in range(LIMIT)]
            for n, stream in enumerate(streams):
                await stream.write(requests[n * 24])
                assert (await stream.read()).event_id  # the call is in and being served

            async def client(number: int) -> list[Outcome]:
                outcomes = []
                for k in range(8):
                    if (number + k) % 2:
                        request = singles[(number * 8 + k) % len(singles)]
                        outcomes.append(await timed("Score", lambda r=request: stub.Score(
                            r, timeout=DEADLINE)))
                    else:
                        status = pb.GetAccountStatusRequest(account_id=f"shed-{number}")
                        outcomes.append(await timed(
                            "GetAccountStatus", lambda s=status: stub.GetAccountStatus(
                                s, timeout=DEADLINE)))
                return outcomes

            outcomes = [o for group in await asyncio.gather(*(client(n) for n in range(25)))
                        for o in group]
            # Every slot is still held, yet health probes are answered: they are never shed.
            probe = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=DEADLINE)
            assert probe.status == SERVING
            codes = []
            for n, stream in enumerate(streams):  # the held calls carry on, then finish
                await stream.write(requests[n * 24 + 1])
                assert (await stream.read()).event_id
                await stream.done_writing()
                codes.append(await stream.code())
            return outcomes, codes

    outcomes, stream_codes = asyncio.run(run())
    summary = describe(outcomes)
    print(f"overload[held slots, limit={LIMIT}]: {summary}")  # noqa: T201
    assert len(outcomes) == 200
    assert all(o.code == SHED for o in outcomes), summary
    assert max(o.seconds for o in outcomes) < DEADLINE, summary
    assert stream_codes == [OK] * LIMIT, summary
    serves_normally(server)


def test_batches_and_a_stream_of_scores(server: ServerProcess) -> None:
    """Real work beyond the limit: 6 ScoreBatch calls of 3,000 events at once, and meanwhile
    a Score call every 10 ms (300 of them). Every call is either answered (OK) or shed
    (RESOURCE_EXHAUSTED) well within its deadline; nothing waits into DEADLINE_EXCEEDED."""
    batches = [score_requests(unique_prefix(f"hog{b}"), 125) for b in range(6)]
    singles = first_events(unique_prefix("paced"), 300)

    async def run() -> list[Outcome]:
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = rpc.AccountGuardStub(channel)
            calls = [asyncio.ensure_future(timed("ScoreBatch", lambda b=b: stub.ScoreBatch(
                pb.ScoreBatchRequest(requests=b), timeout=DEADLINE))) for b in batches]
            # Let this process serialise and send the 18,000 events first, so the Score
            # latencies measure the server, not this client's event loop.
            await asyncio.sleep(0.3)
            for request in singles:
                calls.append(asyncio.ensure_future(timed(
                    "Score", lambda r=request: stub.Score(r, timeout=DEADLINE))))
                await asyncio.sleep(0.01)
            return list(await asyncio.gather(*calls))

    outcomes = asyncio.run(run())
    summary = describe(outcomes)
    print(f"overload[batches + paced scores, limit={LIMIT}]: {summary}")  # noqa: T201
    assert {o.code for o in outcomes} <= {OK, SHED}, summary
    assert any(o.code == SHED for o in outcomes), summary  # 6 batches alone exceed the limit
    assert any(o.code == OK for o in outcomes), summary
    assert all(o.seconds < DEADLINE for o in outcomes if o.code == SHED), summary
    serves_normally(server)
