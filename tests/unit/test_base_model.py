"""Training on a log that lacks event kinds: the kinds with enough honest events are fitted on
it, the others are a base model's, unchanged; the artifact says which came from where; an
artifact of another feature schema is refused with the commands that make a usable one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detectors.base_model import BaseModel, KindOrigins
from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    EventKind,
    LoginEvent,
)
from detectors.model import ArtifactError, RiskModel
from detectors.simulation import HONEST, LabelledEvent
from detectors.training import (
    MIN_FIT_ROWS,
    MIN_HELD_OUT_ROWS,
    TooFewEvents,
    TrainingConfig,
    TrainingDataError,
    train,
)
from tests.card_history import START, card_log

KEPT = (EventKind.LOGIN, EventKind.ACCOUNT_CHANGE)


def _same_kind(a: RiskModel, b: RiskModel, kind: EventKind) -> bool:
    left, right = a.kinds[kind].to_arrays(), b.kinds[kind].to_arrays()
    return left.keys() == right.keys() and all(np.array_equal(left[k], right[k], equal_nan=True)
                                                for k in left)


@pytest.fixture(scope="module")
def base(model_path: Path) -> RiskModel:
    return RiskModel.load(model_path)


@pytest.fixture(scope="module")
def partial(model_path: Path) -> RiskModel:
    return train(card_log(), TrainingConfig(seed=3), source={"events": "cards.jsonl"},
                 base=BaseModel.from_file(model_path))


def test_transactions_only_log_trains_transactions_and_keeps_the_rest(partial, base):
    assert not _same_kind(partial, base, EventKind.TRANSACTION)
    for kind in KEPT:
        assert _same_kind(partial, base, kind)
        assert partial.kinds[kind].thresholds == base.kinds[kind].thresholds
    assert partial.version != base.version


def test_the_artifact_records_where_each_kind_came_from(partial, base, model_path, tmp_path):
    path = tmp_path / "partial.npz"
    partial.save(path)
    origins = KindOrigins.of(RiskModel.load(path).metadata)
    assert origins.trained == {EventKind.TRANSACTION: len(card_log())}
    assert set(origins.from_base) == set(KEPT)
    for why in origins.from_base.values():
        assert "found 0 honest events" in why
        assert f"at least {MIN_FIT_ROWS} to fit and {MIN_HELD_OUT_ROWS} held out" in why
    assert origins.base_version == base.version
    assert origins.base_origin == {"file": str(model_path)}
    assert origins.base_source == base.metadata["source"]


def test_the_console_lines_name_kinds_counts_and_base(partial, base):
    trained, kept = KindOrigins.of(partial.metadata).summary()
    assert trained == f"trained on this log: transaction ({len(card_log()):,} events)"
    assert kept.startswith(f"kept from the base model {base.version} (")
    assert "login (found 0 honest events" in kept
    assert "account_change (found 0 honest events" in kept


def test_a_kind_short_of_the_minimum_is_kept_and_says_how_many(model_path):
    logins = [LabelledEvent(LoginEvent(f"in-{i}", f"cust-{i}", START + i * 60.0, ip="10.0.0.1",
                                       device_id=f"d-{i}", country="DE"), HONEST)
              for i in range(10)]
    log = sorted(card_log() + logins, key=lambda item: item.event.occurred_at)
    model = train(log, TrainingConfig(seed=3), base=BaseModel.from_file(model_path))
    origins = KindOrigins.of(model.metadata)
    assert set(origins.trained) == {EventKind.TRANSACTION}
    assert origins.from_base[EventKind.LOGIN].startswith("found 10 honest events, ")
    solo = sorted((LabelledEvent(replace(item.event, account_id="solo"), item.label)
                   for item in card_log()[:40]), key=lambda item: item.event.occurred_at)
    with pytest.raises(TrainingDataError, match=r"transaction: found 40 honest events, \d+ to "
                                                r"fit and \d+ held out; at least 30 to fit"):
        train(solo, TrainingConfig(seed=3), base=BaseModel.from_file(model_path))


def test_without_a_base_model_a_missing_kind_is_refused_with_the_minimum():
    with pytest.raises(TooFewEvents, match="not enough honest login events to train on: "
                                           "found 0 honest events, 0 to fit and 0 held out; "
                                           "at least 30 to fit and 20 held out are needed"):
        train(card_log(accounts=20), TrainingConfig(seed=3))


def test_a_log_with_no_kind_to_train_is_refused_naming_each_kind():
    def never() -> RiskModel:
        raise AssertionError("the base model is not needed to refuse")

    with pytest.raises(TrainingDataError, match="no event kind has enough") as refused:
        train(card_log(accounts=2, per_account=5), TrainingConfig(seed=3),
              base=BaseModel({"file": "unused"}, never))
    assert "transaction: found 10 honest events" in str(refused.value)


# Every account's first sign-in looks alike: ECOD warns of near-constant columns.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_base_model_is_loaded_only_when_a_kind_needs_it(partial, tmp_path):
    calls: list[int] = []

    def counted() -> RiskModel:
        calls.append(1)
        return partial

    others = [event for a in range(150) for event in (
        LoginEvent(f"in-{a}", f"cust-{a}", START + a * 600.0, ip=f"10.0.{a}.1",
                   device_id=f"d-{a}", country="DE"),
        AccountChangeEvent(f"ch-{a}", f"cust-{a}", START + a * 600.0 + 60,
                           AccountChangeKind.PHONE, device_id=f"d-{a}"))]
    log = card_log() + [LabelledEvent(event, HONEST) for event in others]
    full = train(sorted(log, key=lambda item: item.event.occurred_at), TrainingConfig(seed=5),
                 base=BaseModel({"file": "unused"}, counted))
    assert calls == []
    origins = KindOrigins.of(full.metadata)
    assert set(origins.trained) == set(EventKind)
    assert origins.from_base == {}
    assert origins.base_version == ""


def test_an_artifact_from_before_the_record_trained_every_kind(base):
    metadata = {k: v for k, v in base.metadata.items() if k != "kind_origins"}
    origins = KindOrigins.of(metadata)
    assert set(origins.trained) == set(EventKind)
    assert origins.trained[EventKind.LOGIN] == base.metadata["rows"]["login"]
    assert origins.from_base == {}


def test_another_feature_schema_is_refused_naming_train_and_calibrate(base, tmp_path):
    login = base.kinds[EventKind.LOGIN]
    renamed = replace(login, feature_names=("old_feature", *login.feature_names[1:]))
    path = tmp_path / "old.npz"
    RiskModel(base.version, {**base.kinds, EventKind.LOGIN: renamed}, base.metadata).save(path)
    with pytest.raises(ArtifactError, match="feature schema for login") as refused:
        RiskModel.load(path)
    assert "`acctguard train --out NEW.npz" in str(refused.value)
    assert "`acctguard calibrate --model NEW.npz" in str(refused.value)
