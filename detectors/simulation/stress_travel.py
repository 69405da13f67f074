"""Trips of the stress personas: frequent long-haul travel with connecting flights (signing in
at the connection airport), and business trips that put a payday abroad."""

from __future__ import annotations

import random

from detectors.simulation.calendar_days import DAY, HOUR, MINUTE, Today
from detectors.simulation.devices import Device
from detectors.simulation.honest import HonestDay, Intent, Purpose
from detectors.simulation.hooks import Behaviour
from detectors.simulation.model import SimulationConfig
from detectors.simulation.population import Account, Trip
from detectors.simulation.schedule import AIRLINER_KMH, Stay, StayKind, trip_networks
from detectors.simulation.seeding import mix64
from detectors.simulation.world import (
    CITIES,
    CITY_INDEX,
    RESIDENTIAL_ASNS,
    Network,
    NetworkKind,
    city_distance_km,
    make_network,
)

HUBS: tuple[int, ...] = tuple(CITY_INDEX[name] for name in (
    "Frankfurt", "Amsterdam", "London", "Paris", "Istanbul", "Dubai", "New York", "Singapore",
    "Tokyo"))
LONG_HAUL_KM = 3000.0
_AIRPORT_SALT = 0xA1B0
_LAYOVER_HOURS = (1.5, 4.0)


def can_leave(account: Account, today: Today) -> bool:
    """Trips start after the account opened and before the simulation's last day."""
    return account.created_day < today.index < today.days - 1


def _flight_hours(a: int, b: int) -> float:
    return city_distance_km(a, b) / AIRLINER_KMH + 0.5


def _via(start: float, origin: int, hub: int, destination: int, airports: float,
         rng: random.Random, layovers: list[tuple[float, float, int]]) -> float:
    """When a journey leaving at ``start`` arrives, by way of ``hub`` unless it is -1."""
    if hub < 0:
        return start + (_flight_hours(origin, destination) + airports) * HOUR
    landed = start + (_flight_hours(origin, hub) + airports / 2) * HOUR
    onward = landed + rng.uniform(*_LAYOVER_HOURS) * HOUR
    layovers.append((landed, onward, hub))
    return onward + (_flight_hours(hub, destination) + airports / 2) * HOUR


def make_trip(account: Account, today: Today, day_start: float, rng: random.Random,
              destination: int, nights: int, hub: int = -1) -> Trip:
    """A trip leaving today for ``nights`` nights, through ``hub`` both ways unless -1. As in
    the default population's trips, no leg is faster than an airliner."""
    home = account.home_city
    airports = rng.uniform(2.0, 3.5)
    layovers: list[tuple[float, float, int]] = []
    depart = day_start + rng.uniform(6.0, 19.0) * HOUR
    arrive = _via(depart, home, hub, destination, airports, rng, layovers)
    local_day = today.utc_midnight + nights * DAY - CITIES[destination].utc_offset_seconds
    return_depart = max(arrive + 6 * HOUR, local_day + rng.uniform(8.0, 20.0) * HOUR)
    return_arrive = _via(return_depart, destination, hub, home, airports, rng, layovers)
    hotel, local_mobile = trip_networks(rng, account, destination)
    return Trip(destination, depart, arrive, return_depart, return_arrive, hotel, local_mobile,
                tuple(layovers))


def _pick_city(rng: random.Random, candidates: list[int]) -> int:
    return rng.choices(candidates, weights=[CITIES[i].travel_weight for i in candidates])[0]


def foreign_city(rng: random.Random, account: Account) -> int:
    """A destination in another country."""
    return _pick_city(rng, [i for i, city in enumerate(CITIES)
                            if city.country != account.country])


def _hub(rng: random.Random, home: int, destination: int) -> int:
    """A hub on the way (at most a quarter longer than flying direct), or -1 if none is."""
    direct = city_distance_km(home, destination)
    near = [h for h in HUBS if h not in (home, destination)
            and city_distance_km(home, h) + city_distance_km(h, destination) <= 1.25 * direct]
    return rng.choice(near) if near else -1


def airport_wifi(city: int) -> Network:
    """The airport's public Wi-Fi: one network shared by every passenger, a new address each
    session."""
    country = CITIES[city].country
    return make_network(RESIDENTIAL_ASNS[country][0], NetworkKind.OFFICE, city,
                        mix64(_AIRPORT_SALT, city), 15.0)


class FrequentTraveller(Behaviour):
    """Many trips, most long-haul, most of those with a connection both ways; signs in at the
    connection airport (its Wi-Fi or roaming), at the hotel (its Wi-Fi) and on arrival."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def trip(self, account: Account, today: Today, day_start: float,
             rng: random.Random) -> Trip | None:
        if not can_leave(account, today) or rng.random() >= self.rate:
            return None
        home = account.home_city
        long_haul = rng.random() < 0.6
        away = [i for i in range(len(CITIES)) if city_distance_km(home, i) > 150.0]
        wanted = [i for i in away if (city_distance_km(home, i) >= LONG_HAUL_KM) == long_haul]
        destination = _pick_city(rng, wanted or away)
        hub = _hub(rng, home, destination) if long_haul and rng.random() < 0.7 else -1
        nights = rng.randint(3, 8) if long_haul else rng.randint(1, 4)
        return make_trip(account, today, day_start, rng, destination, nights, hub)

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        for stay in day.schedule.stays:
            if stay.kind is StayKind.TRANSIT and stay.end - stay.start > 30 * MINUTE:
                at = day.rng.uniform(stay.start + 10 * MINUTE, stay.end - 10 * MINUTE)
                intents.append(Intent(at, Purpose.SIGN_IN))

    def where(self, day: HonestDay, stay: Stay, intent: Intent) -> tuple[Network, Device] | None:
        if stay.kind is not StayKind.TRANSIT:
            return None
        account = day.account
        network = airport_wifi(stay.city) if day.rng.random() < 0.6 else account.mobile_in(
            stay.city)
        return network, account.phone


def frequent_traveller(account: Account, rng: random.Random,
                       config: SimulationConfig) -> Behaviour:
    account.trip_rate = 0.0  # their trips are the behaviour's
    account.login_rate = min(6.0, account.login_rate * 1.3)
    return FrequentTraveller(config.stress.trips_per_month / 30.0)
