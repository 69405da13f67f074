"""Micro-batching of concurrent Score calls.

One consumer takes the first waiting event, plus every other event already queued (up to
``max_batch``; optionally waiting up to ``max_wait`` for more), and scores them with one
``RiskEngine.score_batch`` on the store worker: one transaction, one pass. With one call in
flight a batch is that call, so nothing waits; under load the queue fills while a batch runs
and batches grow by themselves. Events are applied in arrival order, so an event's answer is
the one it would get alone (tested).

An event with a deadline (``answer_by``) is scored only if, when the worker starts its batch,
the time left covers the engine's measured time for the batch (:class:`EngineLatency`);
otherwise it gets the ``late`` answer (the fail mode), and so does an event whose caller gave
up waiting before it started (:meth:`ScoreBatcher.abandon`). Either way that answer is stored
as the event's answer on the worker, in arrival order, before the events after it are scored:
what the caller was told is what a replay of the event_id returns. Once an event has started,
its answer is the engine's.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import structlog

from detectors.events import Event
from service.domain.decisions import ScoreResult
from service.domain.errors import DomainError, StoreUnavailable
from service.rpc.latency import EngineLatency
from service.rpc.worker import StoreWorker

log = structlog.get_logger("acctguard.batching")


class State(Enum):
    WAITING = "waiting"  # queued, not started
    STARTED = "started"  # the engine has it: its answer is the engine's
    LATE = "late"  # answered with the fail mode instead; that answer is stored


@dataclass(slots=True)
class Waiting:
    event: Event
    future: asyncio.Future[ScoreResult]
    answer_by: float | None = None  # time.monotonic() by which the answer must be ready
    state: State = State.WAITING
    late_answer: ScoreResult | None = field(default=None, repr=False)


class ScoreBatcher:
    def __init__(self, worker: StoreWorker,
                 score_batch: Callable[[Sequence[Event]], list[ScoreResult]],
                 score_one: Callable[[Event], ScoreResult], max_batch: int = 256,
                 max_wait: float = 0.0,
                 remember: Callable[[ScoreResult], ScoreResult] | None = None,
                 late: Callable[[Event], ScoreResult] | None = None,
                 latency: EngineLatency | None = None) -> None:
        self._worker = worker
        self._score_batch = score_batch
        self._score_one = score_one
        self._remember = remember
        self._late = late
        self.latency = latency or EngineLatency()
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: asyncio.Queue[Waiting] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._states = threading.Lock()  # the loop and the worker both move an event's state
        self.batches = 0
        self.events = 0

    def submit(self, event: Event, answer_by: float | None = None) -> Waiting:
        """``event`` queued; its future result. It is scored (or, past ``answer_by``, answered
        late) even if the caller stops waiting."""
        loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
        waiting = Waiting(event, loop.create_future(), answer_by)
        self._queue.put_nowait(waiting)
        if self._consumer is None or self._consumer.done():
            # A consumer runs only while there is work, so no task outlives the server's loop.
            self._consumer = loop.create_task(self._consume(), name="score-batcher")
        return waiting

    def abandon(self, waiting: Waiting, answer: ScoreResult) -> ScoreResult | None:
        """The caller cannot wait any longer. If the event has not started, it will not be:
        the answer is ``answer`` (or the late answer the worker already gave it), stored on the
        worker in its turn, and returned. None if the engine already has the event."""
        with self._states:
            if waiting.state is State.WAITING:
                waiting.state, waiting.late_answer = State.LATE, answer
            if waiting.state is State.LATE:
                return waiting.late_answer
            return None

    async def _gather(self, queue: asyncio.Queue[Waiting]) -> list[Waiting]:
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

    async def _score(self, batch: list[Waiting]) -> None:
        self.batches += 1
        try:
            results = await self._worker.run(self._run, batch)
        except StoreUnavailable as error:
            for waiting in self._started(batch):  # the store is down for all of them alike
                if not waiting.future.done():
                    waiting.future.set_exception(error)
            return
        except DomainError:
            # One event's problem (a reused event_id, say) must not fail the others: score
            # them one by one so each call gets its own answer or error.
            await self._one_by_one(self._started(batch))
            return
        for waiting, result in zip(self._started(batch), results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(result)

    def _run(self, batch: list[Waiting]) -> list[ScoreResult]:
        """On the worker: decide which events start, store the late answers, score the rest
        (answers in the order of the started events)."""
        now = time.monotonic()
        needed = self.latency.expected(len(batch))
        late: list[Waiting] = []
        with self._states:
            for waiting in batch:
                if (waiting.state is State.WAITING and waiting.answer_by is not None
                        and self._late is not None and waiting.answer_by - now < needed):
                    waiting.state, waiting.late_answer = State.LATE, self._late(waiting.event)
                elif waiting.state is State.WAITING:
                    waiting.state = State.STARTED
                if waiting.state is State.LATE:
                    late.append(waiting)
                    waiting.future.get_loop().call_soon_threadsafe(
                        _settle, waiting.future, waiting.late_answer)
        for waiting in late:
            self._remember_late(waiting)
        events = [waiting.event for waiting in self._started(batch)]
        if not events:
            return []
        self.events += len(events)
        began = time.perf_counter()
        results = self._score_batch(events)
        self.latency.observe(len(events), time.perf_counter() - began)
        return results

    def _remember_late(self, waiting: Waiting) -> None:
        answer = waiting.late_answer
        if answer is None or self._remember is None:
            return
        try:
            stored = self._remember(answer)
        except StoreUnavailable:
            log.warning("fail_mode_answer_not_stored", event_id=answer.event_id,
                        account_id=answer.account_id, why="store_unavailable")
            return
        except Exception as error:  # the events after it are still scored
            log.error("fail_mode_answer_not_stored", event_id=answer.event_id,
                      account_id=answer.account_id, exc_info=error)
            return
        if stored is not answer:
            log.warning("fail_mode_answer_not_stored", event_id=answer.event_id,
                        account_id=answer.account_id, why="event_id_already_answered",
                        stored_decision=stored.decision.name)

    @staticmethod
    def _started(batch: list[Waiting]) -> list[Waiting]:
        return [waiting for waiting in batch if waiting.state is State.STARTED]

    async def _one_by_one(self, batch: list[Waiting]) -> None:
        for waiting in batch:
            try:
                result = await self._worker.run(self._score_one, waiting.event)
            except Exception as error:
                if not waiting.future.done():
                    waiting.future.set_exception(error)
                continue
            if not waiting.future.done():
                waiting.future.set_result(result)


def _settle(future: asyncio.Future[ScoreResult], result: ScoreResult | None) -> None:
    if result is not None and not future.done():
        future.set_result(result)
