"""`acctguard train` reports its progress on stderr (JSON lines off a terminal) and prints on
stdout exactly the one JSON summary it always has."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.cli import main

pytestmark = pytest.mark.e2e


def test_train_progress_goes_to_stderr_and_stdout_is_the_summary_alone(model_path, tmp_path):
    out = tmp_path / "m.npz"
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--accounts", "300",
                                       "--days", "14", "--base-model", str(model_path)])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert list(summary) == ["model", "version", "rows", "trained_kinds", "base_kinds",
                             "base_model_version", "seconds"]
    progress = [json.loads(text) for text in result.stderr.splitlines() if text.startswith("{")]
    assert progress, result.stderr
    assert all(p["command"] == "train" and {"stage", "events", "elapsed_s"} <= set(p)
               for p in progress)
    assert progress[-1]["event"] == "progress_done"
    assert progress[-1]["events"] == sum(summary["rows"].values())
    assert result.stderr.splitlines()[-1].startswith("kept from the base model")
