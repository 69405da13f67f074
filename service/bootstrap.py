"""The composition root: the one place that picks implementations and wires them together."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from detectors.model import ArtifactError, RiskModel
from detectors.scoring import Scorer
from service.config import Settings
from service.domain.clock import Clock, SystemClock
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.policy import RiskPolicy
from service.rpc.servicer import AccountGuardHandlers
from service.storage.sqlite import SqliteRiskStore

log = structlog.get_logger("acctguard.bootstrap")


def train_default_model(path: Path, accounts: int, days: int, seed: int) -> RiskModel:
    """Build the default artifact from the project's own simulator (nothing is downloaded)."""
    from detectors.simulation import SimulationConfig, simulate
    from detectors.training import TrainingConfig, train

    started = time.perf_counter()
    config = SimulationConfig(accounts=accounts, days=days, seed=seed)
    log.info("training_default_model", path=str(path), accounts=accounts, days=days, seed=seed)
    model = train(simulate(config), TrainingConfig(seed=seed),
                  source={"simulator": {"accounts": accounts, "days": days, "seed": seed}})
    model.save(path)
    log.info("trained_default_model", version=model.version,
             seconds=round(time.perf_counter() - started, 1))
    return model


def load_or_train_model(settings: Settings) -> RiskModel:
    """The configured artifact, which must exist and load; or the default one under the data
    directory, trained on first start (and again if an older build's artifact is there)."""
    path = settings.resolved_model_path
    if settings.model_path is not None:
        if not path.exists():
            raise FileNotFoundError(f"model artifact {path} does not exist (ACCTGUARD_MODEL_PATH"
                                    " / --model-path); build one with `acctguard train`")
        return RiskModel.load(path)
    if path.exists():
        try:
            return RiskModel.load(path)
        except ArtifactError as exc:  # the default model of an older build: make a new one
            log.warning("retraining_default_model", reason=str(exc))
    return train_default_model(path, settings.train_accounts, settings.train_days,
                               settings.train_seed)


@dataclass
class Application:
    settings: Settings
    store: SqliteRiskStore
    engine: RiskEngine
    handlers: AccountGuardHandlers
    clock: Clock = field(default_factory=SystemClock)

    def close(self) -> None:
        self.handlers.close()
        self.store.close()


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    clock = clock or SystemClock()
    model = load_or_train_model(settings)
    store = SqliteRiskStore(settings.database_path, synchronous=settings.sqlite_synchronous)
    engine = RiskEngine(Scorer(model), RiskPolicy(), store, clock, EngineSettings(
        freeze_ttl_seconds=settings.freeze_ttl_hours * 3600.0,
        max_future_skew_seconds=settings.max_future_skew_seconds))
    return Application(settings, store, engine, AccountGuardHandlers(engine, clock), clock)
