"""Temporary, scoped freezes of credit features."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from detectors.events import CreditFeature
from detectors.reasons import Reason


class FreezeState(IntEnum):
    ACTIVE = 1
    LIFTED_VERIFIED = 2
    LIFTED_ADMIN = 3
    EXPIRED = 4
    LIFTED_OUTCOME = 5


@dataclass(frozen=True, slots=True)
class Freeze:
    freeze_id: str
    account_id: str
    event_id: str
    features: tuple[CreditFeature, ...]
    reasons: tuple[Reason, ...]
    risk: float
    created_at: float
    expires_at: float
    state: FreezeState = FreezeState.ACTIVE
    placed_by: str = "engine"
    lifted_at: float | None = None
    lifted_by: str = ""
    lift_reason: str = ""

    def state_at(self, now: float) -> FreezeState:
        """The stored state, except that an active freeze past its expiry reads as EXPIRED:
        expiry needs no background job to be correct."""
        if self.state is FreezeState.ACTIVE and now >= self.expires_at:
            return FreezeState.EXPIRED
        return self.state

    def is_active(self, now: float) -> bool:
        return self.state_at(now) is FreezeState.ACTIVE


def frozen_features(freezes: Iterable[Freeze]) -> tuple[CreditFeature, ...]:
    """The union of the freezes' features, in enum order."""
    if not freezes:
        return ()
    union: set[CreditFeature] = set()
    for freeze in freezes:
        union.update(freeze.features)
    return tuple(sorted(union))
