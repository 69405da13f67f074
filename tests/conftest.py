"""Shared fixtures: a small model trained once per session, and servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest

from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import Application
from service.config import Settings


def pytest_configure(config: pytest.Config) -> None:
    """Logs in tests go through the service's own pipeline (JSON, pseudonymised accounts),
    uncached, so that a test capturing logs sees every logger whatever ran before it."""
    from service.log_config import configure_logging

    configure_logging("info", "json", cache_loggers=False)


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
def running_server(settings: Settings, admin_behaviors: dict[str, Any] | None = None,
                   ) -> Iterator[tuple[Application, int]]:
    """The real application and server, in this process, as `acctguard serve` runs it: both
    services, TLS and authentication from ``settings``, metrics. ``admin_behaviors`` stand in
    for the admin service's handlers (tests of who may call what). Yields the app and port."""
    from service.bootstrap import build_application
    from service.rpc.security import ServerSecurity
    from service.rpc.server import serve_in_background

    app = build_application(settings)
    services = app.services()[1:]  # AccountGuard is served by the handlers themselves
    if admin_behaviors is not None:
        services = [(service, admin_behaviors) for service, _ in services]
    try:
        with serve_in_background(app.handlers, settings.listen, settings.max_message_bytes,
                                 security=ServerSecurity.from_settings(settings),
                                 extra_services=services, metrics=app.metrics) as port:
            yield app, port
    finally:
        app.close()


@pytest.fixture
def server_settings(tmp_path: Path, model_path: Path) -> Settings:
    return Settings(listen="127.0.0.1:0", data_dir=tmp_path / "data", model_path=model_path,
                    sqlite_synchronous="NORMAL")


@pytest.fixture
def server(server_settings: Settings) -> Iterator[tuple[Application, int]]:
    with running_server(server_settings) as running:
        yield running


@pytest.fixture
def server_app(server: tuple[Application, int]) -> Application:
    """The application behind the test server, to check what it stored."""
    return server[0]


@pytest.fixture
def server_port(server: tuple[Application, int]) -> int:
    return server[1]


@pytest.fixture
def channel(server_port: int) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server_port}") as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch


@pytest.fixture
def stub(channel: grpc.Channel) -> rpc.AccountGuardStub:
    return rpc.AccountGuardStub(channel)


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    return tmp_path / "tokens.json"


@pytest.fixture
def tokens(tokens_file: Path) -> dict[str, str]:
    """One bearer token per role (gateway, verifier, admin), keyed by role name."""
    from service.rpc.tokens import create_token

    return {role: create_token(tokens_file, f"{role}-1", role)[0]
            for role in ("gateway", "verifier", "admin")}
