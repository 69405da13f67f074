"""The stress population: honest account holders the default population underrepresents.

``SimulationConfig(population="stress")`` makes every account one of these personas, in equal
shares (account ``i`` is ``STRESS_PERSONAS[i % 11]``); attacks are injected at
``attack_rate`` with the usual scenarios, and every event's label names the persona. Each
persona starts from an ordinary holder of a base persona (their home, household, devices and
routine drawn as in the default population) and adds what it is named for, as strongly as its
knob in :class:`~detectors.simulation.knobs.StressKnobs` says (``config.stress``):

=====================  ==============  ===================================================
persona                knob (default)  behaviour
=====================  ==============  ===================================================
``heavy_spender``      ``splurge_rate`` (0.08)
                                       chance per day of a purchase 5-30x their median (a
                                       TV, a holiday), paid from home on their own
                                       long-known phone or laptop; everyday amounts erratic
                                       (log-normal sigma 1.1-1.5 instead of 0.45-1.0)
``session_payer``      ``bill_sessions_per_month`` (4)
                                       sessions of 3-10 payments 20-90 s apart to their
                                       8-12 billers (utilities, landlord), one at the
                                       start of each month, the rest any day
``new_payee_regular``  ``new_payee_share`` (0.5)
                                       that share of their online payments go to payees
                                       never paid before, plus about as many extra payments
                                       a day to marketplace sellers and friends splitting
                                       a bill
``payday_saver``       ``payday_abroad_share`` (0.3)
                                       on payday (a fixed day of the month, the Friday
                                       before when it falls on a weekend) transfers to
                                       payees paid once a month: rent, savings, often a
                                       broker and a remittance abroad, each 3-30x their
                                       median; that share of savers are abroad then, half
                                       on a business trip, half behind a VPN exit abroad
``seasonal_shopper``   ``spree_pace`` (4)
                                       a sale of 2-5 days: 2 + about that many times their
                                       usual payments a day, 75% at shops never paid
                                       before, amounts 1.5-4x the usual
``bookkeeper``         ``bookkeeper_sessions_per_month`` (4)
                                       a small business: a bookkeeper signs in from their
                                       office (another city of the same country) on their
                                       own laptop on that many weekdays a month, paying 2-6
                                       suppliers (30% new), besides the owner's own use
``frequent_traveller`` ``trips_per_month`` (4)
                                       chance per day at home of leaving (x30); 60% of
                                       trips long-haul, 70% of those through a hub both
                                       ways with a sign-in at the connection airport (its
                                       Wi-Fi or roaming); hotel Wi-Fi
``device_changer``     ``phone_changes`` (2), ``family_share`` (0.3)
                                       that many new phones over the period (the old one
                                       passed to a family member who keeps using it), and
                                       that share of sign-ins at home on a family
                                       member's phone or tablet
``network_hopper``     ``hop_share`` (0.7)
                                       that share of sign-ins in their home city from one of
                                       several mobile carriers or a café's, friend's or
                                       library's Wi-Fi (10% of those a place never used
                                       before)
``vpn_satellite``      ``foreign_exit_share`` (0.3)
                                       60% VPN users (80% of sessions at home or work through
                                       a data-centre or relay exit, that share of them in
                                       another country), 40% on satellite internet (home
                                       sessions geolocated at the provider's ground station
                                       in another city, that share at one abroad)
``typo_prone``         ``typo_rate`` (0.35)
                                       that share of sign-ins come after 2-5 failed
                                       attempts; 4% of active days a forgotten-password
                                       reset after failed attempts (elderly holders)
=====================  ==============  ===================================================

As everywhere in the simulator, an account's consecutive sign-ins never imply travelling
faster than an airliner, except through a VPN exit or a satellite ground station, whose
geolocation is not where the holder is.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from detectors.simulation.hooks import Behaviour
from detectors.simulation.model import HONEST_SCENARIO, Label, SimulationConfig
from detectors.simulation.population import Account, Persona, build_account
from detectors.simulation.seeding import STRESS_SALT, derived_rng
from detectors.simulation.stress_access import (
    bookkeeper,
    device_changer,
    network_hopper,
    typo_prone,
    vpn_satellite,
)
from detectors.simulation.stress_money import (
    heavy_spender,
    new_payee_regular,
    payday_saver,
    seasonal_shopper,
    session_payer,
)
from detectors.simulation.stress_travel import frequent_traveller

Setup = Callable[[Account, random.Random, SimulationConfig], Behaviour]

# persona -> (the base persona whose routine they keep, what makes them a stress persona)
_PERSONAS: dict[str, tuple[Persona, Setup]] = {
    "heavy_spender": (Persona.OFFICE, heavy_spender),
    "session_payer": (Persona.OFFICE, session_payer),
    "new_payee_regular": (Persona.STUDENT, new_payee_regular),
    "payday_saver": (Persona.OFFICE, payday_saver),
    "seasonal_shopper": (Persona.REMOTE, seasonal_shopper),
    "bookkeeper": (Persona.REMOTE, bookkeeper),
    "frequent_traveller": (Persona.TRAVELLER, frequent_traveller),
    "device_changer": (Persona.OFFICE, device_changer),
    "network_hopper": (Persona.STUDENT, network_hopper),
    "vpn_satellite": (Persona.REMOTE, vpn_satellite),
    "typo_prone": (Persona.RETIREE, typo_prone),
}
STRESS_PERSONAS: tuple[str, ...] = tuple(_PERSONAS)


def stress_persona(index: int) -> str:
    """The persona of account ``index`` in the stress population."""
    return STRESS_PERSONAS[index % len(STRESS_PERSONAS)]


def build_stress_account(config: SimulationConfig, index: int) -> Account:
    """Account ``index`` of the stress population of ``config``."""
    name = stress_persona(index)
    base, setup = _PERSONAS[name]
    account = build_account(config.seed, index, config.accounts, config.days, persona=base)
    account.behaviour = setup(account, derived_rng(config.seed, STRESS_SALT, index), config)
    account.label = Label(False, HONEST_SCENARIO, persona=name)
    return account
