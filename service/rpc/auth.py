"""Who may call what: caller identity (bearer token or mTLS client certificate), role
permissions per method, per-caller rate limits on verification, and deadlines already passed.

The check runs in the handler wrapper (:mod:`service.rpc.registry`), not in an interceptor: an
interceptor sees only the method and metadata, not the TLS peer. Behaviors read the admitted
caller with :func:`current_caller` (in the coroutine: a ContextVar does not follow work handed
to an executor thread, so pass the caller along if a worker needs it).
"""

from __future__ import annotations

import contextvars
import enum
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import grpc
import structlog

from service.rpc.ratelimit import RateLimiter
from service.rpc.tokens import TokenRegistry

log = structlog.get_logger("acctguard.auth")

GUARD = "/acctguard.v1.AccountGuard/"
ADMIN_SERVICE = "/acctguard.v1.AccountGuardAdmin/"


class Role(enum.StrEnum):
    GATEWAY = "gateway"
    VERIFIER = "verifier"
    ADMIN = "admin"


How = Literal["token", "certificate", "anonymous"]


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    role: Role
    how: How


ANONYMOUS = Caller("anonymous", Role.ADMIN, "anonymous")
"""Every caller when authentication is off (allowed on loopback only, or with the insecure
flag; see :mod:`service.rpc.security`)."""

# Roles other than admin, per full method name. Admin may call every method of every service
# behind the registry (AccountGuard and AccountGuardAdmin); health and reflection are not
# behind it and stay open, so probes need no token.
PERMISSIONS: Mapping[str, frozenset[Role]] = {
    GUARD + "Score": frozenset({Role.GATEWAY}),
    GUARD + "ScoreStream": frozenset({Role.GATEWAY}),
    GUARD + "ScoreBatch": frozenset({Role.GATEWAY}),
    GUARD + "GetAccountStatus": frozenset({Role.GATEWAY, Role.VERIFIER}),
    GUARD + "StartVerification": frozenset({Role.VERIFIER}),
    GUARD + "CompleteVerification": frozenset({Role.VERIFIER}),
    GUARD + "Unfreeze": frozenset({Role.VERIFIER}),
    GUARD + "EnrollAuthenticator": frozenset({Role.VERIFIER}),
    GUARD + "ReportOutcome": frozenset({Role.VERIFIER}),
    GUARD + "ReportChallengeResult": frozenset({Role.GATEWAY, Role.VERIFIER}),
}

RATE_LIMITED: frozenset[str] = frozenset(GUARD + name for name in (
    "StartVerification", "CompleteVerification", "Unfreeze", "EnrollAuthenticator"))


def may_call(role: Role, method: str) -> bool:
    return role is Role.ADMIN or role in PERMISSIONS.get(method, frozenset())


class CallRefused(Exception):
    """A call refused before its behavior ran. Mapped to ``code`` by the registry, with
    ``message`` (which never carries a token) as the status details."""

    code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED

    def __init__(self, message: str, caller_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.caller_name = caller_name  # who was refused, when known (for the log)


class Unauthenticated(CallRefused):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(CallRefused):
    code = grpc.StatusCode.PERMISSION_DENIED


class RateLimited(CallRefused):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class DeadlinePassed(CallRefused):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class CallContext(Protocol):
    """What the authorizer needs of a ``grpc.aio.ServicerContext``."""

    def invocation_metadata(self) -> Any: ...
    def auth_context(self) -> Mapping[str, Iterable[bytes]]: ...
    def time_remaining(self) -> float | None: ...
    def peer(self) -> str: ...


_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("acctguard_caller")


def current_caller() -> Caller:
    """The caller admitted for the RPC being handled. Raises ``LookupError`` outside a call
    that went through the registry (wrap direct calls in :func:`caller_scope`)."""
    try:
        return _caller.get()
    except LookupError:
        raise LookupError("no caller: not inside an RPC admitted by the registry "
                          "(use service.rpc.auth.caller_scope to set one)") from None


@contextmanager
def caller_scope(caller: Caller) -> Iterator[Caller]:
    """Make ``caller`` the :func:`current_caller` for the duration (the registry uses this;
    so can tests that call behaviors directly)."""
    token = _caller.set(caller)
    try:
        yield caller
    finally:
        # A stream's generator closed from another context (garbage collection) cannot
        # reset; the value then dies with this call's task context anyway.
        with suppress(ValueError):
            _caller.reset(token)


MAX_TOKEN_CHARS = 256


class Authorizer:
    """Identifies callers and decides whether they may call a method.

    ``tokens``: bearer tokens (None: tokens are not accepted). ``cert_roles``: client
    certificate common name → role, used when the server requires client certificates
    (``mtls``). With neither, authentication is off and every caller is :data:`ANONYMOUS`.
    ``limiter``: per-caller limit on the verification methods (None: unlimited)."""

    def __init__(self, tokens: TokenRegistry | None = None, *, mtls: bool = False,
                 cert_roles: Mapping[str, Role] | None = None,
                 limiter: RateLimiter | None = None) -> None:
        self.tokens = tokens
        self.mtls = mtls
        self.cert_roles = dict(cert_roles or {})
        self.limiter = limiter

    @classmethod
    def open(cls) -> Authorizer:
        """Authentication off, no rate limits: the default of ``generic_handler``."""
        return cls()

    @property
    def enabled(self) -> bool:
        return self.tokens is not None or self.mtls

    def identify(self, context: CallContext) -> Caller:
        """The caller behind ``context``: its bearer token when tokens are on and it sent one,
        else its client certificate, else (authentication off) :data:`ANONYMOUS`."""
        if not self.enabled:
            return ANONYMOUS
        header = _authorization(context)
        if header is not None and self.tokens is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
            entry = self.tokens.find(token) if len(token) <= MAX_TOKEN_CHARS else None
            if entry is None:
                raise Unauthenticated("unknown or revoked token")
            return Caller(entry.name, Role(entry.role), "token")
        if self.mtls:
            names = [n.decode("utf-8", "replace")
                     for n in context.auth_context().get("x509_common_name", ())]
            if not names:
                raise Unauthenticated("no client certificate")
            role = self.cert_roles.get(names[0])
            if role is None:
                raise PermissionDenied("this client certificate has no role", names[0])
            return Caller(names[0], role, "certificate")
        raise Unauthenticated("missing bearer token (authorization: Bearer <token>)")

    def admit(self, method: str, context: CallContext) -> Caller:
        """The caller, if it may call ``method`` now; otherwise the refusal is logged (method,
        caller, reason; never a token) and raised as a :class:`CallRefused`."""
        caller: Caller | None = None
        try:
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:
                raise DeadlinePassed("deadline exceeded before the call was handled")
            caller = self.identify(context)
            if not may_call(caller.role, method):
                raise PermissionDenied(f"role {caller.role} may not call {method}")
            if (self.limiter is not None and method in RATE_LIMITED
                    and not self.limiter.allow(caller.name)):
                raise RateLimited("too many verification calls; retry later")
        except CallRefused as refusal:
            if caller is not None:
                refusal.caller_name = caller.name
            log.warning("call_refused", method=method, code=refusal.code.name,
                        reason=refusal.message, peer=context.peer(), caller=refusal.caller_name,
                        role=str(caller.role) if caller else None,
                        how=caller.how if caller else None)
            raise
        return caller


def _authorization(context: CallContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
    return None
