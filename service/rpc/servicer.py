"""AccountGuard handlers: convert, run the domain on the store worker, convert back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from detectors.events import Event
from detectors.reasons import ReasonCode
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.domain.audit import Actor, Role
from service.domain.challenge_results import ChallengeResults
from service.domain.clock import Clock
from service.domain.decisions import Decision, ScoreResult
from service.domain.degraded import FailMode, not_in_time_result, unavailable_result
from service.domain.engine import RiskEngine
from service.domain.errors import DomainError, InvalidArgument, StoreUnavailable, Unimplemented
from service.domain.freezes import frozen_features
from service.domain.outcomes import OutcomeService
from service.domain.restore import VerificationService
from service.domain.validation import MAX_ID, check_id
from service.metrics import Metrics
from service.rpc.auth import current_caller
from service.rpc.batching import ScoreBatcher, State, Waiting
from service.rpc.converters import (
    challenge_to_proto,
    device_trust_to_proto,
    event_from_request,
    freeze_to_proto,
    result_to_response,
    seconds_to_timestamp,
)
from service.rpc.registry import Context, check_decoded
from service.rpc.store_health import StoreHealth
from service.rpc.worker import StoreWorker

log = structlog.get_logger("acctguard.score")
MAX_BATCH = 10_000
STREAM_WINDOW = 64  # stream messages read ahead and scored together
# Of a call's deadline, kept to send the answer once it is decided (the engine's own time is
# measured: service.rpc.latency).
REPLY_SECONDS = 0.002
DEADLINE_TOO_SHORT = "deadline_too_short"  # log and metric label of a call answered late
T = TypeVar("T")


def current_actor() -> Actor:
    """The authenticated caller, as the domain sees it."""
    caller = current_caller()
    return Actor(caller.name, Role(caller.role.value))


class AccountGuardHandlers:
    """Everything runs on the single store worker (:class:`StoreWorker`)."""

    def __init__(self, engine: RiskEngine, clock: Clock,
                 verification: VerificationService | None = None,
                 outcomes: OutcomeService | None = None,
                 worker: StoreWorker | None = None, fail_mode: FailMode = FailMode.CLOSED,
                 score_timeout: float = 2.0, metrics: Metrics | None = None,
                 challenge_results: ChallengeResults | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.verification = verification
        self.outcomes = outcomes
        self.challenge_results = challenge_results
        self.worker = worker or StoreWorker()
        self.batcher = ScoreBatcher(self.worker, engine.score_batch, engine.score,
                                    remember=engine.remember, late=self._not_in_time)
        self.store_health = StoreHealth(engine.store.ping, timeout=score_timeout)
        self.fail_mode = fail_mode
        self.score_timeout = score_timeout
        self.metrics = metrics

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.worker.run(fn, *args)

    async def _scored(self, event: Event, context: Context | None) -> ScoreResult:
        """The engine's answer; or the fail mode's when the store is down or does not answer
        within ``score_timeout``, or when the call's deadline leaves less time than the engine
        is measured to need (:class:`~service.rpc.latency.EngineLatency`). A fail-mode answer
        for an event the engine never started is stored as the event's answer (on the worker,
        in arrival order), so a replay gets what this caller got; only an event the store
        fails on, or that was under way when ``score_timeout`` ran out, is not."""
        if not self.store_health.available:
            return self._fail_mode(self._unavailable_result(event), "store_down")
        now = time.monotonic()
        remaining = context.time_remaining() if context is not None else None
        answer_by = None if remaining is None else now + remaining - REPLY_SECONDS
        give_up = now + self.score_timeout
        waiting = self.batcher.submit(event, answer_by)
        start_by = give_up
        if answer_by is not None:  # the last moment the engine could start it and finish in time
            start_by = min(give_up, answer_by - self.batcher.latency.expected())
        try:
            result = await self._wait(waiting, start_by)
        except TimeoutError:
            short = start_by < give_up  # the call's deadline ran out, not score_timeout
            answer = self.batcher.abandon(
                waiting, self._not_in_time(event) if short else self._unavailable_result(event))
            if answer is not None:  # it had not started: it never will, and this is stored
                return self._late(answer, remaining)
            end = give_up if answer_by is None else min(give_up, answer_by)
            try:
                result = await self._wait(waiting, end)
            except TimeoutError:
                # The engine may still commit its own answer later (the event is idempotent).
                waiting.future.add_done_callback(_log_decision_after_cancel)
                return self._fail_mode(self._unavailable_result(event), "store_slow")
        if waiting.state is State.LATE:  # the worker found too little time left to start it
            return self._late(result, remaining)
        return result

    async def _wait(self, waiting: Waiting, until: float) -> ScoreResult:
        try:
            return await asyncio.wait_for(asyncio.shield(waiting.future),
                                          max(0.0, until - time.monotonic()))
        except asyncio.CancelledError:
            # The caller gave up, but the engine will still commit its decision: log it then.
            waiting.future.add_done_callback(_log_decision_after_cancel)
            raise
        except StoreUnavailable:
            await self.store_health.failed()
            return self._fail_mode(self._unavailable_result(waiting.event), "store_failed")

    def _unavailable_result(self, event: Event) -> ScoreResult:
        return unavailable_result(event, self.fail_mode, self.engine.scorer.version,
                                  self.clock.now())

    def _not_in_time(self, event: Event) -> ScoreResult:
        return not_in_time_result(event, self.fail_mode, self.engine.scorer.version,
                                  self.clock.now())

    def _late(self, answer: ScoreResult, remaining: float | None) -> ScoreResult:
        """A fail-mode answer given instead of starting the engine (and stored as such)."""
        if answer.reasons and answer.reasons[0].code is ReasonCode.NOT_SCORED_IN_TIME:
            log.info("not_scored_in_time", event_id=answer.event_id[:MAX_ID],
                     account_id=answer.account_id, fail_mode=self.fail_mode.value,
                     remaining_ms=None if remaining is None else round(remaining * 1000, 3),
                     engine_ms=round(self.batcher.latency.expected() * 1000, 3))
            return self._fail_mode(answer, DEADLINE_TOO_SHORT)
        return self._fail_mode(answer, "store_slow")

    def _fail_mode(self, result: ScoreResult, why: str) -> ScoreResult:
        structlog.contextvars.bind_contextvars(degraded=why, fail_mode=self.fail_mode.value)
        if self.metrics is not None:
            self.metrics.degraded(result, DEADLINE_TOO_SHORT if why == DEADLINE_TOO_SHORT
                                  else "store_unavailable")
        return result

    async def _score_one(self, request: pb.ScoreRequest,
                         context: Context | None = None) -> pb.ScoreResponse:
        started = time.perf_counter()
        event = event_from_request(check_decoded(request))
        structlog.contextvars.bind_contextvars(event_id=event.event_id[:MAX_ID],
                                               account_id=event.account_id, kind=str(event.kind))
        self.engine.validate(event)  # here, so a bad event fails only its own call
        result = await self._scored(event, context)
        structlog.contextvars.bind_contextvars(**_decision_fields(result), score_ms=round(
            (time.perf_counter() - started) * 1000, 3))
        return result_to_response(result)

    async def score(self, request: pb.ScoreRequest,
                    context: Context) -> pb.ScoreResponse:
        return await self._score_one(request, context)

    async def score_stream(self, requests: AsyncIterator[pb.ScoreRequest],
                           context: Context) -> AsyncIterator[pb.ScoreResponse]:
        """Up to STREAM_WINDOW messages are read ahead and scored together (micro-batched with
        other calls); responses go out in request order. The first bad message ends the stream
        with its position, and nothing after it is read."""
        window: asyncio.Queue[_Pending | DomainError | None] = asyncio.Queue(STREAM_WINDOW)
        reader = asyncio.get_running_loop().create_task(
            self._read_ahead(requests, context, window))
        try:
            while (item := await window.get()) is not None:
                if isinstance(item, DomainError):
                    raise item
                try:
                    result = await item.result
                except DomainError as error:
                    raise _at_position(error, item.index) from None
                log.info("scored", event_id=result.event_id[:MAX_ID],
                         account_id=result.account_id, kind=str(result.kind),
                         **_decision_fields(result))
                yield result_to_response(result)
        finally:
            reader.cancel()

    async def _read_ahead(self, requests: AsyncIterator[pb.ScoreRequest],
                          context: Context,
                          window: asyncio.Queue[_Pending | DomainError | None]) -> None:
        index = 0
        try:
            async for request in requests:
                try:
                    event = event_from_request(check_decoded(request))
                    self.engine.validate(event)
                except DomainError as error:
                    await window.put(_at_position(error, index))
                    return
                task = asyncio.get_running_loop().create_task(self._scored(event, context))
                await window.put(_Pending(task, index))
                index += 1
        finally:
            await window.put(None)

    async def score_batch(self, request: pb.ScoreBatchRequest,
                          context: Context) -> pb.ScoreBatchResponse:
        count = len(request.requests)
        if count > MAX_BATCH:
            raise InvalidArgument("requests", f"has {count} events; at most {MAX_BATCH}")
        events = []
        for index, item in enumerate(request.requests):
            try:
                events.append(event_from_request(item))
            except DomainError as error:
                raise _at_position(error, index) from None
        structlog.contextvars.bind_contextvars(events=count)
        results = await self._run(self.engine.score_batch, events)
        structlog.contextvars.bind_contextvars(
            decisions={d.name: sum(r.decision is d for r in results) for d in Decision})
        return pb.ScoreBatchResponse(responses=[result_to_response(r) for r in results])

    async def get_account_status(self, request: pb.GetAccountStatusRequest,
                                 context: Context) -> pb.AccountStatus:
        account_id = check_id("account_id", request.account_id)
        structlog.contextvars.bind_contextvars(account_id=account_id)
        freezes = await self._run(self.engine.account_freezes, account_id)
        devices, pending = await self._run(self.engine.account_trust, account_id)
        now = self.clock.now()
        status = pb.AccountStatus(account_id=account_id,
                                  freezes=[freeze_to_proto(f, now) for f in freezes],
                                  frozen_features=[f.name for f in frozen_features(freezes)],
                                  devices=[device_trust_to_proto(d) for d in devices],
                                  pending_event_ids=pending)
        if self.verification is not None:
            state = await self._run(self.verification.account_state, account_id)
            status.open_challenges.extend(challenge_to_proto(c) for c in state.open_challenges)
            status.authenticator_enrolled = state.authenticator_enrolled
            if state.locked_until is not None:
                status.verification_locked_until.CopyFrom(
                    seconds_to_timestamp(state.locked_until))
        return status

    def _restore(self) -> VerificationService:
        if self.verification is None:
            raise Unimplemented("verification is not configured on this server")
        return self.verification

    async def start_verification(self, request: pb.StartVerificationRequest,
                                 context: Context) -> pb.StartVerificationResponse:
        structlog.contextvars.bind_contextvars(account_id=request.account_id[:MAX_ID])
        started = await self._run(self._restore().start, request.account_id, request.method,
                                  current_actor(), request.device_id, request.ip)
        challenge = started.challenge
        structlog.contextvars.bind_contextvars(challenge_id=challenge.challenge_id,
                                               delivery=started.delivery.name)
        if self.metrics is not None:
            self.metrics.verification("started")
        return pb.StartVerificationResponse(
            challenge_id=challenge.challenge_id,
            expires_at=seconds_to_timestamp(challenge.expires_at),
            attempts_allowed=challenge.attempts_allowed, delivered_code=started.code,
            delivery=started.delivery.name)

    async def complete_verification(self, request: pb.CompleteVerificationRequest,
                                    context: Context) -> pb.CompleteVerificationResponse:
        structlog.contextvars.bind_contextvars(challenge_id=request.challenge_id[:MAX_ID])
        attempt = await self._run(self._restore().complete, request.challenge_id, request.code,
                                  current_actor())
        structlog.contextvars.bind_contextvars(verified=attempt.verified,
                                               attempts_left=attempt.attempts_left)
        if self.metrics is not None:
            self.metrics.verification("succeeded" if attempt.verified else "failed")
            if attempt.locked:
                self.metrics.verification("locked")
        return pb.CompleteVerificationResponse(verified=attempt.verified,
                                               attempts_left=attempt.attempts_left)

    async def unfreeze(self, request: pb.UnfreezeRequest,
                       context: Context) -> pb.UnfreezeResponse:
        structlog.contextvars.bind_contextvars(account_id=request.account_id[:MAX_ID],
                                               challenge_id=request.challenge_id[:MAX_ID])
        restored = await self._run(self._restore().unfreeze, request.account_id,
                                   request.challenge_id, current_actor())
        features = [f.name for f in restored.features]
        structlog.contextvars.bind_contextvars(restored=features)
        if self.metrics is not None:
            self.metrics.freezes_lifted_by("verified", len(restored.lifted))
        return pb.UnfreezeResponse(restored_features=features)

    async def enroll_authenticator(self, request: pb.EnrollAuthenticatorRequest,
                                   context: Context) -> pb.EnrollAuthenticatorResponse:
        structlog.contextvars.bind_contextvars(account_id=request.account_id[:MAX_ID])
        enrolment = await self._run(self._restore().enroll, request.account_id, request.issuer,
                                    current_actor())
        return pb.EnrollAuthenticatorResponse(secret=enrolment.secret_base32,
                                              otpauth_uri=enrolment.otpauth_uri)

    async def report_outcome(self, request: pb.ReportOutcomeRequest,
                             context: Context) -> pb.ReportOutcomeResponse:
        if self.outcomes is None:
            raise Unimplemented("outcomes are not configured on this server")
        structlog.contextvars.bind_contextvars(event_id=request.event_id[:MAX_ID],
                                               outcome=request.outcome)
        effect = await self._run(self.outcomes.report, request.event_id, request.outcome,
                                 current_actor())
        freeze_id = effect.lifted.freeze_id if effect.lifted is not None else ""
        if effect.lifted is not None and self.metrics is not None:
            self.metrics.freezes_lifted_by("outcome")
        structlog.contextvars.bind_contextvars(lifted_freeze_id=freeze_id or None,
                                               placed_freeze_id=effect.placed_freeze_id or None)
        return pb.ReportOutcomeResponse(lifted_freeze_id=freeze_id,
                                        placed_freeze_id=effect.placed_freeze_id)

    async def report_challenge_result(self, request: pb.ReportChallengeResultRequest,
                                      context: Context) -> pb.ReportChallengeResultResponse:
        if self.challenge_results is None:
            raise Unimplemented("challenge results are not configured on this server")
        structlog.contextvars.bind_contextvars(event_id=request.event_id[:MAX_ID],
                                               result=request.result)
        report = await self._run(self.challenge_results.report, request.event_id,
                                 request.result, request.method, current_actor())
        if self.metrics is not None:
            self.metrics.challenge_result(report.result.name.lower())
        structlog.contextvars.bind_contextvars(account_id=report.account_id,
                                               learned=report.learned, note=report.note or None)
        return pb.ReportChallengeResultResponse(learned=report.learned)

    def behaviors(self) -> dict[str, Callable[..., Any]]:
        return {
            "Score": self.score,
            "ScoreStream": self.score_stream,
            "ScoreBatch": self.score_batch,
            "GetAccountStatus": self.get_account_status,
            "StartVerification": self.start_verification,
            "CompleteVerification": self.complete_verification,
            "Unfreeze": self.unfreeze,
            "EnrollAuthenticator": self.enroll_authenticator,
            "ReportOutcome": self.report_outcome,
            "ReportChallengeResult": self.report_challenge_result,
        }

    def close(self) -> None:
        self.worker.close()


@dataclass(frozen=True, slots=True)
class _Pending:
    result: asyncio.Task[ScoreResult]
    index: int


def _decision_fields(result: ScoreResult) -> dict[str, Any]:
    return {"decision": result.decision.name, "risk": round(result.risk, 6),
            "would_decision": result.would_decision.name if result.would_decision else None,
            "reasons": [r.code.name for r in result.reasons],
            "freeze_id": result.freeze_id or None}


def _log_decision_after_cancel(future: asyncio.Future[ScoreResult]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    result = future.result()
    log.info("scored_after_cancel", event_id=result.event_id, account_id=result.account_id,
             **_decision_fields(result))


def _at_position(error: DomainError, index: int) -> DomainError:
    """The same error, saying which message of a stream it is about."""
    if isinstance(error, InvalidArgument):
        return InvalidArgument(f"requests[{index}].{error.field}", error.problem)
    return type(error)(f"requests[{index}]: {error}")
