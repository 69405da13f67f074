"""Domain errors. The RPC layer maps each to one gRPC status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors whose message is safe to show to the caller."""


class InvalidArgument(DomainError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class EventIdConflict(DomainError):
    """The event_id was already used for another account or kind of event."""


class StoreUnavailable(DomainError):
    """The risk store cannot be reached."""


class Unimplemented(DomainError):
    """The method is part of the contract but not served by this build."""


class NotFound(DomainError):
    """The thing asked about does not exist (or the caller may not know that it does)."""


class FailedPrecondition(DomainError):
    """The request is valid but the state of the account does not allow it."""


class RateLimited(DomainError):
    """Too many requests of this kind for the account or the caller; try again later."""


class DeliveryFailed(DomainError):
    """A one-time code could not be handed to the delivery webhook."""


class ConcurrentUpdate(DomainError):
    """Another writer changed the same account at the same moment; the work can be redone."""
