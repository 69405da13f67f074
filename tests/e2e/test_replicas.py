"""Three `acctguard serve` processes sharing one PostgreSQL and one Redis, for real.

Events of one account alternate between replicas and its profile sees all of them; a freeze
placed through A is visible through B; a verification started on B completes on C, where
Unfreeze lifts it; the same event sent to two replicas at once makes one freeze."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import grpc
import pytest

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.rpc.converters import event_to_request
from tests.backends import POSTGRES_URL, REDIS_URL, require_postgres, require_redis, unique_name
from tests.e2e.processes import ServerProcess

pytestmark = pytest.mark.e2e
DAY = 86400.0


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory,
             model_path: Path) -> Iterator[tuple[list[rpc.AccountGuardStub], dict[str, str]]]:
    require_postgres()
    require_redis()
    root = tmp_path_factory.mktemp("replicas")
    schema, prefix = unique_name(), f"{unique_name()}:"
    env = {"ACCTGUARD_DATABASE_URL": POSTGRES_URL, "ACCTGUARD_DATABASE_SCHEMA": schema,
           "ACCTGUARD_REDIS_URL": REDIS_URL, "ACCTGUARD_REDIS_PREFIX": prefix,
           # Replicas share the verification key (a mounted secret in production), so a code
           # started on one is checked on another.
           "ACCTGUARD_VERIFICATION_KEY_PATH": str(root / "verification.key")}
    with ExitStack() as stack:
        servers = [stack.enter_context(ServerProcess(root / f"r{i}", model_path, env=env))
                   for i in range(3)]
        with ThreadPoolExecutor(3) as pool:  # migrations race on purpose: they must be safe
            list(pool.map(lambda server: server.start(), servers))
        channels = [stack.enter_context(grpc.insecure_channel(s.target)) for s in servers]
        yield [rpc.AccountGuardStub(c) for c in channels], {"schema": schema, "prefix": prefix}
        from service.storage.postgres import PostgresDatabase
        from service.storage.redis_profiles import RedisProfiles
        RedisProfiles(REDIS_URL, prefix=prefix).delete_all()
        PostgresDatabase(POSTGRES_URL, schema=schema).drop_schema()


def _week_start() -> float:
    return math.floor(time.time() / DAY) * DAY - 8 * DAY


def test_events_alternating_between_replicas_all_reach_the_profile(replicas):
    stubs, names = replicas
    events = normal_week("alt", _week_start())
    for index, event in enumerate(events):
        stubs[index % 3].Score(event_to_request(event), timeout=10)
    from service.storage.redis_profiles import RedisProfiles
    profile, version = RedisProfiles(REDIS_URL, prefix=names["prefix"]).load("alt")
    assert profile is not None
    assert profile.event_count == len(events)
    assert version == len(events)


def test_freeze_on_a_shows_on_b_and_is_restored_across_b_and_c(replicas):
    (a, b, c), _ = replicas
    start = _week_start()
    for event in normal_week("rep", start):
        a.Score(event_to_request(event), timeout=10)
    replies = [a.Score(event_to_request(e), timeout=10)
               for e in takeover("rep", takeover_start(start))]
    assert replies[-1].decision == pb.FREEZE
    status = b.GetAccountStatus(pb.GetAccountStatusRequest(account_id="rep"), timeout=10)
    assert status.frozen_features
    started = b.StartVerification(pb.StartVerificationRequest(
        account_id="rep", method=pb.ONE_TIME_CODE), timeout=10)
    assert c.CompleteVerification(pb.CompleteVerificationRequest(
        challenge_id=started.challenge_id, code=started.delivered_code), timeout=10).verified
    restored = c.Unfreeze(pb.UnfreezeRequest(account_id="rep",
                                             challenge_id=started.challenge_id), timeout=10)
    assert set(restored.restored_features) == set(status.frozen_features)
    for stub in (a, b, c):
        assert not stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id="rep"),
                                         timeout=10).freezes


def test_one_event_sent_to_two_replicas_at_once_makes_one_freeze(replicas):
    (a, b, _), _ = replicas
    start = _week_start()
    for event in normal_week("twice", start):
        a.Score(event_to_request(event), timeout=10)
    attack = takeover("twice", takeover_start(start))
    for event in attack:  # every attack event to both replicas at once, in order
        request = event_to_request(event)
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(lambda stub, r=request: stub.Score(r, timeout=10), (a, b))
        assert first == second
    status = b.GetAccountStatus(pb.GetAccountStatusRequest(account_id="twice"), timeout=10)
    assert len(status.freezes) == 1
    assert status.freezes[0].event_id in {e.event_id for e in attack}
