"""Who may call what, end to end over plaintext 127.0.0.1 with bearer tokens."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import Application
from service.config import Settings
from service.rpc.auth import PERMISSIONS, Role
from service.rpc.converters import event_to_request
from service.rpc.tokens import create_token, revoke_token
from tests.conftest import running_server
from tests.e2e.secured import bearer, code_of
from tests.e2e.serve_process import ServeProcess

pytestmark = pytest.mark.e2e
GUARD = pb.DESCRIPTOR.services_by_name["AccountGuard"]
ADMIN = pb.DESCRIPTOR.services_by_name["AccountGuardAdmin"]
DENIED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
DAY = 86400.0


def _empty_behaviors(service: Any) -> dict[str, Any]:
    """An answer of the right type for every method (the admin service's real handlers are
    not part of this test: only who may reach them)."""
    def answer(method: Any) -> Any:
        response = message_factory.GetMessageClass(method.output_type)

        async def behavior(request: Any, context: Any) -> Any:
            return response()
        return behavior
    return {method.name: answer(method) for method in service.methods}


@pytest.fixture
def auth_server(server_settings: Settings, tokens_file: Path, tokens: dict[str, str],
                ) -> Iterator[tuple[Application, int]]:
    settings = server_settings.model_copy(update={"tokens_file": tokens_file})
    with running_server(settings, admin_behaviors=_empty_behaviors(ADMIN)) as running:
        yield running


@pytest.fixture
def channel(auth_server: tuple[Application, int]) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{auth_server[1]}") as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch


@pytest.fixture
def stub(channel: grpc.Channel) -> rpc.AccountGuardStub:
    return rpc.AccountGuardStub(channel)


def _call(channel: grpc.Channel, service: Any, method: Any,
          metadata: tuple[tuple[str, str], ...]) -> grpc.StatusCode:
    """Call ``method`` with an empty request; its status code."""
    path = f"/{service.full_name}/{method.name}"
    request = message_factory.GetMessageClass(method.input_type)()
    response = message_factory.GetMessageClass(method.output_type)
    kwargs = {"request_serializer": type(request).SerializeToString,
              "response_deserializer": response.FromString}
    if method.client_streaming:
        stream = channel.stream_stream(path, **kwargs)
        return code_of(lambda: list(stream(iter([request]), timeout=10, metadata=metadata)))
    return code_of(channel.unary_unary(path, **kwargs), request, timeout=10, metadata=metadata)


def _allowed(role: str, service: Any, method: Any) -> bool:
    full = f"/{service.full_name}/{method.name}"
    return role == "admin" or Role(role) in PERMISSIONS.get(full, frozenset())


@pytest.mark.parametrize("role", ["gateway", "verifier", "admin"])
def test_each_role_reaches_exactly_its_methods(auth_server, channel, tokens, role):
    served = set(auth_server[0].handlers.behaviors())
    seen = {}
    for service in (GUARD, ADMIN):
        for method in service.methods:
            if service is GUARD and method.name not in served:
                continue  # not served yet: grpc answers UNIMPLEMENTED before any handler
            code = _call(channel, service, method, bearer(tokens[role]))
            allowed = _allowed(role, service, method)
            seen[method.name] = code
            if allowed:
                assert code not in DENIED, (role, method.name, code)
            else:
                assert code == grpc.StatusCode.PERMISSION_DENIED, (role, method.name, code)
    if role == "admin":  # the admin service answers admins
        assert all(seen[m.name] == grpc.StatusCode.OK for m in ADMIN.methods)


def test_gateway_can_score_and_read_status_but_not_unfreeze(stub, tokens, auth_server):
    gateway = bearer(tokens["gateway"])
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    for event in [*normal_week("carol", start), *takeover("carol", takeover_start(start))]:
        reply = stub.Score(event_to_request(event), timeout=10, metadata=gateway)
    assert reply.decision == pb.FREEZE
    replies = list(stub.ScoreStream(iter([event_to_request(event)]), timeout=10,
                                    metadata=gateway))
    assert replies[0].event_id == event.event_id
    before = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="carol"), timeout=5,
                                   metadata=gateway)
    assert before.freezes

    for call, request in ((stub.Unfreeze, pb.UnfreezeRequest(account_id="carol",
                                                             challenge_id="chl_x")),
                          (stub.StartVerification, pb.StartVerificationRequest(
                              account_id="carol", method=pb.ONE_TIME_CODE))):
        with pytest.raises(grpc.RpcError) as refused:
            call(request, timeout=5, metadata=gateway)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert tokens["gateway"] not in (refused.value.details() or "")

    after = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="carol"), timeout=5,
                                  metadata=gateway)
    assert after == before  # nothing changed


@pytest.mark.parametrize("metadata", [
    (),
    bearer("agt_not-a-real-token"),
    bearer(""),
    (("authorization", "Basic dXNlcjpwYXNz"),),
    (("authorization", "Bearer " + "x" * 5000),),
], ids=["no-token", "unknown-token", "empty-token", "basic-auth", "huge-token"])
def test_missing_or_bad_token_is_unauthenticated(stub, metadata):
    for call, request in ((stub.Score, pb.ScoreRequest()),
                          (stub.GetAccountStatus, pb.GetAccountStatusRequest(account_id="a")),
                          (stub.Unfreeze, pb.UnfreezeRequest(account_id="a"))):
        with pytest.raises(grpc.RpcError) as refused:
            call(request, timeout=5, metadata=metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_needs_no_token(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", GUARD.full_name, ADMIN.full_name):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_revoked_token_stops_working_without_restart(stub, tokens, tokens_file):
    request = pb.GetAccountStatusRequest(account_id="a")
    stub.GetAccountStatus(request, timeout=5, metadata=bearer(tokens["gateway"]))
    revoke_token(tokens_file, "gateway-1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if code_of(stub.GetAccountStatus, request, timeout=5,
                   metadata=bearer(tokens["gateway"])) == grpc.StatusCode.UNAUTHENTICATED:
            break
        time.sleep(0.2)
    else:
        pytest.fail("revoked token still accepted")
    new_token, _ = create_token(tokens_file, "gateway-2", "gateway")
    time.sleep(1.1)
    stub.GetAccountStatus(request, timeout=5, metadata=bearer(new_token))


def test_verification_calls_are_rate_limited_per_caller(server_settings, tokens_file, tokens):
    settings = server_settings.model_copy(update={
        "tokens_file": tokens_file, "verification_burst": 3,
        "verification_rate_per_minute": 0.01})
    request = pb.StartVerificationRequest(account_id="dave", method=pb.ONE_TIME_CODE)
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        stub = rpc.AccountGuardStub(ch)
        verifier, admin = bearer(tokens["verifier"]), bearer(tokens["admin"])
        codes = [code_of(stub.StartVerification, request, timeout=5, metadata=verifier)
                 for _ in range(3)]
        assert grpc.StatusCode.RESOURCE_EXHAUSTED not in codes
        for call, other in ((stub.StartVerification, request),
                            (stub.CompleteVerification, pb.CompleteVerificationRequest()),
                            (stub.Unfreeze, pb.UnfreezeRequest(account_id="dave"))):
            assert code_of(call, other, timeout=5, metadata=verifier) == \
                grpc.StatusCode.RESOURCE_EXHAUSTED
        # Other methods and other callers are not affected.
        assert code_of(stub.GetAccountStatus, pb.GetAccountStatusRequest(account_id="dave"),
                       timeout=5, metadata=verifier) == grpc.StatusCode.OK
        assert code_of(stub.StartVerification, request, timeout=5, metadata=admin) != \
            grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.slow
def test_refusals_are_logged_without_the_token(tmp_path, model_path, tokens_file, tokens):
    server = ServeProcess(tmp_path / "data", model_path, "--tokens-file", str(tokens_file))
    try:
        with grpc.insecure_channel(server.target) as ch:
            stub = rpc.AccountGuardStub(ch)
            unfreeze = pb.UnfreezeRequest(account_id="erin", challenge_id="chl_1")
            assert code_of(stub.Unfreeze, unfreeze, timeout=5,
                           metadata=bearer(tokens["gateway"])) == \
                grpc.StatusCode.PERMISSION_DENIED
            assert code_of(stub.Unfreeze, unfreeze, timeout=5) == \
                grpc.StatusCode.UNAUTHENTICATED
            assert code_of(stub.Unfreeze, unfreeze, timeout=5,
                           metadata=bearer(tokens["gateway"] + "x")) == \
                grpc.StatusCode.UNAUTHENTICATED
    finally:
        assert server.terminate() == 0
    output = "".join(server.lines)
    for token in tokens.values():
        assert token not in output
    records = [json.loads(line) for line in server.lines if line.startswith("{")]
    refused = [r for r in records if r.get("event") == "call_refused"]
    assert [(r["code"], r["caller"]) for r in refused] == [
        ("PERMISSION_DENIED", "gateway-1"), ("UNAUTHENTICATED", None),
        ("UNAUTHENTICATED", None)]
    assert all(r["method"] == "/acctguard.v1.AccountGuard/Unfreeze" and r["reason"]
               and r["level"] == "warning" for r in refused)
    rpc_lines = [r for r in records if r.get("event") == "rpc"]
    assert [r["code"] for r in rpc_lines] == ["PERMISSION_DENIED", "UNAUTHENTICATED",
                                              "UNAUTHENTICATED"]
