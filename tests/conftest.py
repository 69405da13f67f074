"""Shared fixtures: a small model trained once per session, and servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.config import Settings

# Small enough to train in seconds, large enough for stable thresholds.
TEST_MODEL_ACCOUNTS = 1000
TEST_MODEL_DAYS = 21


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from detectors.simulation import SimulationConfig, simulate
    from detectors.training import TrainingConfig, train

    path = tmp_path_factory.mktemp("model") / "model.npz"
    model = train(simulate(SimulationConfig(accounts=TEST_MODEL_ACCOUNTS, days=TEST_MODEL_DAYS,
                                            seed=11)), TrainingConfig(seed=11))
    model.save(path)
    return path


@contextmanager
def running_server(settings: Settings) -> Iterator[int]:
    """The real application and server, in this process. Yields the bound port."""
    from service.bootstrap import build_application
    from service.rpc.server import serve_in_background

    app = build_application(settings)
    try:
        with serve_in_background(app.handlers, settings.listen,
                                 settings.max_message_bytes) as port:
            yield port
    finally:
        app.close()


@pytest.fixture
def server_settings(tmp_path: Path, model_path: Path) -> Settings:
    return Settings(listen="127.0.0.1:0", data_dir=tmp_path / "data", model_path=model_path,
                    sqlite_synchronous="NORMAL")


@pytest.fixture
def server_port(server_settings: Settings) -> Iterator[int]:
    with running_server(server_settings) as port:
        yield port


@pytest.fixture
def channel(server_port: int) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server_port}") as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch


@pytest.fixture
def stub(channel: grpc.Channel) -> rpc.AccountGuardStub:
    return rpc.AccountGuardStub(channel)
