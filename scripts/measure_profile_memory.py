"""Bytes per account profile, serialized, in memory, in SQLite and in Redis, against 2 KB.

    .venv/bin/python scripts/measure_profile_memory.py [--accounts 1000000]
        [--sample-accounts 2000] [--days 30] [--redis-accounts 100000] [--json FILE]

Typical profiles replay each simulated account's events in time order through
``AccountProfile.update(event, trusted=True)``; heavy ones are synthetic, every bounded set and
window at its cap. Serialized size: ``dump_profile``'s UTF-8 bytes. In-memory size: tracemalloc
over the whole set, every profile parsed from its JSON and kept; a profile's size is the traced
growth across its load, so the sizes add up to the set's footprint (a kept warm-up load first
puts CPython's free lists in their steady state). Profiles are parsed with stdlib json into
``AccountProfile.from_dict``, the same objects ``load_profile`` builds with orjson, because
tracemalloc misses part of orjson's allocations (up to 15 % less on heavy profiles, varying with
orjson's key cache); for stdlib json it agrees with a deep ``sys.getsizeof`` walk within 0.1 %.
Strings orjson's key cache would share between profiles (merchant ids, countries; ~4 % of a
typical profile) are counted in each. Not counted: pymalloc arena slack.

SQLite: ``--accounts`` rows (sampled profiles round-robin under distinct ids, shuffled order)
into the real ``profiles`` table of a fresh ``SqliteDatabase`` in a temporary directory; file
size / N after ``PRAGMA wal_checkpoint(TRUNCATE)``. Redis (ACCTGUARD_REDIS_URL, default
redis://127.0.0.1:6379/0; skipped if it does not answer): ``--redis-accounts`` profiles laid out
as service/storage/redis_profiles.py does (hash ``{prefix}profile:{account}``, fields ``data``
and ``v``; a fresh prefix as long as ``acctguard:``); ``used_memory`` growth / N; keys deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import redis

from detectors.events import AccountChangeEvent, AccountChangeKind, LoginEvent, TransactionEvent
from detectors.profile import WINDOW_CAP, AccountProfile, RecentKeys
from detectors.simulation import SimulationConfig, simulate
from service.storage.profile_codec import dump_profile
from service.storage.sql_risk import INSERT_PROFILE
from service.storage.sqlite_db import SqliteDatabase

BOUND = 2048  # the "under 2 KB"
MILLION = 1_000_000
START = 1767225600.0  # the simulator's default start, 2026-01-01T00:00:00Z
BATCH = 10_000
HEAVY_VARIANTS = 20
WARMUP_VARIANT = 999_999  # random.Random(-n) repeats Random(n): keep clear of 0, 1, 2...
Stats = dict[str, float]


def summarize(values: Sequence[float]) -> Stats:
    """p50/p95/p99 (nearest rank), max and mean."""
    ordered = sorted(values)
    stats = {f"p{q}": float(ordered[max(0, -(-q * len(ordered) // 100) - 1)])
             for q in (50, 95, 99)}
    return {**stats, "max": float(ordered[-1]), "mean": sum(ordered) / len(ordered)}


def build_profiles(accounts: int, days: int, seed: int) -> list[AccountProfile]:
    """Profiles of simulated accounts, from every event of each in time order."""
    profiles: dict[str, AccountProfile] = {}
    for item in simulate(SimulationConfig(accounts=accounts, days=days, seed=seed)):
        account = item.event.account_id
        profile = profiles.get(account)
        if profile is None:
            profile = profiles[account] = AccountProfile.new(account)
        profile.update(item.event, trusted=True)
    return [profiles[account] for account in sorted(profiles)]


def heavy_profile(variant: int = 0) -> AccountProfile:
    """Every RecentKeys at its cap and every window at WINDOW_CAP, with the simulator's longest
    payee ids (IBANs) and IPv6 networks (longer keys than IPv4 /24s); keys differ by variant."""
    rng = random.Random(variant)
    profile = AccountProfile.new(f"acct-heavy-{variant:05d}")
    fields = [getattr(profile, name) for name in profile.__slots__]
    caps = [keys.cap for keys in fields if isinstance(keys, RecentKeys)]
    at = START + 0.137
    for i in range(max(caps) + WINDOW_CAP):  # four events a minute: all windows within a day
        device, account = f"dev-{rng.getrandbits(64):016x}", profile.account_id
        ip = ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))
        country = chr(65 + i // 26 % 26) + chr(65 + i % 26)
        profile.update(LoginEvent(f"h{i}a", account, at, ip, device, country=country,
                                  latitude=round(rng.uniform(-60, 60), 4),
                                  longitude=round(rng.uniform(-180, 180), 4),
                                  asn=rng.randrange(1, 400_000)))
        profile.update(LoginEvent(f"h{i}b", account, at + 15.011, ip,
                                  f"dev-{rng.getrandbits(64):016x}", success=False))
        profile.update(TransactionEvent(
            f"h{i}c", account, at + 30.023, rng.randrange(100, 10_000_000),
            payee_id=f"iban-{country}-{rng.getrandbits(40):010x}", device_id=device, ip=ip,
            country=country))
        profile.update(AccountChangeEvent(f"h{i}d", account, at + 45.047,
                                          AccountChangeKind.ADDRESS, device, ip))
        at += 60.0
    return profile


def parse(text: str) -> AccountProfile:
    """What ``load_profile`` builds, parsed by stdlib json (see the module docstring)."""
    return AccountProfile.from_dict(json.loads(text))


def memory_sizes(texts: Sequence[str]) -> list[int]:
    """Traced bytes each profile adds when parsed from its JSON, all of them kept."""
    held: list[AccountProfile | None] = [None] * (len(texts) + 1)  # no growth while tracing
    sizes: list[int] = []
    warmup = dump_profile(heavy_profile(WARMUP_VARIANT))  # no key shared with measured ones
    tracemalloc.start()
    try:
        held[-1] = parse(warmup)
        for index, text in enumerate(texts):
            before = tracemalloc.get_traced_memory()[0]
            held[index] = parse(text)
            sizes.append(tracemalloc.get_traced_memory()[0] - before)
    finally:
        tracemalloc.stop()
    return sizes


def field_bytes(profiles: Sequence[AccountProfile]) -> dict[str, float]:
    """Mean serialized bytes of each field (name, quotes, colon and comma included)."""
    totals = dict.fromkeys(AccountProfile.__slots__, 0)
    for profile in profiles:
        for name, value in profile.to_dict().items():
            totals[name] += len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)) + len(name) + 4
    return {name: total / len(profiles) for name, total in totals.items()}


def measure_profiles(profiles: Sequence[AccountProfile]) -> dict[str, Stats]:
    texts = [dump_profile(profile) for profile in profiles]
    return {"serialized": summarize([len(text.encode()) for text in texts]),
            "memory": summarize(memory_sizes(texts))}


def row_parts(profiles: Sequence[AccountProfile]) -> list[tuple[str, str]]:
    """Each profile's JSON split around its account id, to write it under another id."""
    parts = [dump_profile(p).split(json.dumps(p.account_id), 1) for p in profiles]
    return [(head, tail) for head, tail in parts]


def rows(parts: Sequence[tuple[str, str]], indices: Iterable[int]) -> Iterator[tuple[str, str]]:
    """(account id, profile JSON) for each index: the sampled profiles round-robin."""
    for index in indices:
        head, tail = parts[index % len(parts)]
        account = f"acct-{index:07d}"
        yield account, f'{head}"{account}"{tail}'


def sqlite_bytes(parts: Sequence[tuple[str, str]], accounts: int, seed: int) -> Stats:
    order = list(range(accounts))
    random.Random(seed).shuffle(order)
    with tempfile.TemporaryDirectory(prefix="acctguard-mem-") as directory:
        path = Path(directory) / "acctguard.db"
        database = SqliteDatabase(path, "NORMAL")
        try:
            for start in range(0, accounts, BATCH):
                batch = rows(parts, order[start:start + BATCH])
                with database.transaction() as db:
                    db.executemany(INSERT_PROFILE, ((*row, START) for row in batch))
            database.query("PRAGMA wal_checkpoint(TRUNCATE)")
            count = int(database.query("SELECT count(*) FROM profiles")[0][0])
        finally:
            database.close()
        size = sum(file.stat().st_size for file in Path(directory).iterdir())
    return {"accounts": count, "total_bytes": size, "bytes_per_account": size / count}


def redis_bytes(parts: Sequence[tuple[str, str]], accounts: int,
                url: str) -> dict[str, Any] | str:
    """Growth of used_memory per profile, or why Redis was skipped."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=30.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        return f"Redis at {url} unreachable ({exc})"
    prefix = f"agm{secrets.token_hex(3)}:"  # as long as the default "acctguard:"
    try:
        before = int(client.info("memory")["used_memory"])
        for start in range(0, accounts, BATCH):
            pipe = client.pipeline(transaction=False)
            for account, text in rows(parts, range(start, min(start + BATCH, accounts))):
                key = f"{prefix}profile:{account}"
                pipe.hset(key, mapping={"data": text, "v": 1})
            pipe.execute()
        grown = int(client.info("memory")["used_memory"]) - before
        encoding = client.object("encoding", key)
    finally:
        cursor = None
        while cursor != 0:  # SCAN by prefix, UNLINK each page of keys
            cursor, keys = client.scan(cursor or 0, match=f"{prefix}*", count=BATCH)
            if keys:
                client.unlink(*keys)
        client.close()
    return {"accounts": accounts, "total_bytes": grown,
            "bytes_per_account": grown / accounts, "hash_encoding": encoding.decode()}


def report(results: dict[str, Any]) -> None:
    print(f"\n{'bytes per profile':<28}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'mean':>9}"
          f"{'x 1M (MB)':>11}")
    for kind in ("typical", "heavy"):
        for measure, stats in results[kind].items():
            cells = "".join(f"{stats[key]:>9.0f}" for key in ("p50", "p95", "p99", "max", "mean"))
            print(f"{kind + ' ' + measure:<28}{cells}{stats['mean'] * MILLION / 1e6:>11.0f}")
    for store in ("sqlite", "redis"):
        value = results[store]
        if isinstance(value, str):
            print(f"{store:<28}skipped: {value}")
        else:
            print(f"{store + ' per account':<28}{value['bytes_per_account']:>45.0f}"
                  f"{value['bytes_per_account'] * MILLION / 1e6:>11.0f}"
                  f"   (measured: {value['accounts']:,} accounts, {value['total_bytes']:,} B"
                  f"{', hash encoding ' + value['hash_encoding'] if store == 'redis' else ''})")
    top = sorted(results["field_bytes"].items(), key=lambda item: -item[1])[:6]
    print("largest fields (mean serialized bytes): "
          + ", ".join(f"{name} {size:.0f}" for name, size in top))
    typical = results["typical"]
    for measure in ("serialized", "memory"):
        for q in ("p50", "p95"):
            size = typical[measure][q]
            verdict = "under" if size < BOUND else "OVER"
            print(f"verdict: typical {measure} {q} {size:.0f} B is {verdict} the 2 KB bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=MILLION, help="rows in SQLite")
    parser.add_argument("--sample-accounts", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--redis-accounts", type=int, default=100_000, help="0 skips Redis")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if min(args.accounts, args.sample_accounts, args.days) < 1:
        parser.error("--accounts, --sample-accounts and --days must be at least 1")
    began = time.perf_counter()
    profiles = build_profiles(args.sample_accounts, args.days, args.seed)
    heavy = [heavy_profile(variant) for variant in range(HEAVY_VARIANTS)]
    results: dict[str, Any] = {
        "sample_accounts": args.sample_accounts, "profiles": len(profiles), "days": args.days,
        "seed": args.seed, "typical": measure_profiles(profiles), "heavy": measure_profiles(heavy),
        "field_bytes": field_bytes(profiles)}
    print(f"profiles: {len(profiles)} of {args.sample_accounts} simulated accounts with events "
          f"in {args.days} days, {len(heavy)} heavy; {time.perf_counter() - began:.1f} s")
    parts = row_parts(profiles)
    step = time.perf_counter()
    results["sqlite"] = sqlite_bytes(parts, args.accounts, args.seed)
    print(f"sqlite: {args.accounts:,} rows in {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    url = os.environ.get("ACCTGUARD_REDIS_URL", "redis://127.0.0.1:6379/0")
    results["redis"] = (redis_bytes(parts, args.redis_accounts, url)
                        if args.redis_accounts > 0 else "--redis-accounts 0")
    print(f"redis: {time.perf_counter() - step:.1f} s")
    results["elapsed_seconds"] = time.perf_counter() - began
    report(results)
    print(f"elapsed: {results['elapsed_seconds']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
