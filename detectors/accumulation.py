"""Evidence that builds up over an account's recent events.

Some attacks are a run of events each only a little unusual: a cash-out is a sign-in on a new
device and then five transfers to new payees within the hour, none alarming alone. A decaying
CUSUM catches the run: each event whose surprise ``-ln(1 - risk)`` exceeds an allowance adds the
excess to the account's level, and the level halves every ``half_life_hours``. A level above
``challenge_level`` (set in training so that only a small share of honest events reach it)
escalates the decision to CHALLENGE.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class RiskAccumulator:
    half_life_hours: float = 1.0
    # Surprise (nats) an event must exceed to add to the level: risk above 1 - e^-3, about 0.95.
    allowance: float = 2.0
    challenge_level: float = math.inf

    def level(self, previous: float, previous_at: float, risk: float, at: float) -> float:
        """The account's level after an event with ``risk`` at time ``at``."""
        elapsed = max(0.0, at - previous_at) if previous_at else 0.0
        decayed = previous * math.pow(0.5, elapsed / (self.half_life_hours * HOUR))
        surprise = -math.log(max(1.0 - risk, 1e-12))
        return decayed + max(0.0, surprise - self.allowance)

    def escalates(self, level: float) -> bool:
        return level >= self.challenge_level

    def levels(self, events: Iterable[tuple[str, float, float]]) -> list[float]:
        """Levels after each of ``(account_id, at, risk)``, given in time order."""
        state: dict[str, tuple[float, float]] = {}
        out = []
        for account, at, risk in events:
            previous, previous_at = state.get(account, (0.0, 0.0))
            current = self.level(previous, previous_at, risk, at)
            state[account] = (current, max(at, previous_at))
            out.append(current)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RiskAccumulator:
        """Missing (an artifact without accumulation) means it never escalates."""
        return cls(**data) if data else cls()
