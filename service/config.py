"""Settings from ACCTGUARD_* environment variables (and CLI flags that override them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.domain.engine import TrustSettings

KINDS = ("login", "transaction", "account_change")


def audit_kinds_of(mode: str) -> frozenset[str]:
    """The event kinds in audit mode for an ACCTGUARD_MODE value."""
    text = mode.strip().lower()
    if text in ("enforce", "audit"):
        return frozenset(KINDS) if text == "audit" else frozenset()
    kinds = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, value = part.partition("=")
        if kind.strip() not in KINDS or value.strip() not in ("audit", "enforce"):
            raise ValueError(f"mode: {part!r} is not KIND=audit|enforce (kinds: {KINDS})")
        if value.strip() == "audit":
            kinds.add(kind.strip())
    return frozenset(kinds)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCTGUARD_", extra="ignore")

    listen: str = Field("127.0.0.1:50051", description="host:port the gRPC server binds")
    data_dir: Path = Field(Path("data"), description="SQLite database, model, keys")
    model_path: Path | None = Field(None, description="model artifact; default DATA_DIR/model.npz")
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA", "FREEZES"] = Field(
        "FREEZES", description="which SQLite commits wait for the disk: FREEZES every one "
        "but a scored plain ALLOW; FULL every one; NORMAL none (a killed process loses "
        "nothing either way)")
    sqlite_checkpoint_seconds: float = Field(
        1.0, ge=0, description="checkpoint the SQLite log from a background thread this often "
        "instead of inside an unlucky commit; 0: SQLite's automatic checkpoints")
    database_url: str = Field(
        "", description="postgresql://... to keep records in PostgreSQL (several replicas); "
        "empty: SQLite in DATA_DIR")
    database_schema: str = Field("", description="PostgreSQL schema (default: public)")
    database_pool_size: int = Field(4, gt=0, le=64)
    redis_url: str = Field("", description="redis://... to keep account profiles in Redis")
    redis_prefix: str = Field("acctguard:", description="prefix of every Redis key")
    mode: str = Field(
        "enforce", description="enforce | audit, or per event kind, e.g. "
        "'login=audit,transaction=enforce' (kinds not named are enforced). Audit: decide as "
        "usual, answer ALLOW with would_decision, place no freeze")
    retention_days: float = Field(
        180.0, gt=0, description="profiles and per-event records older than this are pruned "
        "(hourly); the audit trail is kept")
    fail_mode: Literal["open", "closed"] = Field(
        "closed", description="Score's answer when an event cannot be scored: closed = "
        "CHALLENGE, open = ALLOW, with reason RISK_STORE_UNAVAILABLE (the risk store cannot be "
        "used in time) or NOT_SCORED_IN_TIME (the call's deadline is too short)")
    score_timeout_seconds: float = Field(
        2.0, gt=0, le=60, description="longest Score waits for the engine and store (less when "
        "the call's deadline is sooner) before answering with the fail mode")
    store_timeout_seconds: float = Field(
        3.0, gt=0, le=60, description="connect and statement timeout of the stores: a store "
        "that stops answering fails calls with UNAVAILABLE after this long")
    freeze_ttl_hours: float = Field(72.0, gt=0, description="how long a freeze lasts unlifted")
    max_future_skew_seconds: float = Field(300.0, ge=0)
    grace_seconds: float = Field(5.0, ge=0, description="drain time on SIGTERM")
    shutdown_notice_seconds: float = Field(
        1.0, ge=0, description="on SIGTERM, report NOT_SERVING this long before refusing calls, "
        "so load balancers stop sending first")
    max_concurrent_rpcs: int = Field(
        1000, gt=0, description="calls in progress beyond this get RESOURCE_EXHAUSTED at once")
    max_message_bytes: int = Field(1 << 20, gt=0)
    metrics_listen: str = Field(
        "127.0.0.1:9464", description="host:port of the Prometheus /metrics endpoint; empty: "
        "off")
    gc_gen0_threshold: int = Field(
        20_000, ge=0, description="allocations between young-generation garbage collections "
        "(CPython's default is 700; scoring allocates many short-lived objects per event, so "
        "the default collects every few events); 0 keeps the interpreter's setting")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    train_accounts: int = Field(3000, gt=0, description="simulated accounts for the default model")
    train_days: int = Field(28, gt=0)
    train_seed: int = 7
    # The trust loop (docs "Trust loop"; detectors/trust.py, service/domain/lessons.py).
    challenge_abandon_minutes: float = Field(
        15.0, gt=0, description="a challenged event without a reported step-up result this long"
        " before the account's next event is judged abandoned")
    unreported_challenges: Literal["abandoned", "ignored"] = Field(
        "abandoned", description="what an unreported challenge is when judged: abandoned "
        "(evidence against its device and network) or ignored (no longer pending, nothing "
        "learned), for gateways that do not report step-up results yet")
    distrust_days: float = Field(
        7.0, gt=0, description="how long a failed or abandoned step-up, or a restore from "
        "another device, keeps a device or network untrusted on the account")
    new_account_days: float = Field(
        7.0, ge=0, description="an account is new (never frozen by the model) for this many "
        "days after its first successful event...")
    new_account_events: int = Field(
        10, ge=0, description="...or until it has this many successful events")
    contact_change_guard_days: float = Field(
        7.0, ge=0, description="after a phone or e-mail change, a step-up or restore proven by "
        "a code sent there teaches nothing for this long (authenticator apps and passkeys do)")
    fraud_freeze_days: float = Field(
        30.0, gt=0, description="how long a confirmed-fraud freeze and the distrust of the "
        "event's device, network and payee last")
    # Restoring service (docs/guides/restore.md; service/domain/restore.py).
    code_ttl_seconds: float = Field(
        600.0, gt=0, le=600, description="how long a one-time code is valid; NIST SP 800-63B "
        "allows at most 10 minutes, so a longer setting is refused at start")
    code_webhook_url: str = Field(
        "", description="POST one-time codes here for delivery by SMS or e-mail; empty: codes "
        "are returned to verifier callers only")
    code_webhook_secret: str = Field(
        "", description="when set, webhook requests carry X-Acctguard-Signature (HMAC-SHA256)")
    verification_key_path: Path | None = Field(
        None, description="root key for code MACs and sealed TOTP secrets, kept outside the "
        "database; default DATA_DIR/verification.key")
    # Who may call what (docs/guides/deploying.md; service/rpc/auth.py, security.py).
    tokens_file: Path | None = Field(
        None, description="bearer tokens (hashes) from `acctguard token create`; turns "
        "token authentication on")
    tls_cert_file: Path | None = Field(None, description="server certificate chain (PEM)")
    tls_key_file: Path | None = Field(None, description="server private key (PEM)")
    tls_client_ca_file: Path | None = Field(
        None, description="CA for client certificates (PEM); when set, clients must present "
        "a certificate signed by it (mTLS)")
    client_cert_roles: dict[str, Literal["gateway", "verifier", "admin"]] = Field(
        default_factory=dict, description='client certificate common name -> role, JSON, '
        'e.g. {"gw-1": "gateway"}')
    allow_insecure: bool = Field(
        False, description="allow a non-loopback listen address without TLS and authentication")
    verification_rate_per_minute: float = Field(
        120.0, gt=0, description="per caller: StartVerification, CompleteVerification, "
        "Unfreeze, EnrollAuthenticator calls per minute (beyond: RESOURCE_EXHAUSTED)")
    verification_burst: int = Field(30, ge=1, description="per caller: calls at once")

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        audit_kinds_of(value)  # raises ValueError for anything it cannot read
        return value

    @property
    def audit_kinds(self) -> frozenset[str]:
        return audit_kinds_of(self.mode)

    @model_validator(mode="after")
    def _tls_files_together(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("tls_client_ca_file (mTLS) needs tls_cert_file and tls_key_file")
        return self

    @property
    def trust(self) -> TrustSettings:
        return TrustSettings(
            abandon_after_seconds=self.challenge_abandon_minutes * 60.0,
            unreported_is_evidence=self.unreported_challenges == "abandoned",
            distrust_seconds=self.distrust_days * 86400.0,
            new_account_days=self.new_account_days, new_account_events=self.new_account_events,
            contact_change_guard_seconds=self.contact_change_guard_days * 86400.0,
            fraud_freeze_seconds=self.fraud_freeze_days * 86400.0)

    @property
    def resolved_model_path(self) -> Path:
        return self.model_path or self.data_dir / "model.npz"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "acctguard.sqlite3"

    @property
    def resolved_verification_key_path(self) -> Path:
        return self.verification_key_path or self.data_dir / "verification.key"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "log-hash.key"
