"""Bad input gets INVALID_ARGUMENT naming the field, and changes nothing."""

from __future__ import annotations

import time

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.acctguard.v1 import acctguard_pb2 as pb

pytestmark = pytest.mark.e2e


def _ts(seconds: float) -> Timestamp:
    return Timestamp(seconds=int(seconds))


def _login(**fields):
    base = {"event_id": "bad-1", "account_id": "mallory", "occurred_at": _ts(time.time() - 5),
            "country": "DE", "latitude": 52.5, "longitude": 13.4}
    base.update(fields)
    return pb.ScoreRequest(login=pb.LoginEvent(**base))


def _transfer(**fields):
    base = {"event_id": "bad-2", "account_id": "mallory", "occurred_at": _ts(time.time() - 5),
            "amount_minor": 100, "feature": pb.TRANSFER_OUT}
    base.update(fields)
    return pb.ScoreRequest(transaction=pb.TransactionEvent(**base))


CASES = [
    (pb.ScoreRequest(), "event"),
    (_login(event_id=""), "login.event_id"),
    (_login(account_id=""), "login.account_id"),
    (_login(latitude=123.0), "login.latitude"),
    (_login(account_id="a" * 10_000), "login.account_id"),
    (_login(user_agent="u" * 10_000), "login.user_agent"),
    (_login(occurred_at=_ts(time.time() + 86400)), "login.occurred_at"),
    (pb.ScoreRequest(login=pb.LoginEvent(event_id="x", account_id="y")), "login.occurred_at"),
    (_transfer(amount_minor=-5), "transaction.amount_minor"),
    (_transfer(feature=pb.CREDIT_FEATURE_UNSPECIFIED), "transaction.feature"),
    (_transfer(feature=99), "transaction.feature"),
    (pb.ScoreRequest(account_change=pb.AccountChangeEvent(
        event_id="c", account_id="m", occurred_at=_ts(time.time()))), "account_change.change"),
]


def _nothing_stored(app, event_ids=("bad-1", "bad-2", "c", "x"), accounts=("mallory", "m")):
    store = app.store
    assert all(store.find_result(e) is None for e in event_ids)
    assert all(store.load_profile(a) is None for a in accounts)
    assert all(store.freezes(a) == [] for a in accounts)


@pytest.mark.parametrize(("request_message", "field"), CASES)
def test_invalid_argument_names_the_field_and_writes_nothing(stub, server_app, request_message,
                                                             field):
    with pytest.raises(grpc.RpcError) as raised:
        stub.Score(request_message, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field + ":")
    _nothing_stored(server_app)


def test_a_valid_event_after_a_rejected_one_with_the_same_id_is_scored_fresh(stub, server_app):
    with pytest.raises(grpc.RpcError):
        stub.Score(_login(latitude=95.0), timeout=5)
    _nothing_stored(server_app)
    reply = stub.Score(_login(), timeout=5)
    assert reply.event_id == "bad-1"
    stored = server_app.store.find_result("bad-1")
    assert stored is not None
    assert stored.risk == reply.risk
    assert server_app.store.load_profile("mallory").event_count == 1


def test_bytes_that_do_not_parse_are_invalid_argument(channel):
    raw = channel.unary_unary("/acctguard.v1.AccountGuard/Score",
                              request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as raised:
        raw(b"\xff\xff\xff\xff\x0f", timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "acctguard.v1.ScoreRequest" in raised.value.details()


def test_invalid_event_in_a_stream_names_its_position(stub):
    good = _login(event_id="s-1")
    bad = _login(event_id="s-2", latitude=-100.0)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.ScoreStream(iter([good, bad]), timeout=10))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("requests[1].login.latitude:")


def test_undecodable_and_conflicting_stream_messages_name_their_position(channel):
    raw = channel.stream_stream("/acctguard.v1.AccountGuard/ScoreStream",
                                request_serializer=lambda b: b,
                                response_deserializer=pb.ScoreResponse.FromString)
    good = _login(event_id="s-10").SerializeToString()
    with pytest.raises(grpc.RpcError) as raised:
        list(raw(iter([good, good, b"\xff\xff\xff"]), timeout=10))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("requests[2].request: is not a valid")
    reused = _login(event_id="s-10", account_id="someone-else").SerializeToString()
    with pytest.raises(grpc.RpcError) as raised:
        list(raw(iter([_login(event_id="s-11").SerializeToString(), reused]), timeout=10))
    assert raised.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert raised.value.details().startswith("requests[1]: ")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_internal_errors(channel, payload):
    raw = channel.unary_unary("/acctguard.v1.AccountGuard/Score",
                              request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
    try:
        raw(payload, timeout=5)
        code, details = grpc.StatusCode.OK, ""
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
    assert code in {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT,
                    grpc.StatusCode.ALREADY_EXISTS}
    assert "Traceback" not in details
