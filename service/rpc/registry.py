"""Method handlers built from the service descriptor, with three things grpcio lacks:

* requests that do not parse become INVALID_ARGUMENT (grpcio answers INTERNAL by default): the
  deserializer returns an :class:`UndecodableRequest` marker instead of raising, and
  :func:`check_decoded` turns it into the error (for unary calls here; a streaming behavior
  calls it on each message, so it can say which one was bad);
* domain errors map to status codes (:mod:`service.rpc.errors`), anything else to INTERNAL
  without its text;
* one canonical JSON log line per call, with whatever the handler bound to the context;
* who may call what (:mod:`service.rpc.auth`): the caller is identified and admitted before the
  behavior runs (refusals become UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED or
  DEADLINE_EXCEEDED) and is the behavior's :func:`~service.rpc.auth.current_caller`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from google.protobuf import message as pb_message
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from service.domain.errors import DomainError, InvalidArgument
from service.metrics import Metrics
from service.rpc.auth import Authorizer, Caller, CallRefused, caller_scope
from service.rpc.errors import INTERNAL_MESSAGE, status_for
from service.rpc.inflight import InFlightLimit, Overloaded

log = structlog.get_logger("acctguard.rpc")
Context = grpc.aio.ServicerContext[Any, Any]

UnaryBehavior = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior = Callable[[AsyncIterator[Any], Context], AsyncIterator[Any]]


@dataclass(frozen=True, slots=True)
class UndecodableRequest:
    """Stands in for a request whose bytes are not a valid message of the expected type."""

    type_name: str


def safe_deserializer(message_class: type[pb_message.Message]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return message_class.FromString(data)
        except (pb_message.DecodeError, ValueError, RuntimeError):
            return UndecodableRequest(message_class.DESCRIPTOR.full_name)
    return deserialize


def check_decoded(request: Any) -> Any:
    if isinstance(request, UndecodableRequest):
        raise InvalidArgument("request", f"is not a valid {request.type_name} message")
    return request


async def _abort_for(error: BaseException, context: Context) -> grpc.StatusCode:
    if isinstance(error, CallRefused):
        code, message = error.code, error.message
    elif isinstance(error, DomainError):
        code, message = status_for(error)
    else:
        log.error("unexpected_error", exc_info=error)
        code, message = grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE
    await context.abort(code, message)
    return code  # not reached: abort raises


@dataclass(slots=True)
class _Call:
    caller: Caller | None = field(default=None)
    refused_name: str | None = None  # a refused caller's name, when it was identified
    shed: str | None = None  # why a call was shed, for the metrics

    @property
    def caller_name(self) -> str | None:
        return self.caller.name if self.caller else self.refused_name


def _code_name(error: Exception) -> str:
    if isinstance(error, CallRefused):
        return error.code.name
    return status_for(error)[0].name if isinstance(error, DomainError) else "INTERNAL"


@asynccontextmanager
async def _handled(method: str, context: Context, keep_bindings: bool,
                   metrics: Metrics | None = None) -> AsyncIterator[_Call]:
    """Status mapping and the canonical log line for one call. ``keep_bindings``: log with what
    the handler bound (a unary call's event); a stream logs per event and ends clean."""
    structlog.contextvars.clear_contextvars()
    started = time.perf_counter()
    code = "OK"
    call = _Call()
    try:
        yield call
    except asyncio.CancelledError:
        code = "CANCELLED"  # the client went away or its deadline passed
        raise
    except grpc.aio.AbortError:
        raise
    except Exception as error:  # mapped to a status, never echoed
        code = _code_name(error)
        if isinstance(error, CallRefused):
            call.refused_name = error.caller_name
        if isinstance(error, Overloaded):
            call.shed = "overloaded"
        await _abort_for(error, context)
        raise
    finally:
        if not keep_bindings:
            structlog.contextvars.clear_contextvars()
        seconds = time.perf_counter() - started
        log.info("rpc", method=method, code=code, caller=call.caller_name,
                 duration_ms=round(seconds * 1000, 3))
        if metrics is not None:
            metrics.call(method, code, seconds)
            if code == "RESOURCE_EXHAUSTED":
                metrics.shed_call(call.shed or "rate_limited")


@dataclass(frozen=True, slots=True)
class CallChecks:
    """What every call goes through: who may call (authorizer), how many may be in flight
    (limit, none: unlimited here), and what is counted (metrics)."""

    authorizer: Authorizer
    metrics: Metrics | None = None
    limit: InFlightLimit | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self.limit is None:
            yield
            return
        self.limit.enter()
        try:
            yield
        finally:
            self.limit.leave()


def _unary(method: str, behavior: UnaryBehavior, checks: CallChecks) -> UnaryBehavior:
    async def handle(request: Any, context: Context) -> Any:
        async with _handled(method, context, True, checks.metrics) as call:
            with checks.slot():
                call.caller = checks.authorizer.admit(method, context)
                with caller_scope(call.caller):
                    return await behavior(check_decoded(request), context)
    return handle


def _stream(method: str, behavior: StreamBehavior, checks: CallChecks) -> StreamBehavior:
    async def handle(requests: AsyncIterator[Any], context: Context) -> AsyncIterator[Any]:
        async with _handled(method, context, False, checks.metrics) as call:
            with checks.slot():
                call.caller = checks.authorizer.admit(method, context)
                with caller_scope(call.caller):
                    async for response in behavior(requests, context):
                        yield response
    return handle


def _message_class(descriptor: Any) -> type[pb_message.Message]:
    return message_factory.GetMessageClass(descriptor)


def generic_handler(service: ServiceDescriptor, behaviors: dict[str, Callable[..., Any]],
                    authorizer: Authorizer | None = None, metrics: Metrics | None = None,
                    limit: InFlightLimit | None = None) -> grpc.GenericRpcHandler[Any, Any]:
    """Handlers for every method of ``service``; ``behaviors`` maps method name to coroutine
    (or async generator for streaming methods). A method without a behavior is not served.
    Every call is admitted by ``authorizer`` first (default: authentication off, no limits)."""
    checks = CallChecks(authorizer or Authorizer.open(), metrics, limit)
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        behavior = behaviors.get(method.name)
        if behavior is None:
            continue
        handlers[method.name] = _method_handler(method, behavior, checks)
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


def _method_handler(method: MethodDescriptor, behavior: Callable[..., Any],
                    checks: CallChecks) -> grpc.RpcMethodHandler[Any, Any]:
    request_class = _message_class(method.input_type)
    response_class = _message_class(method.output_type)
    deserializer = safe_deserializer(request_class)
    serializer = response_class.SerializeToString
    name = f"/{method.containing_service.full_name}/{method.name}"
    if method.client_streaming and method.server_streaming:
        return grpc.stream_stream_rpc_method_handler(
            _stream(name, behavior, checks), request_deserializer=deserializer,
            response_serializer=serializer)
    if method.client_streaming or method.server_streaming:
        raise ValueError(f"{name}: only unary and bidi methods are used in v1")
    return grpc.unary_unary_rpc_method_handler(
        _unary(name, behavior, checks), request_deserializer=deserializer,
        response_serializer=serializer)
