"""A new model is loaded while calls keep flowing; a bad artifact is refused and the old
model keeps serving; SIGHUP reloads the configured artifact of a real process."""

from __future__ import annotations

import math
import shutil
import signal
import threading
import time
from pathlib import Path

import grpc
import pytest

from detectors.demo import normal_week
from detectors.simulation import SimulationConfig, simulate
from detectors.training import TrainingConfig, train
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from tests.e2e.processes import ServerProcess

pytestmark = pytest.mark.e2e
DAY = 86400.0


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("other-model") / "other.npz"
    train(simulate(SimulationConfig(accounts=1000, days=14, seed=23)),
          TrainingConfig(seed=23)).save(path)
    return path


def test_reload_swaps_the_model_without_dropping_calls(server, channel, other_model, tmp_path):
    app, _ = server
    guard, admin = rpc.AccountGuardStub(channel), rpc.AccountGuardAdminStub(channel)
    before = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).version
    events = normal_week("reload", math.floor(time.time() / DAY) * DAY - 8 * DAY)
    replies: list[pb.ScoreResponse] = []
    errors: list[grpc.RpcError] = []

    def keep_scoring() -> None:
        for event in events:
            try:
                replies.append(guard.Score(event_to_request(event), timeout=5))
            except grpc.RpcError as error:
                errors.append(error)
            time.sleep(0.005)
    worker = threading.Thread(target=keep_scoring)
    worker.start()
    time.sleep(0.05)
    info = admin.ReloadModel(pb.ReloadModelRequest(path=str(other_model)), timeout=30)
    worker.join(timeout=60)
    assert not errors
    assert len(replies) == len(events)
    assert info.version != before
    assert admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).version == info.version
    assert {r.model_version for r in replies} <= {before, info.version}
    after = guard.Score(event_to_request(normal_week("reload-after", events[-1].occurred_at)[0]),
                        timeout=5)
    assert after.model_version == info.version  # responses say which model scored them

    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a model")
    with pytest.raises(grpc.RpcError) as refused:
        admin.ReloadModel(pb.ReloadModelRequest(path=str(garbage)), timeout=30)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert info.version in refused.value.details()  # it says which model keeps serving
    assert app.engine.scorer.version == info.version


def test_sighup_reloads_the_configured_artifact(tmp_path, model_path, other_model):
    configured = tmp_path / "model.npz"
    shutil.copy(model_path, configured)
    with ServerProcess(tmp_path / "data", configured) as server:
        server.start()
        with grpc.insecure_channel(server.target) as channel:
            admin = rpc.AccountGuardAdminStub(channel)
            before = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).version
            shutil.copy(other_model, configured)
            assert server.process is not None
            server.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                now = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).version
                if now != before:
                    break
                time.sleep(0.1)
            assert now != before
