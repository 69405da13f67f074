"""The client commands for trust: `status` printing devices and pending challenged events,
`verify start --device --ip`, `challenge result`, and `outcomes report` printing both freeze
ids. Most run against a stand-in AccountGuard on 127.0.0.1 that records each request and
answers with a canned reply, so they check what the command sends and prints; the last ones
run against the real server."""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from click.testing import CliRunner, Result
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.cli import main
from service.rpc.converters import event_to_request

pytestmark = pytest.mark.e2e
UNTIL = Timestamp(seconds=1_800_000_000)
UNKNOWN_EVENT = "evt-unknown"
DAY = 86400.0


@dataclass
class StandIn(rpc.AccountGuardServicer):
    """Records every request; answers the canned replies (UNKNOWN_EVENT: NOT_FOUND, with
    details on two lines). Method names are gRPC's, hence the N802 exemptions."""

    requests: list[Message] = field(default_factory=list)
    status: pb.AccountStatus = field(default_factory=pb.AccountStatus)

    def GetAccountStatus(  # noqa: N802
            self, request: pb.GetAccountStatusRequest, context: grpc.ServicerContext,
    ) -> pb.AccountStatus:
        self.requests.append(request)
        reply = pb.AccountStatus()
        reply.CopyFrom(self.status)
        reply.account_id = request.account_id
        return reply

    def StartVerification(  # noqa: N802
            self, request: pb.StartVerificationRequest, context: grpc.ServicerContext,
    ) -> pb.StartVerificationResponse:
        self.requests.append(request)
        return pb.StartVerificationResponse(challenge_id="chl_1")

    def ReportChallengeResult(  # noqa: N802
            self, request: pb.ReportChallengeResultRequest, context: grpc.ServicerContext,
    ) -> pb.ReportChallengeResultResponse:
        self.requests.append(request)
        if request.event_id == UNKNOWN_EVENT:
            context.abort(grpc.StatusCode.NOT_FOUND, "event_id: no scored event\nhas this id")
        return pb.ReportChallengeResultResponse(learned=request.result == pb.CHALLENGE_PASSED)

    def CompleteVerification(  # noqa: N802
            self, request: pb.CompleteVerificationRequest, context: grpc.ServicerContext,
    ) -> pb.CompleteVerificationResponse:
        self.requests.append(request)
        right = request.code == "123456"
        return pb.CompleteVerificationResponse(verified=right, attempts_left=5 if right else 0)

    def ReportOutcome(  # noqa: N802
            self, request: pb.ReportOutcomeRequest, context: grpc.ServicerContext,
    ) -> pb.ReportOutcomeResponse:
        self.requests.append(request)
        return pb.ReportOutcomeResponse()


@pytest.fixture(scope="module")
def stand_in_server() -> Iterator[tuple[StandIn, str]]:
    servicer = StandIn()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    rpc.add_AccountGuardServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        server.stop(None)


@pytest.fixture
def stand_in(stand_in_server: tuple[StandIn, str]) -> StandIn:
    servicer = stand_in_server[0]
    servicer.requests.clear()
    servicer.status = pb.AccountStatus()
    return servicer


@pytest.fixture
def target(stand_in_server: tuple[StandIn, str]) -> list[str]:
    return ["--target", stand_in_server[1]]


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"ACCTGUARD_TOKEN": None})


def test_status_prints_devices_and_pending_events(stand_in, target):
    stand_in.status = pb.AccountStatus(
        devices=[pb.DeviceTrust(device_id="dev-home", state=pb.TRUSTED),
                 pb.DeviceTrust(device_id="dev-new", state=pb.PENDING,
                                reason="seen in a challenged sign-in"),
                 pb.DeviceTrust(device_id="dev-thief", state=pb.UNTRUSTED, until=UNTIL,
                                reason="failed a step-up")],
        pending_event_ids=["evt-1", "evt-2"])
    result = invoke("status", "--account", "alice", *target)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["account_id"] == "alice"
    assert printed["devices"] == [
        {"device_id": "dev-home", "state": "TRUSTED", "reason": ""},
        {"device_id": "dev-new", "state": "PENDING", "reason": "seen in a challenged sign-in"},
        {"device_id": "dev-thief", "state": "UNTRUSTED", "until": "2027-01-15T08:00:00Z",
         "reason": "failed a step-up"}]
    assert printed["pending_event_ids"] == ["evt-1", "evt-2"]


def test_status_prints_empty_lists_too(stand_in, target):
    result = invoke("status", "--account", "bob", *target)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["devices"] == []
    assert printed["pending_event_ids"] == []
    assert printed["freezes"] == []
    assert printed["authenticator_enrolled"] is False


def test_verify_start_sends_the_verifying_device_and_address(stand_in, target):
    result = invoke("verify", "start", "--account", "alice", "--device", "dev-home",
                    "--ip", "203.0.113.7", *target)
    assert result.exit_code == 0, result.output
    assert stand_in.requests == [pb.StartVerificationRequest(
        account_id="alice", method=pb.ONE_TIME_CODE, device_id="dev-home", ip="203.0.113.7")]
    assert json.loads(result.stdout)["challenge_id"] == "chl_1"


def test_verify_start_without_device_or_address_sends_them_empty(stand_in, target):
    result = invoke("verify", "start", "--account", "alice", "--method", "totp", *target)
    assert result.exit_code == 0, result.output
    assert stand_in.requests == [pb.StartVerificationRequest(account_id="alice",
                                                             method=pb.TOTP)]


@pytest.mark.parametrize(("word", "result", "learned"), [
    ("passed", pb.CHALLENGE_PASSED, True),
    ("failed", pb.CHALLENGE_FAILED, False),
    ("abandoned", pb.CHALLENGE_ABANDONED, False),
])
def test_challenge_result_sends_the_result_and_prints_every_field(stand_in, target, word,
                                                                  result, learned):
    run = invoke("challenge", "result", "--event", "evt-1", "--result", word,
                 "--method", "sms", *target)
    assert run.exit_code == 0, run.output
    assert stand_in.requests == [pb.ReportChallengeResultRequest(
        event_id="evt-1", result=result, method="sms")]
    assert json.loads(run.stdout) == {"learned": learned}


def test_challenge_result_method_is_optional(stand_in, target):
    run = invoke("challenge", "result", "--event", "evt-1", "--result", "failed", *target)
    assert run.exit_code == 0, run.output
    assert stand_in.requests == [pb.ReportChallengeResultRequest(
        event_id="evt-1", result=pb.CHALLENGE_FAILED)]
    assert json.loads(run.stdout) == {"learned": False}


@pytest.mark.parametrize("args", [
    ["--event", "evt-1", "--result", "maybe"],
    ["--event", "evt-1"],
    ["--result", "passed"],
])
def test_challenge_result_refuses_bad_options_without_calling(stand_in, target, args):
    run = invoke("challenge", "result", *args, *target)
    assert run.exit_code == 2
    assert "Usage:" in run.output
    assert stand_in.requests == []


def _one_line_error(run: Result, code: str) -> str:
    assert run.exit_code == 1
    assert run.exception is None or isinstance(run.exception, SystemExit)
    assert "Traceback" not in run.output
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"Error: {code}")
    return lines[0]


def test_challenge_result_error_is_one_line(stand_in, target):
    run = invoke("challenge", "result", "--event", UNKNOWN_EVENT, "--result", "passed",
                 *target)
    line = _one_line_error(run, "NOT_FOUND")
    assert line == "Error: NOT_FOUND: event_id: no scored event has this id"


def test_challenge_result_unreachable_server_is_one_line(unused_port: int):
    run = invoke("challenge", "result", "--event", "evt-1", "--result", "passed",
                 "--target", f"127.0.0.1:{unused_port}")
    _one_line_error(run, "UNAVAILABLE")


def test_outcomes_report_prints_both_freeze_ids_even_when_empty(stand_in, target):
    run = invoke("outcomes", "report", "--event", "evt-1", "--outcome", "legitimate", *target)
    assert run.exit_code == 0, run.output
    assert stand_in.requests == [pb.ReportOutcomeRequest(event_id="evt-1",
                                                         outcome=pb.CONFIRMED_LEGITIMATE)]
    assert json.loads(run.stdout) == {"lifted_freeze_id": "", "placed_freeze_id": ""}


# --- against the real server -----------------------------------------------------------------

@pytest.fixture
def real_target(server_port: int) -> list[str]:
    return ["--target", f"127.0.0.1:{server_port}"]


def test_real_status_of_an_unknown_account_lists_no_devices(real_target):
    result = invoke("status", "--account", "nobody", *real_target)
    assert result.exit_code == 0, result.output
    printed: dict[str, Any] = json.loads(result.stdout)
    assert printed["devices"] == []
    assert printed["pending_event_ids"] == []


def test_real_challenge_result_for_an_unknown_event_is_not_found(real_target):
    run = invoke("challenge", "result", "--event", "evt-never-scored", "--result", "passed",
                 *real_target)
    _one_line_error(run, "NOT_FOUND")


def test_real_step_up_flow_through_the_commands(real_target, stub):
    """A takeover's challenged event is pending with its device; reporting a failed step-up
    settles it (the device untrusted); the same result again is accepted, another refused."""
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    for event in [*normal_week("alice", start), *takeover("alice", takeover_start(start))]:
        stub.Score(event_to_request(event), timeout=5)
    before = json.loads(invoke("status", "--account", "alice", *real_target).stdout)
    assert before["pending_event_ids"]
    event_id = before["pending_event_ids"][0]
    pending = {d["device_id"] for d in before["devices"] if d["state"] == "PENDING"}
    assert pending

    run = invoke("challenge", "result", "--event", event_id, "--result", "failed",
                 "--method", "sms", *real_target)
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout) == {"learned": True}
    after = json.loads(invoke("status", "--account", "alice", *real_target).stdout)
    assert event_id not in after["pending_event_ids"]
    states = {d["device_id"]: d for d in after["devices"]}
    for device_id in pending:
        assert states[device_id]["state"] == "UNTRUSTED"
        assert states[device_id]["until"]
        assert states[device_id]["reason"]

    again = invoke("challenge", "result", "--event", event_id, "--result", "failed",
                   *real_target)
    assert again.exit_code == 0, again.output
    _one_line_error(invoke("challenge", "result", "--event", event_id, "--result", "passed",
                           *real_target), "FAILED_PRECONDITION")


def test_verify_complete_prints_every_field_and_fails_when_not_verified(stand_in, target):
    wrong = invoke("verify", "complete", "--challenge", "chl_1", "--code", "000000", *target)
    assert wrong.exit_code == 1
    assert json.loads(wrong.stdout) == {"verified": False, "attempts_left": 0}
    right = invoke("verify", "complete", "--challenge", "chl_1", "--code", "123456", *target)
    assert right.exit_code == 0
    assert json.loads(right.stdout) == {"verified": True, "attempts_left": 5}
