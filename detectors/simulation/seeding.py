"""Deterministic seeds and the few random draws the standard library does not offer.

``hash()`` is salted per process for strings, so every derived seed here is built from
integers with a SplitMix64 finaliser: the same inputs give the same seed on every machine.
"""

from __future__ import annotations

import math
import random

_MASK64 = (1 << 64) - 1

# Salts that keep the random streams of different purposes apart.
ACCOUNT_SALT = 0xA11CE
HOUSEHOLD_SALT = 0x40053
PAIRING_SALT = 0x9A125
TRAFFIC_SALT = 0x7EAF1C
ATTACK_SALT = 0xA77AC
PLAN_SALT = 0x91A45
EMPLOYER_SALT = 0xE3910
STRESS_SALT = 0x57E55


def _splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def mix64(*parts: int) -> int:
    """A well-spread 64-bit integer from any sequence of integers (negative ones included)."""
    state = 0x6A09E667F3BCC908
    for part in parts:
        state = _splitmix64(state ^ (part & _MASK64))
    return state


def derived_rng(*parts: int) -> random.Random:
    return random.Random(mix64(*parts))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's product method; a rounded normal for large means)."""
    if mean <= 0.0:
        return 0
    if mean > 30.0:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))
