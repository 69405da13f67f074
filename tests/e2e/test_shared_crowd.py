"""The crowd signal in Redis: the same answers as the in-process counter, shared by replicas."""

from __future__ import annotations

import random

import pytest

from detectors.crowd import NetworkFailures
from detectors.events import LoginEvent
from tests.backends import REDIS_URL, require_redis, unique_name

pytestmark = pytest.mark.e2e
START = 1_767_225_600.0


@pytest.fixture
def redis_crowds():
    require_redis()
    from service.storage.redis_crowd import RedisNetworkFailures
    prefix = f"{unique_name()}:"
    crowds = [RedisNetworkFailures(REDIS_URL, prefix=prefix) for _ in range(2)]
    yield crowds
    for key in crowds[0].client.scan_iter(f"{prefix}*"):
        crowds[0].client.delete(key)
    for crowd in crowds:
        crowd.close()


def test_redis_counter_matches_the_in_process_one(redis_crowds):
    shared, local = redis_crowds[0], NetworkFailures()
    rng = random.Random(5)
    at = START
    for n in range(400):
        at += rng.uniform(0, 40)
        event = LoginEvent(f"e{n}", f"acct-{rng.randrange(30)}", at,
                           ip=f"203.0.{rng.randrange(3)}.{rng.randrange(256)}",
                           success=rng.random() < 0.5)
        assert shared.signals(event) == local.signals(event), n
        shared.record(event)
        local.record(event)


def test_replicas_see_each_others_failures(redis_crowds):
    one, two = redis_crowds
    for n in range(12):
        (one if n % 2 else two).record(LoginEvent(f"f{n}", f"acct-{n}", START + n,
                                                  ip="198.51.100.7", success=False))
    probe = LoginEvent("p", "victim", START + 60, ip="198.51.100.99", success=True)
    assert one.signals(probe).network_failed_accounts_1h == 12
    assert two.signals(probe).network_failed_accounts_1h == 12


def test_recording_the_same_failure_again_changes_nothing(redis_crowds):
    crowd = redis_crowds[0]
    failures = [LoginEvent(f"f{n}", f"acct-{n}", START + n, ip="198.51.100.7", success=False)
                for n in range(5)]
    probe = LoginEvent("p", "victim", START + 60, ip="198.51.100.99", success=False)
    for event in failures:
        crowd.record(event)
    before = crowd.signals(probe)
    for event in failures:  # a batch scored again after a failed commit
        crowd.record(event)
    assert crowd.signals(probe) == before
    assert before.network_failed_accounts_1h == 5
