"""Retention: every ``interval`` seconds, delete profiles and per-event records older than
the configured age (ACCTGUARD_RETENTION_DAYS), on the store worker between events."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from service.domain.admin import AdminService
from service.domain.errors import DomainError
from service.rpc.worker import StoreWorker

log = structlog.get_logger("acctguard.retention")


class RetentionTask:
    def __init__(self, admin: AdminService, worker: StoreWorker, max_age_seconds: float,
                 interval: float = 3600.0) -> None:
        self.admin = admin
        self.worker = worker
        self.max_age_seconds = max_age_seconds
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def prune_once(self) -> dict[str, int]:
        pruned = await self.worker.run(self.admin.prune, self.max_age_seconds)
        log.info("pruned", max_age_days=round(self.max_age_seconds / 86400, 1), **pruned)
        return pruned

    async def _run(self) -> None:
        while True:
            try:
                await self.prune_once()
            except DomainError as exc:  # the store is down: try again next time
                log.warning("prune_failed", error=str(exc))
            await asyncio.sleep(self.interval)
