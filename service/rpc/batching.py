"""Micro-batching of concurrent Score calls.

One consumer takes the first waiting event, plus every other event already queued (up to
``max_batch``; optionally waiting up to ``max_wait`` for more), and scores them with one
``RiskEngine.score_batch`` on the store worker: one transaction, one pass. With one call in
flight a batch is that call, so nothing waits; under load the queue fills while a batch runs
and batches grow by themselves. Events are applied in arrival order, so an event's answer is
the one it would get alone (tested).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from detectors.events import Event
from service.domain.decisions import ScoreResult
from service.domain.errors import DomainError, StoreUnavailable
from service.rpc.worker import StoreWorker

log = structlog.get_logger("acctguard.batching")


@dataclass(slots=True)
class _Waiting:
    event: Event
    future: asyncio.Future[ScoreResult]


class ScoreBatcher:
    def __init__(self, worker: StoreWorker,
                 score_batch: Callable[[Sequence[Event]], list[ScoreResult]],
                 score_one: Callable[[Event], ScoreResult], max_batch: int = 256,
                 max_wait: float = 0.0) -> None:
        self._worker = worker
        self._score_batch = score_batch
        self._score_one = score_one
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: asyncio.Queue[_Waiting] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self.batches = 0
        self.events = 0

    def submit(self, event: Event) -> asyncio.Future[ScoreResult]:
        """The future result of ``event``; it is scored even if the caller stops waiting."""
        loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
        future: asyncio.Future[ScoreResult] = loop.create_future()
        self._queue.put_nowait(_Waiting(event, future))
        if self._consumer is None or self._consumer.done():
            # A consumer runs only while there is work, so no task outlives the server's loop.
            self._consumer = loop.create_task(self._consume(), name="score-batcher")
        return future

    async def _gather(self, queue: asyncio.Queue[_Waiting]) -> list[_Waiting]:
        batch = [await queue.get()]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            if not queue.empty():
                batch.append(queue.get_nowait())
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _consume(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            batch = await self._gather(self._queue)
            try:
                await self._score(batch)
            except Exception as error:
                log.error("batch_failed", exc_info=error)
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(error)

    async def _score(self, batch: list[_Waiting]) -> None:
        events = [waiting.event for waiting in batch]
        self.batches += 1
        self.events += len(events)
        try:
            results = await self._worker.run(self._score_batch, events)
        except StoreUnavailable as error:
            for waiting in batch:  # the store is down for all of them alike
                if not waiting.future.done():
                    waiting.future.set_exception(error)
            return
        except DomainError:
            # One event's problem (a reused event_id, say) must not fail the others: score
            # them one by one so each call gets its own answer or error.
            await self._one_by_one(batch)
            return
        for waiting, result in zip(batch, results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(result)

    async def _one_by_one(self, batch: list[_Waiting]) -> None:
        for waiting in batch:
            try:
                result = await self._worker.run(self._score_one, waiting.event)
            except Exception as error:
                if not waiting.future.done():
                    waiting.future.set_exception(error)
                continue
            if not waiting.future.done():
                waiting.future.set_result(result)
