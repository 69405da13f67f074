"""The way back, end to end over real channels on 127.0.0.1 with bearer tokens: a takeover is
frozen, a verifier restores it with a code, and nobody else can."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pytest

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import Application
from service.config import Settings
from service.rpc.converters import event_to_request
from service.rpc.tokens import create_token
from tests.conftest import running_server
from tests.e2e.secured import bearer

pytestmark = pytest.mark.e2e
DAY = 86400.0


@pytest.fixture
def restore_server(server_settings: Settings, tokens_file: Path,
                   tokens: dict[str, str]) -> Iterator[tuple[Application, int]]:
    settings = server_settings.model_copy(update={"tokens_file": tokens_file})
    with running_server(settings) as running:
        yield running


@pytest.fixture
def channel_to(restore_server: tuple[Application, int]) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{restore_server[1]}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture
def guard(channel_to: grpc.Channel) -> rpc.AccountGuardStub:
    return rpc.AccountGuardStub(channel_to)


@pytest.fixture
def admin(channel_to: grpc.Channel) -> rpc.AccountGuardAdminStub:
    return rpc.AccountGuardAdminStub(channel_to)


def _freeze_by_takeover(guard: rpc.AccountGuardStub, token: str, account: str) -> str:
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    for event in normal_week(account, start):
        guard.Score(event_to_request(event), timeout=5, metadata=bearer(token))
    replies = [guard.Score(event_to_request(e), timeout=5, metadata=bearer(token))
               for e in takeover(account, takeover_start(start))]
    assert replies[-1].decision == pb.FREEZE
    return next(r.freeze_id for r in replies if r.freeze_id)


def _status(guard: rpc.AccountGuardStub, token: str, account: str) -> pb.AccountStatus:
    return guard.GetAccountStatus(pb.GetAccountStatusRequest(account_id=account), timeout=5,
                                  metadata=bearer(token))


def _start(guard: rpc.AccountGuardStub, token: str,
           account: str) -> pb.StartVerificationResponse:
    return guard.StartVerification(pb.StartVerificationRequest(
        account_id=account, method=pb.ONE_TIME_CODE), timeout=5, metadata=bearer(token))


def _complete(guard: rpc.AccountGuardStub, token: str, challenge_id: str,
              code: str) -> pb.CompleteVerificationResponse:
    return guard.CompleteVerification(pb.CompleteVerificationRequest(
        challenge_id=challenge_id, code=code), timeout=5, metadata=bearer(token))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _code_of(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value


def test_takeover_frozen_then_restored_by_the_account_holder(guard, tokens):
    gateway, verifier = tokens["gateway"], tokens["verifier"]
    _freeze_by_takeover(guard, gateway, "erin")
    frozen = _status(guard, verifier, "erin")
    assert frozen.frozen_features
    started = _start(guard, verifier, "erin")
    assert started.delivery == pb.CALLER
    assert len(started.delivered_code) == 6
    assert started.delivered_code.isdigit()
    assert started.attempts_allowed == 5
    assert 590 <= started.expires_at.seconds - time.time() <= 601
    status = _status(guard, verifier, "erin")
    assert [c.challenge_id for c in status.open_challenges] == [started.challenge_id]
    wrong = _complete(guard, verifier, started.challenge_id, _wrong(started.delivered_code))
    assert (wrong.verified, wrong.attempts_left) == (False, 4)
    right = _complete(guard, verifier, started.challenge_id, started.delivered_code)
    assert right.verified
    restored = guard.Unfreeze(pb.UnfreezeRequest(account_id="erin",
                                                 challenge_id=started.challenge_id),
                              timeout=5, metadata=bearer(verifier))
    assert set(restored.restored_features) == set(frozen.frozen_features)
    after = _status(guard, gateway, "erin")
    assert not after.freezes
    assert not after.frozen_features
    replay = _code_of(guard.Unfreeze, pb.UnfreezeRequest(
        account_id="erin", challenge_id=started.challenge_id), timeout=5,
        metadata=bearer(verifier))
    assert replay.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_five_wrong_codes_kill_the_challenge(guard, tokens):
    verifier = tokens["verifier"]
    _freeze_by_takeover(guard, tokens["gateway"], "fred")
    started = _start(guard, verifier, "fred")
    lefts = [_complete(guard, verifier, started.challenge_id,
                       _wrong(started.delivered_code)).attempts_left for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    dead = _complete(guard, verifier, started.challenge_id, started.delivered_code)
    assert (dead.verified, dead.attempts_left) == (False, 0)
    refused = _code_of(guard.Unfreeze, pb.UnfreezeRequest(
        account_id="fred", challenge_id=started.challenge_id), timeout=5,
        metadata=bearer(verifier))
    assert refused.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert _status(guard, verifier, "fred").frozen_features


def test_gateway_cannot_unfreeze_and_nothing_changes(guard, tokens):
    gateway, verifier = tokens["gateway"], tokens["verifier"]
    _freeze_by_takeover(guard, gateway, "gina")
    started = _start(guard, verifier, "gina")
    _complete(guard, verifier, started.challenge_id, started.delivered_code)
    before = _status(guard, verifier, "gina")
    for call, request in [
            (guard.Unfreeze, pb.UnfreezeRequest(account_id="gina",
                                                challenge_id=started.challenge_id)),
            (guard.StartVerification, pb.StartVerificationRequest(
                account_id="gina", method=pb.ONE_TIME_CODE)),
            (guard.ReportOutcome, pb.ReportOutcomeRequest(event_id="x",
                                                          outcome=pb.CONFIRMED_LEGITIMATE))]:
        refused = _code_of(call, request, timeout=5, metadata=bearer(gateway))
        assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    no_token = _code_of(guard.Unfreeze, pb.UnfreezeRequest(
        account_id="gina", challenge_id=started.challenge_id), timeout=5)
    assert no_token.code() is grpc.StatusCode.UNAUTHENTICATED
    assert _status(guard, verifier, "gina") == before
    # The verified challenge is still good for its owner.
    guard.Unfreeze(pb.UnfreezeRequest(account_id="gina", challenge_id=started.challenge_id),
                   timeout=5, metadata=bearer(verifier))


def test_unknown_and_foreign_challenges_get_one_answer(guard, tokens, tokens_file):
    """Another caller's challenge is NOT_FOUND to everyone, an admin included; an admin cannot
    Unfreeze with it either (an operator lifts a freeze with LiftFreeze and a reason)."""
    verifier = tokens["verifier"]
    other = create_token(tokens_file, "verifier-2", "verifier")[0]
    _freeze_by_takeover(guard, tokens["gateway"], "hank")
    started = _start(guard, verifier, "hank")
    answers = set()
    for token, challenge_id in [(verifier, "chl_unknown"), (other, started.challenge_id),
                                (tokens["admin"], started.challenge_id)]:
        deadline = time.time() + 5  # the tokens file is re-read within a second
        while True:
            error = _code_of(_complete, guard, token, challenge_id, started.delivered_code)
            if error.code() is not grpc.StatusCode.UNAUTHENTICATED or time.time() > deadline:
                break
            time.sleep(0.2)
        answers.add((error.code(), error.details()))
    assert len(answers) == 1
    assert answers.pop()[0] is grpc.StatusCode.NOT_FOUND
    # Verified by its owner, it still unfreezes for nobody else.
    assert _complete(guard, verifier, started.challenge_id, started.delivered_code).verified
    before = _status(guard, verifier, "hank")
    refused = _code_of(guard.Unfreeze, pb.UnfreezeRequest(
        account_id="hank", challenge_id=started.challenge_id), timeout=5,
        metadata=bearer(tokens["admin"]))
    assert refused.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert _status(guard, verifier, "hank") == before
    guard.Unfreeze(pb.UnfreezeRequest(account_id="hank", challenge_id=started.challenge_id),
                   timeout=5, metadata=bearer(verifier))
    assert not _status(guard, verifier, "hank").freezes


def test_expired_code_is_refused(server_settings, tokens_file, tokens):
    settings = server_settings.model_copy(update={"tokens_file": tokens_file,
                                                  "code_ttl_seconds": 1.0})
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        guard = rpc.AccountGuardStub(channel)
        _freeze_by_takeover(guard, tokens["gateway"], "ivan")
        started = _start(guard, tokens["verifier"], "ivan")
        time.sleep(1.2)
        error = _code_of(_complete, guard, tokens["verifier"], started.challenge_id,
                         started.delivered_code)
        assert error.code() is grpc.StatusCode.NOT_FOUND


def test_outcome_lifts_the_freeze_it_caused_and_admin_sees_the_trail(
        guard, admin, tokens, restore_server):
    admin_token = tokens["admin"]
    _freeze_by_takeover(guard, tokens["gateway"], "jane")
    [freeze] = _status(guard, admin_token, "jane").freezes
    reply = guard.ReportOutcome(pb.ReportOutcomeRequest(
        event_id=freeze.event_id, outcome=pb.CONFIRMED_LEGITIMATE), timeout=5,
        metadata=bearer(admin_token))
    assert reply.lifted_freeze_id == freeze.freeze_id
    assert not _status(guard, admin_token, "jane").freezes
    trail = admin.GetAuditTrail(pb.GetAuditTrailRequest(account_id="jane", page_size=1),
                                timeout=5, metadata=bearer(admin_token))
    actions = [e.action for e in trail.entries]
    while trail.next_page_token:
        trail = admin.GetAuditTrail(pb.GetAuditTrailRequest(
            account_id="jane", page_size=1, page_token=trail.next_page_token), timeout=5,
            metadata=bearer(admin_token))
        actions += [e.action for e in trail.entries]
    assert actions == ["freeze.placed", "outcome.reported", "freeze.lifted"]
    app = restore_server[0]
    assert [o.event_id for o in app.ledger.outcomes()] == [freeze.event_id]


def test_admin_freeze_list_lift_model_and_chain(admin, guard, tokens, restore_server):
    token = tokens["admin"]
    placed = admin.FreezeAccount(pb.FreezeAccountRequest(
        account_id="kate", features=[pb.TRANSFER_OUT], reason="mule investigation"),
        timeout=5, metadata=bearer(token))
    assert placed.reasons[0].code == pb.OPERATOR_FREEZE
    assert placed.reasons[0].message == "mule investigation"
    assert placed.placed_by == "admin-1"
    no_reason = _code_of(admin.FreezeAccount, pb.FreezeAccountRequest(account_id="kate"),
                         timeout=5, metadata=bearer(token))
    assert no_reason.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in (no_reason.details() or "")
    listed = admin.ListFrozenAccounts(pb.ListFrozenAccountsRequest(), timeout=5,
                                      metadata=bearer(token))
    assert [a.account_id for a in listed.accounts] == ["kate"]
    assert list(listed.accounts[0].frozen_features) == [pb.TRANSFER_OUT]
    lifted = admin.LiftFreeze(pb.LiftFreezeRequest(freeze_id=placed.freeze_id,
                                                   reason="cleared"), timeout=5,
                              metadata=bearer(token))
    assert lifted.state == pb.LIFTED_ADMIN
    assert lifted.lift_reason == "cleared"
    info = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5, metadata=bearer(token))
    assert info.version == restore_server[0].engine.scorer.version
    assert list(info.detectors) == ["hbos", "ecod"]
    assert 0 < info.challenge_threshold <= info.freeze_threshold <= 1
    assert "thresholds" in json.loads(info.source)
    chain = admin.VerifyAuditChain(pb.VerifyAuditChainRequest(), timeout=5,
                                   metadata=bearer(token))
    assert chain.intact
    assert chain.entries == 2
    # Tamper with one row behind the service's back: the chain check finds it.
    database = restore_server[0].settings.database_path
    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 1")
    chain = admin.VerifyAuditChain(pb.VerifyAuditChainRequest(), timeout=5,
                                   metadata=bearer(token))
    assert not chain.intact
    assert chain.first_bad_sequence == 1
    verifier_refused = _code_of(admin.VerifyAuditChain, pb.VerifyAuditChainRequest(),
                                timeout=5, metadata=bearer(tokens["verifier"]))
    assert verifier_refused.code() is grpc.StatusCode.PERMISSION_DENIED


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"body": json.loads(body),
                                     "signature": self.headers.get("X-Acctguard-Signature")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_codes_go_to_the_webhook_when_one_is_configured(server_settings, tokens_file, tokens):
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    _Hook.received = []
    settings = server_settings.model_copy(update={
        "tokens_file": tokens_file, "code_webhook_secret": "s3cret",
        "code_webhook_url": f"http://127.0.0.1:{hook.server_address[1]}/codes"})
    try:
        with running_server(settings) as (_, port), \
                grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            guard = rpc.AccountGuardStub(channel)
            _freeze_by_takeover(guard, tokens["gateway"], "liam")
            started = _start(guard, tokens["verifier"], "liam")
            assert started.delivery == pb.WEBHOOK
            assert started.delivered_code == ""
            [call] = _Hook.received
            assert call["body"]["challenge_id"] == started.challenge_id
            assert call["signature"].startswith("sha256=")
            assert _complete(guard, tokens["verifier"], started.challenge_id,
                             call["body"]["code"]).verified
    finally:
        hook.shutdown()


def test_forget_account_over_the_admin_api(guard, admin, tokens):
    token = tokens["admin"]
    _freeze_by_takeover(guard, tokens["gateway"], "zoe")
    erased = admin.ForgetAccount(pb.ForgetAccountRequest(account_id="zoe",
                                                         reason="erasure request 7"),
                                 timeout=10, metadata=bearer(token))
    assert erased.events_erased > 0
    assert erased.audit_entries_redacted >= 1
    assert not _status(guard, token, "zoe").freezes
    trail = admin.GetAuditTrail(pb.GetAuditTrailRequest(account_id="zoe"), timeout=5,
                                metadata=bearer(token))
    assert not trail.entries
    assert admin.VerifyAuditChain(pb.VerifyAuditChainRequest(), timeout=5,
                                  metadata=bearer(token)).intact
    refused = _code_of(admin.ForgetAccount, pb.ForgetAccountRequest(account_id="zoe",
                                                                    reason="x"),
                       timeout=5, metadata=bearer(tokens["verifier"]))
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
