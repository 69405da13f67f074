"""Where an account holder is during one local day: at home, at work, away, or in transit.

A day is a list of stays; the gaps between them are commutes and flights, when nobody signs
in. Flights take at least distance / 800 km/h plus time at airports, so consecutive sign-ins
of a traveller never imply faster travel than an airliner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum

from detectors.simulation.calendar_days import DAY, HOUR, Today
from detectors.simulation.population import Account, Persona, Trip
from detectors.simulation.world import (
    CITIES,
    MOBILE_ASNS,
    RESIDENTIAL_ASNS,
    Network,
    NetworkKind,
    city_distance_km,
    make_network,
)

AIRLINER_KMH = 800.0
_NEVER = float("inf")


class StayKind(IntEnum):
    HOME = 0
    WORK = 1
    AWAY = 2
    TRANSIT = 3  # between two flights, at the connecting airport


@dataclass(frozen=True, slots=True)
class Stay:
    start: float
    end: float
    kind: StayKind
    city: int


@dataclass(slots=True)
class DaySchedule:
    start: float  # local midnight, as a UTC timestamp
    end: float
    stays: list[Stay]
    arrival: float  # when the holder arrived somewhere new today; 0.0 if they did not
    trip: Trip | None = None  # the trip today's stays away belong to

    def locate(self, at: float) -> Stay | None:
        for stay in self.stays:
            if stay.start <= at < stay.end:
                return stay
        return None

    def home_stay(self, at: float) -> bool:
        stay = self.locate(at)
        return stay is not None and stay.kind is StayKind.HOME


def _destination(rng: random.Random, home: int, far_ok: bool) -> int:
    candidates = [i for i in range(len(CITIES)) if city_distance_km(home, i) > 150.0]
    if not far_ok:
        near = [i for i in candidates if city_distance_km(home, i) < 2500.0]
        candidates = near or candidates
    return rng.choices(candidates, weights=[CITIES[i].travel_weight for i in candidates])[0]


def _start_trip(account: Account, today: Today, day_start: float, rng: random.Random) -> Trip:
    traveller = account.persona is Persona.TRAVELLER
    destination = _destination(rng, account.home_city, far_ok=traveller or rng.random() < 0.25)
    distance = city_distance_km(account.home_city, destination)
    door_to_door = (distance / AIRLINER_KMH + 0.5 + rng.uniform(2.0, 3.5)) * HOUR
    depart = day_start + rng.uniform(6.0, 19.0) * HOUR
    arrive = depart + door_to_door
    nights = rng.randint(1, 5) if traveller else rng.randint(2, 9)
    local_day = today.utc_midnight + nights * DAY - CITIES[destination].utc_offset_seconds
    return_depart = max(arrive + 6 * HOUR, local_day + rng.uniform(8.0, 20.0) * HOUR)
    hotel, local_mobile = trip_networks(rng, account, destination)
    return Trip(destination, depart, arrive, return_depart, return_depart + door_to_door,
                hotel, local_mobile)


def trip_networks(rng: random.Random, account: Account,
                  destination: int) -> tuple[Network, Network]:
    """A trip's hotel Wi-Fi and the mobile network the holder's phone uses there."""
    country = CITIES[destination].country
    hotel = make_network(rng.choice(RESIDENTIAL_ASNS[country]), NetworkKind.RESIDENTIAL,
                         destination, rng.getrandbits(48), 6.0, fixed=True)
    if country == account.country:
        return hotel, account.mobile_in(destination)
    return hotel, make_network(rng.choice(MOBILE_ASNS[country]), NetworkKind.MOBILE,
                               destination, rng.getrandbits(48), 1.5)


def _clipped(start: float, end: float, kind: StayKind, city: int,
             day_start: float, day_end: float) -> list[Stay]:
    low, high = max(start, day_start), min(end, day_end)
    return [Stay(low, high, kind, city)] if low < high else []


def _trip_day(account: Account, trip: Trip, start: float, end: float) -> DaySchedule:
    home, away = account.home_city, trip.destination
    stays = (_clipped(-_NEVER, trip.depart, StayKind.HOME, home, start, end)
             + _clipped(trip.arrive, trip.return_depart, StayKind.AWAY, away, start, end)
             + _clipped(trip.return_arrive, _NEVER, StayKind.HOME, home, start, end))
    for low, high, city in trip.layovers:
        stays += _clipped(low, high, StayKind.TRANSIT, city, start, end)
    arrival = next((t for t in (trip.arrive, trip.return_arrive) if start <= t < end), 0.0)
    if trip.return_arrive < end:
        account.trip = None
    return DaySchedule(start, end, stays, arrival, trip)


def _night_shift_day(account: Account, today: Today, start: float, end: float,
                     rng: random.Random) -> list[Stay]:
    home, work = account.home_city, account.work_city
    commute = rng.uniform(0.25, 0.7) * HOUR
    stays: list[Stay] = []
    home_from = start
    if 1 <= today.weekday <= 5:  # last night was a working night
        shift_end = start + rng.uniform(6.0, 6.5) * HOUR
        stays.append(Stay(start, shift_end, StayKind.WORK, work))
        home_from = shift_end + commute
    home_until = end
    if today.weekday < 5:
        home_until = start + account.work_start_hour * HOUR - commute
    stays.append(Stay(home_from, home_until, StayKind.HOME, home))
    if home_until < end:
        stays.append(Stay(home_until + commute, end, StayKind.WORK, work))
    return stays


def _routine_day(account: Account, today: Today, start: float, end: float,
                 rng: random.Random) -> list[Stay]:
    home = account.home_city
    if account.work_net is None:
        return [Stay(start, end, StayKind.HOME, home)]
    if account.persona is Persona.NIGHT_SHIFT:
        return _night_shift_day(account, today, start, end, rng)
    if today.weekend or rng.random() < 0.06:  # weekend, holiday or sick day
        return [Stay(start, end, StayKind.HOME, home)]
    far = account.work_city != home
    commute = rng.uniform(0.6, 1.2) * HOUR if far else rng.uniform(0.2, 0.6) * HOUR
    work_from = start + (account.work_start_hour + rng.uniform(-0.3, 0.3)) * HOUR
    work_until = work_from + rng.uniform(8.0, 9.5) * HOUR
    return [Stay(start, work_from - commute, StayKind.HOME, home),
            Stay(work_from, work_until, StayKind.WORK, account.work_city),
            Stay(work_until + commute, end, StayKind.HOME, home)]


def plan_day(account: Account, today: Today, rng: random.Random) -> DaySchedule:
    """The account holder's whereabouts today; starts and ends trips as a side effect."""
    trip = account.trip
    city = account.home_city
    if trip is not None and trip.arrive <= today.utc_midnight < trip.return_depart:
        city = trip.destination
    start = today.utc_midnight - CITIES[city].utc_offset_seconds
    end = start + DAY
    if trip is None and account.behaviour is not None:
        trip = account.trip = account.behaviour.trip(account, today, start, rng)
    if (trip is None and account.trip_rate > 0.0 and account.created_day < today.index
            and today.index < today.days - 1 and rng.random() < account.trip_rate):
        trip = account.trip = _start_trip(account, today, start, rng)
    if trip is not None:
        return _trip_day(account, trip, start, end)
    return DaySchedule(start, end, _routine_day(account, today, start, end, rng), 0.0)
