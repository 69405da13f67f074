"""Great-circle distance and the travel speed it implies."""

from __future__ import annotations

import ipaddress
import math

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance along the Earth's surface between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def network_prefix(ip: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 address: a household or office network.

    IPv6 is normalised (case, zero compression) and IPv4-mapped IPv6 counts as the IPv4 address.
    Anything that does not parse is returned unchanged, so it still works as a key.
    """
    if "." in ip and ":" not in ip:
        head, _, _ = ip.rpartition(".")
        return head
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return network_prefix(str(address.ipv4_mapped))
        return str(ipaddress.IPv6Network((address, 48), strict=False).network_address)
    return network_prefix(str(address))
