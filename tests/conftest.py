"""Shared fixtures: a small model trained once per session, and servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
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
    """The real application and server, in this process, on a thread with its own event loop.
    Yields the bound port."""
    from service.bootstrap import build_application
    from service.rpc.server import GuardServer

    app = build_application(settings)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-server", daemon=True)
    thread.start()

    async def start() -> tuple[GuardServer, int]:  # grpc.aio servers belong to the loop
        server = GuardServer(app.handlers, settings.listen, settings.max_message_bytes)
        return server, await server.start()

    server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(1.0), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
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
