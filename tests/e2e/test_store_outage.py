"""The risk store goes away and comes back: Score answers within its deadline with the fail
mode, the store's health turns NOT_SERVING, and service recovers without a restart.

PostgreSQL is reached through a TCP proxy on 127.0.0.1 that the test can cut."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from detectors.demo import normal_week
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from service.rpc.store_health import STORE_SERVICE
from tests.backends import POSTGRES_URL, require_postgres, unique_name
from tests.conftest import running_server

pytestmark = pytest.mark.e2e
DAY = 86400.0


class CuttableProxy:
    """Forwards 127.0.0.1:port to PostgreSQL; ``cut`` drops every connection and refuses new
    ones until ``restore``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxy() -> Iterator[CuttableProxy]:
    require_postgres()
    running = CuttableProxy(("127.0.0.1", 5432))
    yield running
    running.close()


def _store_health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=STORE_SERVICE), timeout=2).status


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(("mode", "expected"), [("closed", pb.CHALLENGE), ("open", pb.ALLOW)])
def test_outage_answers_with_the_fail_mode_and_recovers(server_settings, proxy, mode, expected):
    schema = unique_name()
    url = POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    settings = server_settings.model_copy(update={
        "database_url": url, "database_schema": schema, "fail_mode": mode,
        "score_timeout_seconds": 0.5, "store_timeout_seconds": 1.0})
    start = math.floor(time.time() / DAY) * DAY - 8 * DAY
    events = iter(normal_week(f"outage-{mode}", start))
    with running_server(settings) as (app, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = rpc.AccountGuardStub(channel)
        before = stub.Score(event_to_request(next(events)), timeout=5)
        assert before.reasons == [] or before.reasons[0].code != pb.RISK_STORE_UNAVAILABLE
        assert _store_health(channel) == health_pb2.HealthCheckResponse.SERVING

        proxy.cut()
        latencies = []
        for _ in range(5):
            began = time.perf_counter()
            reply = stub.Score(event_to_request(next(events)), timeout=1.0)
            latencies.append(time.perf_counter() - began)
            assert reply.decision == expected
            assert [r.code for r in reply.reasons] == [pb.RISK_STORE_UNAVAILABLE]
        assert max(latencies) < 1.0, latencies  # within the deadline, never a hang
        assert _wait_for(lambda: _store_health(channel)
                         == health_pb2.HealthCheckResponse.NOT_SERVING, 10)
        overall = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                            timeout=2).status
        assert overall == health_pb2.HealthCheckResponse.SERVING  # it still answers

        proxy.restore()
        assert _wait_for(lambda: _store_health(channel)
                         == health_pb2.HealthCheckResponse.SERVING, 15)
        after = stub.Score(event_to_request(next(events)), timeout=5)
        assert all(r.code != pb.RISK_STORE_UNAVAILABLE for r in after.reasons)
        assert app.store.find_result(after.event_id) is not None
        app.store.database.drop_schema()
