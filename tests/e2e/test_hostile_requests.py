"""Malformed and hostile requests at every RPC (hypothesis): each gets a clean status, the
server keeps serving, and the database is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message as pb_message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.bootstrap import Application
from service.config import Settings
from service.rpc.tokens import create_token
from tests.conftest import running_server
from tests.e2e.secured import bearer
from tests.e2e.servers import database_snapshot

pytestmark = pytest.mark.e2e

# Answers a hostile request may get; never INTERNAL, UNKNOWN or OK-with-a-write.
CLEAN = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
         grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED,
         grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED,
         grpc.StatusCode.ALREADY_EXISTS}

# Ids that no valid request carries: empty, too long, or control characters.
bad_ids = st.one_of(st.just(""), st.text(min_size=129, max_size=400),
                    st.text(alphabet=st.characters(max_codepoint=31), min_size=1, max_size=5)
                    .map(lambda s: "x" + s))
any_text = st.text(max_size=300)
any_enum = st.integers(min_value=-(2**31), max_value=2**31 - 1)
codes = st.one_of(st.text(max_size=12), st.from_regex(r"\A[0-9]{6}\Z"))

# Each entry: method path, request class, and a strategy for requests that must write nothing
# (whoever sends them).
HOSTILE: list[tuple[str, type[pb_message.Message], st.SearchStrategy[Any]]] = [
    ("AccountGuard/GetAccountStatus", pb.GetAccountStatusRequest,
     st.builds(pb.GetAccountStatusRequest, account_id=bad_ids)),
    ("AccountGuard/StartVerification", pb.StartVerificationRequest,
     st.builds(pb.StartVerificationRequest, account_id=any_text, method=any_enum)),
    ("AccountGuard/CompleteVerification", pb.CompleteVerificationRequest,
     st.builds(pb.CompleteVerificationRequest, challenge_id=any_text, code=codes)),
    ("AccountGuard/Unfreeze", pb.UnfreezeRequest,
     st.builds(pb.UnfreezeRequest, account_id=any_text, challenge_id=any_text)),
    ("AccountGuard/ReportOutcome", pb.ReportOutcomeRequest,
     st.builds(pb.ReportOutcomeRequest, event_id=any_text, outcome=any_enum)),
    ("AccountGuard/EnrollAuthenticator", pb.EnrollAuthenticatorRequest,
     st.builds(pb.EnrollAuthenticatorRequest, account_id=bad_ids, issuer=any_text)),
    ("AccountGuardAdmin/FreezeAccount", pb.FreezeAccountRequest, st.one_of(
        st.builds(pb.FreezeAccountRequest, account_id=bad_ids, reason=any_text,
                  ttl_seconds=st.integers(0, 2**32 - 1)),
        st.builds(pb.FreezeAccountRequest, account_id=any_text,
                  reason=st.sampled_from(["", " ", "\n\t"])),
        st.builds(pb.FreezeAccountRequest, account_id=st.just("acct"), reason=st.just("r"),
                  features=st.lists(st.integers(6, 2**31 - 1), min_size=1, max_size=3)),
        st.builds(pb.FreezeAccountRequest, account_id=st.just("acct"), reason=st.just("r"),
                  ttl_seconds=st.integers(90 * 86400 + 1, 2**32 - 1)))),
    ("AccountGuardAdmin/LiftFreeze", pb.LiftFreezeRequest,
     st.builds(pb.LiftFreezeRequest, freeze_id=any_text, reason=any_text)),
    ("AccountGuardAdmin/ListFrozenAccounts", pb.ListFrozenAccountsRequest,
     st.builds(pb.ListFrozenAccountsRequest, page_size=st.integers(0, 2**32 - 1),
               page_token=any_text)),
    ("AccountGuardAdmin/GetAuditTrail", pb.GetAuditTrailRequest,
     st.builds(pb.GetAuditTrailRequest, account_id=any_text,
               page_size=st.integers(0, 2**32 - 1), page_token=any_text)),
    ("AccountGuardAdmin/GetModelInfo", pb.GetModelInfoRequest,
     st.just(pb.GetModelInfoRequest())),
    ("AccountGuardAdmin/VerifyAuditChain", pb.VerifyAuditChainRequest,
     st.just(pb.VerifyAuditChainRequest())),
    ("AccountGuardAdmin/ForgetAccount", pb.ForgetAccountRequest, st.one_of(
        st.builds(pb.ForgetAccountRequest, account_id=bad_ids, reason=any_text),
        st.builds(pb.ForgetAccountRequest, account_id=st.just("acct"),
                  reason=st.sampled_from(["", " ", "\n"])))),
    ("AccountGuardAdmin/ReloadModel", pb.ReloadModelRequest,
     st.builds(pb.ReloadModelRequest, path=st.text(min_size=1, max_size=100)
               .map(lambda p: "/nonexistent/" + p))),
    ("AccountGuardAdmin/GetDecisionSummary", pb.GetDecisionSummaryRequest,
     st.builds(pb.GetDecisionSummaryRequest, hours=st.integers(0, 2**32 - 1))),
    ("AccountGuardAdmin/ListAccountEvents", pb.ListAccountEventsRequest,
     st.builds(pb.ListAccountEventsRequest, account_id=any_text,
               page_size=st.integers(0, 2**32 - 1), page_token=any_text)),
]

callers = st.sampled_from(["admin", "verifier", "gateway", "none", "forged"])


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory,
                   model_path: Path) -> Iterator[tuple[Application, int, dict[str, str]]]:
    root = tmp_path_factory.mktemp("hostile")
    tokens_file = root / "tokens.json"
    tokens = {role: create_token(tokens_file, f"{role}-1", role)[0]
              for role in ("gateway", "verifier", "admin")}
    settings = Settings(listen="127.0.0.1:0", data_dir=root / "data", model_path=model_path,
                        sqlite_synchronous="NORMAL", tokens_file=tokens_file,
                        verification_rate_per_minute=1e6, verification_burst=1_000_000)
    with running_server(settings) as (app, port):
        yield app, port, tokens


@pytest.fixture(scope="module")
def hostile_channel(hostile_server: tuple[Application, int, dict[str, str]],
                    ) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{hostile_server[1]}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


def _metadata(caller: str, tokens: dict[str, str]) -> tuple[tuple[str, str], ...]:
    if caller == "none":
        return ()
    if caller == "forged":
        return bearer("agt_" + "A" * 43)
    return bearer(tokens[caller])


def _call(channel: grpc.Channel, method: str, payload: bytes,
          metadata: tuple[tuple[str, str], ...]) -> tuple[grpc.StatusCode, str]:
    call = channel.unary_unary(f"/acctguard.v1.{method}", request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    try:
        call(payload, timeout=10, metadata=metadata)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def _still_serving(channel: grpc.Channel) -> None:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                      timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(("method", "request_class", "requests"), HOSTILE,
                         ids=[m for m, _, _ in HOSTILE])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_requests_get_clean_answers_and_change_nothing(
        hostile_server, hostile_channel, method, request_class, requests, data):
    app, _, tokens = hostile_server
    request = data.draw(requests)
    caller = data.draw(callers)
    before = database_snapshot(app.settings.database_path)
    code, details = _call(hostile_channel, method, request.SerializeToString(),
                          _metadata(caller, tokens))
    assert code in CLEAN, (code, details)
    assert "Traceback" not in details
    assert database_snapshot(app.settings.database_path) == before
    _still_serving(hostile_channel)


@pytest.mark.parametrize("method", [m for m, _, _ in HOSTILE])
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=200))
def test_arbitrary_bytes_at_every_method(hostile_server, hostile_channel, method, payload):
    app, _, tokens = hostile_server
    before = database_snapshot(app.settings.database_path)
    # A verifier or gateway cannot write through admin methods, whatever the bytes say.
    code, details = _call(hostile_channel, method, payload, bearer(tokens["gateway"]))
    assert code in CLEAN, (code, details)
    assert database_snapshot(app.settings.database_path) == before
    _still_serving(hostile_channel)
