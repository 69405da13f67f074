"""Domain errors to gRPC status, in one place. INTERNAL never carries exception text."""

from __future__ import annotations

import grpc

from service.domain.errors import (
    ConcurrentUpdate,
    DeliveryFailed,
    DomainError,
    EventIdConflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RateLimited,
    StoreUnavailable,
    Unimplemented,
)

INTERNAL_MESSAGE = "internal error; the failure was logged"


def status_for(error: DomainError) -> tuple[grpc.StatusCode, str]:
    if isinstance(error, InvalidArgument):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, EventIdConflict):
        return grpc.StatusCode.ALREADY_EXISTS, str(error)
    if isinstance(error, StoreUnavailable):
        return grpc.StatusCode.UNAVAILABLE, str(error)
    if isinstance(error, Unimplemented):
        return grpc.StatusCode.UNIMPLEMENTED, str(error)
    if isinstance(error, NotFound):
        return grpc.StatusCode.NOT_FOUND, str(error)
    if isinstance(error, RateLimited):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(error)
    if isinstance(error, DeliveryFailed):
        return grpc.StatusCode.UNAVAILABLE, str(error)
    if isinstance(error, ConcurrentUpdate):
        return grpc.StatusCode.ABORTED, str(error)
    if isinstance(error, FailedPrecondition):
        return grpc.StatusCode.FAILED_PRECONDITION, str(error)
    return grpc.StatusCode.FAILED_PRECONDITION, str(error)
