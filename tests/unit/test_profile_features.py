import copy
import math

import pytest

from detectors.demo import ATTACKER, HOME, normal_week, takeover, takeover_start
from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    EventKind,
    LoginEvent,
    TransactionEvent,
)
from detectors.features import TRANSACTION_FEATURES, extract_features, feature_schema
from detectors.geo import haversine_km, network_prefix
from detectors.profile import AccountProfile, RecentKeys
from detectors.reasons import ReasonCode

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _values(vector, kind):
    return dict(zip(feature_schema(kind), vector.values, strict=True))


def test_haversine_known_distance():
    # Berlin to Sao Paulo is about 10,000 km.
    assert 9_900 < haversine_km(52.52, 13.405, -23.55, -46.63) < 10_300
    assert haversine_km(10, 10, 10, 10) == 0


def test_network_prefix():
    assert network_prefix("84.150.12.34") == "84.150.12"
    # One /48 however it is written; IPv4-mapped addresses count as IPv4.
    assert {network_prefix(ip) for ip in ("2001:db8:1:2::1", "2001:DB8:1::9",
                                           "2001:0db8:0001:0000::1")} == {"2001:db8:1::"}
    assert network_prefix("::ffff:84.150.12.34") == "84.150.12"
    assert network_prefix("not an ip") == "not an ip"


def test_recent_keys_evicts_least_recently_used():
    keys = RecentKeys(cap=2)
    keys.touch("a", 1)
    keys.touch("b", 2)
    keys.touch("a", 3)
    keys.touch("c", 4)
    assert "a" in keys
    assert "c" in keys
    assert "b" not in keys
    assert keys.count("a") == 2


def test_profile_round_trips_through_dict():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    again = AccountProfile.from_dict(profile.to_dict())
    assert again.to_dict() == profile.to_dict()
    assert again.tx_count == profile.tx_count > 0


def test_normal_login_is_familiar_and_takeover_is_not():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    usual = LoginEvent("e-usual", "acct", START + 7 * 86400 + 7.5 * 3600,
                       ip=str(HOME["ip"]), device_id="acct-phone", country="DE",
                       latitude=52.52, longitude=13.405, asn=3320)
    familiar = _values(extract_features(usual, profile), EventKind.LOGIN)
    assert familiar["new_device"] == familiar["new_network"] == familiar["new_country"] == 0
    assert familiar["travel_excess_speed_log"] == 0

    attack = takeover("acct", takeover_start(START))
    for event in attack[:-3]:  # the failed burst
        profile.update(event)
    success = attack[-3]
    values = _values(extract_features(success, profile), EventKind.LOGIN)
    assert values["new_device"] == values["new_network"] == values["new_country"] == 1
    assert math.expm1(values["travel_excess_speed_log"]) > 1000  # km/h beyond any flight
    assert math.expm1(values["failures_1h_log"]) >= 8


def test_transaction_features_see_amount_spike_and_credential_change():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    at = START + 7 * 86400
    profile.update(AccountChangeEvent("c1", "acct", at, AccountChangeKind.PHONE))
    big = TransactionEvent("t1", "acct", at + 600, amount_minor=250_000, payee_id="mule",
                           feature=CreditFeature.TRANSFER_OUT, country=str(ATTACKER["country"]))
    values = _values(extract_features(big, profile), EventKind.TRANSACTION)
    assert values["amount_z"] > 3
    assert values["new_payee"] == 1
    assert values["credential_change_recency"] > 0.9
    assert values["outflow"] == 1


def _payment(n, at, amount, payee, feature=CreditFeature.PAYMENT):
    return TransactionEvent(f"p{n}", "acct", at, amount_minor=amount, payee_id=payee,
                            feature=feature, device_id="phone", ip="84.150.12.34")


def test_a_payee_paid_before_sets_its_own_usual_amount():
    """The monthly rent is large for everyday spending, not for the landlord."""
    profile = AccountProfile.new("acct")
    profile.update(_payment(0, START, 95_000, "landlord", CreditFeature.TRANSFER_OUT))
    for n in range(1, 40):
        profile.update(_payment(n, START + n * 3 * 3600, 2_000 + 100 * (n % 7), f"shop-{n % 5}"))
    rent = _payment(99, START + 30 * 86400, 95_000, "landlord", CreditFeature.TRANSFER_OUT)
    stranger = _payment(98, START + 30 * 86400, 95_000, "stranger", CreditFeature.TRANSFER_OUT)
    to_landlord = _values(extract_features(rent, profile), EventKind.TRANSACTION)
    to_stranger = _values(extract_features(stranger, profile), EventKind.TRANSACTION)
    assert to_landlord["amount_z"] <= 0.01
    assert to_stranger["amount_z"] > 2
    assert profile.payee_amount_log("landlord") == pytest.approx(math.log1p(95_000))


def test_many_payments_in_one_hour_count_only_beyond_the_holders_own_peak():
    profile = AccountProfile.new("acct")
    for n in range(6):  # a bill-paying session of six payments
        profile.update(_payment(n, START + n * 120, 3_000, f"biller-{n}"))
    later = START + 30 * 86400
    for n in range(10, 14):
        profile.update(_payment(n, later + n * 60, 3_000, f"biller-{n - 10}"))
    fifth = _values(extract_features(_payment(20, later + 900, 3_000, "biller-4"), profile),
                    EventKind.TRANSACTION)
    assert fifth["tx_1h_over_peak_log"] == 0.0
    assert profile.usual_tx_hour_peak(later + 900) == 6


def test_a_burst_excuses_nothing_until_a_day_later():
    """A stolen session's many payments do not become the holder's habit within the hour."""
    profile = AccountProfile.new("acct")
    for n in range(10):
        profile.update(_payment(n, START + n * 86400, 3_000, "grocer"))
    at = START + 20 * 86400
    for n in range(6):
        profile.update(_payment(20 + n, at + n * 60, 9_000, f"mule-{n}"))
    seventh = _values(extract_features(_payment(30, at + 420, 9_000, "mule-9"), profile),
                      EventKind.TRANSACTION)
    assert seventh["tx_1h_over_peak_log"] > 1.0
    assert profile.usual_tx_hour_peak(at + 2 * 86400) == 6


def test_failed_login_window_is_bounded():
    profile = AccountProfile.new("acct")
    for n in range(500):
        profile.update(LoginEvent(f"f{n}", "acct", START + n, success=False))
    assert len(profile.recent_failures) <= 64
    assert len(profile.recent_logins) <= 64


@pytest.mark.parametrize("kind", list(EventKind))
def test_empty_profile_gives_finite_features(kind):
    profile = AccountProfile.new("new")
    event = {
        EventKind.LOGIN: LoginEvent("e", "new", START),
        EventKind.TRANSACTION: TransactionEvent("e", "new", START, amount_minor=0),
        EventKind.ACCOUNT_CHANGE: AccountChangeEvent("e", "new", START, AccountChangeKind.EMAIL),
    }[kind]
    vector = extract_features(event, profile)
    assert len(vector.values) == len(feature_schema(kind))
    assert all(math.isfinite(v) for v in vector.values)


def test_failed_logins_and_changes_do_not_end_new_account_status():
    profile = AccountProfile.new("acct")
    profile.update(LoginEvent("f1", "acct", START, device_id="attacker", success=False))
    profile.update(AccountChangeEvent("c1", "acct", START + 1, AccountChangeKind.EMAIL,
                                      device_id="owner"))
    assert profile.is_empty
    profile.update(LoginEvent("ok", "acct", START + 2, device_id="owner"))
    assert not profile.is_empty


def test_untrusted_events_teach_nothing_about_habits():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    before = copy.deepcopy(profile.to_dict())
    attack = takeover("acct", takeover_start(START))
    profile.update(attack[-3], trusted=False)  # the frozen sign-in from Brazil
    assert "acct-attacker" not in profile.devices
    assert "BR" not in profile.countries
    assert (profile.last_latitude, profile.last_longitude) == (before["last_latitude"],
                                                               before["last_longitude"])
    assert profile.last_new_device_login_at == attack[-3].occurred_at  # still a risk signal
    assert len(profile.recent_logins) == len(before["recent_logins"]) + 1


def test_travel_is_measured_from_the_last_located_sign_in():
    profile = AccountProfile.new("acct")
    profile.update(LoginEvent("berlin", "acct", START, latitude=52.52, longitude=13.405))
    profile.update(LoginEvent("nowhere", "acct", START + 3 * 3600 - 180))  # no location
    london = LoginEvent("london", "acct", START + 3 * 3600, latitude=51.5, longitude=-0.12)
    values = _values(extract_features(london, profile), EventKind.LOGIN)
    assert values["travel_excess_speed_log"] == 0  # 930 km in 3 h is a flight, not a takeover
    late = LoginEvent("late", "acct", START - 600, latitude=-23.55, longitude=-46.63)
    assert _values(extract_features(late, profile), EventKind.LOGIN)[
        "travel_excess_speed_log"] == 0  # arrived out of order: no travel implied


def test_money_moved_from_a_place_first_seen_minutes_ago_is_fresh():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    at = START + 7 * 86400
    profile.update(LoginEvent("stolen", "acct", at, ip="45.33.101.7", device_id="acct-phone",
                              country="BR"))
    transfer = TransactionEvent("t", "acct", at + 600, amount_minor=90_000, payee_id="mule",
                                feature=CreditFeature.TRANSFER_OUT, ip="45.33.101.7",
                                country="BR")
    values = _values(extract_features(transfer, profile), EventKind.TRANSACTION)
    assert values["new_country"] == 0  # the sign-in made it known...
    assert values["fresh_country"] > 0.9  # ...but only minutes ago
    assert values["fresh_network"] > 0.9
    home = TransactionEvent("h", "acct", at + 600, amount_minor=900, payee_id="grocer-4411",
                            ip=str(HOME["ip"]), country="DE")
    values = _values(extract_features(home, profile), EventKind.TRANSACTION)
    assert values["fresh_country"] < 0.01
    assert values["fresh_network"] < 0.01


def test_nothing_is_new_today_while_a_profile_is_still_learning():
    profile = AccountProfile.new("acct")
    profile.update(LoginEvent("first", "acct", START, ip="84.150.12.34", device_id="phone",
                              country="DE"))
    profile.update(LoginEvent("laptop", "acct", START + 3600, ip="84.150.12.34",
                              device_id="laptop", country="DE"))
    assert profile.last_new_device_login_at == 0.0  # the owner's own devices, on day one
    pay = TransactionEvent("p", "acct", START + 7200, amount_minor=4000, payee_id="grocer",
                           ip="84.150.12.34", country="DE")
    values = _values(extract_features(pay, profile), EventKind.TRANSACTION)
    assert values["fresh_network"] == 0
    assert values["fresh_country"] == 0
    later = START + 3 * 86400
    profile.update(LoginEvent("new", "acct", later, ip="84.150.12.34", device_id="stranger",
                              country="DE"))
    assert profile.last_new_device_login_at == later


def _cash_out(profile, at, payees, amount):
    transfers = []
    for i, payee in enumerate(payees):
        transfer = TransactionEvent(f"co{i}", "acct", at + i * 600, amount_minor=amount,
                                    payee_id=payee, feature=CreditFeature.TRANSFER_OUT)
        vector = extract_features(transfer, profile)
        transfers.append({**_values(vector, EventKind.TRANSACTION), **vector.context})
        profile.update(transfer)
    return transfers


def test_money_to_new_payees_adds_up_over_hours():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    at = START + 7 * 86400
    steps = _cash_out(profile, at, ["mule-1", "mule-2", "mule-1", "mule-3"], 40_000)
    assert all(step["new_payee_amount_3h_z"] > 0 for step in steps)
    assert [step["new_payees_3h"] for step in steps] == [1, 2, 2, 3]  # mule-1 again: known
    assert [step["new_payee_amount_3h"] for step in steps] == [40_000, 80_000, 80_000, 120_000]
    assert steps[2]["new_payee"] == 0
    quiet = TransactionEvent("q", "acct", at + 5 * 3600, amount_minor=900, payee_id="grocer-4411")
    assert _values(extract_features(quiet, profile), EventKind.TRANSACTION)[
        "new_payee_amount_3h_z"] == 0  # three hours on, the run is over


def test_a_tiny_payment_is_far_below_the_usual_amount():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    tiny = TransactionEvent("t", "acct", START + 7 * 86400, amount_minor=100, payee_id="shop")
    usual = TransactionEvent("u", "acct", START + 7 * 86400, amount_minor=3000,
                             payee_id="grocer-4411")
    assert _values(extract_features(tiny, profile), EventKind.TRANSACTION)[
        "amount_below_z"] > 2
    known_shop = TransactionEvent("k", "acct", START + 7 * 86400, amount_minor=100,
                                  payee_id="grocer-4411")
    assert _values(extract_features(known_shop, profile), EventKind.TRANSACTION)[
        "amount_below_z"] == 0  # small change at the usual grocer is no probe
    assert _values(extract_features(usual, profile), EventKind.TRANSACTION)[
        "amount_below_z"] < 1


def test_the_hours_total_is_an_amount_not_a_pace():
    names = dict(zip(feature_schema(EventKind.TRANSACTION), TRANSACTION_FEATURES, strict=True))
    assert names["tx_amount_1h_z"].reason is ReasonCode.AMOUNT_SPIKE
    assert names["tx_1h_log"].reason is ReasonCode.RAPID_TRANSACTIONS
    assert names["tx_1h_over_peak_log"].reason is ReasonCode.RAPID_TRANSACTIONS


def test_money_moved_after_a_revival_carries_the_silence_before_it():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    back = START + 60 * 86400
    profile.update(LoginEvent("back", "acct", back, device_id="stranger"))
    transfer = TransactionEvent("t", "acct", back + 1800, amount_minor=50_000, payee_id="mule",
                                feature=CreditFeature.TRANSFER_OUT)
    values = _values(extract_features(transfer, profile), EventKind.TRANSACTION)
    assert values["dormancy_log"] > math.log1p(40)
    later = TransactionEvent("l", "acct", back + 12 * 3600, amount_minor=900, payee_id="mule")
    assert _values(extract_features(later, profile), EventKind.TRANSACTION)[
        "dormancy_log"] < math.log1p(1)


def test_wrong_passwords_from_a_stranger_device_count_from_the_first():
    profile = AccountProfile.new("acct")
    for event in normal_week("acct", START):
        profile.update(event)
    at = START + 7 * 86400
    typo = LoginEvent("typo", "acct", at, device_id="acct-phone", success=False)
    guess = LoginEvent("guess", "acct", at, device_id="stranger", success=False)
    assert _values(extract_features(typo, profile), EventKind.LOGIN)[
        "unknown_device_failures_1h_log"] == 0
    assert _values(extract_features(guess, profile), EventKind.LOGIN)[
        "unknown_device_failures_1h_log"] == math.log1p(1)
    profile.update(guess)
    again = LoginEvent("again", "acct", at + 60, device_id="stranger-2", success=False)
    assert _values(extract_features(again, profile), EventKind.LOGIN)[
        "unknown_device_failures_1h_log"] == math.log1p(2)


def test_profiles_written_before_first_seen_existed_still_load():
    profile = AccountProfile.new("acct")
    profile.devices.touch("d", START)
    data = profile.to_dict()
    data["devices"] = {"d": [1.0, START]}
    assert AccountProfile.from_dict(data).devices.first_seen("d") == START


def test_a_payee_first_paid_minutes_ago_sets_no_usual_amount():
    """A mule paid twice in one stolen session is still paid far more than usual."""
    profile = AccountProfile.new("acct")
    for n in range(30):
        profile.update(_payment(n, START + n * 86400, 2_000, f"shop-{n % 3}"))
    at = START + 31 * 86400
    profile.update(_payment(50, at, 90_000, "mule", CreditFeature.TRANSFER_OUT))
    again = _payment(51, at + 600, 90_000, "mule", CreditFeature.TRANSFER_OUT)
    assert _values(extract_features(again, profile), EventKind.TRANSACTION)["amount_z"] > 2


def test_a_few_large_amounts_learned_do_not_hide_the_next():
    """A fraudster's payment that got through raises the maximum, not the 95th percentile."""
    profile = AccountProfile.new("acct")
    for n in range(60):
        profile.update(_payment(n, START + n * 8 * 3600, 1_000 + 50 * (n % 20), f"shop-{n % 4}"))
    for n in range(2):
        profile.update(_payment(100 + n, START + 21 * 86400 + n * 3600, 9_000, "shop-1"))
    spike = _payment(200, START + 22 * 86400, 9_000, "shop-2")
    values = _values(extract_features(spike, profile), EventKind.TRANSACTION)
    assert values["amount_over_p95_log"] > 1.0
    assert profile.amount_log_quantile(0.95) < math.log1p(9_000)
    assert profile.amount_log_quantile(1.0) >= math.log1p(9_000)


def test_a_profile_written_before_amounts_were_binned_compares_with_its_maximum():
    profile = AccountProfile.new("acct")
    for n in range(20):
        profile.update(_payment(n, START + n * 86400, 2_000 + 100 * n, "grocer"))
    data = profile.to_dict()
    del data["amount_bins"]
    older = AccountProfile.from_dict(data)
    usual = _payment(99, START + 30 * 86400, 2_500, "grocer")
    assert _values(extract_features(usual, older), EventKind.TRANSACTION)[
        "amount_over_p95_log"] == 0.0
