"""What the stress personas share: when the holder is where, sessions, devices, payees."""

from __future__ import annotations

import math
import random

from detectors.simulation.calendar_days import HOUR
from detectors.simulation.devices import Device, DeviceKind
from detectors.simulation.honest import HonestDay, Intent, Payment, Purpose
from detectors.simulation.money import eur_to_minor
from detectors.simulation.population import MERCHANTS_PER_COUNTRY, Account
from detectors.simulation.schedule import StayKind
from detectors.simulation.spending import merchant_payee, person_payee
from detectors.simulation.world import Network

AT_HOME = frozenset({StayKind.HOME})
AWAY = frozenset({StayKind.AWAY})
# Shops and marketplace sellers numbered past the usual merchants: nobody's usual payee.
_NEW_MERCHANTS = 90_000
_TRIES = 6


def time_in(day: HonestDay, kinds: frozenset[StayKind], low_hour: float,
            high_hour: float) -> float | None:
    """A moment between local ``low_hour`` and ``high_hour`` today when the holder is in a
    stay of one of ``kinds`` and the account is open; None when none was found."""
    start, rng = day.schedule.start, day.rng
    for _ in range(_TRIES):
        at = start + rng.uniform(low_hour, high_hour) * HOUR
        stay = day.schedule.locate(at)
        if stay is not None and stay.kind in kinds and at > day.opened_at:
            return at
    return None


def session(at: float, payments: list[Payment], place: tuple[Network, Device] | None = None,
            gap: float = 420.0) -> Intent:
    """A sign-in at ``at`` that makes ``payments``, at most ``gap`` seconds apart."""
    web = any(payment.channel == "web" for payment in payments)
    return Intent(at, Purpose.SIGN_IN, web=web, payments=payments, place=place, payment_gap=gap)


def laptop_of(account: Account) -> Device | None:
    return next((d for d in account.devices[1:] if d.kind is DeviceKind.LAPTOP), None)


def own_device(rng: random.Random, account: Account, web: bool) -> Device:
    """One of the holder's own devices: the laptop for the web when there is one, else mostly
    the phone."""
    laptop = laptop_of(account)
    if web and laptop is not None:
        return laptop
    if len(account.devices) == 1 or rng.random() < 0.7:
        return account.phone
    return rng.choice(account.devices[1:])


def channel_of(device: Device) -> str:
    return "web" if device.kind is DeviceKind.LAPTOP else "app"


def to_minor(account: Account, eur: float) -> int:
    return eur_to_minor(max(eur, 0.5), account.currency)


def everyday_eur(rng: random.Random, account: Account) -> float:
    """An amount like the holder's everyday card payments."""
    return account.median_eur * math.exp(account.amount_sigma * rng.gauss(0.0, 1.0))


def new_merchant(rng: random.Random, country: str) -> str:
    """A shop or marketplace seller the holder has never paid."""
    return merchant_payee(country, MERCHANTS_PER_COUNTRY + rng.randrange(_NEW_MERCHANTS))


def new_person(rng: random.Random, country: str) -> str:
    """A person the holder has never paid."""
    return person_payee(country, rng.getrandbits(40))
