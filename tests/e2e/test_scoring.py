"""End to end over a real gRPC channel on 127.0.0.1."""

from __future__ import annotations

import math
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.rpc.converters import event_to_request

pytestmark = pytest.mark.e2e
DAY = 86400.0


def week_start() -> float:
    return math.floor(time.time() / DAY) * DAY - 8 * DAY


def test_normal_week_is_allowed(stub):
    for event in normal_week("alice", week_start()):
        reply = stub.Score(event_to_request(event), timeout=5)
        assert reply.decision == pb.ALLOW, (event.event_id, reply)
        assert reply.model_version
        assert 0.0 <= reply.risk <= 1.0


def test_takeover_is_frozen_with_readable_reasons(stub):
    start = week_start()
    for event in normal_week("bob", start):
        stub.Score(event_to_request(event), timeout=5)
    replies = [stub.Score(event_to_request(e), timeout=5) for e in takeover("bob",
                                                                          takeover_start(start))]
    assert replies[-1].decision == pb.FREEZE
    freezing = next(r for r in replies if r.freeze_id)
    codes = {r.code for r in freezing.reasons}
    assert codes & {pb.NEW_DEVICE, pb.IMPOSSIBLE_TRAVEL}
    assert all(r.message.endswith(".") for r in freezing.reasons)
    status = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="bob"), timeout=5)
    assert next(f.freeze_id for f in status.freezes) == freezing.freeze_id
    assert status.freezes[0].state == pb.ACTIVE
    assert status.freezes[0].expires_at.seconds > time.time()
    assert set(status.frozen_features) >= {pb.TRANSFER_OUT}


def test_same_event_twice_gives_same_answer_and_one_freeze(stub):
    start = week_start()
    for event in normal_week("carol", start):
        stub.Score(event_to_request(event), timeout=5)
    attack = takeover("carol", takeover_start(start))
    first = [stub.Score(event_to_request(e), timeout=5) for e in attack]
    again = [stub.Score(event_to_request(e), timeout=5) for e in attack]
    assert first == again
    status = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="carol"), timeout=5)
    assert len({f.event_id for f in status.freezes}) == len(status.freezes)
    assert len(status.freezes) == len({r.freeze_id for r in first if r.freeze_id
                                       and r.reasons[0].code != pb.FEATURE_FROZEN})


def test_score_stream_answers_in_order(stub):
    events = normal_week("dave", week_start())
    replies = list(stub.ScoreStream(iter(event_to_request(e) for e in events), timeout=30))
    assert [r.event_id for r in replies] == [e.event_id for e in events]


def test_unfreeze_without_a_verified_challenge_is_refused(stub):
    with pytest.raises(grpc.RpcError) as raised:
        stub.Unfreeze(pb.UnfreezeRequest(account_id="a", challenge_id="c"), timeout=5)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_health_and_reflection(channel):
    reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service="acctguard.v1.AccountGuard"), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    [answer] = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in answer.list_services_response.service}
    assert {"acctguard.v1.AccountGuard", "acctguard.v1.AccountGuardAdmin",
            "grpc.health.v1.Health"} <= names
