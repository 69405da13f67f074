"""Builds labelled events with unique, deterministic ids.

Every event is returned as a :data:`Stamped` pair ``(occurred_at, event)``, so the stream can
sort by time without reaching into the events. Ids count events in creation order.
"""

from __future__ import annotations

from typing import TypeAlias

from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    LoginEvent,
    TransactionEvent,
)
from detectors.simulation.devices import Device
from detectors.simulation.model import Label, LabelledEvent
from detectors.simulation.world import Network

Stamped: TypeAlias = tuple[float, LabelledEvent]


class EventFactory:
    __slots__ = ("_counter", "_prefix")

    def __init__(self, seed: int) -> None:
        self._prefix = f"ev-{seed}-"
        self._counter = 0

    def _next_id(self) -> str:
        self._counter += 1
        return f"{self._prefix}{self._counter}"

    def login(self, label: Label, account_id: str, at: float, network: Network, ip: str,
              device: Device, success: bool, auth_method: str) -> Stamped:
        event_id = self._next_id()
        at = round(at, 3)
        event = LoginEvent(event_id, account_id, at, ip, device.device_id, device.user_agent,
                           network.country, network.latitude, network.longitude, network.asn,
                           success, auth_method)
        return at, LabelledEvent(event, label)

    def transaction(self, label: Label, account_id: str, at: float, amount_minor: int,
                    currency: str, payee_id: str, feature: CreditFeature, channel: str,
                    device_id: str, ip: str, country: str) -> Stamped:
        event_id = self._next_id()
        at = round(at, 3)
        event = TransactionEvent(event_id, account_id, at, amount_minor, currency, payee_id,
                                 feature, channel, device_id, ip, country)
        return at, LabelledEvent(event, label)

    def change(self, label: Label, account_id: str, at: float, change: AccountChangeKind,
               device_id: str, ip: str) -> Stamped:
        event_id = self._next_id()
        at = round(at, 3)
        event = AccountChangeEvent(event_id, account_id, at, change, device_id, ip)
        return at, LabelledEvent(event, label)
