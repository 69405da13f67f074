"""Domain errors to gRPC status, in one place. INTERNAL never carries exception text."""

from __future__ import annotations

import grpc

from service.domain.errors import (
    DomainError,
    EventIdConflict,
    InvalidArgument,
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
    return grpc.StatusCode.FAILED_PRECONDITION, str(error)
