"""The honest population: who each account holder is, where they live and what they own.

Each account is built from its own seeded stream, so account 123 is the same person whatever
the population size. Two accounts can form a household (same home, same network, one shared
tablet or laptop); a household's shared traits come from a stream seeded by the household.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from typing import TYPE_CHECKING

from detectors.events import CreditFeature
from detectors.simulation.devices import Device, make_laptop, make_phone, make_tablet
from detectors.simulation.hours import Routine
from detectors.simulation.model import HONEST, HONEST_SCENARIO, Label
from detectors.simulation.money import COUNTRY_CURRENCY
from detectors.simulation.seeding import (
    ACCOUNT_SALT,
    EMPLOYER_SALT,
    HOUSEHOLD_SALT,
    PAIRING_SALT,
    derived_rng,
    log_uniform,
    mix64,
)
from detectors.simulation.world import (
    CITIES,
    COMMUTE_PARTNERS,
    MOBILE_ASNS,
    RELAY_ASNS,
    RESIDENTIAL_ASNS,
    Network,
    NetworkKind,
    make_network,
)

if TYPE_CHECKING:
    from detectors.simulation.hooks import Behaviour

MERCHANTS_PER_COUNTRY = 6000
NO_DAY = 1 << 30  # "never" for day-valued fields
FEATURE_ORDER: tuple[CreditFeature, ...] = (
    CreditFeature.PAYMENT, CreditFeature.TRANSFER_OUT, CreditFeature.CREDIT_LINE,
    CreditFeature.INSTALLMENT_LOAN, CreditFeature.CASH_WITHDRAWAL,
)
_BASE_FEATURE_SHARES = (0.74, 0.15, 0.05, 0.03, 0.03)
_HOME_CUMULATIVE = tuple(accumulate(city.home_weight for city in CITIES))
_CITY_INDICES = tuple(range(len(CITIES)))


class Persona(StrEnum):
    OFFICE = "office"
    COMMUTER = "commuter"
    REMOTE = "remote"
    TRAVELLER = "traveller"
    NIGHT_SHIFT = "night_shift"
    STUDENT = "student"
    RETIREE = "retiree"
    DORMANT = "dormant"


@dataclass(frozen=True, slots=True)
class PersonaTraits:
    share: float
    routine: Routine
    work_start_hour: float | None  # None: no workplace
    logins_per_active_day: float
    active_day_share: float
    transactions_per_week: float
    trip_rate: float  # chance per day at home of setting off on a trip
    amount_scale: float
    laptop_share: float


TRAITS: dict[Persona, PersonaTraits] = {
    Persona.OFFICE: PersonaTraits(0.30, Routine.DAY, 8.5, 2.0, 0.85, 4.0, 0.004, 1.0, 0.65),
    Persona.COMMUTER: PersonaTraits(0.14, Routine.DAY, 8.0, 2.2, 0.85, 4.0, 0.004, 1.1, 0.6),
    Persona.REMOTE: PersonaTraits(0.12, Routine.DAY, None, 2.6, 0.88, 4.0, 0.004, 1.0, 0.85),
    Persona.TRAVELLER: PersonaTraits(0.08, Routine.DAY, 8.5, 3.0, 0.9, 5.0, 0.07, 1.4, 0.8),
    Persona.NIGHT_SHIFT: PersonaTraits(0.07, Routine.NIGHT, 22.0, 1.8, 0.8, 3.0, 0.003, 0.9, 0.4),
    Persona.STUDENT: PersonaTraits(0.10, Routine.LATE, None, 2.5, 0.8, 3.0, 0.006, 0.5, 0.75),
    Persona.RETIREE: PersonaTraits(0.12, Routine.EARLY, None, 1.0, 0.6, 2.5, 0.006, 1.0, 0.45),
    Persona.DORMANT: PersonaTraits(0.07, Routine.DAY, None, 1.0, 0.04, 1.5, 0.0, 1.0, 0.4),
}
_PERSONAS = tuple(TRAITS)
_PERSONA_CUMULATIVE = tuple(accumulate(TRAITS[p].share for p in _PERSONAS))


@dataclass(slots=True)
class Trip:
    destination: int
    depart: float
    arrive: float
    return_depart: float
    return_arrive: float
    hotel: Network
    local_mobile: Network
    layovers: tuple[tuple[float, float, int], ...] = ()  # (from, until, city) between flights


@dataclass(slots=True)
class Account:
    """One account holder: fixed traits plus the little state their routine carries."""

    index: int
    account_id: str
    persona: Persona
    routine: Routine
    hour_shift: int
    household: int
    home_city: int
    home_net: Network
    home_mobile: Network
    mobile_asn: int
    mobile_key: int
    work_city: int  # -1: no workplace
    work_start_hour: float
    work_net: Network | None
    relay_net: Network | None  # a privacy relay the laptop's browser goes through
    devices: list[Device]  # devices[0] is the phone
    login_rate: float  # sign-ins per active day
    active_share: float  # share of days with any sign-in
    tx_rate: float  # transactions per day
    median_eur: float
    amount_sigma: float
    transfer_factor: float
    feature_cumulative: tuple[float, ...]  # over FEATURE_ORDER
    merchants: list[int]
    persons: list[int]
    currency: str
    typo_rate: float
    trip_rate: float
    salary_sensitive: bool
    created_day: int
    dormant_from: int
    new_phone_day: int
    label: Label = HONEST  # the label of the holder's own events (their persona in it)
    behaviour: Behaviour | None = None  # a stress persona's hooks (hooks.py); None: default
    trip: Trip | None = None
    clock: float = 0.0  # time of the latest honest event
    last_login_at: float = -1.0
    last_login_city: int = -1
    last_latitude: float = 0.0
    last_longitude: float = 0.0
    last_active_day: int = -1

    @property
    def country(self) -> str:
        return CITIES[self.home_city].country

    @property
    def phone(self) -> Device:
        return self.devices[0]

    def mobile_in(self, city: int) -> Network:
        """The account's own mobile carrier (home country) as geolocated in ``city``."""
        if city == self.home_city:
            return self.home_mobile
        return make_network(self.mobile_asn, NetworkKind.MOBILE, city, self.mobile_key, 1.5)


def account_id(index: int) -> str:
    return f"acct-{index:06d}"


def _household(seed: int, index: int, accounts: int) -> int:
    """Pairs (2k, 2k+1) share a household for about 7% of k; everybody else lives alone."""
    pair = index // 2
    if 2 * pair + 1 < accounts and mix64(seed, PAIRING_SALT, pair) % 100 < 7:
        return pair
    return accounts + index


def _work(rng: random.Random, seed: int, persona: Persona, home_city: int,
          traits: PersonaTraits) -> tuple[int, Network | None]:
    if traits.work_start_hour is None:
        return -1, None
    work_city = home_city
    if persona is Persona.COMMUTER:
        work_city = rng.choice(COMMUTE_PARTNERS[home_city])
    employer = mix64(seed, EMPLOYER_SALT, work_city, rng.randrange(400))
    carriers = RESIDENTIAL_ASNS[CITIES[work_city].country]
    asn = carriers[employer % len(carriers)]
    return work_city, make_network(asn, NetworkKind.OFFICE, work_city, employer, 8.0, fixed=True)


def _pick_persona(rng: random.Random, home_city: int) -> Persona:
    persona = rng.choices(_PERSONAS, cum_weights=_PERSONA_CUMULATIVE)[0]
    if persona is Persona.COMMUTER and home_city not in COMMUTE_PARTNERS:
        return Persona.OFFICE
    return persona


def _feature_shares(rng: random.Random, persona: Persona) -> tuple[float, ...]:
    shares = [share * rng.lognormvariate(0.0, 0.6) for share in _BASE_FEATURE_SHARES]
    if persona is Persona.RETIREE:
        shares[-1] *= 3.0
    return tuple(accumulate(shares))


def build_account(seed: int, index: int, accounts: int, days: int,
                  persona: Persona | None = None) -> Account:
    """Account ``index`` of a population of ``accounts`` simulated over ``days`` days; its
    persona drawn like everybody's unless ``persona`` is given."""
    household = _household(seed, index, accounts)
    shared = derived_rng(seed, HOUSEHOLD_SALT, household)
    home_city = shared.choices(_CITY_INDICES, cum_weights=_HOME_CUMULATIVE)[0]
    country = CITIES[home_city].country
    home_key = mix64(seed, HOUSEHOLD_SALT, household)
    home_net = make_network(shared.choice(RESIDENTIAL_ASNS[country]), NetworkKind.RESIDENTIAL,
                            home_city, home_key, 5.0, fixed=True)
    household_device = make_tablet(shared) if shared.random() < 0.5 else make_laptop(shared)

    rng = derived_rng(seed, ACCOUNT_SALT, index)
    persona = _pick_persona(rng, home_city) if persona is None else persona
    traits = TRAITS[persona]
    work_city, work_net = _work(rng, seed, persona, home_city, traits)
    mobile_asn = rng.choice(MOBILE_ASNS[country])
    mobile_key = mix64(seed, ACCOUNT_SALT, index, 1)
    devices = [make_phone(rng, conservative=persona is Persona.RETIREE)]
    if rng.random() < traits.laptop_share:
        devices.append(make_laptop(rng))
    if rng.random() < 0.12:
        devices.append(make_tablet(rng))
    if household < accounts:
        devices.append(household_device)
    relay_net = None
    if len(devices) > 1 and rng.random() < 0.1:
        relay_net = make_network(rng.choice(RELAY_ASNS), NetworkKind.RELAY, home_city,
                                 mix64(seed, ACCOUNT_SALT, index, 2), 3.0)
    created_day = rng.randint(2, days - 3) if days >= 6 and rng.random() < 0.06 else 0
    new_phone_day = NO_DAY
    if rng.random() < 0.05 and created_day + 3 <= days - 1:
        new_phone_day = rng.randint(created_day + 3, days - 1)
    return Account(
        index=index,
        account_id=account_id(index),
        persona=persona,
        routine=traits.routine,
        hour_shift=rng.choice((-1, 0, 0, 0, 1)),
        household=household,
        home_city=home_city,
        home_net=home_net,
        home_mobile=make_network(mobile_asn, NetworkKind.MOBILE, home_city, mobile_key, 1.5),
        mobile_asn=mobile_asn,
        mobile_key=mobile_key,
        work_city=work_city,
        work_start_hour=(traits.work_start_hour or 0.0) + rng.uniform(-0.75, 1.0),
        work_net=work_net,
        relay_net=relay_net,
        devices=devices,
        login_rate=min(6.0, max(0.3, traits.logins_per_active_day * rng.lognormvariate(0, 0.45))),
        active_share=min(0.98, traits.active_day_share * rng.uniform(0.8, 1.15)),
        tx_rate=traits.transactions_per_week * rng.lognormvariate(0.0, 0.5) / 7.0,
        median_eur=log_uniform(rng, 10.0, 200.0) * traits.amount_scale,
        amount_sigma=rng.uniform(0.45, 1.0),
        transfer_factor=rng.uniform(1.5, 5.0),
        feature_cumulative=_feature_shares(rng, persona),
        merchants=[int(MERCHANTS_PER_COUNTRY * rng.random() ** 2.5)
                   for _ in range(rng.randint(2, 9))],
        persons=[rng.getrandbits(40) for _ in range(rng.randint(1, 3))],
        currency=COUNTRY_CURRENCY[country],
        typo_rate=rng.uniform(0.005, 0.05) * (2.0 if persona is Persona.RETIREE else 1.0),
        trip_rate=traits.trip_rate,
        salary_sensitive=rng.random() < 0.7,
        created_day=created_day,
        dormant_from=NO_DAY,
        new_phone_day=new_phone_day,
        label=Label(False, HONEST_SCENARIO, persona=str(persona)),
    )
