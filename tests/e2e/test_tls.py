"""TLS, mTLS with a test CA, certificate roles, the CLI against a secured server, and the
listen-address rule, end to end on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.cli import main
from service.config import Settings
from service.rpc.tokens import create_token
from tests.conftest import running_server
from tests.e2e.secured import bearer, code_of, tls_channel
from tests.e2e.serve_process import ACCTGUARD, ServeProcess
from tests.tls_ca import Pair, TestCA

pytestmark = pytest.mark.e2e
STATUS = pb.GetAccountStatusRequest(account_id="alice")
UNFREEZE = pb.UnfreezeRequest(account_id="alice", challenge_id="chl_1")


class Certificates:
    def __init__(self, directory: Path) -> None:
        self.ca = TestCA(directory / "ca")
        self.server = self.ca.issue("localhost", server=True)
        self.gateway = self.ca.issue("gw-1")
        self.admin = self.ca.issue("ops-1")
        self.stranger = self.ca.issue("stranger")  # signed by the CA, but given no role
        self.impostor = TestCA(directory / "other", "another CA").issue("gw-1")


@pytest.fixture
def certs(tmp_path: Path) -> Certificates:
    return Certificates(tmp_path)


@pytest.fixture
def mtls_port(server_settings: Settings, certs: Certificates) -> Iterator[int]:
    settings = server_settings.model_copy(update={
        "tls_cert_file": certs.server.cert, "tls_key_file": certs.server.key,
        "tls_client_ca_file": certs.ca.cert_file,
        "client_cert_roles": {"gw-1": "gateway", "ops-1": "admin"}})
    with running_server(settings) as (_, port):
        yield port


def _stub(port: int, certs: Certificates, client: Pair | None) -> rpc.AccountGuardStub:
    return rpc.AccountGuardStub(tls_channel(port, certs.ca.cert_file, client))


def test_mtls_client_certificate_is_the_callers_identity(mtls_port, certs):
    gateway = _stub(mtls_port, certs, certs.gateway)
    assert code_of(gateway.GetAccountStatus, STATUS, timeout=10) == grpc.StatusCode.OK
    assert code_of(gateway.Score, pb.ScoreRequest(), timeout=5) == \
        grpc.StatusCode.INVALID_ARGUMENT  # admitted; the empty event is then refused
    assert code_of(gateway.Unfreeze, UNFREEZE, timeout=5) == grpc.StatusCode.PERMISSION_DENIED
    admin = _stub(mtls_port, certs, certs.admin)
    assert code_of(admin.Unfreeze, UNFREEZE, timeout=10) not in (
        grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
    stranger = _stub(mtls_port, certs, certs.stranger)
    assert code_of(stranger.GetAccountStatus, STATUS, timeout=10) == \
        grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("client", ["none", "impostor"])
def test_mtls_refuses_clients_without_a_certificate_of_the_ca(mtls_port, certs, client):
    pair = None if client == "none" else certs.impostor
    stub = _stub(mtls_port, certs, pair)
    assert code_of(stub.GetAccountStatus, STATUS, timeout=10) == grpc.StatusCode.UNAVAILABLE


def test_plaintext_client_cannot_talk_to_a_tls_server(mtls_port):
    with grpc.insecure_channel(f"127.0.0.1:{mtls_port}") as channel:
        assert code_of(rpc.AccountGuardStub(channel).GetAccountStatus, STATUS,
                       timeout=5) == grpc.StatusCode.UNAVAILABLE


def test_health_over_mtls_needs_no_role(mtls_port, certs):
    channel = tls_channel(mtls_port, certs.ca.cert_file, certs.stranger)
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                      timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def tls_token_server(server_settings: Settings, certs: Certificates, tmp_path: Path,
                     ) -> Iterator[tuple[int, dict[str, str]]]:
    """TLS without client certificates, tokens for authentication."""
    tokens_file = tmp_path / "tokens.json"
    tokens = {role: create_token(tokens_file, f"{role}-1", role)[0]
              for role in ("gateway", "verifier")}
    settings = server_settings.model_copy(update={
        "tls_cert_file": certs.server.cert, "tls_key_file": certs.server.key,
        "tokens_file": tokens_file})
    with running_server(settings) as (_, port):
        yield port, tokens


def test_tls_with_tokens(tls_token_server, certs):
    port, tokens = tls_token_server
    stub = _stub(port, certs, None)
    assert code_of(stub.GetAccountStatus, STATUS, timeout=10) == \
        grpc.StatusCode.UNAUTHENTICATED
    assert code_of(stub.GetAccountStatus, STATUS, timeout=5,
                   metadata=bearer(tokens["gateway"])) == grpc.StatusCode.OK
    assert code_of(stub.Unfreeze, UNFREEZE, timeout=5,
                   metadata=bearer(tokens["gateway"])) == grpc.StatusCode.PERMISSION_DENIED


def test_cli_clients_work_against_a_secured_server(tls_token_server, certs):
    port, tokens = tls_token_server
    target = ["--target", f"127.0.0.1:{port}", "--ca-file", str(certs.ca.cert_file)]
    runner = CliRunner()
    health = runner.invoke(main, ["health", *target])
    assert (health.exit_code, health.stdout.strip()) == (0, "SERVING")
    status = runner.invoke(main, ["status", "--account", "alice", *target],
                           env={"ACCTGUARD_TOKEN": tokens["verifier"]})
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["account_id"] == "alice"
    refused = runner.invoke(main, ["status", "--account", "alice", *target],
                            env={"ACCTGUARD_TOKEN": None})
    assert refused.exit_code != 0
    assert "UNAUTHENTICATED" in refused.output


def test_cli_health_with_a_client_certificate(mtls_port, certs):
    target = ["--target", f"127.0.0.1:{mtls_port}", "--ca-file", str(certs.ca.cert_file)]
    runner = CliRunner()
    with_cert = runner.invoke(main, ["health", *target, "--cert-file", str(certs.gateway.cert),
                                     "--key-file", str(certs.gateway.key)])
    assert (with_cert.exit_code, with_cert.stdout.strip()) == (0, "SERVING")
    without = runner.invoke(main, ["health", *target])
    assert without.exit_code == 1


def test_non_loopback_listen_without_security_exits_2_at_once(tmp_path):
    """Refused before anything is written: one error line, no traceback, and the data
    directory (where the log-hash key would go) not even created."""
    started = time.monotonic()
    data_dir = tmp_path / "fresh" / "d"
    run = subprocess.run(
        [str(ACCTGUARD), "serve", "--listen", "0.0.0.0:0", "--data-dir", str(data_dir),
         "--model-path", str(tmp_path / "no-model.npz")],
        capture_output=True, text=True, timeout=60, env={"ACCTGUARD_LOG_FORMAT": "json",
                                                         "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2, run.stdout + run.stderr
    assert time.monotonic() - started < 30
    output = (run.stdout + run.stderr).strip().splitlines()
    assert len(output) == 1, output
    assert "Traceback" not in run.stderr
    refusal = json.loads(output[0])
    assert (refusal["event"], refusal["level"]) == ("insecure_listen_refused", "error")
    assert "0.0.0.0:0" in refusal["error"]
    assert "--allow-insecure" in refusal["error"]
    assert not data_dir.exists()
    assert not (tmp_path / "fresh").exists()


@pytest.mark.slow
def test_insecure_override_starts_with_a_loud_warning(tmp_path, model_path):
    server = ServeProcess(tmp_path / "data", model_path, "--listen", "0.0.0.0:0",
                          "--allow-insecure")
    try:
        with grpc.insecure_channel(server.target) as channel:
            assert code_of(rpc.AccountGuardStub(channel).GetAccountStatus, STATUS,
                           timeout=10) == grpc.StatusCode.OK
    finally:
        assert server.terminate() == 0
    records = [json.loads(line) for line in server.lines if line.startswith("{")]
    warning = next(r for r in records if r["event"] == "insecure_listen")
    assert warning["level"] == "warning"
    assert warning["warning"].startswith("INSECURE")
