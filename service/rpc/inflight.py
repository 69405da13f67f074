"""Load shedding: at most ``limit`` calls of acctguard's own services in flight; beyond it a
call gets RESOURCE_EXHAUSTED at once instead of queueing into its deadline.

This sits in the handler wrapper rather than in gRPC's ``maximum_concurrent_rpcs`` so that
health checks (and reflection) are never shed: a replica that is busy stays alive to its
probes. gRPC's own limit is kept above it, as a backstop.
"""

from __future__ import annotations

import grpc

from service.rpc.auth import CallRefused


class Overloaded(CallRefused):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class InFlightLimit:
    """Counts calls in flight; used from the event loop only (no lock needed)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.limit = limit
        self.in_flight = 0

    def enter(self) -> None:
        if self.in_flight >= self.limit:
            raise Overloaded(f"the server is at its limit of {self.limit} calls in flight; "
                             "retry with backoff")
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


def backstop(limit: int) -> int:
    """gRPC's own limit: room for health checks and reflection above acctguard's."""
    return 2 * limit + 64
