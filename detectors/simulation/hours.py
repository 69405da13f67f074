"""When people are active: relative weights of each local hour of the day, by routine."""

from __future__ import annotations

import random
from bisect import bisect
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate

HOURS: tuple[int, ...] = tuple(range(24))


class Routine(StrEnum):
    DAY = "day"  # office hours, evenings at home
    LATE = "late"  # students: late mornings, late nights
    EARLY = "early"  # retirees: early to bed, early to rise
    NIGHT = "night"  # night shift: awake 20:00-08:00


_WEEKDAY: dict[Routine, tuple[float, ...]] = {
    Routine.DAY: (0.3, 0.15, 0.08, 0.05, 0.05, 0.15, 0.8, 2.2, 2.6, 1.8, 1.4, 1.4,
                  2.4, 2.2, 1.4, 1.3, 1.4, 1.8, 2.6, 3.0, 3.2, 3.0, 2.2, 1.0),
    Routine.LATE: (1.8, 1.4, 0.9, 0.5, 0.2, 0.1, 0.1, 0.3, 0.7, 1.2, 1.6, 1.8,
                   2.0, 2.0, 1.8, 1.8, 1.9, 2.0, 2.3, 2.6, 2.9, 3.0, 2.8, 2.3),
    Routine.EARLY: (0.05, 0.03, 0.03, 0.03, 0.05, 0.3, 1.2, 2.2, 2.8, 3.0, 2.8, 2.4,
                    2.0, 1.8, 2.0, 2.2, 2.0, 1.8, 1.6, 1.4, 1.1, 0.7, 0.3, 0.1),
    Routine.NIGHT: (2.2, 1.2, 1.4, 1.2, 0.8, 1.0, 2.4, 2.8, 1.4, 0.4, 0.15, 0.1,
                    0.1, 0.15, 0.3, 0.8, 1.4, 1.8, 2.0, 2.0, 2.2, 2.6, 2.8, 2.8),
}
_WEEKEND_DAY: tuple[float, ...] = (0.6, 0.35, 0.15, 0.08, 0.05, 0.05, 0.2, 0.6, 1.4, 2.2, 2.4, 2.2,
                                   2.2, 2.0, 1.8, 1.8, 1.8, 2.0, 2.4, 2.8, 3.0, 2.8, 2.2, 1.3)
# Opening hours of shops and the use of cash machines.
_SHOPPING: tuple[float, ...] = (0.02, 0.01, 0.0, 0.0, 0.0, 0.02, 0.1, 0.4, 1.2, 1.8, 2.2, 2.6,
                                3.0, 2.6, 2.2, 2.2, 2.6, 3.0, 3.2, 2.6, 1.6, 0.8, 0.3, 0.1)

SHOPPING_CUMULATIVE: tuple[float, ...] = tuple(accumulate(_SHOPPING))


@lru_cache(maxsize=64)
def cumulative_hour_weights(routine: Routine, shift: int, weekend: bool) -> tuple[float, ...]:
    """Cumulative weights for ``random.choices``, the routine moved ``shift`` hours later."""
    base = _WEEKEND_DAY if weekend and routine is Routine.DAY else _WEEKDAY[routine]
    shifted = [base[(hour - shift) % 24] for hour in HOURS]
    return tuple(accumulate(shifted))


def sample_hours(rng: random.Random, cumulative: tuple[float, ...], count: int) -> list[float]:
    """``count`` fractional hours of the day (e.g. 19.42), distributed like the weights."""
    total = cumulative[-1]
    return [bisect(cumulative, rng.random() * total) + rng.random() for _ in range(count)]


def weighted_index(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    """An index drawn with the probabilities the cumulative weights describe."""
    return bisect(cumulative, rng.random() * cumulative[-1])
