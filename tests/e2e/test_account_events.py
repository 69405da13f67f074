"""ListAccountEvents end to end: an admin pages through an account's decisions, newest first."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.config import Settings
from service.rpc.converters import event_to_request
from tests.conftest import running_server
from tests.e2e.secured import bearer, code_of

pytestmark = pytest.mark.e2e
DAY = 86400.0


@pytest.fixture
def scored(server_settings: Settings, tokens_file: Path, tokens: dict[str, str],
           ) -> Iterator[tuple[grpc.Channel, dict[str, pb.ScoreResponse]]]:
    """A server with tokens where carol had a normal week and then a takeover, and dave one
    normal week; carol's answers by event_id."""
    settings = server_settings.model_copy(update={"tokens_file": tokens_file})
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = rpc.AccountGuardStub(channel)
        gateway = bearer(tokens["gateway"])
        answers = {}
        for event in [*normal_week("carol", start), *takeover("carol", takeover_start(start))]:
            answers[event.event_id] = stub.Score(event_to_request(event), timeout=10,
                                                 metadata=gateway)
        for event in normal_week("dave", start):
            stub.Score(event_to_request(event), timeout=10, metadata=gateway)
        yield channel, answers


def test_an_admin_pages_through_an_accounts_decisions_newest_first(scored, tokens):
    channel, answers = scored
    admin = rpc.AccountGuardAdminStub(channel)
    listed: list[pb.AccountEvent] = []
    token, pages = "", 0
    while True:
        reply = admin.ListAccountEvents(pb.ListAccountEventsRequest(
            account_id="carol", page_size=7, page_token=token), timeout=10,
            metadata=bearer(tokens["admin"]))
        listed.extend(reply.events)
        pages += 1
        assert len(reply.events) <= 7
        token = reply.next_page_token
        if not token:
            break
    assert pages == len(answers) // 7 + 1
    assert [e.event_id for e in listed] == list(reversed(answers))  # scored in order
    keys = [(e.scored_at.ToNanoseconds(), e.event_id) for e in listed]
    assert keys == sorted(keys, reverse=True)
    for event in listed:
        answer = answers[event.event_id]
        assert (event.risk, event.decision, list(event.reasons), event.model_version,
                event.freeze_id) == (answer.risk, answer.decision, list(answer.reasons),
                                     answer.model_version, answer.freeze_id)
        assert event.kind in ("login", "transaction", "account_change")
        assert event.HasField("occurred_at")
    assert listed[0].decision == pb.FREEZE
    assert listed[0].reasons
    assert all(r.code and r.message for r in listed[0].reasons)

    default = admin.ListAccountEvents(pb.ListAccountEventsRequest(account_id="carol"),
                                      timeout=10, metadata=bearer(tokens["admin"]))
    assert list(default.events) == listed[:50]
    assert bool(default.next_page_token) == (len(listed) >= 50)
    nobody = admin.ListAccountEvents(pb.ListAccountEventsRequest(account_id="nobody"),
                                     timeout=10, metadata=bearer(tokens["admin"]))
    assert not nobody.events
    assert not nobody.next_page_token


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"account_id": "carol", "page_size": 501}, "page_size"),
    ({"account_id": "carol", "page_token": "not a token"}, "page_token"),
    ({"account_id": "carol", "page_token": "WzEsIDJd"}, "page_token"),  # [1, 2]
    ({"account_id": ""}, "account_id"),
])
def test_bad_requests_name_the_field(scored, tokens, request_fields, field):
    admin = rpc.AccountGuardAdminStub(scored[0])
    with pytest.raises(grpc.RpcError) as refused:
        admin.ListAccountEvents(pb.ListAccountEventsRequest(**request_fields), timeout=10,
                                metadata=bearer(tokens["admin"]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (refused.value.details() or "")


@pytest.mark.parametrize("role", ["gateway", "verifier"])
def test_only_admins_may_list_events(scored, tokens, role):
    admin = rpc.AccountGuardAdminStub(scored[0])
    assert code_of(admin.ListAccountEvents, pb.ListAccountEventsRequest(account_id="carol"),
                   timeout=10, metadata=bearer(tokens[role])) == grpc.StatusCode.PERMISSION_DENIED
    assert code_of(admin.ListAccountEvents, pb.ListAccountEventsRequest(account_id="carol"),
                   timeout=10) == grpc.StatusCode.UNAUTHENTICATED
