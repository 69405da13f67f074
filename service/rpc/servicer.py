"""AccountGuard handlers: convert, run the engine on its worker, convert back. Nothing else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import structlog

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.domain.clock import Clock
from service.domain.decisions import ScoreResult
from service.domain.engine import RiskEngine
from service.domain.errors import DomainError, InvalidArgument, Unimplemented
from service.domain.freezes import frozen_features
from service.domain.validation import MAX_ID
from service.rpc.converters import event_from_request, freeze_to_proto, result_to_response
from service.rpc.registry import Context, check_decoded

log = structlog.get_logger("acctguard.score")
T = TypeVar("T")


class AccountGuardHandlers:
    """The engine runs on a single worker thread: events are applied in arrival order and the
    event loop stays free for I/O while a commit waits on the disk."""

    def __init__(self, engine: RiskEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    async def _score_one(self, request: pb.ScoreRequest) -> pb.ScoreResponse:
        started = time.perf_counter()
        event = event_from_request(check_decoded(request))
        structlog.contextvars.bind_contextvars(event_id=event.event_id[:MAX_ID],
                                               account_id=event.account_id, kind=str(event.kind))
        pending = asyncio.get_running_loop().run_in_executor(self._worker, self.engine.score,
                                                             event)
        try:
            result = await asyncio.shield(pending)
        except asyncio.CancelledError:
            # The caller gave up, but the engine will still commit its decision: log it then.
            pending.add_done_callback(_log_decision_after_cancel)
            raise
        structlog.contextvars.bind_contextvars(**_decision_fields(result), score_ms=round(
            (time.perf_counter() - started) * 1000, 3))
        return result_to_response(result)

    async def score(self, request: pb.ScoreRequest,
                    context: Context) -> pb.ScoreResponse:
        return await self._score_one(request)

    async def score_stream(self, requests: AsyncIterator[pb.ScoreRequest],
                           context: Context) -> AsyncIterator[pb.ScoreResponse]:
        index = 0
        async for request in requests:
            try:
                response = await self._score_one(request)
            except DomainError as error:
                raise _at_position(error, index) from None
            log.info("scored")
            structlog.contextvars.clear_contextvars()
            index += 1
            yield response

    async def get_account_status(self, request: pb.GetAccountStatusRequest,
                                 context: Context) -> pb.AccountStatus:
        account_id = request.account_id
        if not account_id or len(account_id) > MAX_ID:
            raise InvalidArgument("account_id", f"is required, at most {MAX_ID} characters")
        structlog.contextvars.bind_contextvars(account_id=account_id)
        freezes = await self._run(self.engine.account_freezes, account_id)
        now = self.clock.now()
        return pb.AccountStatus(account_id=account_id,
                                freezes=[freeze_to_proto(f, now) for f in freezes],
                                frozen_features=[f.name for f in frozen_features(freezes)])

    async def not_yet(self, request: Any, context: Context) -> Any:
        raise Unimplemented("verification, unfreeze and outcomes are not available in this "
                            "release")

    def behaviors(self) -> dict[str, Callable[..., Any]]:
        return {
            "Score": self.score,
            "ScoreStream": self.score_stream,
            "GetAccountStatus": self.get_account_status,
            "StartVerification": self.not_yet,
            "CompleteVerification": self.not_yet,
            "Unfreeze": self.not_yet,
            "ReportOutcome": self.not_yet,
        }

    def close(self) -> None:
        self._worker.shutdown(wait=True)


def _decision_fields(result: ScoreResult) -> dict[str, Any]:
    return {"decision": result.decision.name, "risk": round(result.risk, 6),
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
