"""Which model the service starts with."""

import pytest

from service.bootstrap import load_or_train_model
from service.config import Settings


def test_configured_model_must_exist(tmp_path):
    settings = Settings(data_dir=tmp_path, model_path=tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError, match="acctguard train"):
        load_or_train_model(settings)


def test_configured_model_is_loaded(tmp_path, model_path):
    settings = Settings(data_dir=tmp_path, model_path=model_path)
    assert load_or_train_model(settings).version


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_unreadable_default_model_is_retrained(tmp_path, model_path, damage):
    good = model_path.read_bytes()
    broken = b"not a model" if damage == "garbage" else good[: len(good) // 2]
    (tmp_path / "model.npz").write_bytes(broken)
    settings = Settings(data_dir=tmp_path, train_accounts=1000, train_days=21, train_seed=11)
    model = load_or_train_model(settings)
    assert model.version
    written = (tmp_path / "model.npz").stat().st_mtime_ns
    assert load_or_train_model(settings).version == model.version
    assert (tmp_path / "model.npz").stat().st_mtime_ns == written  # loaded, not retrained
