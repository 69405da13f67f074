"""The scoring path in process (features + detectors + explanation + policy) and over gRPC:
Score, ScoreBatch (100 events) and a trivial call (health Check) on one loopback server in
the same run (group "loopback-rpc"), so the table reads as ratios. Client and server share
this process (and its GIL), as in scripts/bench_scoring.py."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from detectors.demo import HOME, normal_week
from detectors.events import CreditFeature, LoginEvent, TransactionEvent
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.scoring import Scorer
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.config import Settings
from service.domain.policy import RiskPolicy
from service.rpc.converters import event_to_request
from tests.benchmarks.conftest import pedantic_rounds, record_percentiles
from tests.conftest import running_server

START = 1_767_225_600.0


@pytest.fixture(scope="module")
def scorer(model_path):
    return Scorer(RiskModel.load(model_path))


@pytest.fixture(scope="module")
def seasoned_profile():
    profile = AccountProfile.new("bench")
    for event in normal_week("bench", START):
        profile.update(event)
    return profile


LOGIN = LoginEvent("bench-login", "bench", START + 7 * 86400 + 8 * 3600, ip=str(HOME["ip"]),
                   device_id="bench-phone", country="DE", latitude=52.52, longitude=13.405,
                   asn=3320, success=True, auth_method="biometric")
PAYMENT = TransactionEvent("bench-pay", "bench", START + 7 * 86400 + 12 * 3600,
                           amount_minor=2500, currency="EUR", payee_id="grocer-4411",
                           feature=CreditFeature.PAYMENT, ip=str(HOME["ip"]), country="DE")


@pytest.mark.parametrize("event", [LOGIN, PAYMENT], ids=["login", "transaction"])
def test_in_process_assess_and_decide(benchmark, scorer, seasoned_profile, event):
    policy = RiskPolicy()

    def run():
        return policy.decide(event, scorer.assess(event, seasoned_profile))

    benchmark(run)
    record_percentiles(benchmark)


RPC_ACCOUNTS = 10  # seasoned with a week each; logins spread over them


@pytest.fixture(scope="module")
def rpc_channel(tmp_path_factory, model_path) -> Iterator[grpc.Channel]:
    """One server (SQLite NORMAL, as in the e2e tests) for every loopback benchmark."""
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp_path_factory.mktemp("bench-rpc"),
                        model_path=model_path, sqlite_synchronous="NORMAL")
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = rpc.AccountGuardStub(channel)
        week = [e for a in range(RPC_ACCOUNTS)
                for e in normal_week(f"bench-rpc-{a}", _week_start())]
        stub.ScoreBatch(pb.ScoreBatchRequest(requests=[event_to_request(e) for e in week]),
                        timeout=30)
        yield channel


def _week_start() -> float:
    return math.floor(time.time() / 86400) * 86400 - 8 * 86400


_logins = itertools.count()


def fresh_login_requests(n: int) -> list[pb.ScoreRequest]:
    """``n`` logins never seen before, from home, over the seasoned accounts."""
    base = _week_start() + 7 * 86400
    out = []
    for _ in range(n):
        i = next(_logins)
        account = f"bench-rpc-{i % RPC_ACCOUNTS}"
        out.append(event_to_request(LoginEvent(
            f"bench-rpc-login-{i}", account, base + i * 0.001, ip=str(HOME["ip"]),
            device_id=f"{account}-phone", country="DE", latitude=52.52, longitude=13.405,
            asn=3320, success=True, auth_method="biometric")))
    return out


@pytest.mark.benchmark(group="loopback-rpc")
def test_health_check_over_loopback_grpc(benchmark, rpc_channel):
    """The trivial call: what any RPC on this server costs."""
    check = health_pb2_grpc.HealthStub(rpc_channel).Check
    request = health_pb2.HealthCheckRequest(service="")
    benchmark(lambda: check(request, timeout=5))
    record_percentiles(benchmark)


@pytest.mark.benchmark(group="loopback-rpc")
def test_score_over_loopback_grpc(benchmark, rpc_channel, request):
    score = rpc.AccountGuardStub(rpc_channel).Score
    benchmark.pedantic(lambda r: score(r, timeout=5),
                       setup=lambda: (tuple(fresh_login_requests(1)), {}),
                       rounds=pedantic_rounds(request.config, 2000))
    record_percentiles(benchmark)


@pytest.mark.benchmark(group="loopback-rpc")
def test_score_batch_of_100_over_loopback_grpc(benchmark, rpc_channel, request):
    """One ScoreBatch call with 100 events; events/s = 100 / the time per call."""
    score_batch = rpc.AccountGuardStub(rpc_channel).ScoreBatch

    def call(batch: pb.ScoreBatchRequest) -> pb.ScoreBatchResponse:
        return score_batch(batch, timeout=30)

    benchmark.pedantic(
        call, setup=lambda: ((pb.ScoreBatchRequest(requests=fresh_login_requests(100)),), {}),
        rounds=pedantic_rounds(request.config, 200))
    record_percentiles(benchmark)
    benchmark.extra_info["events_per_call"] = 100
