"""Per-account behavioural state, updated in O(1) per event.

Everything kept is bounded: sets of known devices, networks, countries and payees keep the most
recently used entries up to a cap, and sliding windows keep at most a fixed number of recent
timestamps. A profile is plain data and round-trips through JSON (:meth:`AccountProfile.to_dict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from detectors.events import (
    CREDENTIAL_CHANGES,
    AccountChangeEvent,
    AccountChangeKind,
    Event,
    LoginEvent,
    TransactionEvent,
)
from detectors.geo import network_prefix

HOUR = 3600.0
DAY = 86400.0
WINDOW_CAP = 64
# History an account needs before a device or place can be "new today": during its first day
# the profile is still learning the owner's own devices and networks.
BASELINE_SECONDS = DAY
# Where one-time codes go: whoever changed them receives the codes.
CONTACT_POINTS = frozenset({AccountChangeKind.PHONE, AccountChangeKind.EMAIL})


class RecentKeys:
    """Keys seen on an account with how often and when last, capped to the most recent ones.

    Insertion order of the dict is recency order: a hit moves the key to the end, so the least
    recently used key is always first and eviction is O(1).
    """

    __slots__ = ("cap", "entries")

    def __init__(self, cap: int, entries: dict[str, list[float]] | None = None) -> None:
        self.cap = cap
        self.entries: dict[str, list[float]] = entries if entries is not None else {}

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def count(self, key: str) -> int:
        entry = self.entries.get(key)
        return int(entry[0]) if entry else 0

    def first_seen(self, key: str) -> float | None:
        entry = self.entries.get(key)
        return entry[2] if entry else None

    def vouch(self, key: str, at: float) -> None:
        """Touch ``key`` as one the holder vouched for (a passed step-up, a verified restore):
        its first-seen time becomes 0, so it never reads as freshly seen."""
        self.touch(key, at)
        if key:
            self.entries[key][2] = 0.0

    def discard(self, key: str) -> None:
        self.entries.pop(key, None)

    def touch(self, key: str, at: float) -> None:
        if not key:
            return
        entry = self.entries.pop(key, None)
        if entry is None:
            entry = [0.0, at, at]
            if len(self.entries) >= self.cap:
                del self.entries[next(iter(self.entries))]
        entry[0] += 1
        entry[1] = max(entry[1], at)
        entry[2] = min(entry[2], at)
        self.entries[key] = entry


def _window_add(window: list[float], at: float, span: float) -> None:
    """Append ``at`` and drop timestamps older than ``span`` before it (bounded by WINDOW_CAP)."""
    window.append(at)
    cutoff = at - span
    drop = 0
    while drop < len(window) and window[drop] < cutoff:
        drop += 1
    if drop or len(window) > WINDOW_CAP:
        del window[: max(drop, len(window) - WINDOW_CAP)]


def _amounts_add(amounts: list[float], times: list[float], amount: int) -> None:
    """Append ``amount`` and keep ``amounts`` aligned with the window ``times`` it belongs to
    (:func:`_window_add` has just dropped the oldest times)."""
    amounts.append(float(amount))
    del amounts[: len(amounts) - len(times)]


def sum_since(times: list[float], amounts: list[float], since: float) -> tuple[int, float]:
    """How many entries of an aligned (times, amounts) window are at or after ``since``, and
    their total."""
    count, total = 0, 0.0
    for t, amount in zip(times, amounts, strict=True):
        if t >= since:
            count += 1
            total += amount
    return count, total


def count_since(window: list[float], since: float) -> int:
    return sum(1 for t in window if t >= since)


# The holder's amounts as a histogram of log1p(minor units): bins this wide, up to the last
# (which takes everything above). Quantiles of it resist what one large amount does to a
# mean, a spread or a maximum (a fraudster's payments learned as the holder's, a holiday).
AMOUNT_BIN_WIDTH = 0.5
AMOUNT_BINS = 36


def amount_bin(value: float) -> int:
    return min(AMOUNT_BINS - 1, max(0, int(value / AMOUNT_BIN_WIDTH)))


#: The bounded sets of a profile and their caps.
KEYED_FIELDS: dict[str, int] = {"devices": 32, "asns": 32, "networks": 64, "countries": 32,
                                "payees": 256}


@dataclass(slots=True)
class AccountProfile:
    """What acctguard knows of one account's habits. Create with :meth:`new`."""

    account_id: str
    first_seen_at: float = 0.0
    last_activity_at: float = 0.0
    event_count: int = 0
    login_count: int = 0
    devices: RecentKeys = field(default_factory=lambda: RecentKeys(KEYED_FIELDS["devices"]))
    asns: RecentKeys = field(default_factory=lambda: RecentKeys(KEYED_FIELDS["asns"]))
    networks: RecentKeys = field(default_factory=lambda: RecentKeys(KEYED_FIELDS["networks"]))
    countries: RecentKeys = field(default_factory=lambda: RecentKeys(KEYED_FIELDS["countries"]))
    payees: RecentKeys = field(default_factory=lambda: RecentKeys(KEYED_FIELDS["payees"]))
    hour_counts: list[float] = field(default_factory=lambda: [0.0] * 24)
    last_login_at: float = 0.0
    last_located_at: float = 0.0
    last_latitude: float = 0.0
    last_longitude: float = 0.0
    has_location: bool = False
    last_new_device_login_at: float = 0.0
    # Days without activity before the latest successful sign-in: what a session began with.
    gap_before_login_days: float = 0.0
    recent_logins: list[float] = field(default_factory=list)
    recent_failures: list[float] = field(default_factory=list)
    # Failed sign-ins from devices the account had never used: not the owner's typos.
    recent_unknown_failures: list[float] = field(default_factory=list)
    last_credential_change_at: float = 0.0
    recent_changes: list[float] = field(default_factory=list)
    tx_count: int = 0
    amount_log_mean: float = 0.0
    amount_log_m2: float = 0.0
    amount_log_max: float = 0.0
    # Most of the holder's own transactions seen within one hour, some pay many bills at once:
    # the peak of bursts a day old or more, and the latest burst's count and time (it becomes
    # part of the peak a day later, so a stolen session's burst does not excuse itself).
    tx_hour_peak: float = 0.0
    tx_burst: float = 0.0
    tx_burst_at: float = 0.0
    # Counts of the holder's amounts per log bin, from bin ``amount_bins_from`` to the highest
    # bin used (empty until the first transaction): a few small integers in a stored profile.
    amount_bins: list[int] = field(default_factory=list)
    amount_bins_from: int = 0
    recent_tx_times: list[float] = field(default_factory=list)
    recent_tx_amounts: list[float] = field(default_factory=list)
    # Transactions to payees the account had never paid before, and their amounts.
    recent_new_payee_times: list[float] = field(default_factory=list)
    recent_new_payee_amounts: list[float] = field(default_factory=list)
    # Accumulated evidence (see detectors.accumulation) and when it was last updated.
    alert_level: float = 0.0
    alert_at: float = 0.0
    # The trust loop (detectors.trust). Challenged events awaiting a step-up result:
    # event_id -> [occurred_at, state, device_id, ip]. Devices, networks and payees that
    # failed a step-up or were confirmed fraud: "kind:key" -> [until, failures, source].
    step_ups: dict[str, list[Any]] = field(default_factory=dict)
    distrust: dict[str, list[float]] = field(default_factory=dict)
    # Latest change of the phone number or e-mail address (whoever made it): a one-time code
    # sent there since proves nothing about who holds the account.
    last_contact_change_at: float = 0.0
    # First successful sign-in or transaction learned as the holder's.
    first_success_at: float = 0.0

    @classmethod
    def new(cls, account_id: str) -> AccountProfile:
        return cls(account_id=account_id)

    @property
    def is_empty(self) -> bool:
        """No successful sign-in and no transaction yet: nothing to compare an event with.

        Failed sign-ins and account changes do not count: anybody can cause them, and they
        say nothing about the owner's habits."""
        return self.login_count == 0 and self.tx_count == 0

    def has_baseline(self, at: float) -> bool:
        """Whether the account has enough history at ``at`` for recent novelty to mean much."""
        return not self.is_empty and at - self.first_seen_at >= BASELINE_SECONDS

    @property
    def amount_log_std(self) -> float:
        return (self.amount_log_m2 / (self.tx_count - 1)) ** 0.5 if self.tx_count > 1 else 0.0

    @property
    def successful_events(self) -> int:
        """Successful sign-ins and transactions learned as the holder's."""
        return self.login_count + self.tx_count

    def update(self, event: Event, trusted: bool = True) -> None:
        """Fold one event into the profile, after it has been scored.

        An untrusted event (one the service froze, or challenged and not yet vouched for)
        still counts in the sliding windows, which are risk signals, but teaches the profile
        nothing about the owner's habits: its device, network, country, payee, hour, amount and
        place do not become "known" (:meth:`learn` does that, now or once vouched for)."""
        at = event.occurred_at
        if self.event_count == 0:
            self.first_seen_at = at
        self.event_count += 1
        if isinstance(event, LoginEvent):
            self._count_login(event)
        elif isinstance(event, TransactionEvent):
            self._count_transaction(event)
        else:
            self._count_change(event)
        if trusted:
            self.learn(event)

    def learn(self, event: Event, vouched: bool = False) -> None:
        """Learn the event as the holder's: its device, network, country, payee, hour, amount
        and place become known. ``vouched``: the holder proved it was them (a passed step-up,
        a verified restore), so its device, network and country never read as freshly seen."""
        if isinstance(event, LoginEvent):
            if event.success:
                self._learn_login(event, vouched)
        elif isinstance(event, TransactionEvent):
            self._learn_transaction(event, vouched)
        else:
            self._learn_change(event)
        if self.first_success_at == 0.0 and not isinstance(event, AccountChangeEvent):
            self.first_success_at = event.occurred_at

    def _touch_place(self, device_id: str, ip: str, country: str, at: float,
                     vouched: bool = False) -> None:
        touch = RecentKeys.vouch if vouched else RecentKeys.touch
        touch(self.devices, device_id, at)
        if ip:
            touch(self.networks, network_prefix(ip), at)
        touch(self.countries, country, at)

    def _count_login(self, event: LoginEvent) -> None:
        at = event.occurred_at
        _window_add(self.recent_logins, at, DAY)
        unknown_device = bool(event.device_id) and event.device_id not in self.devices
        if not event.success:
            self.count_failure(at, unknown_device)
            return
        # A device first seen while the profile is still learning the owner's own devices is
        # not a *new* device: there is nothing yet it could be new against.
        if unknown_device and self.has_baseline(at):
            self.last_new_device_login_at = max(self.last_new_device_login_at, at)

    def count_failure(self, at: float, unknown_device: bool) -> None:
        """A failed sign-in (or a failed step-up) in the failure windows."""
        _window_add(self.recent_failures, at, DAY)
        if unknown_device:
            _window_add(self.recent_unknown_failures, at, DAY)

    def _learn_login(self, event: LoginEvent, vouched: bool) -> None:
        at = event.occurred_at
        if not self.is_empty:
            self.gap_before_login_days = max(0.0, at - self.last_activity_at) / DAY
        self.login_count += 1
        self.last_activity_at = max(self.last_activity_at, at)
        self._touch_place(event.device_id, event.ip, event.country, at, vouched)
        if event.asn:
            self.asns.touch(str(event.asn), at)
        self.hour_counts[hour_of_day(at)] += 1.0
        self.last_login_at = max(self.last_login_at, at)
        if event.has_location and at >= self.last_located_at:
            self.last_located_at = at
            self.last_latitude, self.last_longitude = event.latitude, event.longitude
            self.has_location = True

    def _count_transaction(self, event: TransactionEvent) -> None:
        at = event.occurred_at
        _window_add(self.recent_tx_times, at, DAY)
        _amounts_add(self.recent_tx_amounts, self.recent_tx_times, event.amount_minor)
        if event.payee_id and event.payee_id not in self.payees:
            _window_add(self.recent_new_payee_times, at, DAY)
            _amounts_add(self.recent_new_payee_amounts, self.recent_new_payee_times,
                         event.amount_minor)

    def _learn_transaction(self, event: TransactionEvent, vouched: bool) -> None:
        at = event.occurred_at
        self.last_activity_at = max(self.last_activity_at, at)
        self._touch_place(event.device_id, event.ip, event.country, at, vouched)
        self.payees.touch(event.payee_id, at)
        self.hour_counts[hour_of_day(at)] += 1.0
        value = math.log1p(event.amount_minor)
        self._remember_payee_amount(event.payee_id, event.amount_minor)
        self._learn_burst(at, float(count_since(self.recent_tx_times, at - HOUR)))
        self.tx_count += 1
        delta = value - self.amount_log_mean
        self.amount_log_mean += delta / self.tx_count
        self.amount_log_m2 += delta * (value - self.amount_log_mean)
        self.amount_log_max = max(self.amount_log_max, value)
        self._count_amount(amount_bin(value))

    def _remember_payee_amount(self, payee_id: str, amount_minor: int) -> None:
        """Keep the amount last paid to a payee (minor units, an integer: short when stored)
        as a fourth value of its entry."""
        entry = self.payees.entries.get(payee_id)
        if entry is None:
            return
        if len(entry) < 4:
            entry.append(amount_minor)
        else:
            entry[3] = amount_minor

    def payee_amount_log(self, payee_id: str) -> float | None:
        """log1p of the amount last paid to ``payee_id`` (None: never paid, or not kept)."""
        entry = self.payees.entries.get(payee_id)
        return math.log1p(entry[3]) if entry is not None and len(entry) >= 4 else None

    def _learn_burst(self, at: float, count: float) -> None:
        if at - self.tx_burst_at >= DAY:
            self.tx_hour_peak = max(self.tx_hour_peak, self.tx_burst)
            self.tx_burst = 0.0
        if count >= self.tx_burst:
            self.tx_burst, self.tx_burst_at = count, at

    def usual_tx_hour_peak(self, at: float) -> float:
        """The most transactions the holder made within one hour, a day ago or earlier."""
        if at - self.tx_burst_at >= DAY:
            return max(self.tx_hour_peak, self.tx_burst)
        return self.tx_hour_peak

    def _count_amount(self, index: int) -> None:
        bins = self.amount_bins
        if not bins:
            self.amount_bins, self.amount_bins_from = [1], index
            return
        if index < self.amount_bins_from:
            bins[:0] = [0] * (self.amount_bins_from - index)
            self.amount_bins_from = index
        offset = index - self.amount_bins_from
        if offset >= len(bins):
            bins.extend([0] * (offset + 1 - len(bins)))
        bins[offset] += 1

    def amount_log_quantile(self, share: float) -> float:
        """The ``share`` quantile (log1p of minor units) of the holder's amounts, interpolated
        within its bin and never above the largest amount learned; 0 with none learned."""
        total = sum(self.amount_bins)
        if total <= 0.0:
            return 0.0
        needed, seen = share * total, 0.0
        for index, count in enumerate(self.amount_bins, start=self.amount_bins_from):
            if count > 0 and seen + count >= needed:
                inside = (needed - seen) / count
                return min((index + inside) * AMOUNT_BIN_WIDTH, self.amount_log_max)
            seen += count
        return self.amount_log_max

    def _count_change(self, event: AccountChangeEvent) -> None:
        at = event.occurred_at
        _window_add(self.recent_changes, at, 7 * DAY)
        if event.change in CREDENTIAL_CHANGES:
            self.last_credential_change_at = max(self.last_credential_change_at, at)
        if event.change in CONTACT_POINTS:
            self.last_contact_change_at = max(self.last_contact_change_at, at)

    def _learn_change(self, event: AccountChangeEvent) -> None:
        at = event.occurred_at
        self.devices.touch(event.device_id, at)
        if event.ip:
            self.networks.touch(network_prefix(event.ip), at)

    def to_dict(self) -> dict[str, Any]:
        """Plain data sharing the profile's lists and dicts (serialize it, do not keep it)."""
        data = {name: getattr(self, name) for name in self.__slots__}
        for name in KEYED_FIELDS:
            data[name] = data[name].entries
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountProfile:
        """The profile ``to_dict`` gave (its lists are taken over, not copied); fields it lacks
        keep their defaults, and set entries written before first_seen was kept gain one."""
        fields = {name: data[name] for name in PLAIN_FIELDS if name in data}
        for name, cap in KEYED_FIELDS.items():
            if name in data:
                fields[name] = RecentKeys(cap, {
                    str(key): entry if len(entry) >= 3 else [*entry, entry[1]]
                    for key, entry in data[name].items()})
        return cls(**fields)


#: Every field of a profile but the bounded sets.
PLAIN_FIELDS: tuple[str, ...] = tuple(name for name in AccountProfile.__slots__
                                      if name not in KEYED_FIELDS)
#: Fields holding one float, whose finiteness decides how a profile is written as JSON.
FLOAT_FIELDS: tuple[str, ...] = tuple(
    name for name, kind in AccountProfile.__annotations__.items() if kind == "float")


def hour_of_day(at: float) -> int:
    """UTC hour of day. Accounts live in many time zones; a profile learns its own hours."""
    return int(at // HOUR) % 24
