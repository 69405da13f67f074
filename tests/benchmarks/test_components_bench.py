"""The parts of the scoring path one by one: feature extraction, each compiled detector on one
row, and the engine with a SQLite store (one event, and a batch of 100)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest

from detectors.compiled import CompiledDetector
from detectors.demo import HOME, normal_week
from detectors.events import EventKind, LoginEvent
from detectors.features import extract_features
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.scoring import Scorer
from detectors.simulation import SimulationConfig, simulate
from detectors.training import fit_detector, replay
from service.domain.clock import SystemClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.policy import RiskPolicy
from service.storage.sqlite import SqliteRiskStore
from tests.benchmarks.conftest import pedantic_rounds, record_percentiles
from tests.benchmarks.test_scoring_bench import LOGIN, PAYMENT, START

DETECTORS = ["hbos", "ecod", "copod", "iforest", "loda"]
ENGINE_ACCOUNTS = 10


@pytest.mark.benchmark(group="features")
@pytest.mark.parametrize("event", [LOGIN, PAYMENT], ids=["login", "transaction"])
def test_extract_features(benchmark, seasoned_profile, event):
    benchmark(extract_features, event, seasoned_profile)
    record_percentiles(benchmark)


@pytest.fixture(scope="module")
def login_rows() -> np.ndarray:
    """Login feature rows of simulated traffic (300 accounts x 14 days: about 7,000)."""
    tables = replay(simulate(SimulationConfig(accounts=300, days=14, seed=3)))
    return np.nan_to_num(tables[EventKind.LOGIN].matrix())


@pytest.fixture(scope="module")
def compiled(login_rows) -> dict[str, CompiledDetector]:
    """Each detector fitted by PyOD on the login rows and compiled, as training does."""
    return {name: fit_detector(name, login_rows, 3) for name in DETECTORS}


@pytest.mark.benchmark(group="compiled-detector-one-row")
@pytest.mark.parametrize("name", DETECTORS)
def test_compiled_detector_one_row(benchmark, compiled, login_rows, name):
    row = login_rows[len(login_rows) // 2 : len(login_rows) // 2 + 1]
    benchmark(compiled[name].score, row)
    record_percentiles(benchmark)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, model_path) -> Iterator[RiskEngine]:
    """The service's engine on SQLite (synchronous NORMAL, as the e2e test server), with
    ENGINE_ACCOUNTS accounts seasoned by a week of ordinary activity."""
    store = SqliteRiskStore(tmp_path_factory.mktemp("bench-engine") / "risk.sqlite3",
                            synchronous="NORMAL")
    engine = RiskEngine(Scorer(RiskModel.load(model_path)), RiskPolicy(), store, SystemClock(),
                        EngineSettings(max_future_skew_seconds=1e12))
    engine.score_batch([e for a in range(ENGINE_ACCOUNTS)
                        for e in normal_week(f"bench-engine-{a}", START)])
    yield engine
    store.close()


_logins = itertools.count()


def fresh_logins(n: int) -> list[LoginEvent]:
    """``n`` logins never seen before, from home, spread over the seasoned accounts."""
    base = START + 7 * 86400 + 8 * 3600
    out = []
    for _ in range(n):
        i = next(_logins)
        account = f"bench-engine-{i % ENGINE_ACCOUNTS}"
        out.append(LoginEvent(f"bench-engine-login-{i}", account, base + i * 0.001,
                              ip=str(HOME["ip"]), device_id=f"{account}-phone", country="DE",
                              latitude=52.52, longitude=13.405, asn=3320, success=True,
                              auth_method="biometric"))
    return out


@pytest.mark.benchmark(group="engine-sqlite")
def test_engine_score(benchmark, engine, request):
    benchmark.pedantic(engine.score, setup=lambda: (tuple(fresh_logins(1)), {}),
                       rounds=pedantic_rounds(request.config, 2000))
    record_percentiles(benchmark)


@pytest.mark.benchmark(group="engine-sqlite")
def test_engine_score_batch_of_100(benchmark, engine, request):
    """events/s = 100 / the time per call."""
    benchmark.pedantic(engine.score_batch, setup=lambda: ((fresh_logins(100),), {}),
                       rounds=pedantic_rounds(request.config, 200))
    record_percentiles(benchmark)
    benchmark.extra_info["events_per_call"] = 100


@pytest.fixture(scope="module")
def seasoned_profile() -> AccountProfile:
    profile = AccountProfile.new("bench")
    for event in normal_week("bench", START):
        profile.update(event)
    return profile
