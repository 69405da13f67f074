"""Reading the numbers a reason sentence states, and checking its counts against its nouns.

A stated number is read as the range its rounding allows ("36 minutes" is 35.5 to 36.5
minutes, "28.56 EUR" 2855.5 to 2856.5 minor units), so a test can check that the true
value, computed from the events, lies within it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MINUTE = 1.0 / 60.0

_TOKEN = re.compile(
    r"\b(?P<clock>\d{2}):00\b"
    r"|(?P<less>less than a minute)"
    r"|(?<!at )\b(?P<word>once|twice)\b"  # "at once" is no count
    r"|(?P<number>\d[\d,]*(?:\.\d+)?)(?:\s+(?P<unit>[A-Za-z/]+))?"
)
_SPAN = {"minute": MINUTE, "minutes": MINUTE, "hour": 1.0, "hours": 1.0, "day": 24.0,
         "days": 24.0}
_NOUN = r"(attempt|transaction|recipient|account|minute|hour|day|change)(s?)\b"
_COUNTED = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?) ((?:(?:failed|sign-in|other|new) ){0,2})"
                      + _NOUN)


@dataclass(frozen=True, slots=True)
class Stated:
    """One number of a sentence: what it measures and the range its rounding allows.
    Kinds: count, times, clock (an hour of the day), money (minor units), hours, km, km/h."""

    kind: str
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low - 1e-9 <= value <= self.high + 1e-9


def _number(token: str, unit: str) -> Stated:
    value = float(token.replace(",", ""))
    decimals = len(token.partition(".")[2])
    half = 0.5 * 10.0**-decimals
    if decimals == 2:
        return Stated("money", (value - half) * 100, (value + half) * 100)
    if unit in _SPAN:
        scale = _SPAN[unit]
        half = 0.05 if scale == 1.0 else 0.5  # hours are shown to a tenth
        return Stated("hours", (value - half) * scale, (value + half) * scale)
    if unit in ("km", "km/h"):
        return Stated(unit, value - 0.5, value + 0.5)
    if unit == "times":
        return Stated("times", value, value)
    return Stated("count", value, value)


def stated(sentence: str) -> list[Stated]:
    """Every number ``sentence`` states, in order."""
    found: list[Stated] = []
    for match in _TOKEN.finditer(sentence):
        if match["clock"]:
            hour = float(match["clock"])
            found.append(Stated("clock", hour, hour))
        elif match["less"]:
            found.append(Stated("hours", 0.0, MINUTE))
        elif match["word"]:
            times = 1.0 if match["word"] == "once" else 2.0
            found.append(Stated("times", times, times))
        else:
            found.append(_number(match["number"], match["unit"] or ""))
    return found


def assert_states(sentence: str, expected: Sequence[tuple[str, float]]) -> None:
    """``sentence`` states exactly these numbers, in this order, each within its rounding."""
    found = stated(sentence)
    assert [s.kind for s in found] == [kind for kind, _ in expected], sentence
    for number, (kind, value) in zip(found, expected, strict=True):
        assert number.holds(value), f"{sentence!r}: the {kind} is {value}, not {number}"
    assert_grammatical(sentence)


def assert_grammatical(sentence: str) -> None:
    """Counts agree with their nouns and verbs: "1 day", "2 days", "There was 1 ..."."""
    for match in _COUNTED.finditer(sentence):
        count, plural = float(match[1].replace(",", "")), match[4] == "s"
        assert plural == (count != 1), f"{sentence!r}: {match[0]!r}"
    for verb, count in re.findall(r"There (was|were) (\d[\d,]*)", sentence):
        assert (verb == "was") == (count == "1"), sentence
    for count in re.findall(r"(\d[\d,]*) times\b", sentence):
        assert count not in ("1", "2"), f"{sentence!r}: once or twice"
    assert not re.search(r"\b1 of them from devices\b", sentence), sentence
