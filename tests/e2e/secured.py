"""Servers with authentication and TLS from settings, and clients for them (over 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc

from tests.tls_ca import Pair


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
