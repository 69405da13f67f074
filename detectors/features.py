"""Features of an event relative to its account's profile.

Every feature is oriented so that a higher value is riskier; that lets explanations use the
right tail of each feature's distribution on normal traffic. Each feature names the reason
code it supports (``None`` for context features that shape the score but explain nothing on
their own). A feature marked ``novelty`` is meaningless for an account with no history and is
replaced by the population prior stored in the model artifact.

The extractor also returns a small context (the travel speed, the country, the amount...) that
the explanation turns into sentences (detectors.sentences): it holds the very numbers the
features measured, so a sentence states the evidence the model saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeAlias

from detectors.crowd import CrowdSignals
from detectors.events import (
    OUTFLOW_FEATURES,
    AccountChangeEvent,
    AccountChangeKind,
    Event,
    EventKind,
    LoginEvent,
    TransactionEvent,
)
from detectors.geo import haversine_km, network_prefix
from detectors.profile import (
    AMOUNT_BIN_WIDTH,
    DAY,
    HOUR,
    AccountProfile,
    count_since,
    hour_of_day,
    sum_since,
)
from detectors.reasons import ReasonCode

Context: TypeAlias = dict[str, float | str]
NO_CROWD = CrowdSignals()

# Distances below this are within the error of IP geolocation and imply no travel.
LOCATION_NOISE_KM = 100.0
# Door-to-door speed no traveller beats: an airliner cruises at about 900 km/h, and airports,
# taxis and waiting bring the average well below it. Only speed above this is evidence.
PLAUSIBLE_TRAVEL_KMH = 800.0
# Prior for a new account's amounts: log1p of about 40.00 in minor units, and a wide spread.
PRIOR_AMOUNT_LOG_MEAN = math.log1p(4000.0)
PRIOR_AMOUNT_LOG_STD = 1.5
PRIOR_WEIGHT = 3.0
# A session that began this recently still carries the idle time before it: money moved an hour
# after an account woke from months of silence is money moved by a revived account.
SESSION_HOURS = 6.0
# How far back money sent to new payees adds up: a cash-out drains an account within hours.
NEW_PAYEE_WINDOW_HOURS = 3.0
# The share of the holder's amounts an amount is compared with for "far above usual".
AMOUNT_CEILING_SHARE = 0.95
# Other accounts failing sign-ins behind one household or office router now and then: only a
# crowd beyond this many is evidence of password guessing.
HOUSEHOLD_FAILED_ACCOUNTS = 2
# How far back account changes add up.
CHANGE_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    reason: ReasonCode | None
    novelty: bool = False


@dataclass(slots=True)
class FeatureVector:
    kind: EventKind
    values: list[float]
    context: Context = field(default_factory=dict)


def _recency(now: float, then: float, scale_hours: float) -> float:
    """1 just after ``then``, decaying to 0 over ``scale_hours``; 0 if ``then`` never happened."""
    if then <= 0.0:
        return 0.0
    return math.exp(-max(0.0, now - then) / (scale_hours * HOUR))


def _dormancy_days(profile: AccountProfile, now: float) -> float:
    if profile.is_empty:
        return 0.0
    return max(0.0, now - profile.last_activity_at) / DAY


def _session_dormancy_days(profile: AccountProfile, now: float) -> tuple[float, bool]:
    """The idle time before this event, or before the sign-in that began its session (then
    True: the longer of the two is the one that counts)."""
    dormant = _dormancy_days(profile, now)
    if (profile.last_login_at and now - profile.last_login_at <= SESSION_HOURS * HOUR
            and profile.gap_before_login_days > dormant):
        return profile.gap_before_login_days, True
    return dormant, False


def _hours_since(now: float, then: float) -> float:
    """Hours from ``then`` to ``now`` (0 for a late-arriving event), -1 if ``then`` never
    happened: what the :func:`_recency` features measure."""
    return max(0.0, now - then) / HOUR if then > 0.0 else -1.0


def _hour_rarity(profile: AccountProfile, at: float) -> float:
    """Surprise (-log share) of activity in the event's hour and its neighbours, smoothed."""
    hour = hour_of_day(at)
    counts = profile.hour_counts
    near = counts[(hour - 1) % 24] + counts[hour] + counts[(hour + 1) % 24]
    total = sum(counts)
    pseudo = 2.0
    return -math.log((near + pseudo * 3 / 24) / (total + pseudo))


def _novel(known_count: int, key: str) -> float:
    return 1.0 if key and known_count == 0 else 0.0


LOGIN_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("new_device", ReasonCode.NEW_DEVICE, novelty=True),
    FeatureSpec("new_network", ReasonCode.NEW_NETWORK, novelty=True),
    FeatureSpec("new_country", ReasonCode.NEW_COUNTRY, novelty=True),
    FeatureSpec("travel_excess_speed_log", ReasonCode.IMPOSSIBLE_TRAVEL),
    FeatureSpec("failures_1h_log", ReasonCode.FAILED_LOGIN_BURST),
    FeatureSpec("network_failed_accounts_1h_log", ReasonCode.FAILED_LOGIN_BURST),
    FeatureSpec("unknown_device_failures_1h_log", ReasonCode.FAILED_LOGIN_BURST, novelty=True),
    FeatureSpec("failed", None),
    FeatureSpec("logins_1h_log", ReasonCode.LOGIN_VELOCITY),
    FeatureSpec("hour_rarity", ReasonCode.UNUSUAL_HOUR, novelty=True),
    FeatureSpec("credential_change_recency", ReasonCode.RAPID_ACCOUNT_CHANGES),
    FeatureSpec("dormancy_log", ReasonCode.DORMANT_ACCOUNT),
)


def login_features(event: LoginEvent, profile: AccountProfile,
                   crowd: CrowdSignals = NO_CROWD) -> FeatureVector:
    at = event.occurred_at
    network_known = (
        profile.asns.count(str(event.asn)) if event.asn
        else profile.networks.count(network_prefix(event.ip))
    )
    network_key = str(event.asn) if event.asn else event.ip
    speed = 0.0
    distance = 0.0
    hours = 0.0
    # Only against an earlier located sign-in: a late-arriving event implies no travel.
    if profile.has_location and event.has_location and at >= profile.last_located_at:
        distance = haversine_km(profile.last_latitude, profile.last_longitude,
                                event.latitude, event.longitude)
        hours = (at - profile.last_located_at) / HOUR
        if distance > LOCATION_NOISE_KM:
            speed = distance / max(hours, 1.0 / 60.0)
    failures = count_since(profile.recent_failures, at - HOUR) + (0 if event.success else 1)
    # Typos come from the owner's own devices; wrong passwords from a device the account never
    # used are someone else guessing, even the first one.
    unknown_device = bool(event.device_id) and event.device_id not in profile.devices
    unknown_failures = count_since(profile.recent_unknown_failures, at - HOUR) + (
        1 if unknown_device and not event.success else 0)
    network_failed = max(0, crowd.network_failed_accounts_1h - HOUSEHOLD_FAILED_ACCOUNTS)
    attempts = count_since(profile.recent_logins, at - HOUR) + 1
    dormant = _dormancy_days(profile, at)
    new_device = _novel(profile.devices.count(event.device_id), event.device_id)
    values = [
        new_device,
        _novel(network_known, network_key),
        _novel(profile.countries.count(event.country), event.country),
        math.log1p(max(0.0, speed - PLAUSIBLE_TRAVEL_KMH)),
        math.log1p(failures),
        math.log1p(network_failed),
        math.log1p(unknown_failures),
        0.0 if event.success else 1.0,
        math.log1p(attempts),
        _hour_rarity(profile, at),
        _recency(at, profile.last_credential_change_at, 24.0),
        math.log1p(dormant),
    ]
    # A sign-in's own device and country are the only new ones it speaks of, and the idle time
    # before it is its own.
    context: Context = {
        "country": event.country, "country_first_seen_today": 0.0, "new_device": new_device,
        "speed_kmh": speed, "distance_km": distance,
        "hours": hours, "failures_1h": failures, "attempts_1h": attempts,
        "unknown_device_failures_1h": unknown_failures,
        "network_failed_accounts_1h": crowd.network_failed_accounts_1h,
        "dormant_days": dormant, "dormant_before_sign_in": 0.0, "hour": hour_of_day(at),
        "hours_since_change": _hours_since(at, profile.last_credential_change_at),
    }
    return FeatureVector(EventKind.LOGIN, values, context)


TRANSACTION_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("amount_z", ReasonCode.AMOUNT_SPIKE),
    FeatureSpec("amount_over_p95_log", ReasonCode.AMOUNT_SPIKE),
    FeatureSpec("amount_below_z", ReasonCode.TINY_AMOUNT),
    FeatureSpec("new_payee", ReasonCode.NEW_PAYEE, novelty=True),
    FeatureSpec("new_payee_amount_3h_z", ReasonCode.NEW_PAYEE, novelty=True),
    FeatureSpec("tx_1h_log", ReasonCode.RAPID_TRANSACTIONS),
    # The same pace against this holder's own: beyond the most they made in an hour before.
    FeatureSpec("tx_1h_over_peak_log", ReasonCode.RAPID_TRANSACTIONS),
    # Money moved within the hour (this transaction included), against the usual amount: an
    # amount spike, in one transaction or spread over several (their pace is the feature above).
    FeatureSpec("tx_amount_1h_z", ReasonCode.AMOUNT_SPIKE),
    FeatureSpec("outflow", None),
    FeatureSpec("credential_change_recency", ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT),
    FeatureSpec("new_device_login_recency", ReasonCode.NEW_DEVICE),
    FeatureSpec("new_device", ReasonCode.NEW_DEVICE, novelty=True),
    FeatureSpec("new_network", ReasonCode.NEW_NETWORK, novelty=True),
    FeatureSpec("new_country", ReasonCode.NEW_COUNTRY, novelty=True),
    FeatureSpec("fresh_network", ReasonCode.NEW_NETWORK),
    FeatureSpec("fresh_country", ReasonCode.NEW_COUNTRY),
    FeatureSpec("hour_rarity", ReasonCode.UNUSUAL_HOUR, novelty=True),
    FeatureSpec("dormancy_log", ReasonCode.DORMANT_ACCOUNT),
)


def _fresh(profile: AccountProfile, first_seen: float | None, at: float,
           scale_hours: float = 6.0) -> float:
    """How recently a *known* key first appeared: 1 just after, decaying over ``scale_hours``;
    0 for a key never seen (the new_* features say that), long known, or first seen while the
    profile was still learning the owner's places."""
    if first_seen is None or not profile.has_baseline(first_seen):
        return 0.0
    return math.exp(-max(0.0, at - first_seen) / (scale_hours * HOUR))


def _amount_baseline(profile: AccountProfile) -> tuple[float, float]:
    """The account's mean and spread of log amounts, shrunk towards the population prior."""
    n = float(profile.tx_count)
    mean = (n * profile.amount_log_mean + PRIOR_WEIGHT * PRIOR_AMOUNT_LOG_MEAN) / (n + PRIOR_WEIGHT)
    var = (profile.amount_log_m2 + PRIOR_WEIGHT * PRIOR_AMOUNT_LOG_STD**2) / (n + PRIOR_WEIGHT)
    return mean, max(math.sqrt(var), 0.25)


def _session_context(profile: AccountProfile, at: float, new_device: float, dormant: float,
                     before_sign_in: bool) -> Context:
    """What a transaction's or an account change's sentences say of its session: whether its
    device is new, how long ago a new device signed in, and the idle time before it."""
    return {"new_device": new_device,
            "hours_since_new_device_login": _hours_since(at, profile.last_new_device_login_at),
            "dormant_days": dormant, "dormant_before_sign_in": float(before_sign_in)}


def transaction_features(event: TransactionEvent, profile: AccountProfile) -> FeatureVector:
    at = event.occurred_at
    value = math.log1p(event.amount_minor)
    mean, std = _amount_baseline(profile)
    # A payee paid before sets its own usual amount (the rent, the monthly savings transfer):
    # paying it about that much again is not a spike, however large for everyday spending.
    # Only a payee first paid a day or more ago: a mule paid twice in one session is not.
    payee_usual = profile.payee_amount_log(event.payee_id)
    first_paid = profile.payees.first_seen(event.payee_id)
    # How far above nearly all of the holder's amounts (95th percentile), not above the
    # largest: one large amount learned (a holiday, or a fraudster's payment that got through)
    # does not hide the next.
    # (A profile written before amounts were binned falls back on its maximum.)
    ceiling = (profile.amount_log_quantile(AMOUNT_CEILING_SHARE) if profile.amount_bins
               else profile.amount_log_max)
    usual_from_payee = False
    if payee_usual is not None and first_paid is not None and at - first_paid >= DAY:
        usual_from_payee = payee_usual > mean
        mean = max(mean, payee_usual)
        ceiling = max(ceiling, payee_usual + AMOUNT_BIN_WIDTH)
    since = at - HOUR
    recent = [a for t, a in zip(profile.recent_tx_times, profile.recent_tx_amounts, strict=True)
              if t >= since]
    hour_total = math.log1p(sum(recent) + event.amount_minor)
    dormant, before_sign_in = _session_dormancy_days(profile, at)
    over_ceiling = max(0.0, value - ceiling) if profile.tx_count else 0.0
    new_payee = _novel(profile.payees.count(event.payee_id), event.payee_id)
    new_device = _novel(profile.devices.count(event.device_id), event.device_id)
    count_1h = len(recent) + 1
    usual_peak = profile.usual_tx_hour_peak(at)
    fresh_country = (_fresh(profile, profile.countries.first_seen(event.country), at)
                     if event.country else 0.0)
    new_payees, new_payee_total = sum_since(
        profile.recent_new_payee_times, profile.recent_new_payee_amounts,
        at - NEW_PAYEE_WINDOW_HOURS * HOUR)
    if new_payee:
        new_payees, new_payee_total = new_payees + 1, new_payee_total + event.amount_minor
    values = [
        (value - mean) / std,
        over_ceiling,
        # A payment to a new payee far *below* the account's usual amounts: what testing a
        # stolen card looks like (a euro or two at a new shop to see whether the card works).
        max(0.0, (mean - value) / std) if new_payee else 0.0,
        new_payee,
        # Money sent to payees never paid before, over the last hours, against the account's
        # usual amount: a cash-out draining the credit to mules adds up here.
        max(0.0, (math.log1p(new_payee_total) - mean) / std) if new_payees else 0.0,
        math.log1p(count_1h),
        max(0.0, math.log1p(count_1h) - math.log1p(usual_peak)),
        (hour_total - mean) / std,
        1.0 if event.feature in OUTFLOW_FEATURES else 0.0,
        _recency(at, profile.last_credential_change_at, 24.0),
        _recency(at, profile.last_new_device_login_at, 6.0),
        new_device,
        _novel(profile.networks.count(network_prefix(event.ip)), event.ip),
        _novel(profile.countries.count(event.country), event.country),
        # A stolen session makes its network and country "known" at sign-in; money moved from
        # them minutes later is still from a place the owner was never seen in before today.
        # Phones hop between a carrier's networks, so a fresh network says less than a fresh
        # country: they are kept apart.
        _fresh(profile, profile.networks.first_seen(network_prefix(event.ip)), at)
        if event.ip else 0.0,
        fresh_country,
        _hour_rarity(profile, at),
        math.log1p(dormant),
    ]
    context: Context = {
        "amount_minor": float(event.amount_minor), "currency": event.currency,
        "usual_amount_minor": math.expm1(mean), "usual_from_payee": float(usual_from_payee),
        "tx_1h": count_1h, "usual_tx_1h": usual_peak,
        "amount_1h_minor": math.expm1(hour_total),
        "new_payee": new_payee, "new_payees_3h": new_payees,
        "new_payee_amount_3h": new_payee_total,
        "country": event.country, "hour": hour_of_day(at),
        "country_first_seen_today": float(fresh_country > 0.0),
        "hours_since_change": _hours_since(at, profile.last_credential_change_at),
        **_session_context(profile, at, new_device, dormant, before_sign_in),
    }
    return FeatureVector(EventKind.TRANSACTION, values, context)


ACCOUNT_CHANGE_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("contact_change", None),
    FeatureSpec("password_change", None),
    FeatureSpec("changes_7d_log", ReasonCode.RAPID_ACCOUNT_CHANGES),
    FeatureSpec("new_device", ReasonCode.NEW_DEVICE, novelty=True),
    FeatureSpec("new_network", ReasonCode.NEW_NETWORK, novelty=True),
    FeatureSpec("new_device_login_recency", ReasonCode.NEW_DEVICE),
    FeatureSpec("failures_1h_log", ReasonCode.FAILED_LOGIN_BURST),
    FeatureSpec("hour_rarity", ReasonCode.UNUSUAL_HOUR, novelty=True),
    FeatureSpec("dormancy_log", ReasonCode.DORMANT_ACCOUNT),
)

CONTACT_CHANGES = frozenset({AccountChangeKind.PHONE, AccountChangeKind.EMAIL,
                             AccountChangeKind.MFA})


def account_change_features(event: AccountChangeEvent, profile: AccountProfile) -> FeatureVector:
    at = event.occurred_at
    dormant, before_sign_in = _session_dormancy_days(profile, at)
    changes = count_since(profile.recent_changes, at - CHANGE_WINDOW_DAYS * DAY) + 1
    failures = count_since(profile.recent_failures, at - HOUR)
    new_device = _novel(profile.devices.count(event.device_id), event.device_id)
    values = [
        1.0 if event.change in CONTACT_CHANGES else 0.0,
        1.0 if event.change is AccountChangeKind.PASSWORD else 0.0,
        math.log1p(changes),
        new_device,
        _novel(profile.networks.count(network_prefix(event.ip)), event.ip),
        _recency(at, profile.last_new_device_login_at, 6.0),
        math.log1p(failures),
        _hour_rarity(profile, at),
        math.log1p(dormant),
    ]
    context: Context = {
        "change": event.change.name.lower().replace("_", " "), "changes_7d": changes,
        "failures_1h": failures,
        "unknown_device_failures_1h": count_since(profile.recent_unknown_failures, at - HOUR),
        "hour": hour_of_day(at),
        **_session_context(profile, at, new_device, dormant, before_sign_in),
    }
    return FeatureVector(EventKind.ACCOUNT_CHANGE, values, context)


FEATURE_SPECS: dict[EventKind, tuple[FeatureSpec, ...]] = {
    EventKind.LOGIN: LOGIN_FEATURES,
    EventKind.TRANSACTION: TRANSACTION_FEATURES,
    EventKind.ACCOUNT_CHANGE: ACCOUNT_CHANGE_FEATURES,
}

def extract_features(event: Event, profile: AccountProfile,
                     crowd: CrowdSignals = NO_CROWD) -> FeatureVector:
    """Features of ``event`` relative to ``profile`` (the profile before this event) and to what
    other accounts' traffic says (``crowd``)."""
    if isinstance(event, LoginEvent):
        return login_features(event, profile, crowd)
    if isinstance(event, TransactionEvent):
        return transaction_features(event, profile)
    return account_change_features(event, profile)


def feature_schema(kind: EventKind) -> list[str]:
    return [spec.name for spec in FEATURE_SPECS[kind]]
