"""Server assembly: AccountGuard, standard health and reflection, limits, graceful stop,
TLS/mTLS and who may call what (:class:`~service.rpc.security.ServerSecurity`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import grpc
import structlog
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.metrics import Metrics
from service.rpc.inflight import InFlightLimit, backstop
from service.rpc.registry import generic_handler
from service.rpc.security import InsecureListenError, ServerSecurity
from service.rpc.servicer import AccountGuardHandlers

SERVICE = pb.DESCRIPTOR.services_by_name["AccountGuard"]
SERVICE_NAME = SERVICE.full_name
Behaviors = dict[str, Callable[..., Any]]
log = structlog.get_logger("acctguard.server")
STOP_STEP_SECONDS = 2.0  # the longest a background task may take to stop


class GuardServer:
    def __init__(self, handlers: AccountGuardHandlers, listen: str,
                 max_message_bytes: int = 1 << 20, max_concurrent_rpcs: int = 1000,
                 shutdown_notice: float = 0.0, *, security: ServerSecurity | None = None,
                 metrics: Metrics | None = None) -> None:
        self.listen = listen
        self.shutdown_notice = shutdown_notice
        self.security = security or ServerSecurity()
        self.metrics = metrics
        self.service_names: list[str] = []
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]  # untyped re-export
        # acctguard's services are limited in the handlers (health checks never are); gRPC's
        # own limit is a backstop above that.
        self.limit = InFlightLimit(max_concurrent_rpcs)
        self.server = grpc.aio.server(maximum_concurrent_rpcs=backstop(max_concurrent_rpcs),
                                      options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ])
        self.add_service(SERVICE, handlers.behaviors())
        self.store_health = handlers.store_health
        self.port = 0

    def add_service(self, service: ServiceDescriptor, behaviors: Behaviors) -> None:
        """Serve ``service`` behind the registry (status mapping, logs, who may call what),
        with health and reflection for it. Call before :meth:`start`."""
        self.server.add_generic_rpc_handlers(
            (generic_handler(service, behaviors, self.security.authorizer, self.metrics,
                             self.limit),))
        self.service_names.append(service.full_name)

    async def start(self) -> int:
        """Bind, start, and report SERVING. Returns the bound port (useful with port 0).
        Raises :class:`InsecureListenError` (an OSError) for a non-loopback address without TLS
        and authentication, unless the insecure override is set."""
        check = self.security.check_listen(self.listen)
        if not check.allowed:
            raise InsecureListenError(check.message)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*self.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME), self.server)
        try:
            if self.security.tls is None:
                self.port = self.server.add_insecure_port(self.listen)
            else:
                self.port = self.server.add_secure_port(
                    self.listen, self.security.tls.server_credentials())
        except RuntimeError as exc:  # grpcio's way of saying the address is taken or invalid
            raise OSError(f"cannot listen on {self.listen}: {exc}") from None
        await self.server.start()
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.store_health.start(self.health)  # acctguard.v1.RiskStore: the store's own health
        return self.port

    async def stop(self, grace: float) -> None:
        """Health to NOT_SERVING first (still answering calls for ``shutdown_notice`` seconds,
        so load balancers and health probes notice), then stop accepting calls and drain the
        ones in flight for up to ``grace`` seconds."""
        try:
            await asyncio.wait_for(self.store_health.stop(), STOP_STEP_SECONDS)
        except TimeoutError:
            log.warning("store_health_stop_timeout")
        await self.health.enter_graceful_shutdown()
        if self.shutdown_notice:
            await asyncio.sleep(self.shutdown_notice)
        await self.server.stop(grace)

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()


@contextmanager
def serve_in_background(handlers: AccountGuardHandlers, listen: str,
                        max_message_bytes: int = 1 << 20, *,
                        security: ServerSecurity | None = None,
                        extra_services: Sequence[tuple[ServiceDescriptor, Behaviors]] = (),
                        metrics: Metrics | None = None) -> Iterator[int]:
    """Run a server on its own thread and event loop (for tests, benchmarks and tools that
    drive it with a blocking client). Yields the bound port; stops the server on exit.
    ``extra_services``: more (service, behaviors) pairs, as for :meth:`GuardServer.add_service`."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="acctguard-server", daemon=True)
    thread.start()

    async def start() -> tuple[GuardServer, int]:  # a grpc.aio server belongs to its loop
        server = GuardServer(handlers, listen, max_message_bytes, security=security,
                             metrics=metrics)
        for service, behaviors in extra_services:
            server.add_service(service, behaviors)
        return server, await server.start()

    try:
        server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
        try:
            yield port
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(1.0), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
