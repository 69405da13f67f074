"""scripts/loadtest.py against a test server on 127.0.0.1: a short run per mode gives a sane
summary, and any target but this machine's loopback is refused before anything is sent."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from service.api.acctguard.v1 import acctguard_pb2 as pb

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"


@pytest.fixture(scope="module")
def loadtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("loadtest", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadtest"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("mode", "seconds"),
                         [("unary", 2.0), ("stream", 2.0), ("batch", 2.0), ("health", 1.0)])
def test_short_run_gives_a_sane_summary(loadtest: ModuleType, server_port: int, mode: str,
                                        seconds: float) -> None:
    config = loadtest.LoadConfig(target=f"127.0.0.1:{server_port}", mode=mode, duration=seconds,
                                 concurrency=4, batch_size=20, window=8, accounts=150, days=7)
    summary = asyncio.run(loadtest.run_load(config, progress=False))

    assert summary["errors"] == {}
    assert summary["events_ok"] > 0
    assert summary["events_ok"] == summary["events_sent"]
    assert summary["events_per_s"] > 0
    latency = summary["call_latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    if mode == "batch":
        assert summary["events_ok"] % 20 == 0
        assert summary["event_latency_ms"]["p50"] == pytest.approx(latency["p50"] / 20, rel=1e-3)
    table = loadtest.format_table(summary)
    assert mode in table
    assert "errors" in table


def test_ids_carry_the_run_id_and_rounds_do_not_repeat(loadtest: ModuleType) -> None:
    traffic = loadtest.Traffic("run42", accounts=3, days=1, seed=1)
    first = [pb.ScoreRequest.FromString(b) for b in traffic.take(len(traffic._ids) + 5)]
    events = [getattr(r, r.WhichOneof("event")) for r in first]
    assert all(e.account_id.startswith("run42.") and e.event_id.startswith("run42.")
               for e in events)
    assert len({e.event_id for e in events}) == len(events)  # the second round has fresh ids
    batch = pb.ScoreBatchRequest.FromString(loadtest.batch_bytes(traffic.take(3)))
    assert len(batch.requests) == 3


@pytest.mark.parametrize("target", ["10.1.2.3:50051", "0.0.0.0:50051", "example.com:50051",
                                    "127.0.0.1", "dns:///127.0.0.1:50051", "[::2]:50051",
                                    "127.0.0.1:0"])
def test_non_loopback_targets_are_refused(loadtest: ModuleType, target: str) -> None:
    with pytest.raises(loadtest.TargetRefused, match="refusing target"):
        loadtest.LoadConfig(target=target)


@pytest.mark.parametrize("target", ["127.0.0.1:50051", "localhost:1", "[::1]:50051"])
def test_loopback_targets_are_accepted(loadtest: ModuleType, target: str) -> None:
    assert loadtest.check_target(target) == target


def test_command_refuses_a_remote_target_with_status_2() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--target", "10.1.2.3:50051",
                             "--duration", "1"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert "refusing target '10.1.2.3:50051'" in result.stderr
    assert result.stdout == ""
