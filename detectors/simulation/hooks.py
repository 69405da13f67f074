"""Where a persona outside the default population changes an honest account holder's day.

An :class:`~detectors.simulation.population.Account` of the default population has no
behaviour (``None``): then none of these hooks is called and no random number is drawn for
them, so the default stream stays what it was. The stress personas
(:mod:`detectors.simulation.stress`) subclass :class:`Behaviour` and override what they need.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detectors.simulation.calendar_days import Today
    from detectors.simulation.devices import Device
    from detectors.simulation.honest import HonestDay, Intent
    from detectors.simulation.population import Account, Trip
    from detectors.simulation.schedule import Stay
    from detectors.simulation.world import Network


class Behaviour:
    """Does nothing unusual; each hook is called only for accounts that have a behaviour."""

    def trip(self, account: Account, today: Today, day_start: float,
             rng: random.Random) -> Trip | None:
        """A trip starting today (before the usual chance of one), or None."""
        return None

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        """Add to or change today's planned intents (their online payments included)."""

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        """The network and device of an intent, or None for the usual choice."""
        return None

    def typos(self, rng: random.Random, failures: int) -> int:
        """How many failed attempts precede a sign-in that the usual draw gave ``failures``."""
        return failures
