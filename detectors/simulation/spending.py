"""What honest account holders spend: products, channels, amounts and payees."""

from __future__ import annotations

import math
import random

from detectors.events import CreditFeature
from detectors.simulation.hours import weighted_index
from detectors.simulation.money import eur_to_minor, round_cash_eur
from detectors.simulation.population import FEATURE_ORDER, MERCHANTS_PER_COUNTRY, Account

CARD_PRESENT_CHANNELS = frozenset({"pos", "atm"})
_MAX_MERCHANTS = 40
_MAX_PERSONS = 12
_ATMS_PER_COUNTRY = 9000
# A product's amount relative to the account's typical card payment.
_FEATURE_SCALE: dict[CreditFeature, float] = {
    CreditFeature.PAYMENT: 1.0,
    CreditFeature.CREDIT_LINE: 3.0,
    CreditFeature.INSTALLMENT_LOAN: 8.0,
    CreditFeature.CASH_WITHDRAWAL: 1.5,
}


def pick_feature(rng: random.Random, account: Account) -> CreditFeature:
    return FEATURE_ORDER[weighted_index(rng, account.feature_cumulative)]


def pick_channel(rng: random.Random, feature: CreditFeature) -> str:
    if feature is CreditFeature.CASH_WITHDRAWAL:
        return "atm"
    draw = rng.random()
    if feature is CreditFeature.PAYMENT:
        return "pos" if draw < 0.55 else "app" if draw < 0.8 else "web"
    return "app" if draw < 0.65 else "web"


def typical_eur(account: Account, feature: CreditFeature) -> float:
    """The account's median amount for ``feature``, in euros."""
    if feature is CreditFeature.TRANSFER_OUT:
        return account.median_eur * account.transfer_factor
    return account.median_eur * _FEATURE_SCALE[feature]


def credit_limit_eur(rng: random.Random, account: Account) -> float:
    """The credit the account can draw on: one to two months of its holder's spending (roughly
    30 to 45 typical payments a month, rent included), in round hundreds, at least 300 EUR."""
    return max(300.0, round(account.median_eur * rng.uniform(25.0, 75.0), -2))


def honest_amount(rng: random.Random, account: Account, feature: CreditFeature,
                  payday: bool) -> int:
    """A log-normal amount around the account's own typical value, in its minor units."""
    eur = typical_eur(account, feature) * math.exp(account.amount_sigma * rng.gauss(0.0, 1.0))
    if payday and account.salary_sensitive:
        eur *= 1.3
    if feature is CreditFeature.CASH_WITHDRAWAL:
        eur = round_cash_eur(eur, account.currency)
    return eur_to_minor(max(eur, 0.5), account.currency)


def rent_amount(account: Account) -> int:
    """The monthly standing transfer to the first usual payee: the same every month."""
    return eur_to_minor(round(account.median_eur * account.transfer_factor * 4.0), account.currency)


def person_payee(country: str, number: int) -> str:
    return f"iban-{country}-{number:010x}"


def merchant_payee(country: str, number: int) -> str:
    return f"mrc-{country}-{number:05d}"


def atm_payee(country: str, number: int) -> str:
    return f"atm-{country}-{number:04d}"


def _usual(rng: random.Random, known: list[int], skew: float) -> int:
    """One of the usual payees, the first ones much more often than the last."""
    return known[int(len(known) * rng.random() ** skew)]


def _remember(rng: random.Random, known: list[int], number: int, limit: int) -> None:
    if number in known:
        return
    if len(known) < limit:
        known.append(number)
    else:
        known[rng.randrange(len(known))] = number


def honest_payee(rng: random.Random, account: Account, feature: CreditFeature,
                 country: str) -> str:
    """Mostly a usual payee; now and then a new one, which becomes usual."""
    if feature is CreditFeature.TRANSFER_OUT:
        if account.persons and rng.random() < 0.9:
            return person_payee(account.country, _usual(rng, account.persons, 2.0))
        number = rng.getrandbits(40)
        _remember(rng, account.persons, number, _MAX_PERSONS)
        return person_payee(account.country, number)
    if feature is CreditFeature.CASH_WITHDRAWAL:
        if country == account.country and rng.random() < 0.85:
            usual = (account.index * 7919 + (rng.random() < 0.3)) % _ATMS_PER_COUNTRY
            return atm_payee(country, usual)
        return atm_payee(country, rng.randrange(_ATMS_PER_COUNTRY))
    if country != account.country:
        return merchant_payee(country, int(MERCHANTS_PER_COUNTRY * rng.random() ** 2))
    usual_share = 0.5 if feature is CreditFeature.INSTALLMENT_LOAN else 0.92
    if account.merchants and rng.random() < usual_share:
        return merchant_payee(country, _usual(rng, account.merchants, 2.5))
    number = int(MERCHANTS_PER_COUNTRY * rng.random() ** 2.5)
    _remember(rng, account.merchants, number, _MAX_MERCHANTS)
    return merchant_payee(country, number)
