"""Which accounts are attacked, by which scenario, and when.

``attack_rate`` of the accounts (those open from the first day) suffer exactly one attack;
the scenarios are dealt round-robin so each gets its share. Stuffing and spraying run as
campaigns - one attack instance spanning many accounts from shared attacker infrastructure -
and may strike on any day; the other scenarios start after the owner has some history.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from detectors.simulation.attackers import hosting_network, residential_network
from detectors.simulation.calendar_days import DAY, HOUR, SimCalendar
from detectors.simulation.devices import BROWSER_AGENTS, SCRIPTED_AGENTS
from detectors.simulation.model import CAMPAIGN_SCENARIOS, Label, SimulationConfig
from detectors.simulation.population import Account
from detectors.simulation.seeding import PLAN_SALT, derived_rng
from detectors.simulation.world import CITIES, Network

HISTORY_DAYS = 7  # owners have this much history before a targeted attack
DORMANCY_DAYS = 14
# Days a scenario's events may run past its first day.
_TAIL_DAYS: dict[str, int] = {"low_and_slow": 3}
_CAMPAIGN_SIZE: dict[str, int] = {"credential_stuffing": 80, "password_spraying": 250}


@dataclass(frozen=True, slots=True)
class Campaign:
    networks: tuple[Network, ...]
    user_agents: tuple[str, ...]


@dataclass(slots=True)
class AttackPlan:
    scenario: str
    label: Label
    day: int  # the first simulation day on which to try; postponed while it cannot happen
    first_at: float = 0.0  # campaigns: when this account's first attempt is made
    campaign: Campaign | None = None
    done: bool = False


def _campaign(rng: random.Random, scenario: str) -> Campaign:
    if scenario == "credential_stuffing":
        networks = tuple(hosting_network(rng) for _ in range(rng.randint(2, 4)))
        agents = (rng.choice(SCRIPTED_AGENTS), rng.choice(BROWSER_AGENTS))
        return Campaign(networks, agents)
    networks = tuple(
        hosting_network(rng) if rng.random() < 0.4
        else residential_network(rng, rng.choice(CITIES).country)
        for _ in range(rng.randint(8, 20)))
    return Campaign(networks, tuple(rng.sample(BROWSER_AGENTS, 2)))


class _Planner:
    def __init__(self, config: SimulationConfig, accounts: list[Account],
                 calendar: SimCalendar) -> None:
        self.config = config
        self.accounts = accounts
        self.calendar = calendar
        self.rng = derived_rng(config.seed, PLAN_SALT)
        self.plans: dict[int, AttackPlan] = {}
        self._instances = 0

    def label(self, scenario: str) -> Label:
        self._instances += 1
        return Label(True, scenario, f"atk-{self.config.seed}-{self._instances:05d}")

    def victim_label(self, label: Label, index: int) -> Label:
        """The attack's label on one victim's events: with the victim's persona."""
        return replace(label, persona=self.accounts[index].label.persona)

    def campaigns(self, scenario: str, targets: list[int]) -> None:
        rng, config = self.rng, self.config
        count = math.ceil(len(targets) / _CAMPAIGN_SIZE[scenario])
        for number in range(count):
            campaign = _campaign(rng, scenario)
            label = self.label(scenario)
            if scenario == "credential_stuffing":
                span = rng.uniform(1.0, 6.0) * HOUR
            else:
                span = rng.uniform(1.0, 4.0) * DAY
            span = min(span, config.days * DAY * 0.9)
            start = config.start + rng.uniform(0.0, config.days * DAY - span)
            for index in targets[number::count]:
                at = start + rng.uniform(0.0, span)
                day = min(self.calendar.day_of(at), self.calendar.steps - 1)
                self.plans[index] = AttackPlan(scenario, self.victim_label(label, index), day,
                                               at, campaign)

    def targeted(self, scenario: str, targets: list[int]) -> None:
        days = self.config.days
        earliest = min(HISTORY_DAYS, days // 3)
        latest = max(earliest, days - 1 - _TAIL_DAYS.get(scenario, 0))
        for index in targets:
            day = self.rng.randint(earliest, latest)
            if scenario == "dormant_revival":
                day = self._go_dormant(self.accounts[index])
            self.plans[index] = AttackPlan(scenario,
                                           self.victim_label(self.label(scenario), index), day)

    def _go_dormant(self, owner: Account) -> int:
        """Silence the owner from some day on; the revival comes weeks later."""
        days, rng = self.config.days, self.rng
        low = min(3, max(1, days - 2))
        owner.dormant_from = rng.randint(low, max(low, days - DORMANCY_DAYS - 2))
        return min(days - 1, rng.randint(owner.dormant_from + DORMANCY_DAYS,
                                         max(owner.dormant_from + DORMANCY_DAYS, days - 1)))


def plan_attacks(config: SimulationConfig, accounts: list[Account],
                 calendar: SimCalendar) -> dict[int, AttackPlan]:
    """The attack plan of every attacked account, by account index."""
    planner = _Planner(config, accounts, calendar)
    rng = planner.rng
    scenarios = list(dict.fromkeys(config.scenarios))
    eligible = [account.index for account in accounts if account.created_day == 0]
    count = min(len(eligible), round(config.attack_rate * config.accounts))
    if not scenarios or count == 0:
        return {}
    targets = rng.sample(eligible, count)
    rng.shuffle(scenarios)
    dealt: dict[str, list[int]] = {scenario: targets[i::len(scenarios)]
                                   for i, scenario in enumerate(scenarios)}
    for scenario in scenarios:
        if not dealt[scenario]:
            continue
        if scenario in CAMPAIGN_SCENARIOS:
            planner.campaigns(scenario, dealt[scenario])
        else:
            planner.targeted(scenario, dealt[scenario])
    return planner.plans
