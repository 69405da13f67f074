"""Simulation days: their UTC midnights and the calendar facts routines depend on."""

from __future__ import annotations

import time
from dataclasses import dataclass

DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Today:
    index: int  # 0-based day of the simulation
    days: int  # length of the simulation
    utc_midnight: float
    weekday: int  # 0 = Monday
    day_of_month: int

    @property
    def weekend(self) -> bool:
        return self.weekday >= 5

    @property
    def payday_window(self) -> bool:
        """Salaries arrive around the 25th; spending runs high until the 1st."""
        return self.day_of_month >= 25 or self.day_of_month == 1

    @property
    def rent_day(self) -> bool:
        return self.day_of_month == 1


class SimCalendar:
    """Day ``d`` of a simulation counts from the UTC midnight on or before ``start``."""

    def __init__(self, start: float, days: int) -> None:
        self.first_midnight = start - start % DAY
        self.days = days
        # A start past midnight leaves part of one more calendar day inside the period.
        self.steps = days + (1 if start % DAY else 0)

    def today(self, index: int) -> Today:
        midnight = self.first_midnight + index * DAY
        moment = time.gmtime(midnight + 12 * HOUR)
        return Today(index, self.days, midnight, moment.tm_wday, moment.tm_mday)

    def day_of(self, at: float) -> int:
        return int((at - self.first_midnight) // DAY)

    def midnight(self, index: int) -> float:
        return self.first_midnight + index * DAY
