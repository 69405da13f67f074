"""Profiles survive the orjson codec exactly, and rows written by json still read."""

import json
import math

from detectors.profile import AccountProfile
from detectors.simulation import SimulationConfig, simulate
from service.storage.profile_codec import dump_profile, load_profile


def _profiles():
    profiles = {"new": AccountProfile.new("new")}
    for item in simulate(SimulationConfig(accounts=80, days=14, seed=9, attack_rate=0.2)):
        event = item.event
        profiles.setdefault(event.account_id, AccountProfile.new(event.account_id)).update(event)
    return list(profiles.values())


def test_round_trip_is_exact_and_reads_json_written_rows():
    for profile in _profiles():
        assert load_profile(dump_profile(profile)).to_dict() == profile.to_dict()
        old = json.dumps(profile.to_dict())
        assert load_profile(old).to_dict() == profile.to_dict()


def test_non_finite_values_fall_back_to_json():
    profile = AccountProfile.new("odd")
    profile.amount_log_max = -math.inf
    text = dump_profile(profile)
    assert "Infinity" in text
    assert load_profile(text).amount_log_max == -math.inf
