"""Transport security and the listen-address rule.

* TLS from a certificate and key; with a client CA, client certificates are required (a
  client without one fails the handshake) and identify callers by their common name.
* A non-loopback address is refused unless the server has TLS *and* authentication (tokens or
  client certificates), or the insecure override is given (then a loud warning is logged).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from service.config import Settings
from service.rpc.auth import Authorizer, Role
from service.rpc.ratelimit import RateLimiter
from service.rpc.tokens import TokenFileError, TokenRegistry


class SecurityConfigError(ValueError):
    """TLS files or the tokens file cannot be used; the server must not start."""


class InsecureListenError(OSError):
    """Listening on this address without TLS and authentication is refused."""


@dataclass(frozen=True, slots=True)
class ListenCheck:
    allowed: bool
    loopback: bool
    message: str  # why it is refused, or the warning when allowed only by the override

    @property
    def insecure_override(self) -> bool:
        return self.allowed and bool(self.message)


def is_loopback(listen: str) -> bool:
    """Whether a gRPC listen address is reachable from this machine only: 127.0.0.0/8, ::1,
    localhost, or a unix socket. An empty host or a name other than localhost is not."""
    if listen.startswith(("unix:", "unix-abstract:")):
        return True
    host = listen
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    host = host.strip().lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_listen(listen: str, *, tls: bool, authenticated: bool,
                 allow_insecure: bool) -> ListenCheck:
    """The decision for one listen address (pure; the CLI and :class:`GuardServer` use it)."""
    if is_loopback(listen):
        return ListenCheck(True, True, "")
    missing = [name for name, present in (("TLS", tls), ("authentication", authenticated))
               if not present]
    if not missing:
        return ListenCheck(True, False, "")
    what = " and ".join(missing)
    if allow_insecure:
        return ListenCheck(True, False, f"INSECURE: listening on non-loopback {listen} without "
                           f"{what} because the insecure override is set; anyone who can "
                           "reach this address can call every RPC")
    return ListenCheck(False, False, f"refusing to listen on non-loopback {listen} without "
                       f"{what}: set ACCTGUARD_TLS_CERT_FILE/ACCTGUARD_TLS_KEY_FILE and "
                       "ACCTGUARD_TOKENS_FILE or ACCTGUARD_TLS_CLIENT_CA_FILE, or pass "
                       "--allow-insecure (ACCTGUARD_ALLOW_INSECURE=true) to accept the risk")


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def server_credentials(self) -> grpc.ServerCredentials:
        client_ca = _read(self.client_ca_file) if self.client_ca_file else None
        return grpc.ssl_server_credentials(
            [(_read(self.key_file), _read(self.cert_file))], root_certificates=client_ca,
            require_client_auth=client_ca is not None)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ServerSecurity:
    """How a :class:`~service.rpc.server.GuardServer` authenticates callers and its transport.
    The default is the open server (plaintext, authentication off), for loopback."""

    authorizer: Authorizer = field(default_factory=Authorizer.open)
    tls: TlsFiles | None = None
    allow_insecure: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerSecurity:
        tls = None
        if settings.tls_cert_file is not None and settings.tls_key_file is not None:
            tls = TlsFiles(settings.tls_cert_file, settings.tls_key_file,
                           settings.tls_client_ca_file)
            tls.server_credentials()  # unreadable files fail here, before anything starts
        try:
            tokens = TokenRegistry(settings.tokens_file) if settings.tokens_file else None
        except TokenFileError as exc:
            raise SecurityConfigError(str(exc)) from None
        authorizer = Authorizer(
            tokens, mtls=tls is not None and tls.client_ca_file is not None,
            cert_roles={name: Role(role) for name, role in settings.client_cert_roles.items()},
            limiter=RateLimiter(settings.verification_rate_per_minute,
                                settings.verification_burst))
        return cls(authorizer, tls, settings.allow_insecure)

    def check_listen(self, listen: str) -> ListenCheck:
        return check_listen(listen, tls=self.tls is not None,
                            authenticated=self.authorizer.enabled,
                            allow_insecure=self.allow_insecure)
