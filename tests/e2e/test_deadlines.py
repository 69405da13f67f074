"""Short call deadlines over real channels: an event is scored when the deadline covers the
engine's measured time, else answered with the fail mode, and either way a replay of the
event_id answers what the first call did."""

from __future__ import annotations

import math
import threading
import time

import grpc
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from detectors.demo import normal_week
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.rpc.converters import event_to_request
from service.rpc.latency import EngineLatency

pytestmark = pytest.mark.e2e
DAY = 86400.0


def _week(account: str):
    return normal_week(account, math.floor(time.time() / DAY) * DAY - 8 * DAY)


def _answer(reply: pb.ScoreResponse) -> tuple:
    return (reply.decision, [(r.code, r.message) for r in reply.reasons], round(reply.risk, 9),
            reply.freeze_id)


def _shed(app, reason: str) -> float:
    return app.metrics.registry.get_sample_value("acctguard_calls_shed_total",
                                                 {"reason": reason}) or 0.0


def test_a_15_ms_deadline_is_scored_and_a_replay_answers_the_same(server, stub):
    app, _ = server
    week = _week("dl-short")
    firsts = [stub.Score(event_to_request(e), timeout=0.015) for e in week]
    again = [stub.Score(event_to_request(e)) for e in week]  # no deadline
    assert [_answer(r) for r in again] == [_answer(r) for r in firsts]
    codes = {r.code for reply in firsts for r in reply.reasons}
    assert pb.RISK_STORE_UNAVAILABLE not in codes  # the store was healthy throughout
    scored = [r for r in firsts if pb.NOT_SCORED_IN_TIME not in {x.code for x in r.reasons}]
    # The engine takes a few ms: most of these fit (a busy machine may push a few over).
    assert len(scored) >= len(firsts) // 2, [_answer(r) for r in firsts]
    assert all(r.decision == pb.ALLOW for r in scored)
    assert _shed(app, "store_unavailable") == 0
    assert _shed(app, "deadline_too_short") == len(firsts) - len(scored)


def test_a_deadline_shorter_than_the_engine_needs_is_answered_and_stored(server, stub):
    app, _ = server
    week = _week("dl-late")
    for event in week[:4]:
        stub.Score(event_to_request(event), timeout=5)
    profile_before = app.store.load_profile("dl-late")
    # As if the engine had been measured at 50 ms an event.
    app.handlers.batcher.latency = EngineLatency(single=0.05, each=0.05)
    late = week[4]
    with capture_logs(processors=[merge_contextvars]) as logs:
        first = stub.Score(event_to_request(late), timeout=0.03)  # answered within it
    assert first.decision == pb.CHALLENGE  # failing closed (the default)
    assert [r.code for r in first.reasons] == [pb.NOT_SCORED_IN_TIME]
    assert first.reasons[0].message

    app.handlers.batcher.latency = EngineLatency()
    assert _answer(stub.Score(event_to_request(late))) == _answer(first)
    assert _answer(stub.ScoreBatch(pb.ScoreBatchRequest(requests=[event_to_request(late)]),
                                   timeout=5).responses[0]) == _answer(first)
    # Stored as the event's answer; the profile learned nothing from it.
    assert app.store.find_result(late.event_id).reasons[0].code.name == "NOT_SCORED_IN_TIME"
    assert app.store.load_profile("dl-late").event_count == profile_before.event_count
    # The gateway may report the step-up it asked for: recorded, teaching nothing.
    report = stub.ReportChallengeResult(pb.ReportChallengeResultRequest(
        event_id=late.event_id, result=pb.CHALLENGE_PASSED), timeout=5)
    assert not report.learned

    assert _shed(app, "deadline_too_short") == 1
    assert _shed(app, "store_unavailable") == 0
    assert any(e["event"] == "not_scored_in_time" and e["event_id"] == late.event_id
               for e in logs)
    line = next(e for e in logs if e["event"] == "rpc" and e.get("event_id") == late.event_id)
    assert line["degraded"] == "deadline_too_short"
    # The next event of the account is scored as usual.
    assert stub.Score(event_to_request(week[5]), timeout=5).decision == pb.ALLOW


def test_an_event_queued_behind_a_busy_worker_past_its_deadline(server, stub):
    """The worker is busy (a long ScoreBatch, say): a Score call that cannot start in time is
    answered with the fail mode within its deadline, and that answer is what gets stored."""
    app, _ = server
    week = _week("dl-queued")
    stub.Score(event_to_request(week[0]), timeout=5)
    release = threading.Event()
    app.handlers.worker.executor.submit(release.wait, 10)
    try:
        first = stub.Score(event_to_request(week[1]), timeout=0.1)  # answered within it
    finally:
        release.set()
    assert [r.code for r in first.reasons] == [pb.NOT_SCORED_IN_TIME]
    assert _answer(stub.Score(event_to_request(week[1]))) == _answer(first)
    assert _shed(app, "deadline_too_short") == 1


def test_score_batch_never_answers_other_than_it_stores(server, stub):
    """ScoreBatch has no fail-mode answer: with a deadline too short it either answers what it
    stored or the call fails (DEADLINE_EXCEEDED) and a replay returns what was stored."""
    requests = [event_to_request(e) for e in _week("dl-batch")]
    first: pb.ScoreBatchResponse | None = None
    failed: grpc.StatusCode | None = None
    try:
        first = stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests), timeout=0.015)
    except grpc.RpcError as error:
        failed = error.code()
    assert failed in (None, grpc.StatusCode.DEADLINE_EXCEEDED)
    again = stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests), timeout=30)
    if first is not None:
        assert [_answer(r) for r in again.responses] == [_answer(r) for r in first.responses]
    assert all(r.code not in (pb.NOT_SCORED_IN_TIME, pb.RISK_STORE_UNAVAILABLE)
               for reply in again.responses for r in reply.reasons)
