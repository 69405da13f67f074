"""Currencies: which one a country's accounts hold, and conversion to and from minor units.

An account is held in its home country's currency and every debit is booked in it (a card
payment abroad is converted by the card scheme), so ``amount_minor`` of one account is always
comparable with its own history. Rates are rough January-2026 values per euro.
"""

from __future__ import annotations

import math

EURO_COUNTRIES = frozenset({"DE", "FR", "NL", "ES", "IT", "BE", "AT", "PT", "IE"})

COUNTRY_CURRENCY: dict[str, str] = {
    **{country: "EUR" for country in EURO_COUNTRIES},
    "GB": "GBP", "CH": "CHF", "PL": "PLN", "SE": "SEK", "DK": "DKK", "RO": "RON", "TR": "TRY",
    "US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "JP": "JPY", "SG": "SGD", "AU": "AUD",
    "IN": "INR", "AE": "AED", "NG": "NGN", "ZA": "ZAR",
}

UNITS_PER_EUR: dict[str, float] = {
    "EUR": 1.0, "GBP": 0.86, "CHF": 0.94, "PLN": 4.27, "SEK": 11.2, "DKK": 7.46, "RON": 5.0,
    "TRY": 37.0, "USD": 1.06, "CAD": 1.5, "MXN": 19.8, "BRL": 5.8, "JPY": 162.0, "SGD": 1.42,
    "AUD": 1.64, "INR": 90.0, "AED": 3.9, "NGN": 1650.0, "ZAR": 19.5,
}

_ZERO_DECIMAL = frozenset({"JPY"})


def _minor_per_unit(currency: str) -> int:
    return 1 if currency in _ZERO_DECIMAL else 100


def eur_to_minor(eur: float, currency: str) -> int:
    """``eur`` euros as a whole number (at least 1) of ``currency``'s minor units."""
    return max(1, round(eur * UNITS_PER_EUR[currency] * _minor_per_unit(currency)))


def minor_to_eur(amount_minor: int, currency: str) -> float:
    """The inverse of :func:`eur_to_minor`, for comparing amounts across currencies."""
    return amount_minor / (_minor_per_unit(currency) * UNITS_PER_EUR[currency])


def round_cash_eur(eur: float, currency: str) -> float:
    """A cash withdrawal's amount: what an ATM pays out, a multiple of a round note value."""
    rate = UNITS_PER_EUR[currency]
    local = eur * rate
    magnitude = 10.0 ** math.floor(math.log10(max(local / 4.0, 1.0)))
    note = max(n * magnitude for n in (1.0, 2.0, 5.0) if n * magnitude <= max(local / 4.0, 1.0))
    note = max(note, 1000.0 if currency in _ZERO_DECIMAL else 10.0)
    return max(note, round(local / note) * note) / rate
