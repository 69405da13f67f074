"""Benchmarks run in the test command in a short mode (scripts/test.sh passes
--benchmark-max-time); `scripts/bench_scoring.py` gives the full figures for
docs/reports/performance.md."""

from __future__ import annotations

from typing import Any

import numpy as np


def record_percentiles(benchmark: Any) -> None:
    """pytest-benchmark reports min/median/max; add p95 and p99 of the rounds to extra_info."""
    stats = getattr(benchmark, "stats", None)
    data = getattr(getattr(stats, "stats", None), "data", None)
    if not data:  # benchmarks disabled: the function ran once, nothing to report
        return
    timings = np.asarray(data)
    for q in (50, 95, 99):
        benchmark.extra_info[f"p{q}_us"] = round(float(np.percentile(timings, q)) * 1e6, 1)


def pedantic_rounds(config: Any, full: int) -> int:
    """Rounds for ``benchmark.pedantic`` (used when each round needs fresh input made outside the
    timing), which ignores --benchmark-max-time: ``full`` in a full run, a tenth (at least
    --benchmark-min-rounds) in the short mode scripts/test.sh uses (max time under 1 s)."""
    if float(config.getoption("benchmark_max_time")) >= 1.0:
        return full
    return max(int(config.getoption("benchmark_min_rounds")), full // 10)
