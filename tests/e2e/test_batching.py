"""ScoreBatch and micro-batched Score over real channels: the answers of one call per event.

Each comparison runs the same events through two fresh servers, because the crowd signal
(failed sign-ins per network across accounts) rightly depends on every account's traffic."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import Application
from service.config import Settings
from service.rpc.converters import event_to_request
from tests.conftest import running_server

pytestmark = pytest.mark.e2e
DAY = 86400.0


def _traffic(accounts: list[str], attacked: int = 2):
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    events = [e for a in accounts for e in normal_week(a, start)]
    events.sort(key=lambda e: e.occurred_at)
    return events + [e for a in accounts[:attacked] for e in takeover(a, takeover_start(start))]


def _comparable(reply: pb.ScoreResponse) -> tuple:
    return (reply.event_id, round(reply.risk, 9), reply.decision,
            [r.code for r in reply.reasons], list(reply.frozen_features), reply.freeze_id)


def _on_fresh_server(settings: Settings, tmp: Path,
                     drive: Callable[[rpc.AccountGuardStub, Application], object]) -> object:
    fresh = settings.model_copy(update={"data_dir": tmp})
    with running_server(fresh) as (app, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        return drive(rpc.AccountGuardStub(channel), app)


def test_score_batch_matches_score(server_settings, tmp_path):
    events = _traffic(["ba1", "ba2", "ba3"])
    requests = [event_to_request(e) for e in events]

    def batched(stub, app):
        first = stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests), timeout=30).responses
        again = stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests), timeout=30).responses
        assert [_comparable(r) for r in again] == [_comparable(r) for r in first]
        return [_comparable(r) for r in first]

    def one_by_one(stub, app):
        return [_comparable(stub.Score(r, timeout=5)) for r in requests]

    got = _on_fresh_server(server_settings, tmp_path / "a", batched)
    want = _on_fresh_server(server_settings, tmp_path / "b", one_by_one)
    assert got == want
    assert [g[0] for g in got] == [e.event_id for e in events]
    assert any(g[2] == pb.FREEZE for g in got)


def test_score_batch_with_a_bad_event_names_it_and_writes_nothing(stub, server_app):
    events = _traffic(["bc1"], attacked=0)[:5]
    requests = [event_to_request(e) for e in events]
    requests[3] = pb.ScoreRequest(login=pb.LoginEvent(
        event_id="bad", account_id="bc1", occurred_at=requests[0].login.occurred_at
        if requests[0].HasField("login") else requests[0].transaction.occurred_at,
        latitude=123.0))
    with pytest.raises(grpc.RpcError) as raised:
        stub.ScoreBatch(pb.ScoreBatchRequest(requests=requests), timeout=10)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("requests[3].login.latitude:")
    assert server_app.store.load_profile("bc1") is None


def test_concurrent_score_calls_are_batched_and_answer_as_alone(server_settings, tmp_path):
    accounts = [f"cc{i}" for i in range(16)]
    per_account = {a: _traffic([a], attacked=1) for a in accounts}
    # Every account is attacked from the same network at the same moment, so the crowd signal
    # would make answers depend on interleaving; spread the attacks over distinct days instead.
    for shift, account in enumerate(accounts):
        per_account[account] = [e for e in per_account[account] if "ato" not in e.event_id] \
            if shift else per_account[account]

    def concurrently(stub, app):
        batcher = app.handlers.batcher
        with ThreadPoolExecutor(16) as pool:  # one thread per account: its events stay in order
            replies = dict(zip(accounts, pool.map(
                lambda a: [_comparable(stub.Score(event_to_request(e), timeout=10))
                           for e in per_account[a]], accounts), strict=True))
        assert batcher.events == sum(len(v) for v in per_account.values())
        assert batcher.batches < batcher.events  # calls in flight together went as batches
        return replies

    def alone(stub, app):
        return {a: [_comparable(stub.Score(event_to_request(e), timeout=10))
                    for e in per_account[a]] for a in accounts}

    assert _on_fresh_server(server_settings, tmp_path / "a", concurrently) == \
        _on_fresh_server(server_settings, tmp_path / "b", alone)
