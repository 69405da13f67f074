"""Unexpected failures answer INTERNAL without echoing the exception; domain errors map once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import grpc
import pytest

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.domain.errors import EventIdConflict, StoreUnavailable
from service.rpc.errors import INTERNAL_MESSAGE
from service.rpc.registry import generic_handler

pytestmark = pytest.mark.e2e
SERVICE = pb.DESCRIPTOR.services_by_name["AccountGuard"]


async def _explode(request, context):
    raise RuntimeError("secret connection string postgres://admin:hunter2@db")


async def _conflict(request, context):
    raise EventIdConflict("event_id 'x' was already used for a different event")


async def _unavailable(request, context):
    raise StoreUnavailable("the risk store cannot be reached")


@pytest.fixture
def failing_stub() -> Iterator[rpc.AccountGuardStub]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((generic_handler(SERVICE, {
            "Score": _explode, "GetAccountStatus": _conflict, "Unfreeze": _unavailable}),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        return server, port

    server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield rpc.AccountGuardStub(channel)
    asyncio.run_coroutine_threadsafe(server.stop(0), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_unexpected_exception_is_internal_without_its_text(failing_stub):
    with pytest.raises(grpc.RpcError) as raised:
        failing_stub.Score(pb.ScoreRequest(), timeout=5)
    assert raised.value.code() is grpc.StatusCode.INTERNAL
    assert raised.value.details() == INTERNAL_MESSAGE
    assert "hunter2" not in raised.value.details()


def test_domain_errors_map_to_their_status(failing_stub):
    with pytest.raises(grpc.RpcError) as raised:
        failing_stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="a"), timeout=5)
    assert raised.value.code() is grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as raised:
        failing_stub.Unfreeze(pb.UnfreezeRequest(), timeout=5)
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


def test_methods_without_a_behavior_are_not_served(failing_stub):
    with pytest.raises(grpc.RpcError) as raised:
        failing_stub.ReportOutcome(pb.ReportOutcomeRequest(), timeout=5)
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
