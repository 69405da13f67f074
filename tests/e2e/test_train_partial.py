"""`acctguard train --events` on a card processor's log (transactions only): the console says
what was trained on the log and what was kept from the base model, by default the one the
service trains from its simulator; a served artifact reports it in GetModelInfo."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner

from detectors.events import EventKind, LoginEvent
from detectors.model import RiskModel
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.cli import main
from service.config import Settings
from service.rpc.converters import event_to_request
from tests.card_history import START, card_log, write_unlabelled
from tests.conftest import TEST_MODEL_ACCOUNTS, TEST_MODEL_DAYS, running_server

pytestmark = pytest.mark.e2e
# The settings the session's model_path fixture was trained with (tests/conftest.py).
SIMULATOR_DEFAULT = {"ACCTGUARD_TRAIN_ACCOUNTS": str(TEST_MODEL_ACCOUNTS),
                     "ACCTGUARD_TRAIN_DAYS": str(TEST_MODEL_DAYS), "ACCTGUARD_TRAIN_SEED": "11"}


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_unlabelled(card_log(), tmp_path_factory.mktemp("cards") / "cards.jsonl")


def _train(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict, list[str]]:
    result = CliRunner().invoke(main, ["train", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    summary = json.loads(result.stdout.splitlines()[0]) if result.exit_code == 0 else {}
    return result.exit_code, summary, result.stderr.splitlines()


@pytest.mark.slow
def test_default_base_is_the_services_simulator_model(cards, model_path, tmp_path):
    """Without --base-model, the kept kinds come from the model the service would train from
    its simulator with the same settings: the same version as that model."""
    out = tmp_path / "m.npz"
    code, summary, console = _train("--out", str(out), "--events", str(cards),
                                    env=SIMULATOR_DEFAULT)
    assert code == 0, console
    default_version = RiskModel.load(model_path).version
    assert summary["trained_kinds"] == ["transaction"]
    assert summary["base_kinds"] == ["login", "account_change"]
    assert summary["base_model_version"] == default_version
    assert console[-2] == f"trained on this log: transaction ({len(card_log()):,} events)"
    assert console[-1].startswith(
        f"kept from the base model {default_version} (the simulator default: "
        f"{TEST_MODEL_ACCOUNTS:,} accounts, {TEST_MODEL_DAYS} days, seed 11): login (found 0 "
        "honest events, 0 to fit and 0 held out; at least 30 to fit and 20 held out are "
        "needed); account_change (found 0 honest events")


def test_base_model_file_is_named_on_the_console(cards, model_path, tmp_path):
    out = tmp_path / "m.npz"
    code, summary, console = _train("--out", str(out), "--events", str(cards),
                                    "--base-model", str(model_path))
    assert code == 0, console
    base = RiskModel.load(model_path)
    assert summary["base_model_version"] == base.version
    assert console[-1].startswith(f"kept from the base model {base.version} ({model_path}): ")
    assert RiskModel.load(out).metadata["kind_origins"]["base_model"]["origin"] == {
        "file": str(model_path)}


def test_too_few_events_of_every_kind_is_one_line_with_the_counts(model_path, tmp_path):
    few = write_unlabelled(card_log(accounts=2, per_account=5), tmp_path / "few.jsonl")
    code, _, console = _train("--out", str(tmp_path / "m.npz"), "--events", str(few),
                              "--base-model", str(model_path))
    assert code == 1
    assert len(console) == 1
    assert console[0].startswith(
        "Error: no event kind has enough honest events to train on: login: found 0 honest "
        "events, 0 to fit and 0 held out; at least 30 to fit and 20 held out are needed; ")
    assert "; transaction: found 10 honest events, " in console[0]
    assert not (tmp_path / "m.npz").exists()


def test_model_info_over_grpc_reports_trained_and_kept_kinds(cards, model_path, tmp_path):
    out = tmp_path / "partial.npz"
    code, _, console = _train("--out", str(out), "--events", str(cards),
                              "--base-model", str(model_path))
    assert code == 0, console
    base, partial = RiskModel.load(model_path), RiskModel.load(out)
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp_path / "data", model_path=out,
                        sqlite_synchronous="NORMAL")
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        admin, guard = rpc.AccountGuardAdminStub(channel), rpc.AccountGuardStub(channel)
        info = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
        assert info.version == partial.version
        assert list(info.trained_kinds) == ["transaction"]
        assert list(info.base_kinds) == ["login", "account_change"]
        assert info.base_model_version == base.version
        origins = json.loads(info.source)["kind_origins"]
        assert origins["trained"] == {"transaction": len(card_log())}
        assert origins["base_model"]["version"] == base.version
        assert origins["base_model"]["source"] == base.metadata["source"]
        # A kept kind scores with the base model's thresholds.
        login = guard.Score(event_to_request(LoginEvent(
            "in-1", "cust-1", START + 15 * 86_400.0, ip="192.0.2.1", device_id="phone",
            country="DE")), timeout=5)
        assert 0.0 <= login.risk <= 1.0
        assert info.challenge_threshold == base.kinds[EventKind.LOGIN].thresholds.challenge
        full = admin.ReloadModel(pb.ReloadModelRequest(path=str(model_path)), timeout=30)
        assert list(full.trained_kinds) == ["login", "transaction", "account_change"]
        assert list(full.base_kinds) == []
        assert full.base_model_version == ""
