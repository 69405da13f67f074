"""Signals across accounts: what one account's profile cannot see.

Credential stuffing tries a few passwords on each of many accounts from a handful of networks:
every account sees one or two failures, the network sees hundreds. :class:`NetworkFailures`
counts the *other* accounts with failed sign-ins per /24 (or IPv6 /48) over the last hour, in
bounded memory. A household's typos touch one or two accounts; a stuffing network, dozens. It
is process state (an hour of history, rebuilt by traffic after a restart).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from detectors.events import Event, LoginEvent
from detectors.geo import network_prefix
from detectors.profile import HOUR

MAX_NETWORKS = 200_000
MAX_PER_NETWORK = 512


@dataclass(frozen=True, slots=True)
class CrowdSignals:
    """What other accounts' traffic says about this event's network."""

    # Other accounts with a failed sign-in from this network in the last hour.
    network_failed_accounts_1h: int = 0


class NetworkFailures:
    """Failed sign-ins per network in a sliding hour. Not thread-safe: one engine worker owns it."""

    def __init__(self, max_networks: int = MAX_NETWORKS) -> None:
        self._max_networks = max_networks
        self._failures: OrderedDict[str, list[tuple[float, str]]] = OrderedDict()

    def signals(self, event: Event) -> CrowdSignals:
        """The crowd signals for ``event``, not counting the event itself."""
        if not isinstance(event, LoginEvent) or not event.ip:
            return CrowdSignals()
        window = self._failures.get(network_prefix(event.ip))
        if not window:
            return CrowdSignals()
        since = event.occurred_at - HOUR
        others = {account for t, account in window if t >= since and account != event.account_id}
        return CrowdSignals(network_failed_accounts_1h=len(others))

    def record(self, event: Event) -> None:
        """Count ``event`` if it is a failed sign-in."""
        if not isinstance(event, LoginEvent) or event.success or not event.ip:
            return
        key = network_prefix(event.ip)
        window = self._failures.pop(key, None)
        if window is None:
            window = []
            if len(self._failures) >= self._max_networks:
                self._failures.popitem(last=False)
        cutoff = event.occurred_at - HOUR
        window = [entry for entry in window[-MAX_PER_NETWORK + 1:] if entry[0] >= cutoff]
        window.append((event.occurred_at, event.account_id))
        self._failures[key] = window
