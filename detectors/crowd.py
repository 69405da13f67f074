"""Signals across accounts: what one account's profile cannot see.

Credential stuffing tries a few passwords on each of many accounts from a handful of networks:
every account sees one or two failures, the network sees hundreds. :class:`NetworkFailures`
counts the *other* accounts with failed sign-ins per /24 (or IPv6 /48) over the last hour. A
household's typos touch one or two accounts; a stuffing network, dozens. It is process state
(an hour of history, rebuilt by traffic after a restart).

Memory is bounded whatever the traffic: at most ``max_networks`` networks (least recently
failing evicted first) and ``max_accounts`` accounts per network (each with only its latest
failure time), so the worst case is about max_networks x max_accounts entries.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from detectors.events import Event, LoginEvent
from detectors.geo import network_prefix
from detectors.profile import HOUR

MAX_NETWORKS = 20_000
MAX_ACCOUNTS_PER_NETWORK = 64  # the feature saturates long before this


@dataclass(frozen=True, slots=True)
class CrowdSignals:
    """What other accounts' traffic says about this event's network."""

    # Other accounts with a failed sign-in from this network in the hour before the event.
    network_failed_accounts_1h: int = 0


class NetworkFailures:
    """Failed sign-ins per network in a sliding hour. Not thread-safe: one engine worker owns it."""

    def __init__(self, max_networks: int = MAX_NETWORKS,
                 max_accounts: int = MAX_ACCOUNTS_PER_NETWORK) -> None:
        self._max_networks = max_networks
        self._max_accounts = max_accounts
        # network -> {account_id: latest failure time}, least recently failing network first
        self._failures: OrderedDict[str, dict[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def signals(self, event: Event) -> CrowdSignals:
        """The crowd signals for ``event``, not counting its own account."""
        if not isinstance(event, LoginEvent) or not event.ip:
            return CrowdSignals()
        accounts = self._failures.get(network_prefix(event.ip))
        if not accounts:
            return CrowdSignals()
        at = event.occurred_at
        others = sum(1 for account, t in accounts.items()
                     if at - HOUR <= t <= at and account != event.account_id)
        return CrowdSignals(network_failed_accounts_1h=others)

    def record(self, event: Event) -> None:
        """Count ``event`` if it is a failed sign-in."""
        if not isinstance(event, LoginEvent) or event.success or not event.ip:
            return
        key = network_prefix(event.ip)
        accounts = self._failures.pop(key, None)
        if accounts is None:
            accounts = {}
            if len(self._failures) >= self._max_networks:
                self._failures.popitem(last=False)
        cutoff = event.occurred_at - HOUR
        for account in [a for a, t in accounts.items() if t < cutoff]:
            del accounts[account]
        accounts[event.account_id] = max(accounts.get(event.account_id, 0.0), event.occurred_at)
        if len(accounts) > self._max_accounts:
            del accounts[min(accounts, key=accounts.__getitem__)]
        self._failures[key] = accounts

    def entries(self) -> int:
        """How many (network, account) pairs are held: the memory bound's unit."""
        return sum(len(accounts) for accounts in self._failures.values())
