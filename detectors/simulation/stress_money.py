"""Stress personas that spend unusually: big one-off purchases, bill-paying sessions, many new
payees, payday transfers and sale sprees (described in :mod:`detectors.simulation.stress`)."""

from __future__ import annotations

import random
import time
from datetime import date

from detectors.events import CreditFeature
from detectors.simulation.attackers import hosting_network
from detectors.simulation.calendar_days import DAY, HOUR, Today
from detectors.simulation.devices import Device, make_laptop
from detectors.simulation.honest import HonestDay, Intent, Payment
from detectors.simulation.hooks import Behaviour
from detectors.simulation.model import SimulationConfig
from detectors.simulation.population import NO_DAY, Account, Trip
from detectors.simulation.seeding import poisson
from detectors.simulation.spending import merchant_payee, person_payee
from detectors.simulation.stress_common import (
    AT_HOME,
    AWAY,
    channel_of,
    everyday_eur,
    laptop_of,
    new_merchant,
    new_person,
    own_device,
    session,
    time_in,
    to_minor,
)
from detectors.simulation.stress_travel import can_leave, foreign_city, make_trip
from detectors.simulation.world import Network

# Where remittances go: countries many of the bank's customers send money home to.
_REMITTANCE_COUNTRIES = ("TR", "RO", "PL", "IN", "NG", "MX", "PT", "BR", "ZA")


def _month(today: Today) -> int:
    moment = time.gmtime(today.utc_midnight + 12 * HOUR)
    return moment.tm_year * 12 + moment.tm_mon


class HeavySpender(Behaviour):
    """Now and then a purchase 5-30x the median (a TV, a holiday), from home on their own
    long-known phone or laptop; everyday amounts are erratic too (a wide log-normal)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account = day.rng, day.account
        if day.schedule.trip is not None or rng.random() >= self.rate:
            return
        at = time_in(day, AT_HOME, 9.0, 22.5)
        if at is None:
            return
        laptop = laptop_of(account)
        device = laptop if laptop is not None and rng.random() < 0.5 else account.phone
        feature = CreditFeature.INSTALLMENT_LOAN if rng.random() < 0.2 else CreditFeature.PAYMENT
        payee = (new_merchant(rng, account.country) if rng.random() < 0.6
                 else merchant_payee(account.country, rng.choice(account.merchants)))
        amount = to_minor(account, account.median_eur * rng.uniform(5.0, 30.0))
        intents.append(session(at, [Payment(feature, channel_of(device), amount_minor=amount,
                                            payee=payee)], place=(account.home_net, device)))


def heavy_spender(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    account.amount_sigma = rng.uniform(1.1, 1.5)
    account.new_phone_day = NO_DAY  # the phone and laptop are the ones they always had
    account.relay_net = None
    if laptop_of(account) is None:
        account.devices.append(make_laptop(rng))
    return HeavySpender(config.stress.splurge_rate)


class SessionPayer(Behaviour):
    """Pays 3-10 bills in one sitting, a minute or so apart: at the start of each month and a
    few more times a month; now and then a biller is new."""

    def __init__(self, rate: float, billers: list[tuple[str, CreditFeature, int]]) -> None:
        self.rate = rate
        self.billers = billers
        self.paid_month = -1

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account, today = day.rng, day.account, day.today
        month_start = today.day_of_month <= 3 and self.paid_month != _month(today)
        if not (month_start or rng.random() < self.rate) or day.schedule.trip is not None:
            return
        at = time_in(day, AT_HOME, 8.0, 22.5)
        if at is None:
            return
        if month_start:
            self.paid_month = _month(today)
        count = rng.randint(3, 10)
        if rng.random() < 0.2:
            self.billers.append(_biller(rng, account))
        picks = rng.sample(self.billers, min(count, len(self.billers)))
        device = own_device(rng, account, web=rng.random() < 0.6)
        payments = [Payment(feature, channel_of(device), payee=payee,
                            amount_minor=max(1, round(amount * rng.uniform(0.9, 1.1))))
                    for payee, feature, amount in picks]
        intents.append(session(at, payments, place=(account.home_net, device), gap=90.0))


def _biller(rng: random.Random, account: Account) -> tuple[str, CreditFeature, int]:
    amount = to_minor(account, account.median_eur * rng.uniform(0.3, 3.0))
    if rng.random() < 0.75:  # a utility, a phone company, an insurer
        return new_merchant(rng, account.country), CreditFeature.PAYMENT, amount
    return new_person(rng, account.country), CreditFeature.TRANSFER_OUT, amount  # a landlord


def session_payer(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    billers = [_biller(rng, account) for _ in range(rng.randint(8, 12))]
    return SessionPayer(max(0.0, config.stress.bill_sessions_per_month - 1.0) / 30.0, billers)


class NewPayeeRegular(Behaviour):
    """A share of their online payments go to payees never paid before (marketplace sellers,
    friends splitting a bill), besides a few extra such payments a day."""

    def __init__(self, share: float) -> None:
        self.share = share

    def _fresh(self, rng: random.Random, account: Account, payment: Payment) -> Payment:
        if payment.feature is CreditFeature.TRANSFER_OUT:
            return Payment(payment.feature, payment.channel,
                           payee=new_person(rng, account.country))
        return Payment(payment.feature, payment.channel, payee=new_merchant(rng, account.country))

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account = day.rng, day.account
        for intent in intents:
            if intent.payments:
                intent.payments = [
                    self._fresh(rng, account, payment)
                    if not payment.rent and rng.random() < self.share else payment
                    for payment in intent.payments]
        extra = poisson(rng, self.share) if active else 0
        for _ in range(extra):
            at = time_in(day, AT_HOME, 8.0, 23.0)
            if at is None:
                continue
            if rng.random() < 0.6:  # a marketplace seller
                payment = Payment(CreditFeature.PAYMENT, "app", payee=new_merchant(
                    rng, account.country), amount_minor=to_minor(account, everyday_eur(
                        rng, account)))
            else:  # a friend: their share of a dinner, a trip, a present
                payment = Payment(CreditFeature.TRANSFER_OUT, "app",
                                  payee=new_person(rng, account.country),
                                  amount_minor=to_minor(account, rng.uniform(8.0, 80.0)))
            intents.append(session(at, [payment]))


def new_payee_regular(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    account.tx_rate *= 1.5
    return NewPayeeRegular(config.stress.new_payee_share)


class PaydaySaver(Behaviour):
    """Salaried: on payday (a fixed day of the month, the Friday before when it falls on a
    weekend) transfers fixed large amounts to payees paid once a month: rent, savings, a
    broker, a remittance abroad. Some are away then: on a business trip abroad ("trip") or
    behind a VPN exit abroad ("vpn")."""

    def __init__(self, payday: int, payees: list[tuple[str, int, float]], abroad: str,
                 lead_days: int, exits: list[Network]) -> None:
        self.payday = payday  # day of the month, 3 to 28
        self.payees = payees  # (payee, amount in minor units, relative variation)
        self.abroad = abroad  # "", "trip" or "vpn"
        self.lead_days = lead_days  # a trip starts this many days before payday
        self.exits = exits
        self.paid_month = -1

    def is_payday(self, utc_midnight: float) -> bool:
        moment = time.gmtime(utc_midnight + 12 * HOUR)
        weekday = date(moment.tm_year, moment.tm_mon, self.payday).weekday()
        return moment.tm_mday == self.payday - {5: 1, 6: 2}.get(weekday, 0)

    def trip(self, account: Account, today: Today, day_start: float,
             rng: random.Random) -> Trip | None:
        if (self.abroad != "trip" or not can_leave(account, today)
                or not self.is_payday(today.utc_midnight + self.lead_days * DAY)):
            return None
        nights = self.lead_days + rng.randint(1, 3)
        return make_trip(account, today, day_start, rng, foreign_city(rng, account), nights)

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account, today = day.rng, day.account, day.today
        if self.paid_month == _month(today) or not self.is_payday(today.utc_midnight):
            return
        kinds = AWAY if day.schedule.trip is not None else AT_HOME
        at = time_in(day, kinds, 7.0, 22.5) or time_in(day, AT_HOME, 7.0, 22.5)
        if at is None:
            return
        self.paid_month = _month(today)
        place: tuple[Network, Device] | None = None
        web = rng.random() < 0.4
        if self.abroad == "vpn":
            place = rng.choice(self.exits), own_device(rng, account, web)
        payments = [Payment(CreditFeature.TRANSFER_OUT, "web" if web else "app", payee=payee,
                            amount_minor=max(1, round(amount * rng.uniform(1 - vary, 1 + vary))))
                    for payee, amount, vary in self.payees]
        intents.append(session(at, payments, place=place, gap=150.0))


def payday_saver(account: Account, rng: random.Random, config: SimulationConfig) -> Behaviour:
    median, country = account.median_eur, account.country
    payees = [(person_payee(country, rng.getrandbits(40)), to_minor(account, median * rng.uniform(
        12.0, 30.0)), 0.0)]  # rent
    payees.append((person_payee(country, rng.getrandbits(40)),
                   to_minor(account, median * rng.uniform(5.0, 15.0)), 0.0))  # savings
    if rng.random() < 0.6:  # a broker
        payees.append((merchant_payee(country, 6000 + rng.randrange(500)),
                       to_minor(account, median * rng.uniform(5.0, 20.0)), 0.2))
    if rng.random() < 0.5:  # money sent home, to an account abroad
        home = rng.choice([c for c in _REMITTANCE_COUNTRIES if c != country])
        payees.append((person_payee(home, rng.getrandbits(40)),
                       to_minor(account, median * rng.uniform(3.0, 10.0)), 0.15))
    rng.shuffle(payees)
    abroad = ""
    if rng.random() < config.stress.payday_abroad_share:
        abroad = "trip" if rng.random() < 0.5 else "vpn"
    exits = [hosting_network(rng, exclude_country=country) for _ in range(2)]
    account.salary_sensitive = True
    account.median_eur *= 0.7  # everyday spending small beside the payday transfers
    saver = PaydaySaver(rng.randint(3, 28), payees, abroad, rng.randint(1, 2), exits)
    return saver


class SeasonalShopper(Behaviour):
    """A sale: for 2-5 days, several times their usual pace of payments, mostly at shops they
    never paid before, with larger amounts."""

    def __init__(self, first_day: int, last_day: int, pace: float) -> None:
        self.first_day = first_day
        self.last_day = last_day
        self.pace = pace

    def plan(self, day: HonestDay, intents: list[Intent], active: bool) -> None:
        rng, account = day.rng, day.account
        if not self.first_day <= day.today.index <= self.last_day or day.schedule.trip is not None:
            return
        count = 2 + poisson(rng, self.pace * max(account.tx_rate, 0.5))
        times = sorted(t for t in (time_in(day, AT_HOME, 7.0, 23.5)
                                   for _ in range(rng.randint(1, 3))) if t is not None)
        for number, at in enumerate(times):
            device = own_device(rng, account, web=rng.random() < 0.5)
            payments = []
            for _ in range(count // len(times) + (number < count % len(times))):
                feature = (CreditFeature.INSTALLMENT_LOAN if rng.random() < 0.15
                           else CreditFeature.PAYMENT)
                payee = (new_merchant(rng, account.country) if rng.random() < 0.75
                         else merchant_payee(account.country, rng.choice(account.merchants)))
                amount = to_minor(account, everyday_eur(rng, account) * rng.uniform(1.5, 4.0))
                payments.append(Payment(feature, channel_of(device), amount_minor=amount,
                                        payee=payee))
            intents.append(session(at, payments, place=(account.home_net, device), gap=240.0))


def seasonal_shopper(account: Account, rng: random.Random,
                     config: SimulationConfig) -> Behaviour:
    days = config.days
    length = rng.randint(2, 5)
    low = min(7, max(0, days - length))
    first = rng.randint(max(low, account.created_day), max(low, account.created_day,
                                                           days - length))
    return SeasonalShopper(first, first + length - 1, config.stress.spree_pace)

