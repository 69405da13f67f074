"""The simulator's public values: labels, labelled events and the run configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.events import Event
from detectors.simulation.knobs import StressKnobs

HONEST_SCENARIO = "honest"

ALL_SCENARIOS: tuple[str, ...] = (
    "credential_stuffing",
    "password_spraying",
    "account_takeover",
    "impossible_travel",
    "sim_swap",
    "session_theft",
    "card_testing",
    "cash_out",
    "dormant_revival",
    "low_and_slow",
)
# Scenarios run as campaigns: one attack instance (one attack_id) spans many accounts.
CAMPAIGN_SCENARIOS = frozenset({"credential_stuffing", "password_spraying"})


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth for one event; kept apart from the event, which is all a detector sees."""

    is_attack: bool
    scenario: str  # "honest" for normal traffic, else the attack scenario name
    attack_id: str = ""  # groups the events of one attack instance ("" for honest)
    persona: str = ""  # the account holder's persona, on every event of the account


HONEST = Label(is_attack=False, scenario=HONEST_SCENARIO)

# "default": the everyday population (population.Persona); "stress": honest account holders
# the default population underrepresents (stress.py), every account one of its personas.
POPULATIONS: tuple[str, ...] = ("default", "stress")


@dataclass(frozen=True, slots=True)
class LabelledEvent:
    event: Event
    label: Label


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    accounts: int = 2000
    days: int = 28
    seed: int = 7
    start: float = 1767225600.0  # 2026-01-01T00:00:00Z
    attack_rate: float = 0.02  # fraction of accounts that suffer one attack
    scenarios: tuple[str, ...] = ALL_SCENARIOS  # which attack scenarios to draw from
    population: str = "default"  # one of POPULATIONS
    stress: StressKnobs = field(default_factory=StressKnobs)  # the stress personas' knobs

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise ValueError(f"accounts must be at least 1, got {self.accounts}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not 0.0 <= self.attack_rate <= 1.0:
            raise ValueError(f"attack_rate must be within [0, 1], got {self.attack_rate}")
        unknown = sorted(set(self.scenarios) - set(ALL_SCENARIOS))
        if unknown:
            raise ValueError(f"unknown scenarios {unknown}; known: {list(ALL_SCENARIOS)}")
        if self.population not in POPULATIONS:
            raise ValueError(f"unknown population {self.population!r}; known: {list(POPULATIONS)}")
