"""Profile size bounds, from scripts/measure_profile_memory.py (which gives the full figures).

Sizes, not timings: with fixed seeds they are deterministic. Measured (CPython 3.11, seed 7):
200 simulated accounts over 30 days give a serialized median of about 1,750 B (the typical
profile the bound is about); the 95th percentile is over it (about 2,350 B), which
docs/reports/performance.md reports; a heavy profile, every bounded set and window at its
cap, is 29,980-29,993 B serialized and about 122,500 B in memory.
"""

from __future__ import annotations

import pytest

from detectors.profile import WINDOW_CAP, AccountProfile, RecentKeys
from scripts.measure_profile_memory import (
    build_profiles,
    heavy_profile,
    measure_profiles,
    parse,
    row_parts,
    rows,
    sqlite_bytes,
)
from service.storage.profile_codec import dump_profile, load_profile

BOUND = 2048  # the "under 2 KB", for a typical profile's JSON
HEAVY_SERIALIZED_CAP = 32 * 1024  # measured 29,993 B at most
HEAVY_MEMORY_CAP = 160_000  # measured ~122,500 B; margin for other CPython versions


@pytest.fixture(scope="module")
def typical() -> list[AccountProfile]:
    return build_profiles(accounts=200, days=30, seed=7)


def test_typical_serialized_profile_is_under_2_kb(typical: list[AccountProfile]) -> None:
    assert len(typical) > 150
    sizes = measure_profiles(typical)
    assert sizes["serialized"]["p50"] < BOUND
    assert sizes["serialized"]["p95"] < 3 * 1024  # the tail: over the bound, but not by far
    assert 0 < sizes["memory"]["p50"] < sizes["memory"]["max"]


def test_heavy_profile_is_at_every_cap() -> None:
    profile = heavy_profile(0)
    for name in profile.__slots__:
        value = getattr(profile, name)
        if isinstance(value, RecentKeys):
            assert len(value) == value.cap, name
        elif isinstance(value, list) and name.startswith("recent_"):
            assert len(value) == WINDOW_CAP, name


def test_heavy_profile_size_is_bounded() -> None:
    sizes = measure_profiles([heavy_profile(variant) for variant in range(3)])
    assert 25_000 < sizes["serialized"]["max"] <= HEAVY_SERIALIZED_CAP
    assert 80_000 < sizes["memory"]["max"] <= HEAVY_MEMORY_CAP


def test_stdlib_parse_builds_what_load_profile_builds(typical: list[AccountProfile]) -> None:
    for text in [dump_profile(heavy_profile(0)), *map(dump_profile, typical[:20])]:
        assert parse(text).to_dict() == load_profile(text).to_dict()


def test_rows_rename_each_profile(typical: list[AccountProfile]) -> None:
    parts = row_parts(typical)
    for account, text in rows(parts, [0, 1, len(parts) + 1]):
        assert load_profile(text).account_id == account
    assert load_profile(next(rows(parts, [3]))[1]).to_dict() | {"account_id": "x"} == (
        typical[3].to_dict() | {"account_id": "x"})


def test_sqlite_measure_counts_every_row(typical: list[AccountProfile]) -> None:
    stored = sqlite_bytes(row_parts(typical), accounts=500, seed=7)
    assert stored["accounts"] == 500
    assert stored["bytes_per_account"] > 1000
