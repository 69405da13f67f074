"""Attackers' resources: the networks they come from, their devices and their mule accounts."""

from __future__ import annotations

import random

from detectors.geo import haversine_km
from detectors.simulation.devices import (
    BROWSER_AGENTS,
    Device,
    DeviceKind,
    new_device_id,
)
from detectors.simulation.spending import person_payee
from detectors.simulation.world import (
    CITIES,
    CITIES_BY_COUNTRY,
    HOSTING_PROVIDERS,
    MOBILE_ASNS,
    RESIDENTIAL_ASNS,
    Network,
    NetworkKind,
    make_network,
)

# Where money mules hold accounts when they are not in the victim's own country.
_MULE_COUNTRIES: tuple[str, ...] = ("LT", "LV", "RO", "BG", "NL", "DE", "ES", "GB", "PL", "PT")
_HOSTING_SITES: tuple[tuple[int, int], ...] = tuple(
    (provider.asn, city) for provider in HOSTING_PROVIDERS for city in provider.cities)


def _far_enough(city: int, origin: tuple[float, float] | None, min_km: float) -> bool:
    if origin is None:
        return True
    here = CITIES[city]
    return haversine_km(origin[0], origin[1], here.latitude, here.longitude) >= min_km


def hosting_network(rng: random.Random, exclude_country: str = "",
                    origin: tuple[float, float] | None = None, min_km: float = 0.0) -> Network:
    """A fresh /24 in a data centre outside ``exclude_country``, ``min_km`` from ``origin``."""
    sites = [(asn, city) for asn, city in _HOSTING_SITES
             if CITIES[city].country != exclude_country and _far_enough(city, origin, min_km)]
    asn, city = rng.choice(sites or list(_HOSTING_SITES))
    return make_network(asn, NetworkKind.HOSTING, city, rng.getrandbits(48), 10.0)


def residential_network(rng: random.Random, country: str, city: int | None = None) -> Network:
    """A fresh household /24 of a broadband operator in ``country`` (a residential proxy)."""
    where = rng.choice(CITIES_BY_COUNTRY[country]) if city is None else city
    asn = rng.choice(RESIDENTIAL_ASNS[country])
    return make_network(asn, NetworkKind.RESIDENTIAL, where, rng.getrandbits(48), 8.0, fixed=True)


def mobile_network(rng: random.Random, country: str, city: int, asn: int = 0) -> Network:
    carrier = asn or rng.choice(MOBILE_ASNS[country])
    return make_network(carrier, NetworkKind.MOBILE, city, rng.getrandbits(48), 1.5)


def foreign_city(rng: random.Random, exclude_country: str,
                 origin: tuple[float, float] | None = None, min_km: float = 0.0) -> int | None:
    """A city outside ``exclude_country`` at least ``min_km`` from ``origin``, if any."""
    cities = [i for i, city in enumerate(CITIES)
              if city.country != exclude_country and _far_enough(i, origin, min_km)]
    return rng.choice(cities) if cities else None


def foreign_network(rng: random.Random, exclude_country: str,
                    origin: tuple[float, float] | None = None, min_km: float = 0.0) -> Network:
    """A data centre or a residential proxy abroad, half and half."""
    if rng.random() < 0.5:
        return hosting_network(rng, exclude_country, origin, min_km)
    city = foreign_city(rng, exclude_country, origin, min_km)
    if city is None:
        return hosting_network(rng, exclude_country, origin, min_km)
    return residential_network(rng, CITIES[city].country, city)


def attacker_device(rng: random.Random, kind: DeviceKind = DeviceKind.LAPTOP,
                    user_agent: str = "", auth_method: str = "password") -> Device:
    """A device the account has never seen: a fresh id, and a browser-like agent by default."""
    agent = user_agent or rng.choice(BROWSER_AGENTS)
    return Device(new_device_id(rng), kind, agent, auth_method)


def mule_payee(rng: random.Random, home_country: str) -> str:
    """A money mule's account: usually domestic, to look like an ordinary transfer."""
    country = home_country if rng.random() < 0.6 else rng.choice(_MULE_COUNTRIES)
    return person_payee(country, rng.getrandbits(40))
