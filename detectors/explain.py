"""Reason codes from per-feature evidence.

Each feature's evidence is its right-tail surprise on normal traffic: -log P(X_j >= x_j), with
features oriented so that higher is riskier. Evidence is pooled per reason code (the strongest
feature speaks for its code), codes below a floor are dropped, and the rest are weighted by
their share of the evidence and phrased as sentences a support agent can read out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detectors.calibration import TailCalibrator
from detectors.features import Context, FeatureSpec
from detectors.reasons import Reason, ReasonCode

Floats = NDArray[np.float64]

# Evidence (in nats) below which a feature is not worth naming: about a 1-in-12 event.
MIN_EVIDENCE = 2.5
MAX_REASONS = 5


@dataclass(frozen=True, slots=True)
class FeatureTails:
    """Each feature's right tail on normal traffic, with the exponential extension of
    :class:`TailCalibrator`, so values past anything seen in training still rank: a sign-in at
    17,000 km/h is stronger evidence than one at 2,000 km/h."""

    columns: tuple[TailCalibrator, ...]

    @classmethod
    def fit(cls, X: Floats) -> FeatureTails:
        return cls(tuple(TailCalibrator.fit(X[:, j]) for j in range(X.shape[1])))

    def evidence(self, row: Sequence[float]) -> list[float]:
        """-log P(X_j >= x_j) per feature (0 for values at or below most of normal traffic)."""
        return [-math.log(max(column.exceedance_one(value), 1e-300))
                for column, value in zip(self.columns, row, strict=True)]

    def to_arrays(self, prefix: str) -> dict[str, Floats]:
        arrays: dict[str, Floats] = {}
        for j, column in enumerate(self.columns):
            arrays.update(column.to_arrays(f"{prefix}.{j}"))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, Floats], prefix: str, width: int) -> FeatureTails:
        return cls(tuple(TailCalibrator.from_arrays(arrays, f"{prefix}.{j}")
                         for j in range(width)))


def _amount(minor: float, currency: object) -> str:
    unit = f" {currency}" if currency else ""
    return f"{minor / 100:,.2f}{unit}"


def _amount_spike(c: Context) -> str:
    amount = _amount(float(c.get("amount_minor", 0)), c.get("currency"))
    usual = _amount(float(c.get("usual_amount_minor", 0)), c.get("currency"))
    if int(float(c.get("tx_1h", 1))) < 2:
        return f"The amount {amount} is far above this account's usual amounts (about {usual})."
    hour = _amount(float(c.get("amount_1h_minor", 0)), c.get("currency"))
    return (f"{hour} moved within one hour ({amount} now), far above this account's usual "
            f"amounts (about {usual}).")


def _new_payee(c: Context) -> str:
    payees = int(float(c.get("new_payees_3h", 0)))
    if payees < 2:
        return "The money goes to a recipient this account has never paid before."
    total = _amount(float(c.get("new_payee_amount_3h", 0)), c.get("currency"))
    return (f"The money goes to a recipient this account has never paid before: {payees} new "
            f"recipients received {total} in the last 3 hours.")


def describe(code: ReasonCode, context: Context) -> str:
    """One plain sentence about ``code`` for this event."""
    c = context
    country = c.get("country") or "an unknown place"
    if code is ReasonCode.NEW_DEVICE:
        return "The activity came from a device not seen on this account before."
    if code is ReasonCode.NEW_COUNTRY:
        if float(c.get("country_first_seen_today", 0)) > 0:
            return (f"The activity came from {country}, a country this account had not been "
                    "used in before today.")
        return f"The activity came from {country}, a country not seen on this account before."
    if code is ReasonCode.NEW_NETWORK:
        return ("The activity came from an internet provider or network this account had not "
                "used before today.")
    if code is ReasonCode.IMPOSSIBLE_TRAVEL:
        return (f"This sign-in is {float(c.get('distance_km', 0)):,.0f} km from the previous one, "
                f"{float(c.get('hours', 0)):.1f} hours later: faster than anyone can travel "
                f"({float(c.get('speed_kmh', 0)):,.0f} km/h).")
    if code is ReasonCode.FAILED_LOGIN_BURST:
        own = int(float(c.get("failures_1h", 0)))
        accounts = int(float(c.get("network_failed_accounts_1h", 0)))
        if accounts > own:
            return (f"The sign-in came from a network where sign-ins to {accounts} other "
                    "accounts failed in the last hour, a sign of password guessing.")
        if float(c.get("unknown_device_failures_1h", 0)) > 0:
            return (f"There were {own} failed sign-in attempts in the last hour, from a device "
                    "this account has never used: someone else guessing the password.")
        return f"There were {own} failed sign-in attempts in the last hour."
    if code is ReasonCode.LOGIN_VELOCITY:
        attempts = int(float(c.get("attempts_1h", 0)))
        return f"There were {attempts} sign-in attempts in the last hour."
    if code is ReasonCode.UNUSUAL_HOUR:
        hour = int(float(c.get("hour", 0)))
        return f"The activity happened at {hour:02d}:00 UTC, a time this account is rarely used."
    if code is ReasonCode.AMOUNT_SPIKE:
        return _amount_spike(c)
    if code is ReasonCode.NEW_PAYEE:
        return _new_payee(c)
    if code is ReasonCode.TINY_AMOUNT:
        amount = _amount(float(c.get("amount_minor", 0)), c.get("currency"))
        usual = _amount(float(c.get("usual_amount_minor", 0)), c.get("currency"))
        return (f"The amount {amount} is far below this account's usual amounts (about {usual}), "
                "like a small payment made to test whether a stolen card works.")
    if code is ReasonCode.RAPID_TRANSACTIONS:
        count = int(float(c.get("tx_1h", 0)))
        peak = int(float(c.get("usual_tx_1h", 0)))
        if peak < 1:
            return f"This is transaction {count} within one hour, far more than usual."
        most = "1 transaction" if peak == 1 else f"{peak} transactions"
        return (f"This is transaction {count} within one hour; this account has made at most "
                f"{most} in an hour before.")
    if code is ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT:
        hours = float(c.get("hours_since_change", -1))
        when = f"{hours:.1f} hours" if hours >= 0 else "shortly"
        return (f"Money is being moved {when} after the account's password or contact details "
                "changed.")
    if code is ReasonCode.DORMANT_ACCOUNT:
        return f"The account had not been used for {float(c.get('dormant_days', 0)):.0f} days."
    if code is ReasonCode.RAPID_ACCOUNT_CHANGES:
        return "The account's credentials or contact details changed several times recently."
    if code is ReasonCode.NEW_ACCOUNT:
        return "The account has no history yet, so it was compared with typical new customers."
    if code is ReasonCode.FEATURE_FROZEN:
        return ("This credit feature is frozen on the account until the holder verifies their "
                "identity.")
    if code is ReasonCode.OPERATOR_FREEZE:
        return "An operator froze the account's credit features for review."
    if code is ReasonCode.REPORTED_FRAUD:
        return (f"Activity on this account from the same {c.get('entities') or 'device'} was "
                "confirmed as fraud.")
    if code is ReasonCode.FAILED_STEP_UP:
        if c.get("restored_elsewhere"):
            return (f"The account holder restored service from another device after activity "
                    f"from this {c.get('entities') or 'device'} was frozen.")
        failures = int(float(c.get("failures", 1)))
        times = "once" if failures == 1 else ("twice" if failures == 2 else f"{failures} times")
        return (f"An identity check on this account from this {c.get('entities') or 'device'} "
                f"was failed or abandoned {times} recently.")
    if code is ReasonCode.RISK_STORE_UNAVAILABLE:
        return ("The account's history could not be read just now, so this activity was not "
                "scored; the decision is the service's rule for that case.")
    if code is ReasonCode.NOT_SCORED_IN_TIME:
        return ("The request left too little time to check this activity against the "
                "account's history, so it was not scored; the decision is the service's rule "
                "for that case.")
    return "The combination of details in this activity is unlike this account's normal use."


def explain(specs: Sequence[FeatureSpec], evidence: Sequence[float],
            context: Context) -> list[Reason]:
    """The reasons behind an event's risk, strongest first (empty if nothing stands out)."""
    pooled: dict[ReasonCode, float] = {}
    for spec, amount in zip(specs, evidence, strict=True):
        if spec.reason is not None and amount >= MIN_EVIDENCE:
            pooled[spec.reason] = max(pooled.get(spec.reason, 0.0), amount)
    if not pooled:
        return [Reason(ReasonCode.UNUSUAL_PATTERN, describe(ReasonCode.UNUSUAL_PATTERN, context),
                       1.0)]
    total = sum(pooled.values())
    ranked = sorted(pooled.items(), key=lambda item: (-item[1], item[0]))[:MAX_REASONS]
    return [Reason(code, describe(code, context), round(amount / total, 4))
            for code, amount in ranked]
