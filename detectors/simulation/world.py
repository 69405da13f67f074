"""The simulated world: cities, countries, autonomous systems and the networks inside them.

Coordinates are city centroids as an IP-geolocation database would report them. UTC offsets
are the ones in force in January (southern-hemisphere summer time included). ASN numbers are
those of real operators of each kind in each country, so the traffic looks familiar.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

from detectors.geo import haversine_km
from detectors.simulation.seeding import mix64

KM_PER_DEGREE = 111.2


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    latitude: float
    longitude: float
    utc_offset_hours: float
    home_weight: float  # relative share of the bank's customers living there
    travel_weight: float  # relative popularity as a destination

    @property
    def utc_offset_seconds(self) -> float:
        return self.utc_offset_hours * 3600.0


CITIES: tuple[City, ...] = (
    City("Berlin", "DE", 52.5200, 13.4050, 1, 6.0, 3.0),
    City("Potsdam", "DE", 52.3906, 13.0645, 1, 1.0, 0.2),
    City("Munich", "DE", 48.1351, 11.5820, 1, 4.0, 2.0),
    City("Hamburg", "DE", 53.5511, 9.9937, 1, 3.0, 1.5),
    City("Frankfurt", "DE", 50.1109, 8.6821, 1, 2.5, 1.5),
    City("Mainz", "DE", 49.9929, 8.2473, 1, 1.0, 0.2),
    City("Paris", "FR", 48.8566, 2.3522, 1, 6.0, 5.0),
    City("Versailles", "FR", 48.8049, 2.1204, 1, 1.0, 0.3),
    City("Lyon", "FR", 45.7640, 4.8357, 1, 2.0, 1.0),
    City("Marseille", "FR", 43.2965, 5.3698, 1, 2.0, 1.0),
    City("London", "GB", 51.5074, -0.1278, 0, 6.0, 5.0),
    City("Watford", "GB", 51.6565, -0.3903, 0, 1.0, 0.1),
    City("Manchester", "GB", 53.4808, -2.2426, 0, 2.0, 0.8),
    City("Amsterdam", "NL", 52.3676, 4.9041, 1, 3.0, 3.0),
    City("Haarlem", "NL", 52.3874, 4.6462, 1, 1.0, 0.2),
    City("Rotterdam", "NL", 51.9244, 4.4777, 1, 2.0, 0.6),
    City("The Hague", "NL", 52.0705, 4.3007, 1, 1.5, 0.4),
    City("Madrid", "ES", 40.4168, -3.7038, 1, 4.0, 3.0),
    City("Barcelona", "ES", 41.3874, 2.1686, 1, 3.0, 4.0),
    City("Rome", "IT", 41.9028, 12.4964, 1, 3.0, 4.0),
    City("Milan", "IT", 45.4642, 9.1900, 1, 3.0, 2.0),
    City("Monza", "IT", 45.5845, 9.2744, 1, 1.0, 0.1),
    City("Brussels", "BE", 50.8503, 4.3517, 1, 2.0, 1.0),
    City("Vienna", "AT", 48.2082, 16.3738, 1, 2.0, 2.0),
    City("Zurich", "CH", 47.3769, 8.5417, 1, 1.5, 1.2),
    City("Warsaw", "PL", 52.2297, 21.0122, 1, 2.0, 1.0),
    City("Stockholm", "SE", 59.3293, 18.0686, 1, 1.5, 1.0),
    City("Copenhagen", "DK", 55.6761, 12.5683, 1, 1.2, 1.0),
    City("Dublin", "IE", 53.3498, -6.2603, 0, 1.2, 1.2),
    City("Lisbon", "PT", 38.7223, -9.1393, 0, 1.5, 3.0),
    City("Bucharest", "RO", 44.4268, 26.1025, 2, 1.0, 0.5),
    City("Istanbul", "TR", 41.0082, 28.9784, 3, 0.8, 2.0),
    City("New York", "US", 40.7128, -74.0060, -5, 1.0, 3.0),
    City("Newark", "US", 40.7357, -74.1724, -5, 0.3, 0.2),
    City("Chicago", "US", 41.8781, -87.6298, -6, 0.4, 0.8),
    City("Los Angeles", "US", 34.0522, -118.2437, -8, 0.5, 1.2),
    City("Toronto", "CA", 43.6532, -79.3832, -5, 0.4, 0.8),
    City("Mexico City", "MX", 19.4326, -99.1332, -6, 0.2, 0.8),
    City("Sao Paulo", "BR", -23.5505, -46.6333, -3, 0.2, 0.5),
    City("Tokyo", "JP", 35.6762, 139.6503, 9, 0.3, 1.5),
    City("Yokohama", "JP", 35.4437, 139.6380, 9, 0.1, 0.1),
    City("Singapore", "SG", 1.3521, 103.8198, 8, 0.3, 1.2),
    City("Sydney", "AU", -33.8688, 151.2093, 11, 0.3, 0.8),
    City("Mumbai", "IN", 19.0760, 72.8777, 5.5, 0.2, 0.5),
    City("Dubai", "AE", 25.2048, 55.2708, 4, 0.3, 2.0),
    City("Lagos", "NG", 6.5244, 3.3792, 1, 0.1, 0.2),
    City("Johannesburg", "ZA", -26.2041, 28.0473, 2, 0.1, 0.4),
)

CITY_INDEX: dict[str, int] = {city.name: i for i, city in enumerate(CITIES)}
MAX_UTC_OFFSET_SECONDS = max(city.utc_offset_seconds for city in CITIES)


_CITY_DISTANCES_KM: tuple[tuple[float, ...], ...] = tuple(
    tuple(haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) for b in CITIES)
    for a in CITIES)


def city_distance_km(a: int, b: int) -> float:
    return _CITY_DISTANCES_KM[a][b]


def _commute_partners(max_km: float) -> dict[int, tuple[int, ...]]:
    partners: dict[int, tuple[int, ...]] = {}
    for i, city in enumerate(CITIES):
        near = tuple(j for j, other in enumerate(CITIES)
                     if j != i and other.country == city.country
                     and city_distance_km(i, j) <= max_km)
        if near:
            partners[i] = near
    return partners


# Pairs of cities close enough for a daily commute (Berlin-Potsdam, Paris-Versailles, ...).
COMMUTE_PARTNERS: dict[int, tuple[int, ...]] = _commute_partners(60.0)
CITIES_BY_COUNTRY: dict[str, tuple[int, ...]] = {
    country: tuple(i for i, city in enumerate(CITIES) if city.country == country)
    for country in sorted({city.country for city in CITIES})
}

# Fixed-line broadband operators per country; offices use the same carriers.
RESIDENTIAL_ASNS: dict[str, tuple[int, ...]] = {
    "DE": (3320, 3209, 8881, 6805), "FR": (3215, 12322, 15557, 5410),
    "GB": (2856, 5089, 5607, 13285), "NL": (1136, 33915, 50266), "ES": (3352, 12479, 12430),
    "IT": (3269, 12874, 30722), "BE": (5432, 6848), "AT": (8447, 8412), "CH": (3303, 6730),
    "PL": (5617, 12741, 6830), "SE": (3301, 1257), "DK": (3292, 9158), "IE": (5466, 6830),
    "PT": (3243, 2860), "RO": (8708, 9050), "TR": (9121, 34984), "US": (7922, 7018, 701, 20115),
    "CA": (812, 577), "MX": (8151, 17072), "BR": (18881, 28573), "JP": (4713, 2516, 17676),
    "SG": (3758, 4657), "AU": (1221, 4804), "IN": (55836, 24560), "AE": (5384, 15802),
    "NG": (29465, 37148), "ZA": (37457, 29975),
}
# Mobile carriers per country (carrier-grade NAT pools; geolocated to the city centroid).
MOBILE_ASNS: dict[str, tuple[int, ...]] = {
    "DE": (3320, 3209, 6805), "FR": (3215, 51207, 5410, 15557), "GB": (12576, 25135, 60339),
    "NL": (31615, 1136, 33915), "ES": (3352, 12430, 12479), "IT": (3269, 30722, 1267),
    "BE": (5432, 47377), "AT": (8447, 25255), "CH": (3303, 6730), "PL": (5617, 12912),
    "SE": (3301, 44034), "DK": (3292, 9158), "IE": (15502, 5466), "PT": (3243, 12353),
    "RO": (8708, 48161), "TR": (16135, 15897), "US": (21928, 6167, 20057), "CA": (812, 577),
    "MX": (28403, 8151), "BR": (26599, 28573), "JP": (17676, 2516, 9605), "SG": (9506, 4657),
    "AU": (1221, 4804), "IN": (55836, 45609), "AE": (5384, 15802), "NG": (29465, 36873),
    "ZA": (29975, 16637),
}


@dataclass(frozen=True, slots=True)
class HostingProvider:
    asn: int
    name: str
    cities: tuple[int, ...]  # data-centre locations


def _cities(*names: str) -> tuple[int, ...]:
    return tuple(CITY_INDEX[name] for name in names)


HOSTING_PROVIDERS: tuple[HostingProvider, ...] = (
    HostingProvider(14061, "DigitalOcean", _cities("New York", "Amsterdam", "Frankfurt",
                                                   "Singapore", "London")),
    HostingProvider(16276, "OVH", _cities("Paris", "Toronto", "Frankfurt", "Warsaw")),
    HostingProvider(24940, "Hetzner", _cities("Frankfurt", "Munich")),
    HostingProvider(16509, "Amazon", _cities("Frankfurt", "Dublin", "Singapore", "Tokyo",
                                             "New York")),
    HostingProvider(20473, "Vultr", _cities("Los Angeles", "Amsterdam", "Tokyo", "Sao Paulo")),
    HostingProvider(9009, "M247", _cities("Bucharest", "London", "Amsterdam", "Milan")),
    HostingProvider(60068, "Datacamp", _cities("London", "New York", "Frankfurt", "Madrid")),
    HostingProvider(51167, "Contabo", _cities("Munich", "New York", "Singapore")),
    HostingProvider(63949, "Akamai Connected Cloud", _cities("Frankfurt", "Mumbai", "Sydney")),
)
# Privacy relays (iCloud Private Relay and similar) egress near the user and keep the region.
RELAY_ASNS: tuple[int, ...] = (13335, 36183)

# First octets of public unicast space, by the region an operator's address blocks come from.
_FIRST_OCTETS: tuple[int, ...] = (
    31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
    109, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217, 24, 50, 63, 64, 66, 67, 68, 69, 71,
    73, 74, 75, 76, 96, 98, 99, 104, 107, 108, 134, 138, 139, 142, 143, 144, 146, 147, 157, 159,
    161, 164, 165, 167, 174, 177, 179, 181, 186, 187, 189, 190, 191, 200, 201, 1, 14, 27, 36,
    39, 42, 49, 58, 59, 60, 61, 101, 103, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119,
    121, 122, 123, 124, 125, 126, 175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221,
    41, 102, 105, 154, 196, 197,
)


class NetworkKind(StrEnum):
    RESIDENTIAL = "residential"
    OFFICE = "office"
    MOBILE = "mobile"
    HOSTING = "hosting"
    RELAY = "relay"
    SATELLITE = "satellite"  # geolocated at the provider's ground station, not the dish


@dataclass(frozen=True, slots=True)
class Network:
    """A /24 inside one ASN, geolocated to one point (as a GeoIP database would have it)."""

    asn: int
    kind: NetworkKind
    prefix: str  # "84.153.12." - the /24 with its trailing dot
    country: str
    city: int
    latitude: float
    longitude: float
    fixed_host: int = 0  # the last octet of a fixed line; 0 where every session gets a new one

    def ip(self, rng: random.Random) -> str:
        """An address in this /24: the fixed one, or a fresh one per session."""
        host = self.fixed_host or 2 + int(rng.random() * 253)
        return f"{self.prefix}{host}"


def make_network(asn: int, kind: NetworkKind, city: int, key: int, spread_km: float,
                 fixed: bool = False) -> Network:
    """The network of ``key`` (a household, office or attacker) inside ``asn`` near ``city``.

    Everything is a pure function of (asn, key): the same household always gets the same /24,
    the same fixed address and the same geolocated point within ``spread_km`` of the centroid.
    """
    bits = mix64(asn, key)
    first = _FIRST_OCTETS[mix64(asn) % len(_FIRST_OCTETS)]
    prefix = f"{first}.{(bits >> 8) & 255}.{(bits >> 16) & 255}."
    bearing = ((bits >> 24) & 0xFFFF) / 65536.0 * 2.0 * math.pi
    distance = spread_km * math.sqrt(((bits >> 40) & 0xFFFF) / 65536.0)
    centre = CITIES[city]
    latitude = centre.latitude + distance / KM_PER_DEGREE * math.cos(bearing)
    longitude = centre.longitude + distance * math.sin(bearing) / (
        KM_PER_DEGREE * max(0.2, math.cos(math.radians(centre.latitude))))
    host = 2 + (bits >> 56) % 252 if fixed else 0
    return Network(asn, kind, prefix, centre.country, city, round(latitude, 4),
                   round(longitude, 4), host)
