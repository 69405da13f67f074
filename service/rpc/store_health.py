"""Whether the risk store can be used, as the health service reports it.

A checker pings the store every ``interval`` seconds (off the store worker, with a timeout)
and sets the health of ``acctguard.v1.RiskStore``: SERVING or NOT_SERVING. While the store is
down, Score answers with the fail mode at once instead of queueing behind it; when a ping
succeeds again, scoring resumes, without a restart. The overall health ("" and AccountGuard)
stays SERVING: the service still answers, with the fail mode.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger("acctguard.store_health")
STORE_SERVICE = "acctguard.v1.RiskStore"
SERVING, NOT_SERVING = 1, 2  # grpc.health.v1.HealthCheckResponse.ServingStatus


class StoreHealth:
    def __init__(self, ping: Callable[[], None], interval: float = 1.0,
                 timeout: float = 2.0) -> None:
        self._ping = ping
        self.interval = interval
        self.timeout = timeout
        self.available = True
        self._health: Any = None
        self._task: asyncio.Task[None] | None = None

    def start(self, health: Any) -> None:
        """Begin checking; ``health`` is the server's grpc health servicer (aio)."""
        self._health = health
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-health")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        await self._set(True)
        while True:
            await asyncio.sleep(self.interval)
            await self._set(await self._check())

    async def _check(self) -> bool:
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping), self.timeout)
        except Exception:
            return False
        return True

    async def failed(self) -> None:
        """A call found the store unusable: report it now, not at the next check."""
        await self._set(False)

    async def _set(self, available: bool) -> None:
        if available != self.available:
            log.warning("store_available" if available else "store_unavailable")
        self.available = available
        if self._health is not None:
            await self._health.set(STORE_SERVICE, SERVING if available else NOT_SERVING)
