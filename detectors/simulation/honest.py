"""Honest traffic: one account holder's sign-ins, payments and settings changes for one day.

The day is planned as a list of intents (sign in, open the account, set up a new phone,
change a setting, reset a forgotten password), each possibly carrying payments made in that
session; the intents then play out in time order. Card payments and cash withdrawals happen
without signing in. A sign-in that would imply travelling faster than an airliner since the
previous one (a commute or a flight still under way) does not happen. An account with a
behaviour (a stress persona, :mod:`detectors.simulation.hooks`) may add and change intents,
place them on a network and device of its own, and choose how many typos precede a sign-in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum
from operator import itemgetter

from detectors.events import AccountChangeKind, CreditFeature
from detectors.geo import haversine_km
from detectors.simulation.calendar_days import HOUR, MINUTE, Today
from detectors.simulation.devices import Device, DeviceKind, login_auth, make_phone
from detectors.simulation.factory import EventFactory, Stamped
from detectors.simulation.hours import (
    SHOPPING_CUMULATIVE,
    Routine,
    cumulative_hour_weights,
    sample_hours,
)
from detectors.simulation.population import Account, Persona
from detectors.simulation.schedule import DaySchedule, Stay, StayKind, plan_day
from detectors.simulation.seeding import poisson
from detectors.simulation.spending import (
    CARD_PRESENT_CHANNELS,
    honest_amount,
    honest_payee,
    person_payee,
    pick_channel,
    pick_feature,
    rent_amount,
)
from detectors.simulation.world import CITIES, Network, NetworkKind

HONEST_MAX_KMH = 900.0
# Networks whose geolocation says nothing about where the holder is (a VPN's exit, a satellite
# provider's ground station): signing in through one neither needs nor makes a journey.
LOCATION_FREE = frozenset({NetworkKind.HOSTING, NetworkKind.SATELLITE})
MIN_LOGIN_GAP_SECONDS = 90.0
RETURNING_AFTER_DAYS = 14
# Chance per day that an account holder changes each setting on their own.
CHANGE_RATES: tuple[tuple[AccountChangeKind, float], ...] = (
    (AccountChangeKind.PASSWORD, 0.0012),
    (AccountChangeKind.EMAIL, 0.0004),
    (AccountChangeKind.PHONE, 0.0002),
    (AccountChangeKind.ADDRESS, 0.0004),
    (AccountChangeKind.MFA, 0.0003),
)
_EVENING_HOURS: dict[Routine, tuple[float, float]] = {
    Routine.DAY: (17.5, 22.5), Routine.LATE: (18.0, 23.5),
    Routine.EARLY: (9.0, 18.0), Routine.NIGHT: (14.0, 20.0),
}


class Purpose(IntEnum):
    SIGN_IN = 0
    OPEN_ACCOUNT = 1
    NEW_PHONE = 2
    CHANGE_SETTING = 3
    FORGOT_PASSWORD = 4


@dataclass(frozen=True, slots=True)
class Payment:
    feature: CreditFeature
    channel: str
    rent: bool = False
    amount_minor: int = 0  # 0: drawn around the account's typical amount
    payee: str = ""  # "": one of the usual payees, now and then a new one


@dataclass(slots=True)
class Intent:
    at: float
    purpose: Purpose
    change: AccountChangeKind = AccountChangeKind.PASSWORD
    web: bool = False
    payments: list[Payment] | None = None  # made in this session
    place: tuple[Network, Device] | None = None  # None: where the holder usually would be
    payment_gap: float = 420.0  # at most this many seconds between the session's payments


def _intent_time(intent: Intent) -> float:
    return intent.at


class HonestDay:
    """Plays out one day of one honest account; ``run`` returns its events."""

    __slots__ = ("account", "factory", "opened_at", "out", "rng", "schedule", "today")

    def __init__(self, account: Account, today: Today, rng: random.Random,
                 factory: EventFactory) -> None:
        self.account = account
        self.today = today
        self.rng = rng
        self.factory = factory
        self.out: list[Stamped] = []
        self.opened_at = account.clock
        self.schedule: DaySchedule = plan_day(account, today, rng)

    def run(self) -> list[Stamped]:
        account = self.account
        intents, card_present = self._plan()
        intents.sort(key=_intent_time)
        for intent in intents:
            if intent.at > self.opened_at:
                self._perform(intent)
        for payment in card_present:
            self._card_present(payment)
        if self.out:
            account.clock = max(account.clock, max(map(itemgetter(0), self.out)))
            account.last_active_day = self.today.index
        return self.out

    # Planning

    def _evening(self) -> float:
        low, high = _EVENING_HOURS[self.account.routine]
        return self.schedule.start + self.rng.uniform(low, high) * HOUR

    def _plan(self) -> tuple[list[Intent], list[Payment]]:
        account, today, rng = self.account, self.today, self.rng
        intents: list[Intent] = []
        if today.index == account.created_day and today.index > 0:
            opening = Intent(self._evening(), Purpose.OPEN_ACCOUNT)
            intents.append(opening)
            self.opened_at = opening.at - 1.0
        active = rng.random() < account.active_share
        returning = (account.last_active_day >= 0
                     and today.index - account.last_active_day > RETURNING_AFTER_DAYS)
        if today.index == account.new_phone_day or (returning and active and rng.random() < 0.3):
            intents.append(Intent(self._evening(), Purpose.NEW_PHONE))
        if active:
            self._plan_sign_ins(intents)
        for kind, rate in CHANGE_RATES:
            if rng.random() < rate:
                forgot = kind is AccountChangeKind.PASSWORD and rng.random() < 0.35
                purpose = Purpose.FORGOT_PASSWORD if forgot else Purpose.CHANGE_SETTING
                intents.append(Intent(self._evening(), purpose, change=kind))
        card_present = self._plan_payments(intents, active)
        if account.behaviour is not None:
            account.behaviour.plan(self, intents, active)
        return intents, card_present

    def _plan_sign_ins(self, intents: list[Intent]) -> None:
        account, today, rng = self.account, self.today, self.rng
        weights = cumulative_hour_weights(account.routine, account.hour_shift, today.weekend)
        count = poisson(rng, account.login_rate * (0.85 if today.weekend else 1.0))
        start = self.schedule.start
        intents.extend(Intent(start + hour * HOUR, Purpose.SIGN_IN)
                       for hour in sample_hours(rng, weights, count))
        if self.schedule.arrival:  # travellers check their account on arrival
            arrived = self.schedule.arrival + rng.uniform(10.0, 90.0) * MINUTE
            intents.append(Intent(arrived, Purpose.SIGN_IN))

    def _plan_payments(self, intents: list[Intent], active: bool) -> list[Payment]:
        account, today, rng = self.account, self.today, self.rng
        mean = account.tx_rate
        if today.payday_window and account.salary_sensitive:
            mean *= 1.6
        if not active:
            mean *= 0.0 if account.persona is Persona.DORMANT else 0.35
        card_present: list[Payment] = []
        online: list[Payment] = []
        for _ in range(poisson(rng, mean)):
            feature = pick_feature(rng, account)
            channel = pick_channel(rng, feature)
            if channel in CARD_PRESENT_CHANNELS:
                card_present.append(Payment(feature, channel))
            elif active:
                online.append(Payment(feature, channel))
            elif feature is CreditFeature.PAYMENT:
                card_present.append(Payment(feature, "pos"))
        if active and today.rent_day and account.persons and rng.random() < 0.6:
            online.append(Payment(CreditFeature.TRANSFER_OUT, "app", rent=True))
        if not online:
            return card_present
        sessions = [intent for intent in intents if intent.purpose is Purpose.SIGN_IN]
        weights = cumulative_hour_weights(account.routine, account.hour_shift, today.weekend)
        for payment in online:
            if sessions and rng.random() < 0.85:
                host = rng.choice(sessions)
            else:
                hour = sample_hours(rng, weights, 1)[0]
                host = Intent(self.schedule.start + hour * HOUR, Purpose.SIGN_IN)
                intents.append(host)
                sessions.append(host)
            if host.payments is None:
                host.payments = []
            host.payments.append(payment)
            host.web = host.web or payment.channel == "web"
        return card_present

    # Playing out

    def _where(self, stay: Stay, intent: Intent) -> tuple[Network, Device]:
        account, rng = self.account, self.rng
        if intent.place is not None:
            return intent.place
        if account.behaviour is not None:
            placed = account.behaviour.where(self, stay, intent)
            if placed is not None:
                return placed
        phone = account.phone
        if stay.kind is StayKind.AWAY and self.schedule.trip is not None:
            trip = self.schedule.trip
            laptop = self._other_device(DeviceKind.LAPTOP) if intent.web else None
            if laptop is not None:
                return trip.hotel, laptop
            return (trip.hotel if rng.random() < 0.45 else trip.local_mobile), phone
        if stay.kind is StayKind.WORK and account.work_net is not None:
            if rng.random() < 0.6:
                laptop = self._other_device(DeviceKind.LAPTOP)
                use_laptop = laptop is not None and (intent.web or rng.random() < 0.4)
                return account.work_net, laptop if laptop is not None and use_laptop else phone
            return account.mobile_in(stay.city), phone
        if intent.purpose is Purpose.SIGN_IN and not intent.web and rng.random() < 0.3:
            return account.mobile_in(stay.city), phone
        device = self._home_device(intent.web)
        if (device.kind is DeviceKind.LAPTOP and account.relay_net is not None
                and intent.purpose is Purpose.SIGN_IN and rng.random() < 0.7):
            return account.relay_net, device
        return account.home_net, device

    def _other_device(self, kind: DeviceKind) -> Device | None:
        return next((d for d in self.account.devices[1:] if d.kind is kind), None)

    def _home_device(self, web: bool) -> Device:
        devices = self.account.devices
        if web:
            return self._other_device(DeviceKind.LAPTOP) or devices[0]
        if len(devices) == 1 or self.rng.random() < 0.62:
            return devices[0]
        return self.rng.choice(devices[1:])

    def _plausible(self, at: float, network: Network) -> bool:
        """Could the holder be at ``network`` at ``at``, given where they last signed in?"""
        account = self.account
        if at < self.schedule.start:
            return False
        if account.last_login_at < 0.0 or network.kind in LOCATION_FREE:
            return True
        if at - account.last_login_at < MIN_LOGIN_GAP_SECONDS:
            return False
        if network.city == account.last_login_city:
            return True  # a city's networks lie within 15 km: under 600 km/h after 90 s
        km = haversine_km(account.last_latitude, account.last_longitude,
                          network.latitude, network.longitude)
        return km < 1.0 or km / ((at - account.last_login_at) / HOUR) <= HONEST_MAX_KMH

    def _login(self, at: float, network: Network, ip: str, device: Device, success: bool,
               auth: str) -> None:
        account = self.account
        self.out.append(self.factory.login(account.label, account.account_id, at, network, ip,
                                           device, success, auth))
        if network.kind in LOCATION_FREE:
            return
        account.last_login_at = at
        account.last_login_city = network.city
        account.last_latitude = network.latitude
        account.last_longitude = network.longitude

    def _sign_in(self, at: float, network: Network, device: Device, auth: str,
                 failures: int) -> str | None:
        """Failed attempts (typos) within a minute, then success; the ip used, or None."""
        first = at - self.rng.uniform(15.0, 55.0) if failures else at
        if not self._plausible(first, network):
            return None
        ip = network.ip(self.rng)
        for attempt in range(failures):
            self._login(first + attempt * (at - first) / failures, network, ip, device, False,
                        auth)
        self._login(at, network, ip, device, True, auth)
        return ip

    def _perform(self, intent: Intent) -> None:
        account, rng = self.account, self.rng
        stay = self.schedule.locate(intent.at)
        needs_home = intent.purpose is not Purpose.SIGN_IN
        if stay is None or (needs_home and stay.kind is not StayKind.HOME):
            if intent.purpose is Purpose.NEW_PHONE and self.today.index == account.new_phone_day:
                account.new_phone_day += 1  # set it up tomorrow
            return
        network, device = self._where(stay, intent)
        if intent.purpose is Purpose.FORGOT_PASSWORD:
            self._forgot_password(intent.at, network, device)
            return
        auth = login_auth(rng, device)
        if intent.purpose is Purpose.NEW_PHONE:
            device = make_phone(rng, conservative=account.persona is Persona.RETIREE)
            auth = "password" if rng.random() < 0.6 else "otp"
        elif intent.purpose is Purpose.OPEN_ACCOUNT:
            device, auth = account.phone, "password"
        failures = 1 + (rng.random() < 0.3) if rng.random() < account.typo_rate else 0
        if failures and account.behaviour is not None:
            failures = account.behaviour.typos(rng, failures)
        ip = self._sign_in(intent.at, network, device, auth, failures)
        if ip is None:
            return
        cursor = intent.at
        for change in self._changes_after(intent):
            cursor += rng.uniform(30.0, 240.0)
            self.out.append(self.factory.change(account.label, account.account_id, cursor,
                                                change, device.device_id, ip))
        if intent.purpose is Purpose.NEW_PHONE:
            account.devices[0] = device
        for payment in intent.payments or ():
            cursor += rng.uniform(20.0, intent.payment_gap)
            self._online_payment(cursor, payment, network, ip, device)

    def _changes_after(self, intent: Intent) -> list[AccountChangeKind]:
        rng = self.rng
        if intent.purpose is Purpose.OPEN_ACCOUNT:
            extra = [AccountChangeKind.MFA] if rng.random() < 0.5 else []
            return [AccountChangeKind.DEVICE_BINDING, *extra]
        if intent.purpose is Purpose.NEW_PHONE:
            changes = [AccountChangeKind.DEVICE_BINDING] if rng.random() < 0.8 else []
            return changes + ([AccountChangeKind.MFA] if rng.random() < 0.25 else [])
        if intent.purpose is Purpose.CHANGE_SETTING:
            return [intent.change]
        return []

    def _forgot_password(self, at: float, network: Network, device: Device) -> None:
        account, rng = self.account, self.rng
        if not self._plausible(at, network):
            return
        ip = network.ip(rng)
        auth = login_auth(rng, device)
        cursor = at
        for _ in range(rng.randint(2, 3)):
            self._login(cursor, network, ip, device, False, auth)
            cursor += rng.uniform(10.0, 40.0)
        cursor += rng.uniform(60.0, 240.0)
        self.out.append(self.factory.change(account.label, account.account_id, cursor,
                                            AccountChangeKind.PASSWORD, device.device_id, ip))
        self._login(cursor + rng.uniform(20.0, 90.0), network, ip, device, True, auth)

    def _online_payment(self, at: float, payment: Payment, network: Network, ip: str,
                        device: Device) -> None:
        account, rng = self.account, self.rng
        if payment.rent:
            amount, payee = rent_amount(account), person_payee(account.country, account.persons[0])
        else:
            amount = payment.amount_minor or honest_amount(rng, account, payment.feature,
                                                           self.today.payday_window)
            country = account.country if network.kind in LOCATION_FREE else network.country
            payee = payment.payee or honest_payee(rng, account, payment.feature, country)
        self.out.append(self.factory.transaction(
            account.label, account.account_id, at, amount, account.currency, payee, payment.feature,
            payment.channel, device.device_id, ip, network.country))

    def _card_present(self, payment: Payment) -> None:
        account, rng = self.account, self.rng
        at = self.schedule.start + sample_hours(rng, SHOPPING_CUMULATIVE, 1)[0] * HOUR
        stay = self.schedule.locate(at)
        if stay is None or at <= self.opened_at:
            return
        country = CITIES[stay.city].country
        wallet = rng.random() < (0.5 if payment.channel == "pos" else 0.2)
        amount = honest_amount(rng, account, payment.feature, self.today.payday_window)
        payee = honest_payee(rng, account, payment.feature, country)
        self.out.append(self.factory.transaction(
            account.label, account.account_id, at, amount, account.currency, payee,
            payment.feature, payment.channel, account.phone.device_id if wallet else "", "",
            country))

