"""The composition root: the one place that picks implementations and wires them together."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from google.protobuf.descriptor import ServiceDescriptor

from detectors.events import EventKind
from detectors.model import ArtifactError, RiskModel
from detectors.scoring import Scorer
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.config import Settings
from service.domain.admin import AdminService
from service.domain.challenge_results import ChallengeResults
from service.domain.clock import Clock, SystemClock
from service.domain.degraded import FailMode
from service.domain.engine import EngineSettings, RiskEngine
from service.domain.outcomes import OutcomeService
from service.domain.policy import RiskPolicy
from service.domain.ports import CrowdLedger
from service.domain.restore import VerificationService
from service.domain.verification import CodeHasher, VerificationRules
from service.keys import AesGcmBox, derive_key, load_or_create_key
from service.metrics import Metrics
from service.model_reload import ModelReloader
from service.progress import ProgressReporter
from service.rpc.admin_servicer import AdminHandlers
from service.rpc.servicer import AccountGuardHandlers
from service.rpc.worker import StoreWorker
from service.storage.sql_database import SqlDatabase
from service.storage.sql_restore import SqlFreezeLedger, SqlVerificationStore
from service.storage.sql_risk import ProfileCache, SqlRiskStore
from service.storage.sqlite_db import SqliteDatabase
from service.webhook import WebhookCodeSender

log = structlog.get_logger("acctguard.bootstrap")
GUARD_SERVICE = pb.DESCRIPTOR.services_by_name["AccountGuard"]
ADMIN_SERVICE = pb.DESCRIPTOR.services_by_name["AccountGuardAdmin"]


def train_default_model(path: Path, accounts: int, days: int, seed: int) -> RiskModel:
    """Build the default artifact from the project's own simulator (nothing is downloaded)."""
    from detectors.training import train_simulator_default

    started = time.perf_counter()
    log.info("training_default_model", path=str(path), accounts=accounts, days=days, seed=seed)
    progress = ProgressReporter("train_default_model", tty=False, log=log)
    model = train_simulator_default(accounts, days, seed, on_progress=progress)
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
    store: SqlRiskStore
    engine: RiskEngine
    handlers: AccountGuardHandlers
    admin_handlers: AdminHandlers
    ledger: SqlFreezeLedger
    verification_store: SqlVerificationStore
    metrics: Metrics
    clock: Clock = field(default_factory=SystemClock)

    def services(self) -> list[tuple[ServiceDescriptor, dict[str, Callable[..., Any]]]]:
        """Every gRPC service the application serves, with its behaviors."""
        return [(GUARD_SERVICE, self.handlers.behaviors()),
                (ADMIN_SERVICE, self.admin_handlers.behaviors())]

    def close(self) -> None:
        self.handlers.close()
        self.store.close()


def open_database(settings: Settings) -> SqlDatabase:
    """PostgreSQL when ACCTGUARD_DATABASE_URL is set, else the SQLite file in the data dir."""
    if settings.database_url:
        from service.storage.postgres import PostgresDatabase
        return PostgresDatabase(settings.database_url, schema=settings.database_schema,
                                pool_size=settings.database_pool_size,
                                connect_timeout=settings.store_timeout_seconds,
                                statement_timeout_ms=int(settings.store_timeout_seconds * 1000))
    return SqliteDatabase(settings.database_path, synchronous=settings.sqlite_synchronous,
                          timeout=settings.store_timeout_seconds,
                          checkpoint_interval=settings.sqlite_checkpoint_seconds)


def open_profiles(settings: Settings) -> ProfileCache | None:
    """Redis for account profiles when ACCTGUARD_REDIS_URL is set (else they stay in the
    database)."""
    if not settings.redis_url:
        return None
    from service.storage.redis_profiles import RedisProfiles
    return RedisProfiles(settings.redis_url, prefix=settings.redis_prefix,
                         timeout=settings.store_timeout_seconds,
                         retention_seconds=int(settings.retention_days * 86400))


def open_crowd(settings: Settings) -> CrowdLedger | None:
    """The crowd signal in Redis when ACCTGUARD_REDIS_URL is set, so replicas share it."""
    if not settings.redis_url:
        return None
    from service.storage.redis_crowd import RedisNetworkFailures
    return RedisNetworkFailures(settings.redis_url, prefix=settings.redis_prefix,
                                timeout=settings.store_timeout_seconds)


def build_verification(settings: Settings, store: SqlRiskStore,
                       challenges: SqlVerificationStore, ledger: SqlFreezeLedger,
                       clock: Clock) -> VerificationService:
    root = load_or_create_key(settings.resolved_verification_key_path, "verification key")
    sender = (WebhookCodeSender(settings.code_webhook_url, settings.code_webhook_secret)
              if settings.code_webhook_url else None)
    return VerificationService(
        store, challenges, ledger, clock,
        VerificationRules(code_ttl_seconds=settings.code_ttl_seconds),
        CodeHasher(derive_key(root, "one-time-code-mac")),
        AesGcmBox(derive_key(root, "totp-secret-box")), sender, settings.trust)


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    clock = clock or SystemClock()
    model = load_or_train_model(settings)
    database = open_database(settings)
    try:
        return _assemble(settings, clock, model, database)
    except BaseException:
        database.close()  # and with it the SQLite checkpoint thread
        raise


def _assemble(settings: Settings, clock: Clock, model: RiskModel,
              database: SqlDatabase) -> Application:
    store = SqlRiskStore(database, open_profiles(settings))
    challenges = SqlVerificationStore(database)
    ledger = SqlFreezeLedger(database, store.profiles)
    metrics = Metrics()
    metrics.model_loaded(model.version, list(model.metadata.get("detectors", [])))
    metrics.count_active_freezes(lambda: ledger.active_freeze_count(clock.now()))
    engine = RiskEngine(Scorer(model), RiskPolicy(), store, clock, EngineSettings(
        freeze_ttl_seconds=settings.freeze_ttl_hours * 3600.0,
        max_future_skew_seconds=settings.max_future_skew_seconds,
        audit_kinds=frozenset(EventKind(k) for k in settings.audit_kinds),
        trust=settings.trust), open_crowd(settings), metrics)
    engine.warm_up()
    store.ping()
    worker = StoreWorker()
    handlers = AccountGuardHandlers(
        engine, clock, build_verification(settings, store, challenges, ledger, clock),
        OutcomeService(store, ledger, clock, settings.trust), worker,
        FailMode(settings.fail_mode), settings.score_timeout_seconds, metrics,
        ChallengeResults(store, ledger, clock, settings.trust, engine.crowd))
    admin = AdminHandlers(
        AdminService(store, ledger, clock, settings.freeze_ttl_hours * 3600.0),
        lambda: engine.scorer.model, clock, worker, metrics,
        ModelReloader(engine, worker, settings.resolved_model_path, metrics))
    return Application(settings, store, engine, handlers, admin, ledger, challenges, metrics,
                       clock)
