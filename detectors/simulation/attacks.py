"""Attack scenarios: each turns one account's plan into labelled events.

A scenario returns False when it cannot happen today (an impossible-travel attack needs the
owner to have signed in); the plan is then retried the next day. Events may run into later
days; they interleave with the owner's own events in the merged stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from detectors.events import AccountChangeKind, CreditFeature, LoginEvent
from detectors.geo import haversine_km
from detectors.simulation.attack_plans import AttackPlan, Campaign
from detectors.simulation.attackers import (
    attacker_device,
    foreign_city,
    foreign_network,
    hosting_network,
    mobile_network,
    mule_payee,
    residential_network,
)
from detectors.simulation.calendar_days import DAY, HOUR, MINUTE, Today
from detectors.simulation.devices import Device, DeviceKind
from detectors.simulation.factory import EventFactory, Stamped
from detectors.simulation.hours import cumulative_hour_weights, sample_hours
from detectors.simulation.money import eur_to_minor, round_cash_eur
from detectors.simulation.population import Account
from detectors.simulation.spending import (
    atm_payee,
    credit_limit_eur,
    merchant_payee,
    person_payee,
    typical_eur,
)
from detectors.simulation.world import CITIES, CITIES_BY_COUNTRY, Network

ATM_LIMIT_EUR = 1000.0  # what one withdrawal can take out
_TRANSFER = CreditFeature.TRANSFER_OUT
_CASH = CreditFeature.CASH_WITHDRAWAL


@dataclass(slots=True)
class AttackRun:
    """One attempt to carry out a plan today, collecting the events it makes."""

    account: Account
    plan: AttackPlan
    today: Today
    owner_events: list[Stamped]  # the owner's honest events generated for today
    owner_day_end: float  # the owner's next events come after this; 0.0 if unknown
    rng: random.Random
    factory: EventFactory
    out: list[Stamped] = field(default_factory=list)

    @property
    def day_start(self) -> float:
        """Local midnight at the owner's home, as a UTC timestamp."""
        return self.today.utc_midnight - CITIES[self.account.home_city].utc_offset_seconds

    @property
    def campaign(self) -> Campaign:
        if self.plan.campaign is None:
            raise ValueError(f"{self.plan.scenario} needs a campaign")
        return self.plan.campaign

    def some_time(self, low_hour: float = 0.0, high_hour: float = 23.0) -> float:
        return self.day_start + self.rng.uniform(low_hour, high_hour) * HOUR

    def login(self, at: float, network: Network, device: Device, success: bool,
              auth: str) -> str:
        ip = network.ip(self.rng)
        self.out.append(self.factory.login(self.plan.label, self.account.account_id, at,
                                           network, ip, device, success, auth))
        return ip

    def change(self, at: float, kind: AccountChangeKind, device: Device, ip: str) -> None:
        self.out.append(self.factory.change(self.plan.label, self.account.account_id, at, kind,
                                            device.device_id, ip))

    def pay(self, at: float, eur: float, payee: str, feature: CreditFeature, channel: str,
            device_id: str, ip: str, country: str) -> None:
        amount = eur_to_minor(eur, self.account.currency)
        self.out.append(self.factory.transaction(
            self.plan.label, self.account.account_id, at, amount, self.account.currency, payee,
            feature, channel, device_id, ip, country))

    def payout(self, at: float, eur: float, feature: CreditFeature, device: Device, ip: str,
               network: Network, payee: str = "") -> None:
        """Money out to a mule: a transfer, or a cardless cash withdrawal at an ATM."""
        if feature is _CASH:
            atm = atm_payee(network.country, self.rng.randrange(9000))
            cash = round_cash_eur(min(eur, ATM_LIMIT_EUR), self.account.currency)
            self.pay(at, cash, atm, _CASH, "atm", device.device_id, "", network.country)
            return
        payee = payee or mule_payee(self.rng, self.account.country)
        channel = "app" if device.runs_app else "web"
        self.pay(at, eur, payee, feature, channel, device.device_id, ip, network.country)


def credential_stuffing(run: AttackRun) -> bool:
    """A burst of leaked-password attempts from a few data-centre networks; rarely a hit."""
    rng, campaign = run.rng, run.campaign
    at = run.plan.first_at
    attempts = rng.randint(1, 5)
    hit = rng.random() < 0.05
    for attempt in range(attempts):
        device = attacker_device(rng, user_agent=rng.choice(campaign.user_agents))
        network = rng.choice(campaign.networks)
        ip = run.login(at, network, device, hit and attempt == attempts - 1, "password")
        at += rng.uniform(2.0, 20.0)
    if hit and rng.random() < 0.3:
        kind = AccountChangeKind.EMAIL if rng.random() < 0.6 else AccountChangeKind.PASSWORD
        run.change(at + rng.uniform(60.0, 600.0), kind, device, ip)
    return True


def password_spraying(run: AttackRun) -> bool:
    """One or two common passwords per account, hours apart, each from another network."""
    rng, campaign = run.rng, run.campaign
    at = run.plan.first_at
    for _ in range(rng.randint(1, 2)):
        device = attacker_device(rng, user_agent=rng.choice(campaign.user_agents))
        hit = rng.random() < 0.02
        run.login(at, rng.choice(campaign.networks), device, hit, "password")
        if hit:
            break
        at += rng.uniform(6.0, 30.0) * HOUR
    return True


def account_takeover(run: AttackRun) -> bool:
    """Guessing from a new network, a hit from abroad, a contact change, a large transfer."""
    account, rng = run.account, run.rng
    home = CITIES[account.home_city]
    origin = (home.latitude, home.longitude)
    burst_net = foreign_network(rng, account.country)
    device = attacker_device(rng)
    at = run.some_time()
    owner_sign_ins = [login for login in _owner_logins(run) if login.success]
    if owner_sign_ins and rng.random() < 0.7:  # soon after the owner, e.g. after phishing them
        owner_login = rng.choice(owner_sign_ins)
        at = owner_login.occurred_at + rng.uniform(10.0, 180.0) * MINUTE
        origin = (owner_login.latitude, owner_login.longitude)
    for _ in range(rng.randint(3, 10)):
        run.login(at, burst_net, device, False, "password")
        at += rng.uniform(3.0, 30.0)
    network = burst_net
    if rng.random() < 0.5:
        network = foreign_network(rng, account.country, origin,
                                  3000.0 if rng.random() < 0.7 else 0.0)
        device = attacker_device(rng)
    at += rng.uniform(0.5, 10.0) * MINUTE
    ip = run.login(at, network, device, True, "password" if rng.random() < 0.8 else "otp")
    if rng.random() < 0.85:
        kind = AccountChangeKind.PHONE if rng.random() < 0.55 else AccountChangeKind.EMAIL
        at += rng.uniform(1.0, 10.0) * MINUTE
        run.change(at, kind, device, ip)
    for _ in range(1 + (rng.random() < 0.3)):
        at += rng.uniform(5.0, 60.0) * MINUTE
        eur = typical_eur(account, _TRANSFER) * rng.uniform(4.0, 15.0)
        run.payout(at, eur, _TRANSFER, device, ip, network)
    return True


def _owner_logins(run: AttackRun) -> list[LoginEvent]:
    logins = [labelled.event for _, labelled in run.owner_events
              if isinstance(labelled.event, LoginEvent)]
    return sorted(logins, key=_occurred_at)


def _occurred_at(login: LoginEvent) -> float:
    return login.occurred_at


def impossible_travel(run: AttackRun) -> bool:
    """A sign-in far away minutes after the owner signed in at home."""
    account, rng = run.account, run.rng
    if not run.owner_day_end:
        return False
    logins = _owner_logins(run)
    candidates: list[tuple[LoginEvent, float]] = []
    for i, login in enumerate(logins):
        following = logins[i + 1].occurred_at if i + 1 < len(logins) else run.owner_day_end
        if login.success and following - login.occurred_at > 10 * MINUTE:
            candidates.append((login, following))
    if not candidates:
        return False
    owner_login, following = rng.choice(candidates)
    gap = min(rng.uniform(5.0, 60.0) * MINUTE, 0.8 * (following - owner_login.occurred_at))
    needed_km = 1500.0 * gap / HOUR + 300.0
    origin = (owner_login.latitude, owner_login.longitude)
    city = foreign_city(rng, owner_login.country, origin, needed_km)
    if city is None:
        return False
    if rng.random() < 0.4:
        network = hosting_network(rng, owner_login.country, origin, needed_km)
    else:
        network = residential_network(rng, CITIES[city].country, city)
    km = haversine_km(origin[0], origin[1], network.latitude, network.longitude)
    if km / (gap / HOUR) <= 1000.0:
        return False
    if rng.random() < 0.4:
        phone = account.phone  # a spoofed device id and agent
        device = Device(phone.device_id, phone.kind, phone.user_agent, phone.auth_method)
    else:
        device = attacker_device(rng)
    at = owner_login.occurred_at + gap
    ip = run.login(at, network, device, True, "password")
    if rng.random() < 0.4:
        eur = typical_eur(account, _TRANSFER) * rng.uniform(2.0, 8.0)
        run.payout(at + rng.uniform(2.0, 20.0) * MINUTE, eur, _TRANSFER, device, ip, network)
    return True


def sim_swap(run: AttackRun) -> bool:
    """The phone number is moved to the attacker's SIM; OTP sign-in; payouts within hours."""
    account, rng = run.account, run.rng
    city = account.home_city
    if rng.random() < 0.3:
        city = rng.choice(CITIES_BY_COUNTRY[account.country])
    carrier = account.mobile_asn if rng.random() < 0.5 else 0
    network = mobile_network(rng, account.country, city, carrier)
    device = attacker_device(rng, DeviceKind.PHONE, account.phone.user_agent, "otp")
    at = run.some_time(8.0, 22.0)
    ip = network.ip(rng)
    run.change(at, AccountChangeKind.PHONE, device, ip)
    at += rng.uniform(2.0, 30.0) * MINUTE
    ip = run.login(at, network, device, True, "otp")
    if rng.random() < 0.4:
        at += rng.uniform(1.0, 5.0) * MINUTE
        run.change(at, AccountChangeKind.PASSWORD, device, ip)
    for _ in range(rng.randint(1, 3)):
        at += rng.uniform(10.0, 90.0) * MINUTE
        feature = _TRANSFER if rng.random() < 0.7 else _CASH
        eur = typical_eur(account, _TRANSFER) * rng.uniform(3.0, 12.0)
        run.payout(at, eur, feature, device, ip, network)
    return True


def session_theft(run: AttackRun) -> bool:
    """A stolen session token: a known device id, used from a new network abroad."""
    account, rng = run.account, run.rng
    laptops = [device for device in account.devices[1:] if device.kind is DeviceKind.LAPTOP]
    stolen = laptops[0] if laptops and rng.random() < 0.6 else account.phone
    network = foreign_network(rng, account.country)
    at = run.some_time()
    ip = run.login(at, network, stolen, True, stolen.auth_method)
    for _ in range(rng.randint(1, 3)):
        at += rng.uniform(2.0, 30.0) * MINUTE
        eur = typical_eur(account, _TRANSFER) * rng.uniform(2.0, 10.0)
        run.payout(at, eur, _TRANSFER, stolen, ip, network)
    return True


def card_testing(run: AttackRun) -> bool:
    """Tiny online payments to many new merchants within minutes, checking a stolen card."""
    rng = run.rng
    if rng.random() < 0.6:
        network = hosting_network(rng)
    else:
        network = residential_network(rng, rng.choice(CITIES).country)
    device = attacker_device(rng)
    at = run.some_time()
    for _ in range(rng.randint(5, 30)):
        merchant = merchant_payee(rng.choice(CITIES).country, rng.randrange(6000))
        ip = network.ip(rng)
        run.pay(at, rng.uniform(0.5, 2.0), merchant, CreditFeature.PAYMENT, "web",
                device.device_id, ip, network.country)
        at += rng.uniform(5.0, 60.0)
    return True


def cash_out(run: AttackRun) -> bool:
    """Most of the credit available is moved out to mules and ATMs within an hour or two."""
    account, rng = run.account, run.rng
    if rng.random() < 0.6:
        network = residential_network(rng, account.country)
    else:
        network = foreign_network(rng, account.country)
    device = attacker_device(rng)
    at = run.some_time(0.0, 22.0)
    ip = run.login(at, network, device, True, "password")
    limit = credit_limit_eur(rng, account) * rng.uniform(0.8, 1.0)
    shares = [rng.uniform(0.5, 1.5) for _ in range(rng.randint(3, 8))]
    mules = [mule_payee(rng, account.country) for _ in range(rng.randint(2, 4))]
    for share in shares:
        at += rng.uniform(2.0, 15.0) * MINUTE
        draw = rng.random()
        feature = _TRANSFER if draw < 0.55 else _CASH if draw < 0.8 else CreditFeature.CREDIT_LINE
        run.payout(at, limit * share / sum(shares), feature, device, ip, network,
                   rng.choice(mules))
    return True


def dormant_revival(run: AttackRun) -> bool:
    """An account silent for weeks signs in from a new device and moves money out."""
    account, rng = run.account, run.rng
    if rng.random() < 0.5:
        network = residential_network(rng, account.country)
    else:
        network = foreign_network(rng, account.country)
    device = attacker_device(rng)
    at = run.some_time(7.0, 23.0)
    for _ in range(rng.randint(0, 2)):
        run.login(at, network, device, False, "password")
        at += rng.uniform(5.0, 40.0)
    ip = run.login(at, network, device, True, "password")
    if rng.random() < 0.5:
        kind = AccountChangeKind.PASSWORD if rng.random() < 0.5 else AccountChangeKind.EMAIL
        at += rng.uniform(2.0, 10.0) * MINUTE
        run.change(at, kind, device, ip)
    for _ in range(rng.randint(1, 3)):
        at += rng.uniform(10.0, 60.0) * MINUTE
        eur = typical_eur(account, _TRANSFER) * rng.uniform(3.0, 15.0)
        run.payout(at, eur, _TRANSFER, device, ip, network)
    return True


def low_and_slow(run: AttackRun) -> bool:
    """Close to the owner's habits: same country, usual hours, modest amounts, over days."""
    account, rng = run.account, run.rng
    city = account.home_city if rng.random() < 0.6 else None
    network = residential_network(rng, account.country, city)
    device = attacker_device(rng)
    span = min(rng.randint(3, 10), max(1, run.today.days - run.today.index))
    weights = cumulative_hour_weights(account.routine, account.hour_shift, False)
    for offset in sorted(rng.sample(range(span), min(span, rng.randint(3, 6)))):
        at = run.day_start + offset * DAY + sample_hours(rng, weights, 1)[0] * HOUR
        ip = run.login(at, network, device, True, "password")
        for _ in range(rng.randint(1, 2)):
            at += rng.uniform(1.0, 8.0) * MINUTE
            feature = _TRANSFER if rng.random() < 0.6 else CreditFeature.PAYMENT
            eur = typical_eur(account, feature) * rng.uniform(0.7, 2.0)
            payee = _low_key_payee(rng, account, feature)
            run.pay(at, eur, payee, feature, "web", device.device_id, ip, network.country)
    return True


def _low_key_payee(rng: random.Random, account: Account, feature: CreditFeature) -> str:
    if rng.random() < 0.5:
        return mule_payee(rng, account.country)
    if feature is _TRANSFER and account.persons:
        return person_payee(account.country, rng.choice(account.persons))
    return merchant_payee(account.country, rng.choice(account.merchants))


SCENARIOS: dict[str, Callable[[AttackRun], bool]] = {
    "credential_stuffing": credential_stuffing,
    "password_spraying": password_spraying,
    "account_takeover": account_takeover,
    "impossible_travel": impossible_travel,
    "sim_swap": sim_swap,
    "session_theft": session_theft,
    "card_testing": card_testing,
    "cash_out": cash_out,
    "dormant_revival": dormant_revival,
    "low_and_slow": low_and_slow,
}
