"""Loading a new model artifact while serving: check it, then swap it in on the engine's
worker between two events, so no call is dropped and no event is scored half by each model.
A bad artifact (unreadable, another feature schema, a smoke score out of range) is refused
and the old model keeps serving."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from detectors.model import ArtifactError, RiskModel
from detectors.scoring import Scorer
from service.domain.engine import RiskEngine
from service.domain.errors import FailedPrecondition
from service.metrics import Metrics
from service.rpc.worker import StoreWorker

log = structlog.get_logger("acctguard.model")


class ModelReloader:
    def __init__(self, engine: RiskEngine, worker: StoreWorker, default_path: Path,
                 metrics: Metrics | None = None) -> None:
        self.engine = engine
        self.worker = worker
        self.default_path = default_path
        self.metrics = metrics

    async def reload(self, path: str = "") -> RiskModel:
        target = Path(path) if path else self.default_path
        previous = self.engine.scorer.version
        try:
            model = await asyncio.to_thread(RiskModel.load, target)
            scorer = Scorer(model)
            await asyncio.to_thread(self.engine.smoke_test, scorer)
        except (ArtifactError, OSError, ValueError, KeyError) as exc:
            log.error("model_refused", path=str(target), error=str(exc), serving=previous)
            raise FailedPrecondition(f"model artifact {target} refused, {previous} keeps "
                                     f"serving: {exc}") from exc
        await self.worker.run(self.engine.replace_scorer, scorer)
        if self.metrics is not None:
            self.metrics.model_loaded(model.version, list(model.metadata.get("detectors", [])))
        log.info("model_reloaded", path=str(target), version=model.version, previous=previous)
        return model
