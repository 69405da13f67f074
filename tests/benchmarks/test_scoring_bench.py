"""The scoring path in process (features + detectors + explanation + policy) and over gRPC."""

from __future__ import annotations

import itertools
import math
import time

import pytest

from detectors.demo import HOME, normal_week
from detectors.events import CreditFeature, LoginEvent, TransactionEvent
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.scoring import Scorer
from service.domain.policy import RiskPolicy
from service.rpc.converters import event_to_request
from tests.benchmarks.conftest import record_percentiles

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


def test_score_over_loopback_grpc(benchmark, stub):
    start = math.floor(time.time() / 86400) * 86400 - 8 * 86400
    for event in normal_week("bench-rpc", start):
        stub.Score(event_to_request(event), timeout=5)
    counter = itertools.count()
    base = start + 7 * 86400

    def call():
        n = next(counter)
        login = LoginEvent(f"bench-rpc-{n}", "bench-rpc", base + n * 0.001, ip=str(HOME["ip"]),
                           device_id="bench-rpc-phone", country="DE", latitude=52.52,
                           longitude=13.405, asn=3320, success=True, auth_method="biometric")
        return stub.Score(event_to_request(login), timeout=5)

    benchmark(call)
    record_percentiles(benchmark)
