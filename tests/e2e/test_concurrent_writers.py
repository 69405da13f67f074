"""Two replicas scoring one account at the same moment lose no profile update (PostgreSQL for
records, profiles in PostgreSQL or in Redis)."""

from __future__ import annotations

import threading
import time

import pytest

from detectors.events import LoginEvent
from service.domain.clock import ManualClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.errors import ConcurrentUpdate
from service.domain.policy import RiskPolicy
from tests.backends import stores, unique_name
from tests.unit.fakes import FixedScorer

pytestmark = pytest.mark.e2e
START = 1_767_225_600.0
PER_REPLICA = 60


class SlowCommit:
    """Widen the window between reading a profile and committing it, so the replicas collide;
    count the collisions."""

    def __init__(self, store) -> None:
        self.store = store
        self.conflicts = 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def commit_score(self, *args, **kwargs):
        time.sleep(0.001)
        try:
            return self.store.commit_score(*args, **kwargs)
        except ConcurrentUpdate:
            self.conflicts += 1
            raise


@pytest.mark.parametrize("kind", ["postgres", "postgres+redis"])
def test_two_replicas_scoring_one_account_keep_every_update(kind, tmp_path):
    schema, prefix = unique_name(), f"{unique_name()}:"
    with stores(kind, tmp_path, schema, prefix) as one, \
            stores(kind, tmp_path, schema, prefix) as two:
        slow = [SlowCommit(backend.risk) for backend in (one, two)]
        engines = [RiskEngine(FixedScorer(), RiskPolicy(), store, ManualClock(START + 86400),
                              EngineSettings()) for store in slow]

        def replica(index: int) -> None:
            for n in range(PER_REPLICA):
                event = LoginEvent(f"r{index}-{n}", "shared", START + n, success=True)
                for _ in range(20):  # ABORTED after the engine's own retries: the caller retries
                    try:
                        engines[index].score(event)
                        break
                    except ConcurrentUpdate:
                        continue

        threads = [threading.Thread(target=replica, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        profile, version = one.risk.load_versioned("shared")
        assert profile.event_count == 2 * PER_REPLICA  # no update lost
        assert version == 2 * PER_REPLICA
        assert sum(store.conflicts for store in slow) > 0  # they did collide, and recovered
