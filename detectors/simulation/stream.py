"""The simulation loop, the time-ordered merge of all accounts, and JSONL files of its output.

Accounts advance together one simulated day at a time. Every event of day ``d`` lies on or
after the earliest local midnight of that day anywhere in the world, so once day ``d`` is
generated, everything before the earliest local midnight of day ``d + 1`` is final and is
released from a heap in time order. Memory holds the accounts' small state plus about one
day of events, whatever the length of the simulation.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import fields
from enum import IntEnum
from pathlib import Path
from typing import Any

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
from detectors.simulation.factory import EventFactory, Stamped
from detectors.simulation.honest import HonestDay
from detectors.simulation.model import Label, LabelledEvent, SimulationConfig
from detectors.simulation.population import Account, build_account
from detectors.simulation.seeding import ATTACK_SALT, TRAFFIC_SALT, mix64
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


def simulate(config: SimulationConfig) -> Iterator[LabelledEvent]:
    """All events of the simulation, labelled, in time order (ties in creation order)."""
    calendar = SimCalendar(config.start, config.days)
    accounts = [build_account(config.seed, index, config.accounts, config.days)
                for index in range(config.accounts)]
    plans = plan_attacks(config, accounts, calendar)
    factory = EventFactory(config.seed)
    traffic_rng = random.Random(mix64(config.seed, TRAFFIC_SALT))
    attack_rng = random.Random(mix64(config.seed, ATTACK_SALT))
    end = config.start + config.days * DAY
    pending: list[Stamped] = []
    for day in range(config.days):
        today = calendar.today(day)
        for account in accounts:
            owner = _owner_day(account, today, traffic_rng, factory)
            batch = owner[0]
            plan = plans.get(account.index)
            if plan is not None and not plan.done and plan.day <= day:
                batch = batch + _attack(plan, account, today, owner, attack_rng, factory)
            for stamped in batch:
                heapq.heappush(pending, stamped)
        settled = calendar.midnight(day + 1) - MAX_UTC_OFFSET_SECONDS
        while pending and pending[0][0] < settled:
            at, _, labelled = heapq.heappop(pending)
            if config.start <= at < end:
                yield labelled
    while pending:
        at, _, labelled = heapq.heappop(pending)
        if config.start <= at < end:
            yield labelled


_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (LoginEvent, TransactionEvent, AccountChangeEvent)
}


def _event_fields(event: Event) -> dict[str, Any]:
    """The same dict as :func:`detectors.events.event_to_dict`, without its deep copy."""
    data: dict[str, Any] = {"kind": str(event.kind)}
    for name in _FIELD_NAMES[type(event)]:
        value = getattr(event, name)
        data[name] = value.name if isinstance(value, IntEnum) else value
    return data


def labelled_to_dict(item: LabelledEvent) -> dict[str, Any]:
    """One JSONL record: the event as the service sees it, and its label beside it."""
    label = item.label
    return {
        "event": _event_fields(item.event),
        "label": {"is_attack": label.is_attack, "scenario": label.scenario,
                  "attack_id": label.attack_id},
    }


def labelled_from_dict(data: dict[str, Any]) -> LabelledEvent:
    label = data["label"]
    return LabelledEvent(
        event_from_dict(data["event"]),
        Label(bool(label["is_attack"]), str(label["scenario"]), str(label.get("attack_id", ""))),
    )


def write_jsonl(events: Iterable[LabelledEvent], path: Path) -> int:
    """Write one JSON object per line; returns the number of events written."""
    count = 0
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with Path(path).open("w", encoding="utf-8") as sink:
        for item in events:
            sink.write(encode(labelled_to_dict(item)))
            sink.write("\n")
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[LabelledEvent]:
    """The events of a file written by :func:`write_jsonl`, lazily, in file order."""
    with Path(path).open(encoding="utf-8") as source:
        for line in source:
            if line.strip():
                yield labelled_from_dict(json.loads(line))
