"""SIGKILL under FREEZE-worthy load, 20 times at random moments: every FREEZE a caller was told
about is stored and ACTIVE after restart, no event freezes twice, and every answered event gets
the same answer again. The harness is tests/e2e/crash_harness.py; `python -m scripts.crash_test`
runs it with more kills."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.crash_harness import CrashConfig, run_crash_test
from tests.e2e.processes import DURABILITY_BACKENDS, Backend, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KILLS = 20


@pytest.fixture(params=DURABILITY_BACKENDS, ids=str)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Where the server keeps its records (tests/e2e/processes.py DURABILITY_BACKENDS)."""
    backend: Backend = request.param
    backend.require()
    return backend


def test_freezes_survive_sigkill_under_load(tmp_path: Path, model_path: Path,
                                            backend: Backend) -> None:
    config = CrashConfig(kills=KILLS, seed=20240601, workers=4, min_uptime=0.1,
                         max_uptime=0.5, max_seconds=150)
    with ServerProcess(tmp_path / "data", model_path, env=backend.env,
                       log_dir=tmp_path / "logs") as server:
        report = run_crash_test(server, backend, config)
    print(report.summary_line())  # noqa: T201  # the counts, with -s or on failure
    summary = report.summary_line()
    assert not report.problems, summary + "\n" + "\n".join(report.problems[:20])
    assert report.kills == KILLS, summary
    assert report.freeze_replies > 0, summary
    assert report.verified_present == report.freeze_replies, summary
    assert report.stored_freezes == report.freezes_named, summary
    assert report.replays_identical == report.replays == report.events_sent, summary
    assert report.final_exit_status == 0, summary
