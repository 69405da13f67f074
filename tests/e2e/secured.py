"""Servers with authentication and TLS from settings, and clients for them (over 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from service.bootstrap import Application
from service.config import Settings
from tests.tls_ca import Pair


@contextmanager
def secured_server(settings: Settings, extra_services: Sequence[tuple[Any, Any]] = (),
                   ) -> Iterator[tuple[Application, int]]:
    """Like tests.conftest.running_server, with ServerSecurity.from_settings(settings)."""
    from service.bootstrap import build_application
    from service.rpc.security import ServerSecurity
    from service.rpc.server import serve_in_background

    app = build_application(settings)
    try:
        with serve_in_background(app.handlers, settings.listen, settings.max_message_bytes,
                                 security=ServerSecurity.from_settings(settings),
                                 extra_services=extra_services) as port:
            yield app, port
    finally:
        app.close()


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def tls_channel(port: int, ca_file: Path, client: Pair | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca_file.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None)
    return grpc.secure_channel(f"127.0.0.1:{port}", credentials)


def code_of(call: Any, *args: Any, **kwargs: Any) -> grpc.StatusCode:
    """The status code of a blocking call (OK when it returns)."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK
