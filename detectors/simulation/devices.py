"""Devices: phones running the bank's app, browsers on laptops and tablets, attackers' tools."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

AUTH_METHODS: tuple[str, ...] = ("password", "passkey", "biometric", "otp")


class DeviceKind(StrEnum):
    PHONE = "phone"
    LAPTOP = "laptop"
    TABLET = "tablet"


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    kind: DeviceKind
    user_agent: str
    auth_method: str  # how its owner usually signs in on it

    @property
    def runs_app(self) -> bool:
        return self.kind is not DeviceKind.LAPTOP


_APP_AGENTS: tuple[str, ...] = (
    "BankApp/7.4.2 (iPhone15,3; iOS 18.2)",
    "BankApp/7.4.2 (iPhone14,5; iOS 17.6.1)",
    "BankApp/7.4.1 (iPhone16,1; iOS 18.1)",
    "BankApp/7.3.9 (iPhone13,2; iOS 17.5)",
    "BankApp/7.4.2 (Android 15; Pixel 8)",
    "BankApp/7.4.2 (Android 14; SM-S918B)",
    "BankApp/7.4.0 (Android 14; SM-A546B)",
    "BankApp/7.3.8 (Android 13; Redmi Note 12)",
    "BankApp/7.4.1 (Android 14; CPH2581)",
)
_TABLET_AGENTS: tuple[str, ...] = (
    "BankApp/7.4.2 (iPad13,18; iPadOS 18.2)",
    "BankApp/7.4.0 (Android 14; SM-X710)",
)
BROWSER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.2 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
)
# What credential-stuffing tools send when they do not bother to look like a browser.
SCRIPTED_AGENTS: tuple[str, ...] = (
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.71 Safari/537.36",
    "okhttp/4.12.0",
    "Go-http-client/2.0",
)


def new_device_id(rng: random.Random) -> str:
    return f"dev-{rng.getrandbits(64):016x}"


def _pick_auth(rng: random.Random, weights: tuple[float, float, float, float]) -> str:
    return rng.choices(AUTH_METHODS, weights=weights)[0]


def make_phone(rng: random.Random, conservative: bool = False) -> Device:
    weights = (0.45, 0.1, 0.3, 0.15) if conservative else (0.12, 0.22, 0.6, 0.06)
    return Device(new_device_id(rng), DeviceKind.PHONE, rng.choice(_APP_AGENTS),
                  _pick_auth(rng, weights))


def make_laptop(rng: random.Random) -> Device:
    return Device(new_device_id(rng), DeviceKind.LAPTOP, rng.choice(BROWSER_AGENTS),
                  _pick_auth(rng, (0.55, 0.3, 0.0, 0.15)))


def make_tablet(rng: random.Random) -> Device:
    return Device(new_device_id(rng), DeviceKind.TABLET, rng.choice(_TABLET_AGENTS),
                  _pick_auth(rng, (0.4, 0.2, 0.4, 0.0)))


def login_auth(rng: random.Random, device: Device) -> str:
    """The method of one sign-in: usually the device's own, sometimes a fallback."""
    if rng.random() < 0.9:
        return device.auth_method
    return "otp" if rng.random() < 0.5 else "password"
