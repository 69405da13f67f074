"""Who may call what, without a network: permissions, identification, admission in the handler
wrapper (the caller, deadlines, refusals before the behavior), rate limits, the listen rule."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.config import Settings
from service.rpc import registry
from service.rpc.auth import (
    ANONYMOUS,
    PERMISSIONS,
    Authorizer,
    Caller,
    DeadlinePassed,
    PermissionDenied,
    RateLimited,
    Role,
    Unauthenticated,
    caller_scope,
    current_caller,
    may_call,
)
from service.rpc.ratelimit import RateLimiter
from service.rpc.security import (
    SecurityConfigError,
    ServerSecurity,
    check_listen,
    is_loopback,
)
from service.rpc.tokens import TokenRegistry, create_token

GUARD = pb.DESCRIPTOR.services_by_name["AccountGuard"]
ADMIN = pb.DESCRIPTOR.services_by_name["AccountGuardAdmin"]
G = "/acctguard.v1.AccountGuard/"

EXPECTED = {
    Role.GATEWAY: {"Score", "ScoreStream", "ScoreBatch", "GetAccountStatus",
                   "ReportChallengeResult"},
    Role.VERIFIER: {"StartVerification", "CompleteVerification", "Unfreeze",
                    "EnrollAuthenticator", "GetAccountStatus", "ReportOutcome",
                    "ReportChallengeResult"},
    Role.ADMIN: {m.name for m in GUARD.methods},
}


class FakeContext:
    def __init__(self, metadata: tuple[tuple[str, str], ...] = (), common_name: str | None = None,
                 time_remaining: float | None = None) -> None:
        self.metadata = metadata
        self.common_name = common_name
        self.remaining = time_remaining
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def invocation_metadata(self) -> Any:
        return self.metadata

    def auth_context(self) -> dict[str, list[bytes]]:
        return {"x509_common_name": [self.common_name.encode()]} if self.common_name else {}

    def time_remaining(self) -> float | None:
        return self.remaining

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1234"

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise grpc.aio.AbortError()


@pytest.mark.parametrize("role", list(Role))
def test_permission_table(role):
    for method in GUARD.methods:
        assert may_call(role, G + method.name) == (method.name in EXPECTED[role]), method.name
    for method in ADMIN.methods:  # the admin service: admins only
        assert may_call(role, f"/{ADMIN.full_name}/{method.name}") == (role is Role.ADMIN)


def test_every_permission_names_a_real_method():
    names = {G + m.name for m in GUARD.methods}
    assert set(PERMISSIONS) <= names


@given(st.text(max_size=80))
def test_unknown_methods_are_admin_only(method):
    if method not in PERMISSIONS:
        assert not may_call(Role.GATEWAY, method)
        assert not may_call(Role.VERIFIER, method)
        assert may_call(Role.ADMIN, method)


@pytest.fixture
def tokens(tmp_path: Path) -> tuple[TokenRegistry, dict[str, str]]:
    path = tmp_path / "tokens.json"
    made = {role: create_token(path, f"{role}-1", role)[0] for role in ("gateway", "verifier")}
    return TokenRegistry(path), made


def test_authentication_off_means_anonymous_admin():
    authorizer = Authorizer.open()
    assert not authorizer.enabled
    assert authorizer.identify(FakeContext()) == ANONYMOUS
    assert authorizer.identify(FakeContext((("authorization", "Bearer junk"),))) == ANONYMOUS
    assert Caller("anonymous", Role.ADMIN, "anonymous") == ANONYMOUS


def test_bearer_tokens(tokens):
    registry_, made = tokens
    authorizer = Authorizer(registry_)
    caller = authorizer.identify(FakeContext((("authorization", f"Bearer {made['gateway']}"),)))
    assert caller == Caller("gateway-1", Role.GATEWAY, "token")
    assert authorizer.identify(FakeContext(
        (("authorization", f"bearer  {made['verifier']}"),))).role is Role.VERIFIER
    for metadata in ((), (("authorization", "Bearer nope"),), (("authorization", "Bearer"),),
                     (("authorization", f"Basic {made['gateway']}"),),
                     (("authorization", "Bearer " + "a" * 300),)):
        with pytest.raises(Unauthenticated):
            authorizer.identify(FakeContext(metadata))


def test_client_certificates_map_to_roles():
    authorizer = Authorizer(mtls=True, cert_roles={"gw-1": Role.GATEWAY})
    assert authorizer.identify(FakeContext(common_name="gw-1")) == \
        Caller("gw-1", Role.GATEWAY, "certificate")
    with pytest.raises(PermissionDenied) as refused:
        authorizer.identify(FakeContext(common_name="someone"))
    assert refused.value.caller_name == "someone"
    with pytest.raises(Unauthenticated):
        authorizer.identify(FakeContext())
    # A token header is ignored when tokens are off: the certificate decides.
    assert authorizer.identify(FakeContext((("authorization", "Bearer x"),),
                                           common_name="gw-1")).role is Role.GATEWAY


def test_a_token_takes_precedence_over_the_certificate(tokens):
    registry_, made = tokens
    authorizer = Authorizer(registry_, mtls=True, cert_roles={"gw-1": Role.GATEWAY})
    context = FakeContext((("authorization", f"Bearer {made['verifier']}"),), common_name="gw-1")
    assert authorizer.identify(context) == Caller("verifier-1", Role.VERIFIER, "token")
    with pytest.raises(Unauthenticated):  # a bad token is not rescued by the certificate
        authorizer.identify(FakeContext((("authorization", "Bearer bad"),), common_name="gw-1"))
    assert authorizer.identify(FakeContext(common_name="gw-1")).how == "certificate"


def test_admit_checks_deadline_role_and_rate():
    clock = [0.0]
    authorizer = Authorizer(mtls=True, cert_roles={"v": Role.VERIFIER, "g": Role.GATEWAY},
                            limiter=RateLimiter(60, 2, clock=lambda: clock[0]))
    with pytest.raises(DeadlinePassed):
        authorizer.admit(G + "Score", FakeContext(common_name="g", time_remaining=0.0))
    with pytest.raises(PermissionDenied) as denied:
        authorizer.admit(G + "Unfreeze", FakeContext(common_name="g"))
    assert denied.value.caller_name == "g"
    verifier = FakeContext(common_name="v", time_remaining=3.0)
    for _ in range(2):
        assert authorizer.admit(G + "Unfreeze", verifier).name == "v"
    with pytest.raises(RateLimited):
        authorizer.admit(G + "StartVerification", verifier)
    assert authorizer.admit(G + "GetAccountStatus", verifier).name == "v"  # not limited
    clock[0] += 1.0
    assert authorizer.admit(G + "CompleteVerification", verifier).name == "v"


def test_current_caller_outside_a_call():
    with pytest.raises(LookupError):
        current_caller()
    caller = Caller("x", Role.VERIFIER, "token")
    with caller_scope(caller):
        assert current_caller() is caller
    with pytest.raises(LookupError):
        current_caller()


def _run_unary(authorizer: Authorizer, method: str, context: FakeContext) -> list[Caller]:
    seen: list[Caller] = []

    async def behavior(request: Any, ctx: Any) -> Any:
        seen.append(current_caller())
        return pb.AccountStatus()

    handle = registry._unary(G + method, behavior, registry.CallChecks(authorizer))

    async def call() -> None:
        with contextlib.suppress(grpc.aio.AbortError):
            await handle(pb.GetAccountStatusRequest(account_id="a"), context)
    asyncio.run(call())
    return seen


def test_wrapper_refuses_before_the_behavior_runs():
    authorizer = Authorizer(mtls=True, cert_roles={"g": Role.GATEWAY})
    denied = FakeContext(common_name="g")
    assert _run_unary(authorizer, "Unfreeze", denied) == []
    assert denied.aborted is not None
    assert denied.aborted[0] == grpc.StatusCode.PERMISSION_DENIED
    late = FakeContext(common_name="g", time_remaining=-0.5)
    assert _run_unary(authorizer, "GetAccountStatus", late) == []
    assert late.aborted is not None
    assert late.aborted[0] == grpc.StatusCode.DEADLINE_EXCEEDED
    unknown = FakeContext()
    assert _run_unary(authorizer, "GetAccountStatus", unknown) == []
    assert unknown.aborted is not None
    assert unknown.aborted[0] == grpc.StatusCode.UNAUTHENTICATED


def test_wrapper_gives_the_behavior_its_caller():
    authorizer = Authorizer(mtls=True, cert_roles={"g": Role.GATEWAY})
    context = FakeContext(common_name="g", time_remaining=5.0)
    assert _run_unary(authorizer, "GetAccountStatus", context) == [
        Caller("g", Role.GATEWAY, "certificate")]
    assert context.aborted is None
    assert _run_unary(Authorizer.open(), "Unfreeze", FakeContext()) == [ANONYMOUS]


def test_rate_limiter_refills_per_key():
    clock = [100.0]
    limiter = RateLimiter(rate_per_minute=60, burst=3, clock=lambda: clock[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another caller has its own bucket
    clock[0] += 1.0  # one token per second
    assert [limiter.allow("a") for _ in range(2)] == [True, False]
    clock[0] += 60.0
    assert sum(limiter.allow("a") for _ in range(10)) == 3  # never more than the burst


@given(burst=st.integers(1, 20), rate=st.floats(1, 600),
       gaps=st.lists(st.floats(0, 5), min_size=1, max_size=200))
def test_rate_limiter_never_exceeds_burst_plus_refill(burst, rate, gaps):
    clock = [0.0]
    limiter = RateLimiter(rate, burst, clock=lambda: clock[0])
    allowed = 0
    for gap in gaps:
        clock[0] += gap
        allowed += limiter.allow("k")
    assert allowed <= burst + clock[0] * rate / 60.0 + 1e-9


@pytest.mark.parametrize("listen", [
    "127.0.0.1:50051", "127.8.9.10:1", "localhost:50051", "LOCALHOST:1", "[::1]:50051",
    "[::ffff:127.0.0.1]:9", "unix:/tmp/acctguard.sock"])
def test_loopback_addresses(listen):
    assert is_loopback(listen)
    assert check_listen(listen, tls=False, authenticated=False, allow_insecure=False).allowed


@pytest.mark.parametrize("listen", [
    "0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:50051", "192.168.1.2:1",
    "example.com:50051", "localhost.example.com:1", "127.0.0.1.nip.io:1", "[::ffff:10.0.0.1]:9"])
def test_non_loopback_needs_tls_and_authentication(listen):
    assert not is_loopback(listen)
    for tls, authenticated in ((False, False), (True, False), (False, True)):
        check = check_listen(listen, tls=tls, authenticated=authenticated, allow_insecure=False)
        assert not check.allowed
        assert "--allow-insecure" in check.message
    secure = check_listen(listen, tls=True, authenticated=True, allow_insecure=False)
    assert secure.allowed
    assert not secure.insecure_override
    override = check_listen(listen, tls=False, authenticated=True, allow_insecure=True)
    assert override.allowed
    assert override.insecure_override
    assert override.message.startswith("INSECURE")
    assert "TLS" in override.message


def test_security_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCTGUARD_CLIENT_CERT_ROLES", '{"gw-1": "gateway"}')
    monkeypatch.setenv("ACCTGUARD_ALLOW_INSECURE", "true")
    settings = Settings()
    assert settings.client_cert_roles == {"gw-1": "gateway"}
    assert settings.allow_insecure
    assert (settings.verification_rate_per_minute, settings.verification_burst) == (120, 30)
    monkeypatch.setenv("ACCTGUARD_CLIENT_CERT_ROLES", '{"gw-1": "root"}')
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(tls_cert_file=tmp_path / "c.pem")
    with pytest.raises(ValidationError):
        Settings(tls_client_ca_file=tmp_path / "ca.pem")


def test_server_security_from_settings(tmp_path):
    open_server = ServerSecurity.from_settings(Settings())
    assert not open_server.authorizer.enabled
    assert open_server.tls is None
    assert open_server.authorizer.limiter is not None
    with pytest.raises(SecurityConfigError):
        ServerSecurity.from_settings(Settings(tokens_file=tmp_path / "missing.json"))
    with pytest.raises(SecurityConfigError):
        ServerSecurity.from_settings(Settings(tls_cert_file=tmp_path / "c.pem",
                                              tls_key_file=tmp_path / "k.pem"))
