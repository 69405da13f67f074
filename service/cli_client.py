"""Connection options shared by the client commands (score, status, health): a bearer token
and TLS/mTLS files, so they work against a secured server; and how a failed call is told."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import grpc


@dataclass(frozen=True, slots=True)
class ClientOptions:
    token: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    @property
    def uses_tls(self) -> bool:
        return self.ca_file is not None or self.cert_file is not None

    def channel(self, target: str) -> grpc.Channel:
        """A blocking channel to ``target``: TLS when a CA or client certificate is given
        (verifying the server against ``ca_file``, or the system roots without one)."""
        import grpc

        if not self.uses_tls:
            return grpc.insecure_channel(target)
        if (self.cert_file is None) != (self.key_file is None):
            raise click.UsageError("--cert-file and --key-file go together")
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),
            private_key=_read(self.key_file), certificate_chain=_read(self.cert_file))
        options = [("grpc.ssl_target_name_override", self.server_name)] if self.server_name \
            else []
        return grpc.secure_channel(target, credentials, options=options)


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def rpc_failure(exc: grpc.RpcError) -> click.ClickException:
    """A failed call as a one-line error (``CODE: details``), for ``raise ... from exc``: click
    prints it and exits 1, with no traceback."""
    code = getattr(exc, "code", None)
    name = code().name if callable(code) else "UNKNOWN"
    details = getattr(exc, "details", None)
    text = " ".join(str((details() if callable(details) else "") or "").split())
    return click.ClickException(f"{name}: {text}" if text else name)


def client_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --token/--ca-file/--cert-file/--key-file/--server-name to a command, which gets them
    as one ``client: ClientOptions`` argument."""
    file = click.Path(exists=True, dir_okay=False, path_type=Path)

    @click.option("--token", envvar="ACCTGUARD_TOKEN", default=None,
                  help="bearer token from `acctguard token create` [env ACCTGUARD_TOKEN]")
    @click.option("--ca-file", type=file, envvar="ACCTGUARD_CA_FILE",
                  help="CA that signed the server certificate; turns TLS on "
                       "[env ACCTGUARD_CA_FILE]")
    @click.option("--cert-file", type=file, envvar="ACCTGUARD_CLIENT_CERT_FILE",
                  help="client certificate for mTLS [env ACCTGUARD_CLIENT_CERT_FILE]")
    @click.option("--key-file", type=file, envvar="ACCTGUARD_CLIENT_KEY_FILE",
                  help="client private key for mTLS [env ACCTGUARD_CLIENT_KEY_FILE]")
    @click.option("--server-name", default=None, envvar="ACCTGUARD_SERVER_NAME",
                  help="name to verify in the server certificate, when the target is an "
                       "address it does not list [env ACCTGUARD_SERVER_NAME]")
    @functools.wraps(command)
    def wrapper(*args: Any, token: str | None, ca_file: Path | None, cert_file: Path | None,
                key_file: Path | None, server_name: str | None, **kwargs: Any) -> None:
        command(*args, client=ClientOptions(token, ca_file, cert_file, key_file, server_name),
                **kwargs)
    return wrapper
