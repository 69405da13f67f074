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


def test_first_start_training_logs_its_progress(tmp_path, model_path, monkeypatch):
    """The service's own training reports through its structured log, never on a console."""
    from structlog.testing import capture_logs

    import detectors.training
    from detectors.model import RiskModel
    from service.bootstrap import train_default_model

    def fake_training(accounts, days, seed, on_progress=None):
        for events in range(10_000, 200_001, 10_000):
            on_progress("replay", events)
        return RiskModel.load(model_path)

    monkeypatch.setattr(detectors.training, "train_simulator_default", fake_training)
    with capture_logs() as logs:
        train_default_model(tmp_path / "model.npz", 3000, 28, 7)
    progress = [line for line in logs if line["event"] == "progress"]
    assert [(p["command"], p["stage"], p["events"]) for p in progress] == [
        ("train_default_model", "replay", 100_000), ("train_default_model", "replay", 200_000)]
