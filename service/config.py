"""Settings from ACCTGUARD_* environment variables (and CLI flags that override them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCTGUARD_", extra="ignore")

    listen: str = Field("127.0.0.1:50051", description="host:port the gRPC server binds")
    data_dir: Path = Field(Path("data"), description="SQLite database, model, keys")
    model_path: Path | None = Field(None, description="model artifact; default DATA_DIR/model.npz")
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    freeze_ttl_hours: float = Field(72.0, gt=0, description="how long a freeze lasts unlifted")
    max_future_skew_seconds: float = Field(300.0, ge=0)
    grace_seconds: float = Field(5.0, ge=0, description="drain time on SIGTERM")
    shutdown_notice_seconds: float = Field(
        1.0, ge=0, description="on SIGTERM, report NOT_SERVING this long before refusing calls, "
        "so load balancers stop sending first")
    max_concurrent_rpcs: int = Field(
        1000, gt=0, description="calls in progress beyond this get RESOURCE_EXHAUSTED at once")
    max_message_bytes: int = Field(1 << 20, gt=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    train_accounts: int = Field(3000, gt=0, description="simulated accounts for the default model")
    train_days: int = Field(28, gt=0)
    train_seed: int = 7

    @property
    def resolved_model_path(self) -> Path:
        return self.model_path or self.data_dir / "model.npz"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "acctguard.sqlite3"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "log-hash.key"
