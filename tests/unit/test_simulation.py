"""The traffic simulator: determinism, ordering, labels, JSONL files and realism."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    LoginEvent,
    TransactionEvent,
    event_to_dict,
)
from detectors.geo import haversine_km
from detectors.simulation import (
    ALL_SCENARIOS,
    HONEST_SCENARIO,
    LabelledEvent,
    SimulationConfig,
    minor_to_eur,
    read_jsonl,
    simulate,
    write_jsonl,
)

# Every scenario gets about nine victims: enough for each to show up, small enough to be fast.
ATTACKED = SimulationConfig(accounts=300, days=21, seed=11, attack_rate=0.3)
DAY = 86400.0


@pytest.fixture(scope="module")
def stream() -> list[LabelledEvent]:
    return list(simulate(ATTACKED))


@pytest.fixture(scope="module")
def honest_stream() -> list[LabelledEvent]:
    return list(simulate(SimulationConfig(accounts=400, days=28, seed=5, attack_rate=0.0)))


def _logins(items: Iterable[LabelledEvent]) -> list[tuple[LoginEvent, LabelledEvent]]:
    return [(item.event, item) for item in items if isinstance(item.event, LoginEvent)]


def _speed_kmh(before: LoginEvent, after: LoginEvent) -> float:
    km = haversine_km(before.latitude, before.longitude, after.latitude, after.longitude)
    hours = (after.occurred_at - before.occurred_at) / 3600.0
    if km < 1.0:
        return 0.0
    return km / hours if hours > 0 else float("inf")


def _home_countries(stream: list[LabelledEvent]) -> dict[str, str]:
    """Where each account's honest traffic starts: its holder's home country."""
    home: dict[str, str] = {}
    for item in stream:
        event = item.event
        if not item.label.is_attack and isinstance(event, LoginEvent | TransactionEvent):
            home.setdefault(event.account_id, event.country)
    return home


def _by_attack(stream: list[LabelledEvent], scenario: str) -> dict[str, list[LabelledEvent]]:
    attacks: dict[str, list[LabelledEvent]] = defaultdict(list)
    for item in stream:
        if item.label.scenario == scenario:
            attacks[item.label.attack_id].append(item)
    return attacks


def test_same_seed_gives_identical_events_and_another_seed_does_not() -> None:
    small = SimulationConfig(accounts=60, days=10, seed=3, attack_rate=0.2)
    first = list(simulate(small))
    assert first == list(simulate(small))
    other = list(simulate(SimulationConfig(accounts=60, days=10, seed=4, attack_rate=0.2)))
    assert [item.event for item in first] != [item.event for item in other]


def test_events_are_in_time_order_within_the_simulated_period(
        stream: list[LabelledEvent]) -> None:
    times = [item.event.occurred_at for item in stream]
    assert times == sorted(times)
    assert times[0] >= ATTACKED.start
    assert times[-1] < ATTACKED.start + ATTACKED.days * DAY


def test_a_start_past_midnight_still_fills_the_whole_period() -> None:
    start = ATTACKED.start + 9.5 * 3600
    config = SimulationConfig(accounts=80, days=3, seed=1, start=start, attack_rate=0.1)
    times = [item.event.occurred_at for item in simulate(config)]
    assert times == sorted(times)
    assert start <= times[0]
    assert times[-1] < start + 3 * DAY
    assert times[-1] > start + 3 * DAY - 6 * 3600


def test_event_ids_are_unique(stream: list[LabelledEvent]) -> None:
    ids = [item.event.event_id for item in stream]
    assert len(ids) == len(set(ids))


def test_every_scenario_appears_with_consistent_labels(stream: list[LabelledEvent]) -> None:
    assert {item.label.scenario for item in stream} == {HONEST_SCENARIO, *ALL_SCENARIOS}
    for item in stream:
        honest = item.label.scenario == HONEST_SCENARIO
        assert item.label.is_attack is not honest
        assert (item.label.attack_id == "") is honest


def test_no_attacks_without_an_attack_rate(honest_stream: list[LabelledEvent]) -> None:
    assert all(not item.label.is_attack for item in honest_stream)


def test_only_chosen_scenarios_are_drawn() -> None:
    config = SimulationConfig(accounts=120, days=12, seed=2, attack_rate=0.2,
                              scenarios=("card_testing",))
    scenarios = {item.label.scenario for item in simulate(config)}
    assert scenarios == {HONEST_SCENARIO, "card_testing"}


def test_invalid_configurations_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown scenarios"):
        SimulationConfig(scenarios=("phishing",))
    with pytest.raises(ValueError, match="attack_rate"):
        SimulationConfig(attack_rate=1.5)
    with pytest.raises(ValueError, match="accounts"):
        SimulationConfig(accounts=0)


def test_jsonl_keeps_labels_apart_and_round_trips(stream: list[LabelledEvent],
                                                  tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    assert write_jsonl(stream, path) == len(stream)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(stream)
    for line, item in zip(lines[:2000], stream, strict=False):
        record = json.loads(line)
        assert set(record) == {"event", "label"}
        assert record["event"] == event_to_dict(item.event)
        assert record["label"] == {"is_attack": item.label.is_attack,
                                   "scenario": item.label.scenario,
                                   "attack_id": item.label.attack_id,
                                   "persona": item.label.persona}
    assert list(read_jsonl(path)) == stream


def test_field_values_are_well_formed(stream: list[LabelledEvent]) -> None:
    for item in stream:
        event = item.event
        assert re.fullmatch(r"acct-\d{6}", event.account_id)
        if isinstance(event, LoginEvent):
            assert re.fullmatch(r"[A-Z]{2}", event.country)
            assert -90.0 <= event.latitude <= 90.0
            assert -180.0 <= event.longitude <= 180.0
            assert event.asn > 0
            assert event.device_id
            assert event.user_agent
            assert re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", event.ip)
            assert event.auth_method in {"password", "passkey", "biometric", "otp"}
        elif isinstance(event, TransactionEvent):
            assert event.amount_minor > 0
            assert re.fullmatch(r"[A-Z]{2}", event.country)
            assert re.fullmatch(r"[A-Z]{3}", event.currency)
            assert event.channel in {"app", "web", "pos", "atm"}
            assert event.payee_id


def test_honest_traffic_has_variety(honest_stream: list[LabelledEvent]) -> None:
    events = [item.event for item in honest_stream]
    transactions = [e for e in events if isinstance(e, TransactionEvent)]
    logins = [e for e in events if isinstance(e, LoginEvent)]
    changes = [e for e in events if isinstance(e, AccountChangeEvent)]
    assert {t.feature for t in transactions} == set(CreditFeature)
    assert {t.channel for t in transactions} == {"app", "web", "pos", "atm"}
    assert {login.auth_method for login in logins} == {"password", "passkey", "biometric", "otp"}
    assert 0.002 < sum(not login.success for login in logins) / len(logins) < 0.1
    assert len({login.country for login in logins}) > 10  # homes abroad and trips
    assert AccountChangeKind.DEVICE_BINDING in {c.change for c in changes}
    first_seen: dict[str, float] = {}
    for event in events:
        first_seen.setdefault(event.account_id, event.occurred_at)
    late_starters = [t for t in first_seen.values() if t > ATTACKED.start + 3 * DAY]
    assert late_starters  # accounts opened during the simulation


def test_households_share_a_device_and_a_network(honest_stream: list[LabelledEvent]) -> None:
    accounts_by_device: dict[str, set[str]] = defaultdict(set)
    for login, _ in _logins(honest_stream):
        accounts_by_device[login.device_id].add(login.account_id)
    assert any(len(accounts) == 2 for accounts in accounts_by_device.values())
    assert all(len(accounts) <= 2 for accounts in accounts_by_device.values())


def test_honest_sign_ins_never_imply_travel_faster_than_an_airliner(
        honest_stream: list[LabelledEvent], stream: list[LabelledEvent]) -> None:
    for items in (honest_stream, stream):
        previous: dict[str, LoginEvent] = {}
        for login, item in _logins(items):
            if item.label.is_attack:
                continue
            before = previous.get(login.account_id)
            if before is not None:
                assert _speed_kmh(before, login) <= 1000.0, (before, login)
            previous[login.account_id] = login


def test_honest_travellers_do_fly(honest_stream: list[LabelledEvent]) -> None:
    previous: dict[str, LoginEvent] = {}
    flights = 0
    for login, _ in _logins(honest_stream):
        before = previous.get(login.account_id)
        if before is not None and haversine_km(before.latitude, before.longitude,
                                               login.latitude, login.longitude) > 500.0:
            flights += 1
        previous[login.account_id] = login
    assert flights > 5


def test_impossible_travel_is_faster_than_any_airliner(stream: list[LabelledEvent]) -> None:
    previous: dict[str, LoginEvent] = {}
    checked = 0
    seen_attacks: set[str] = set()
    for login, item in _logins(stream):
        if item.label.scenario == "impossible_travel" and item.label.attack_id not in seen_attacks:
            seen_attacks.add(item.label.attack_id)
            before = previous[login.account_id]
            assert _speed_kmh(before, login) > 1000.0
            assert login.occurred_at - before.occurred_at <= 3600.0
            checked += 1
        previous[login.account_id] = login
    assert checked > 0


def test_card_testing_amounts_are_tiny(stream: list[LabelledEvent]) -> None:
    payments = [item.event for item in stream if item.label.scenario == "card_testing"]
    assert payments
    for event in payments:
        assert isinstance(event, TransactionEvent)
        assert event.feature is CreditFeature.PAYMENT
        assert minor_to_eur(event.amount_minor, event.currency) <= 2.01


def test_campaigns_span_many_accounts(stream: list[LabelledEvent]) -> None:
    for scenario in ("credential_stuffing", "password_spraying"):
        for items in _by_attack(stream, scenario).values():
            assert len({item.event.account_id for item in items}) > 1
            assert all(isinstance(item.event, LoginEvent | AccountChangeEvent) for item in items)


def test_takeovers_change_contacts_or_move_money_after_signing_in(
        stream: list[LabelledEvent]) -> None:
    for scenario in ("account_takeover", "sim_swap", "dormant_revival", "cash_out"):
        attacks = _by_attack(stream, scenario)
        assert attacks
        for items in attacks.values():
            outflows = [i.event for i in items if isinstance(i.event, TransactionEvent)]
            assert outflows or scenario == "account_takeover"
            successes = [i.event for i in items
                         if isinstance(i.event, LoginEvent) and i.event.success]
            assert successes
            if outflows:
                assert successes[0].occurred_at < outflows[0].occurred_at


def test_sim_swap_starts_with_a_phone_change_then_an_otp_sign_in(
        stream: list[LabelledEvent]) -> None:
    for items in _by_attack(stream, "sim_swap").values():
        first = items[0].event
        assert isinstance(first, AccountChangeEvent)
        assert first.change is AccountChangeKind.PHONE
        login = next(i.event for i in items if isinstance(i.event, LoginEvent))
        assert login.auth_method == "otp"
        assert login.device_id == first.device_id


def test_session_theft_reuses_a_known_device_from_a_new_country(
        stream: list[LabelledEvent]) -> None:
    known_devices: dict[str, set[str]] = defaultdict(set)
    home = _home_countries(stream)
    checked = 0
    for login, item in _logins(stream):
        if item.label.scenario == "session_theft":
            assert login.device_id in known_devices[login.account_id]
            assert login.country != home.get(login.account_id, "")
            checked += 1
        elif not item.label.is_attack:
            known_devices[login.account_id].add(login.device_id)
    assert checked > 0


def test_low_and_slow_stays_home_and_spreads_over_days(stream: list[LabelledEvent]) -> None:
    home = _home_countries(stream)
    for items in _by_attack(stream, "low_and_slow").values():
        times = [i.event.occurred_at for i in items]
        assert max(times) - min(times) > DAY
        for login, _ in _logins(items):
            assert login.country == home.get(login.account_id, login.country)


def test_dormant_revival_follows_weeks_of_silence(stream: list[LabelledEvent]) -> None:
    last_honest: dict[str, float] = {}
    for item in stream:
        event = item.event
        if item.label.scenario == "dormant_revival":
            silent_since = last_honest.get(event.account_id, ATTACKED.start)
            assert event.occurred_at - silent_since > 7 * DAY
        elif not item.label.is_attack:
            last_honest[event.account_id] = event.occurred_at


def test_cash_out_drains_far_more_than_the_owner_usually_spends(
        stream: list[LabelledEvent]) -> None:
    honest: dict[str, list[float]] = defaultdict(list)
    for item in stream:
        event = item.event
        if not item.label.is_attack and isinstance(event, TransactionEvent):
            honest[event.account_id].append(minor_to_eur(event.amount_minor, event.currency))
    attacks = _by_attack(stream, "cash_out")
    assert attacks
    for items in attacks.values():
        payouts = [i.event for i in items if isinstance(i.event, TransactionEvent)]
        total = sum(minor_to_eur(p.amount_minor, p.currency) for p in payouts)
        usual = sorted(honest[payouts[0].account_id] or [total])
        assert total >= 200.0  # most of a credit limit of at least 300 EUR
        assert total >= 5 * usual[len(usual) // 2]
        assert max(p.occurred_at for p in payouts) - min(p.occurred_at for p in payouts) < 3 * 3600
