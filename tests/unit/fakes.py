"""Test doubles shared by unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.accumulation import RiskAccumulator
from detectors.events import Event, EventKind
from detectors.model import Thresholds
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from detectors.scoring import Assessment
from service.domain.engine import TrustSettings

THRESHOLDS = Thresholds(challenge=0.99, freeze=0.999)
# Trust settings without the new-account phase: a fixed scorer's FREEZE on an account's first
# events stays a FREEZE (tests of the new-account rule use the defaults).
NO_NEW_ACCOUNT_PHASE = TrustSettings(new_account_days=0.0, new_account_events=0)


@dataclass
class FixedScorer:
    """Returns the risk set for an event id (default 0.1), with a NEW_DEVICE reason."""

    risks: dict[str, float] = field(default_factory=dict)
    version: str = "fake-1"
    accumulator: RiskAccumulator = field(default_factory=RiskAccumulator)
    large_amount_minor: float = 1e18

    def assess(self, event: Event, profile: AccountProfile, crowd: object = None) -> Assessment:
        risk = self.risks.get(event.event_id, 0.1)
        reasons = (Reason(ReasonCode.NEW_DEVICE, "new device", 1.0),)
        return Assessment(EventKind(event.kind), risk, reasons, THRESHOLDS, profile.is_empty)

    def assess_many(self, items: list[tuple[Event, AccountProfile, object]]) -> list[Assessment]:
        return [self.assess(event, profile, crowd) for event, profile, crowd in items]
