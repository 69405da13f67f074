"""Stress personas that sign in unusually: a bookkeeper elsewhere, new and shared devices, many
networks, VPN and satellite links, typos (described in :mod:`detectors.simulation.stress`)."""

from __future__ import annotations

import random

from detectors.events import CreditFeature
from detectors.simulation.calendar_days import HOUR
from detectors.simulation.devices import Device, DeviceKind, make_laptop, make_phone, make_tablet
from detectors.simulation.honest import HonestDay, Intent, Payment, Purpose
from detectors.simulation.hooks import Behaviour
from detectors.simulation.model import SimulationConfig
from detectors.simulation.population import NO_DAY, Account
from detectors.simulation.schedule import Stay, StayKind
from detectors.simulation.seeding import STRESS_SALT, mix64
from detectors.simulation.spending import person_payee
from detectors.simulation.stress_common import AT_HOME, own_device, session, time_in, to_minor
from detectors.simulation.world import (
    CITIES,
    CITIES_BY_COUNTRY,
    CITY_INDEX,
    HOSTING_PROVIDERS,
    MOBILE_ASNS,
    RELAY_ASNS,
    RESIDENTIAL_ASNS,
    Network,
    NetworkKind,
    city_distance_km,
    make_network,
)

WEEKDAYS_PER_MONTH = 21.7
SATELLITE_ASN = 14593  # Starlink
# Where a satellite provider's ground stations hand traffic to the internet.
GROUND_STATIONS: tuple[int, ...] = tuple(CITY_INDEX[name] for name in (
    "London", "Frankfurt", "Madrid", "Milan", "Warsaw", "Paris", "New York", "Chicago",
    "Los Angeles", "Tokyo", "Sydney", "Sao Paulo", "Lagos", "Toronto"))
_MAX_SUPPLIERS = 40
_MAX_SPOTS = 40
_EVERYDAY = frozenset({Purpose.SIGN_IN, Purpose.CHANGE_SETTING, Purpose.FORGOT_PASSWORD})


def _key(config: SimulationConfig, account: Account, part: int) -> int:
    return mix64(config.seed, STRESS_SALT, account.index, part)


class Bookkeeper(Behaviour):
    """A small business's bookkeeper signs in from their own office (another city of the same
    country, or another network of the same city) on their own laptop, a few weekdays a month,
    and pays 2-6 suppliers; now and then a supplier is new."""

    def __init__(self, rate: float, office: Network, laptop: Device,
                 suppliers: list[int]) -> None:
        self.rate = rate
        self.office = office
        self.laptop = laptop
        self.suppliers = suppliers

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account = day.rng, day.account
        if day.today.weekend or rng.random() >= self.rate:
            return
        at = day.schedule.start + rng.uniform(9.0, 17.0) * HOUR
        if at <= day.opened_at:
            return
        payments = []
        for _ in range(rng.randint(2, 6)):
            if self.suppliers and rng.random() < 0.7:
                number = rng.choice(self.suppliers)
            else:
                number = rng.getrandbits(40)
                if len(self.suppliers) < _MAX_SUPPLIERS:
                    self.suppliers.append(number)
            eur = account.median_eur * account.transfer_factor * rng.lognormvariate(0.0, 0.7)
            payments.append(Payment(CreditFeature.TRANSFER_OUT, "web", amount_minor=to_minor(
                account, eur), payee=person_payee(account.country, number)))
        intents.append(session(at, payments, place=(self.office, self.laptop), gap=240.0))


def bookkeeper(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    country = account.country
    others = [c for c in CITIES_BY_COUNTRY[country] if c != account.home_city]
    city = rng.choice(others) if others else account.home_city
    office = make_network(rng.choice(RESIDENTIAL_ASNS[country]), NetworkKind.OFFICE, city,
                          _key(config, account, 1), 8.0, fixed=True)
    suppliers = [rng.getrandbits(40) for _ in range(rng.randint(3, 8))]
    rate = config.stress.bookkeeper_sessions_per_month / WEEKDAYS_PER_MONTH
    return Bookkeeper(rate, office, make_laptop(rng), suppliers)


class DeviceChanger(Behaviour):
    """Replaces their phone on the planned days (the old one goes to a family member, who
    keeps using it on the account), and a share of sign-ins at home are a family member's, on
    the family's phone or tablet, over the home broadband or the family member's carrier."""

    def __init__(self, change_days: list[int], phone: Device, family: list[Device],
                 family_mobile: Network, share: float) -> None:
        self.change_days = change_days
        self.phone = phone
        self.family = family
        self.family_mobile = family_mobile
        self.share = share

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        account = day.account
        if account.phone is not self.phone:  # replaced: handed down in the family
            self.family.append(self.phone)
            self.phone = account.phone
            if self.change_days:
                self.change_days.pop(0)
        if self.change_days and day.today.index >= self.change_days[0]:
            at = time_in(day, AT_HOME, 17.0, 22.5)
            if at is not None:
                intents.append(Intent(at, Purpose.NEW_PHONE))

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        rng, account = day.rng, day.account
        if (intent.purpose is not Purpose.SIGN_IN or stay.kind is not StayKind.HOME
                or rng.random() >= self.share):
            return None
        device = rng.choice(self.family)
        if device.kind is DeviceKind.PHONE and rng.random() < 0.4:
            return self.family_mobile, device
        return account.home_net, device


def device_changer(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    account.new_phone_day = NO_DAY  # the behaviour plans the new phones
    first, last = account.created_day + 2, config.days - 1
    changes = config.stress.phone_changes if last > first else 0
    span = (last - first) / max(changes, 1)
    days = [first + int((k + rng.uniform(0.15, 0.85)) * span) for k in range(changes)]
    family = [make_phone(rng), make_tablet(rng)] if rng.random() < 0.5 else [make_phone(rng)]
    carriers = MOBILE_ASNS[account.country]
    family_mobile = make_network(rng.choice(carriers), NetworkKind.MOBILE, account.home_city,
                                 _key(config, account, 2), 1.5)
    return DeviceChanger(days, account.phone, family, family_mobile,
                         config.stress.family_share)


class NetworkHopper(Behaviour):
    """In their home city, a share of sessions away from the home broadband: one of several
    mobile carriers (prepaid and dual SIMs), a café's, a friend's or the library's Wi-Fi, now
    and then a place never used before."""

    def __init__(self, share: float, spots: list[Network], carriers: list[Network]) -> None:
        self.share = share
        self.spots = spots
        self.carriers = carriers

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        rng, account = day.rng, day.account
        if (stay.kind not in (StayKind.HOME, StayKind.WORK) or intent.purpose not in _EVERYDAY
                or stay.city != account.home_city or rng.random() >= self.share):
            return None
        draw = rng.random()
        if draw < 0.4:
            network = rng.choice(self.carriers)
        elif draw < 0.9 or len(self.spots) >= _MAX_SPOTS:
            network = rng.choice(self.spots)
        else:
            network = _spot(rng, account)
            self.spots.append(network)
        return network, own_device(rng, account, intent.web)


def _spot(rng: random.Random, account: Account) -> Network:
    """A café's, a friend's or a library's Wi-Fi in the home city."""
    kind = NetworkKind.OFFICE if rng.random() < 0.2 else NetworkKind.RESIDENTIAL
    return make_network(rng.choice(RESIDENTIAL_ASNS[account.country]), kind, account.home_city,
                        rng.getrandbits(48), 8.0, fixed=True)


def network_hopper(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    carriers = [make_network(asn, NetworkKind.MOBILE, account.home_city,
                             _key(config, account, 10 + n), 1.5)
                for n, asn in enumerate(MOBILE_ASNS[account.country])]
    spots = [_spot(rng, account) for _ in range(rng.randint(4, 8))]
    return NetworkHopper(config.stress.hop_share, spots, carriers)


def _exit(rng: random.Random, city: int) -> Network:
    """A VPN server in ``city``: a data centre's, or a privacy relay's edge."""
    sites = [p.asn for p in HOSTING_PROVIDERS if city in p.cities] or list(RELAY_ASNS)
    return make_network(rng.choice(sites), NetworkKind.HOSTING, city, rng.getrandbits(48), 10.0)


class VpnUser(Behaviour):
    """Most sessions at home or work go through a VPN: an exit in the home country, or for a
    share of them one in another country."""

    def __init__(self, home_exits: list[Network], foreign_exits: list[Network],
                 foreign_share: float) -> None:
        self.home_exits = home_exits
        self.foreign_exits = foreign_exits
        self.foreign_share = foreign_share

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        rng, account = day.rng, day.account
        if (stay.kind not in (StayKind.HOME, StayKind.WORK) or intent.purpose not in _EVERYDAY
                or rng.random() >= 0.8):
            return None
        exits = self.foreign_exits if rng.random() < self.foreign_share else self.home_exits
        return rng.choice(exits), own_device(rng, account, intent.web)


class SatelliteUser(Behaviour):
    """Home internet by satellite: geolocated at the provider's ground station (another city,
    often another country), a new address each session; a share of sessions land at a ground
    station in another country."""

    def __init__(self, far_station: Network, foreign_share: float) -> None:
        self.far_station = far_station
        self.foreign_share = foreign_share

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        rng, account = day.rng, day.account
        if (stay.kind is not StayKind.HOME or intent.purpose not in _EVERYDAY
                or rng.random() >= self.foreign_share):
            return None
        return self.far_station, own_device(rng, account, intent.web)


def _stations(account: Account) -> tuple[int, int]:
    """The nearest ground station other than the home city, and the nearest abroad."""
    home = account.home_city
    ranked = sorted((s for s in GROUND_STATIONS if s != home),
                    key=lambda s: city_distance_km(home, s))
    abroad = next(s for s in ranked if CITIES[s].country != account.country)
    return ranked[0], abroad


def vpn_satellite(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    share = config.stress.foreign_exit_share
    if rng.random() < 0.6:
        near = sorted(range(len(CITIES)), key=lambda c: city_distance_km(account.home_city, c))
        with_sites = [c for c in near if any(c in p.cities for p in HOSTING_PROVIDERS)]
        foreign = [c for c in with_sites if CITIES[c].country != account.country]
        home_exits = [_exit(rng, c) for c in with_sites[:2]]
        foreign_exits = [_exit(rng, c) for c in rng.sample(foreign, 2)]
        return VpnUser(home_exits, foreign_exits, share)
    station, abroad = _stations(account)
    account.home_net = make_network(SATELLITE_ASN, NetworkKind.SATELLITE, station,
                                    _key(config, account, 3), 20.0)
    account.relay_net = None
    far = make_network(SATELLITE_ASN, NetworkKind.SATELLITE, abroad, _key(config, account, 4),
                       20.0)
    return SatelliteUser(far, share)


class TypoProne(Behaviour):
    """Mistypes the password: a share of sign-ins come after 2-5 failed attempts, and now and
    then they give up and reset it (the forgot-password flow, after failed attempts)."""

    def __init__(self, reset_rate: float) -> None:
        self.reset_rate = reset_rate

    def typos(self, rng: random.Random, failures: int) -> int:
        return rng.randint(2, 5)

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        if active and day.rng.random() < self.reset_rate:
            at = time_in(day, AT_HOME, 9.0, 20.0)
            if at is not None:
                intents.append(Intent(at, Purpose.FORGOT_PASSWORD))


def typo_prone(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    account.typo_rate = config.stress.typo_rate
    return TypoProne(0.04)
