"""The stress population: each persona shows what it is named for, the default population's
stream is unchanged, labels name the persona, and JSONL files carry it."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
    event_to_dict,
)
from detectors.simulation import (
    SimulationConfig,
    labelled_from_dict,
    labelled_to_dict,
    read_jsonl,
    simulate,
    write_jsonl,
)
from detectors.simulation.knobs import StressKnobs
from detectors.simulation.population import Persona
from detectors.simulation.stress import STRESS_PERSONAS
from detectors.simulation.stress_access import GROUND_STATIONS, SATELLITE_ASN
from detectors.simulation.stress_travel import HUBS
from detectors.simulation.world import CITIES, HOSTING_PROVIDERS, RELAY_ASNS

# Long enough for two paydays (January and February) and a sale; 20 accounts per persona.
STRESS = SimulationConfig(accounts=220, days=62, seed=5, attack_rate=0.0, population="stress")
DAY = 86400.0
VPN_ASNS = {p.asn for p in HOSTING_PROVIDERS} | set(RELAY_ASNS)

# sha256 of the default population's stream (events and the label fields that existed before
# labels named a persona), computed before the stress population existed: it must not change.
DEFAULT_STREAM_HASHES = {
    SimulationConfig(accounts=300, days=21, seed=11, attack_rate=0.1):
        (14612, "4d0596c346456ee312d6b6901e906a14c52b52676708ec8698ae794a06f86881"),
    SimulationConfig(accounts=120, days=10, seed=3, attack_rate=0.3):
        (2858, "675f46f80c8c2c463fbe068c78829da624d5fdc567314e75a83b9134a2aa75df"),
}


@pytest.fixture(scope="module")
def simulated() -> tuple[dict[str, list[Event]], dict[str, str]]:
    """Each account's events, in time order, and its persona."""
    events: dict[str, list[Event]] = defaultdict(list)
    personas: dict[str, str] = {}
    for item in simulate(STRESS):
        events[item.event.account_id].append(item.event)
        personas[item.event.account_id] = item.label.persona
    return events, personas


@pytest.fixture(scope="module")
def accounts(simulated) -> dict[str, list[Event]]:
    return simulated[0]


@pytest.fixture(scope="module")
def personas(simulated) -> dict[str, str]:
    return simulated[1]


def _of(accounts: dict[str, list[Event]], personas: dict[str, str],
        persona: str) -> dict[str, list[Event]]:
    mine = {a: events for a, events in accounts.items() if personas.get(a) == persona}
    assert len(mine) >= 15
    return mine


def _logins(events: Iterable[Event]) -> list[LoginEvent]:
    return [e for e in events if isinstance(e, LoginEvent)]


def _payments(events: Iterable[Event]) -> list[TransactionEvent]:
    return [e for e in events if isinstance(e, TransactionEvent)]


def _stream_hash(config: SimulationConfig) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for item in simulate(config):
        digest.update(json.dumps(event_to_dict(item.event), sort_keys=True,
                                 separators=(",", ":")).encode())
        label = item.label
        digest.update(json.dumps([label.is_attack, label.scenario, label.attack_id]).encode())
        count += 1
    return count, digest.hexdigest()


@pytest.mark.parametrize("config", list(DEFAULT_STREAM_HASHES), ids=["s11", "s3"])
def test_the_default_population_stream_is_unchanged(config):
    assert config.population == "default"
    assert _stream_hash(config) == DEFAULT_STREAM_HASHES[config]


def test_default_labels_name_the_default_personas():
    config = SimulationConfig(accounts=80, days=7, seed=3, attack_rate=0.3)
    seen: dict[str, set[str]] = defaultdict(set)
    for item in simulate(config):
        seen[item.event.account_id].add(item.label.persona)
    assert all(len(names) == 1 for names in seen.values())
    assert set().union(*seen.values()) <= {str(p) for p in Persona}


def test_the_population_is_validated():
    with pytest.raises(ValueError, match="population"):
        SimulationConfig(population="crowd")
    with pytest.raises(ValueError, match="share"):
        StressKnobs(hop_share=1.5)
    with pytest.raises(ValueError, match="negative"):
        StressKnobs(phone_changes=-1)


def test_same_config_same_stream_and_another_seed_differs():
    small = SimulationConfig(accounts=44, days=10, seed=3, attack_rate=0.2, population="stress")
    first, second = list(simulate(small)), list(simulate(small))
    assert first == second
    other = list(simulate(SimulationConfig(accounts=44, days=10, seed=4, attack_rate=0.2,
                                           population="stress")))
    assert [i.event for i in other] != [i.event for i in first]


def test_every_account_is_a_stress_persona_in_equal_shares_attacks_included():
    config = SimulationConfig(accounts=110, days=14, seed=9, attack_rate=0.3,
                              population="stress")
    by_account: dict[str, set[str]] = defaultdict(set)
    attacked = set()
    for item in simulate(config):
        by_account[item.event.account_id].add(item.label.persona)
        if item.label.is_attack:
            attacked.add(item.event.account_id)
    assert all(len(names) == 1 for names in by_account.values())
    shares = Counter(next(iter(names)) for names in by_account.values())
    assert set(shares) == set(STRESS_PERSONAS)
    assert max(shares.values()) - min(shares.values()) <= 2
    assert len(attacked) >= 20  # the usual scenarios strike stress accounts too


def test_jsonl_round_trip_keeps_the_persona(tmp_path: Path):
    items = list(simulate(SimulationConfig(accounts=22, days=5, seed=2, attack_rate=0.5,
                                           population="stress")))
    path = tmp_path / "stress.jsonl"
    assert write_jsonl(items, path) == len(items)
    assert list(read_jsonl(path)) == items
    assert {item.label.persona for item in items} == set(STRESS_PERSONAS)
    assert all(labelled_from_dict(labelled_to_dict(item)) == item for item in items[:50])


def test_jsonl_without_a_persona_still_reads():
    item = next(iter(simulate(SimulationConfig(accounts=3, days=2, seed=2, attack_rate=0.0))))
    record = labelled_to_dict(item)
    del record["label"]["persona"]
    assert labelled_from_dict(record).label.persona == ""
    assert labelled_from_dict(record).event == item.event


def _splurges(events: list[Event]) -> list[TransactionEvent]:
    """Payments at least 8x the holder's median card payment in a shop."""
    in_shops = [e.amount_minor for e in _payments(events) if e.channel == "pos"]
    median = statistics.median(in_shops) if in_shops else float("inf")
    return [e for e in _payments(events)
            if e.feature is CreditFeature.PAYMENT and e.amount_minor >= 8 * median]


def test_heavy_spenders_buy_big_from_their_own_devices_at_home(accounts, personas):
    splurgers = 0
    for events in _of(accounts, personas, "heavy_spender").values():
        logins = _logins(events)
        known = {e.device_id for e in logins if e.occurred_at < logins[0].occurred_at + 7 * DAY}
        home_ip = Counter(e.ip for e in logins).most_common(1)[0][0]
        big = [e for e in _splurges(events) if e.ip == home_ip and e.device_id in known]
        splurgers += len(big) >= 2
    assert splurgers >= 15
    others = [len(_splurges(events)) for account, events in accounts.items()
              if personas[account] in ("device_changer", "typo_prone", "payday_saver")]
    assert statistics.median(others) == 0


def _sessions(payments: list[TransactionEvent], gap: float) -> list[list[TransactionEvent]]:
    """Online payments from one device and address, each within ``gap`` s of the previous."""
    runs: list[list[TransactionEvent]] = []
    for event in (p for p in payments if p.ip):
        last = runs[-1][-1] if runs else None
        if (last is not None and event.occurred_at - last.occurred_at <= gap
                and (event.device_id, event.ip) == (last.device_id, last.ip)):
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def test_session_payers_pay_many_bills_within_minutes(accounts, personas):
    payers = _of(accounts, personas, "session_payer")
    busy = 0
    for events in payers.values():
        runs = [run for run in _sessions(_payments(events), 90.0) if len(run) >= 3]
        busy += len(runs) >= 3
        for run in runs:
            assert run[-1].occurred_at - run[0].occurred_at <= 15 * 60
    assert busy >= 0.8 * len(payers)


def _new_payee_share(events: list[Event]) -> float:
    seen: set[str] = set()
    new = online = 0
    for event in _payments(events):
        if event.channel in ("app", "web"):
            online += 1
            new += event.payee_id not in seen
        seen.add(event.payee_id)
    return new / max(online, 1)


def test_new_payee_regulars_mostly_pay_payees_never_seen(accounts, personas):
    mine = [_new_payee_share(e) for e in _of(accounts, personas, "new_payee_regular").values()]
    others = [_new_payee_share(e) for a, e in accounts.items()
              if personas[a] in ("heavy_spender", "device_changer")]
    assert statistics.median(mine) >= 0.6
    assert statistics.median(mine) > statistics.median(others) + 0.25


def test_payday_savers_pay_the_same_payees_each_month_on_about_the_same_day(accounts,
                                                                           personas):
    savers = _of(accounts, personas, "payday_saver")
    monthly, abroad = 0, 0
    for events in savers.values():
        home = _logins(events)[0].country
        by_payee: dict[str, list[TransactionEvent]] = defaultdict(list)
        for event in _payments(events):
            by_payee[event.payee_id].append(event)
        regular = []
        for paid in by_payee.values():
            days = [time.gmtime(e.occurred_at) for e in paid]
            months = {(d.tm_year, d.tm_mon) for d in days}
            if len(months) >= 2 and max(d.tm_mday for d in days) - min(
                    d.tm_mday for d in days) <= 3:
                regular.append(paid)
        monthly += len(regular) >= 2
        abroad += any(e.country != home for paid in regular for e in paid)
    assert monthly >= 0.8 * len(savers)
    assert abroad >= 2


def test_seasonal_shoppers_have_a_sale_spree_at_new_shops(accounts, personas):
    sprees = 0
    for events in _of(accounts, personas, "seasonal_shopper").values():
        start = events[0].occurred_at
        new_by_day: Counter[int] = Counter()
        seen: set[str] = set()
        for event in _payments(events):
            if event.payee_id not in seen and event.payee_id.startswith("mrc-"):
                new_by_day[int((event.occurred_at - start) // DAY)] += 1
            seen.add(event.payee_id)
        busiest = max(sum(new_by_day[d + k] for k in range(5)) for d in range(STRESS.days))
        quiet = sorted(new_by_day.values())
        sprees += busiest >= 8 and busiest >= 4 * (statistics.median(quiet) if quiet else 0)
    assert sprees >= 15


def test_bookkeepers_sign_in_on_another_device_from_another_network(accounts, personas):
    found = 0
    for events in _of(accounts, personas, "bookkeeper").values():
        logins = _logins(events)
        home_prefix = Counter(e.ip.rsplit(".", 1)[0] for e in logins).most_common(1)[0][0]
        by_device: dict[str, list[LoginEvent]] = defaultdict(list)
        for login in logins:
            by_device[login.device_id].append(login)
        for device, used in by_device.items():
            prefixes = {e.ip.rsplit(".", 1)[0] for e in used}
            transfers = [e for e in _payments(events)
                         if e.device_id == device and e.feature.name == "TRANSFER_OUT"]
            if (len(prefixes) == 1 and home_prefix not in prefixes and len(used) >= 2
                    and {e.country for e in used} == {logins[0].country}
                    and len(transfers) >= 2 * len([e for e in used if e.success]) - 1):
                found += 1
                break
    assert found >= 15


def _city(event: LoginEvent) -> int:
    return min(range(len(CITIES)), key=lambda i: (CITIES[i].latitude - event.latitude) ** 2
               + (CITIES[i].longitude - event.longitude) ** 2)


def test_frequent_travellers_connect_through_hubs(accounts, personas):
    travellers = _of(accounts, personas, "frequent_traveller")
    connecting = 0
    for events in travellers.values():
        logins = [e for e in _logins(events) if e.success]
        assert len({e.country for e in logins}) >= 3
        cities = [_city(e) for e in logins]
        # a sign-in at a hub between sign-ins in two other cities, the next within 12 hours
        connecting += any(
            cities[i] in HUBS and len({cities[i - 1], cities[i], cities[i + 1]}) == 3
            and logins[i + 1].occurred_at - logins[i].occurred_at < 12 * 3600
            for i in range(1, len(logins) - 1))
    assert connecting >= 0.4 * len(travellers)


def test_device_changers_replace_phones_and_share_family_devices(accounts, personas):
    changers = _of(accounts, personas, "device_changer")
    for events in changers.values():
        bindings = [e for e in events if isinstance(e, AccountChangeEvent)
                    and e.change is AccountChangeKind.DEVICE_BINDING]
        phones = {e.device_id for e in _logins(events) if "BankApp" in e.user_agent}
        assert len(phones) >= 3  # their phone, its replacements, a family member's
        assert len(bindings) <= len(phones)
    with_two = sum(len([e for e in events if isinstance(e, AccountChangeEvent)
                        and e.change is AccountChangeKind.DEVICE_BINDING]) >= 2
                   for events in changers.values())
    assert with_two >= 0.5 * len(changers)


def test_network_hoppers_use_many_networks_in_their_home_city(accounts, personas):
    for events in _of(accounts, personas, "network_hopper").values():
        logins = _logins(events)
        home = [e for e in logins if e.country == logins[0].country]
        assert len({e.asn for e in home}) >= 3
        assert len({e.ip for e in home}) >= 0.3 * len(home)


def test_vpn_and_satellite_users_appear_in_data_centres_and_far_away(accounts, personas):
    vpn = satellite = 0
    stations = {CITIES[s].country for s in GROUND_STATIONS}
    for events in _of(accounts, personas, "vpn_satellite").values():
        logins = _logins(events)
        asns = Counter(e.asn for e in logins)
        if sum(asns[a] for a in VPN_ASNS) >= 0.4 * len(logins):
            vpn += 1
            assert len({e.country for e in logins if e.asn in VPN_ASNS}) >= 2
        elif asns[SATELLITE_ASN] >= 0.2 * len(logins):
            satellite += 1
            assert {e.country for e in logins if e.asn == SATELLITE_ASN} & stations
    assert vpn >= 6
    assert satellite >= 4
    assert vpn + satellite >= 18


def test_typo_prone_holders_fail_several_times_then_succeed(accounts, personas):
    prone = _of(accounts, personas, "typo_prone")
    runs: Counter[int] = Counter()
    resets = 0
    for events in prone.values():
        failed: list[LoginEvent] = []
        for event in events:
            if isinstance(event, LoginEvent) and not event.success:
                failed.append(event)
            elif isinstance(event, LoginEvent) and failed:
                if (event.device_id == failed[-1].device_id
                        and event.occurred_at - failed[0].occurred_at <= 60.0):
                    runs[len(failed)] += 1
                failed = []
        resets += any(isinstance(e, AccountChangeEvent) and e.change is AccountChangeKind.PASSWORD
                      for e in events)
    assert sum(runs.values()) >= 10 * len(prone)
    assert {2, 3, 4, 5} <= set(runs)
    assert resets >= 0.5 * len(prone)
