"""A freeze survives the server process stopping and starting again."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import time

import grpc
import pytest

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from tests.e2e.serve_process import ACCTGUARD, ServeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _status(target: str, account: str) -> pb.AccountStatus:
    with grpc.insecure_channel(target) as channel:
        return rpc.AccountGuardStub(channel).GetAccountStatus(
            pb.GetAccountStatusRequest(account_id=account), timeout=10)


ACCOUNT = "erin-7f3e9a"  # appears in no event or device id, so any trace of it is a leak


def test_freeze_survives_restart_and_logs_are_json(tmp_path, model_path):
    data = tmp_path / "data"
    start = math.floor(time.time() / 86400) * 86400 - 8 * 86400
    first = ServeProcess(data, model_path)
    try:
        health = subprocess.run([str(ACCTGUARD), "health", "--target", first.target],
                                capture_output=True, text=True, timeout=30, check=False)
        assert health.returncode == 0
        assert health.stdout.strip() == "SERVING"
        with grpc.insecure_channel(first.target) as channel:
            stub = rpc.AccountGuardStub(channel)
            for event in normal_week(ACCOUNT, start, prefix="erin"):
                stub.Score(event_to_request(event), timeout=10)
            replies = [stub.Score(event_to_request(e), timeout=10)
                       for e in takeover(ACCOUNT, takeover_start(start), prefix="erin")]
        assert replies[-1].decision == pb.FREEZE
        before = _status(first.target, ACCOUNT)
        assert before.freezes
    finally:
        assert first.terminate() == 0
    records = [json.loads(line) for line in first.lines if line.startswith("{")]
    scored = [r for r in records if r.get("event") == "rpc" and r.get("decision") == "FREEZE"]
    assert scored
    assert "account" in scored[0]
    assert "account_id" not in scored[0]
    assert ACCOUNT not in "".join(first.lines)  # the raw account id is never logged

    second = ServeProcess(data, model_path)
    try:
        after = _status(second.target, ACCOUNT)
        assert [f.freeze_id for f in after.freezes] == [f.freeze_id for f in before.freezes]
        again = takeover(ACCOUNT, takeover_start(start), prefix="erin")[-3]
        with grpc.insecure_channel(second.target) as channel:
            reply = rpc.AccountGuardStub(channel).Score(event_to_request(again), timeout=10)
        assert reply == next(r for r in replies if r.event_id == again.event_id)
        # SIGTERM: health turns NOT_SERVING while calls are still answered (the notice period).
        second.process.send_signal(signal.SIGTERM)
        health = subprocess.run([str(ACCTGUARD), "health", "--target", second.target,
                                 "--service", "acctguard.v1.AccountGuard", "--timeout", "1"],
                                capture_output=True, text=True, timeout=30, check=False)
        assert health.stdout.strip() == "NOT_SERVING"
        assert health.returncode == 1
        assert _status(second.target, ACCOUNT).freezes  # still answering during the notice
    finally:
        assert second.terminate() == 0
