"""The simulation loop, the time-ordered merge of all accounts, and JSONL files of its output.

Accounts advance together one simulated day at a time. Every event of day ``d`` lies on or
after the earliest local midnight of that day anywhere in the world, so once day ``d`` is
generated, everything before the earliest local midnight of day ``d + 1`` is final and is
released in time order; the rest waits for the next day's sort. Memory holds the accounts'
small state plus about one day of events, whatever the length of the simulation.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from enum import IntEnum
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import Any, get_type_hints

from detectors.events import (
    AccountChangeEvent,
    Event,
    LoginEvent,
    TransactionEvent,
    event_from_dict,
)
from detectors.simulation.attack_plans import AttackPlan, plan_attacks
from detectors.simulation.attacks import SCENARIOS, AttackRun
from detectors.simulation.calendar_days import DAY, SimCalendar, Today
from detectors.simulation.collector import collector_paused
from detectors.simulation.factory import EventFactory, Stamped
from detectors.simulation.honest import HonestDay
from detectors.simulation.model import HONEST, Label, LabelledEvent, SimulationConfig
from detectors.simulation.population import Account, build_account
from detectors.simulation.seeding import ATTACK_SALT, TRAFFIC_SALT, mix64
from detectors.simulation.stress import build_stress_account
from detectors.simulation.world import MAX_UTC_OFFSET_SECONDS


def _owner_day(account: Account, today: Today, rng: random.Random,
               factory: EventFactory) -> tuple[list[Stamped], float]:
    """The owner's honest events today, and when their day ends if they stay in one place.

    The end is 0.0 when the owner is inactive or crossing time zones: then their next
    events may start before the end of this day's window.
    """
    if today.index < account.created_day or today.index >= account.dormant_from:
        return [], 0.0
    honest = HonestDay(account, today, rng, factory)
    events = honest.run()
    settled = honest.schedule.trip is None and account.trip is None
    return events, honest.schedule.end if settled else 0.0


def _attack(plan: AttackPlan, account: Account, today: Today,
            owner: tuple[list[Stamped], float], rng: random.Random,
            factory: EventFactory) -> list[Stamped]:
    run = AttackRun(account, plan, today, owner[0], owner[1], rng, factory)
    if SCENARIOS[plan.scenario](run):
        plan.done = True
    else:
        plan.day = today.index + 1
    return run.out


def build_population(config: SimulationConfig) -> list[Account]:
    """The account holders of ``config.population``, by index."""
    if config.population == "stress":
        return [build_stress_account(config, index) for index in range(config.accounts)]
    return [build_account(config.seed, index, config.accounts, config.days)
            for index in range(config.accounts)]


def simulate(config: SimulationConfig) -> Iterator[LabelledEvent]:
    """All events of the simulation, labelled, in time order (ties in creation order)."""
    calendar = SimCalendar(config.start, config.days)
    with collector_paused():
        accounts = build_population(config)
        plans = plan_attacks(config, accounts, calendar)
    factory = EventFactory(config.seed)
    traffic_rng = random.Random(mix64(config.seed, TRAFFIC_SALT))
    attack_rng = random.Random(mix64(config.seed, ATTACK_SALT))
    end = config.start + config.days * DAY
    pending: list[Stamped] = []  # sorted by time; creation order among equal times
    for day in range(calendar.steps):
        with collector_paused():
            today = calendar.today(day)
            for account in accounts:
                owner = _owner_day(account, today, traffic_rng, factory)
                pending.extend(owner[0])
                plan = plans.get(account.index)
                if plan is not None and not plan.done and plan.day <= day:
                    pending.extend(_attack(plan, account, today, owner, attack_rng, factory))
            pending.sort(key=_time_of)  # stable: the sorted backlog, then today's in order
            settled = bisect_left(pending, calendar.midnight(day + 1) - MAX_UTC_OFFSET_SECONDS,
                                  key=_time_of)
            released = pending[:settled]
            del pending[:settled]
        yield from _within(released, config.start, end)
    yield from _within(pending, config.start, end)


def _time_of(stamped: Stamped) -> float:
    return stamped[0]


def _within(stamped: list[Stamped], start: float, end: float) -> Iterator[LabelledEvent]:
    for at, labelled in stamped:
        if start <= at < end:
            yield labelled


@dataclass(frozen=True, slots=True)
class _EventShape:
    kind: str
    names: tuple[str, ...]
    values: Callable[[Event], tuple[Any, ...]]
    enum_names: tuple[str, ...]


def _shape(cls: type[Event]) -> _EventShape:
    names = tuple(f.name for f in fields(cls))
    hints = get_type_hints(cls)
    enums = tuple(name for name in names
                  if isinstance(hints[name], type) and issubclass(hints[name], IntEnum))
    return _EventShape(str(cls.kind), names, attrgetter(*names), enums)


_SHAPES: dict[type, _EventShape] = {
    cls: _shape(cls) for cls in (LoginEvent, TransactionEvent, AccountChangeEvent)}
_LINES_PER_WRITE = 4096
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _event_fields(event: Event) -> dict[str, Any]:
    """The same dict as :func:`detectors.events.event_to_dict`, without its deep copy."""
    shape = _SHAPES[type(event)]
    data: dict[str, Any] = {"kind": shape.kind, **dict(zip(shape.names, shape.values(event),
                                                           strict=True))}
    for name in shape.enum_names:
        data[name] = data[name].name
    return data


def _label_fields(label: Label) -> dict[str, Any]:
    return {"is_attack": label.is_attack, "scenario": label.scenario,
            "attack_id": label.attack_id, "persona": label.persona}


def labelled_to_dict(item: LabelledEvent) -> dict[str, Any]:
    """One JSONL record: the event as the service sees it, and its label beside it."""
    return {"event": _event_fields(item.event), "label": _label_fields(item.label)}


def labelled_from_dict(data: dict[str, Any]) -> LabelledEvent:
    """A record without a label (events logged in production) is presumed honest; reported
    outcomes can correct that (service.evaluation.outcomes). A label without a persona (files
    written before labels had one) has persona ""."""
    label = data.get("label") or {"is_attack": False, "scenario": HONEST.scenario}
    return LabelledEvent(
        event_from_dict(data["event"]),
        Label(bool(label["is_attack"]), str(label["scenario"]), str(label.get("attack_id", "")),
              str(label.get("persona", ""))),
    )


def write_jsonl(events: Iterable[LabelledEvent], path: Path,
                on_progress: Callable[[str, int], None] | None = None) -> int:
    """Write one JSON object per line; returns the number of events written. ``on_progress`` is
    called with ``("write", events written)`` after every few thousand lines."""
    count = 0
    label_tails: dict[Label, str] = {}  # the encoded label ends every line; most are shared
    iterator = iter(events)
    with Path(path).open("w", encoding="utf-8") as sink:
        while True:
            with collector_paused():
                lines = [_jsonl_line(item, label_tails)
                         for item in islice(iterator, _LINES_PER_WRITE)]
            if not lines:
                return count
            sink.write("".join(lines))
            count += len(lines)
            if on_progress is not None:
                on_progress("write", count)


def _jsonl_line(item: LabelledEvent, label_tails: dict[Label, str]) -> str:
    tail = label_tails.get(item.label)
    if tail is None:
        tail = f',"label":{_encode(_label_fields(item.label))}}}\n'
        label_tails[item.label] = tail
    return f'{{"event":{_encode(_event_fields(item.event))}{tail}'


def read_jsonl(path: Path) -> Iterator[LabelledEvent]:
    """The events of a file written by :func:`write_jsonl`, lazily, in file order."""
    with Path(path).open(encoding="utf-8") as source:
        for line in source:
            if line.strip():
                yield labelled_from_dict(json.loads(line))
