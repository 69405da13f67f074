"""Operator actions: manual freezes and lifts with a reason, listings, the audit trail."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from detectors.events import CreditFeature
from detectors.reasons import Reason, ReasonCode
from service.domain.audit import Actor, AuditEntry, AuditRecord, ChainCheck
from service.domain.clock import Clock
from service.domain.decisions import ScoreResult
from service.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from service.domain.freezes import Freeze, FreezeState
from service.domain.ports import FreezeLedger, RiskStore
from service.domain.validation import check_id

MAX_REASON = 512
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_EVENTS_PAGE = 500
DEFAULT_EVENTS_PAGE = 50
MAX_MANUAL_TTL_SECONDS = 90 * 86400
MAX_SUMMARY_HOURS = 168


@dataclass(frozen=True, slots=True)
class FrozenAccount:
    account_id: str
    freezes: tuple[Freeze, ...]
    last_frozen_at: float


@dataclass(frozen=True, slots=True)
class HourOfDecisions:
    hour: float
    allow: int
    challenge: int
    freeze: int


def page_size(requested: int, default: int = DEFAULT_PAGE, most: int = MAX_PAGE) -> int:
    """``requested`` if in [1, most], ``default`` for 0; InvalidArgument otherwise."""
    if requested < 0 or requested > most:
        raise InvalidArgument("page_size", f"must be between 0 and {most}")
    return requested or default


def _require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidArgument("reason", "is required")
    if len(text) > MAX_REASON:
        raise InvalidArgument("reason", f"is longer than {MAX_REASON} characters")
    return text


class AdminService:
    def __init__(self, risk: RiskStore, ledger: FreezeLedger, clock: Clock,
                 default_ttl_seconds: float) -> None:
        self.risk = risk
        self.ledger = ledger
        self.clock = clock
        self.default_ttl_seconds = default_ttl_seconds

    def freeze_account(self, account_id: str, features: list[int], reason: str,
                       ttl_seconds: int, actor: Actor) -> Freeze:
        check_id("account_id", account_id)
        text = _require_reason(reason)
        if any(f not in tuple(CreditFeature) for f in features):
            raise InvalidArgument("features", "contains an unknown credit feature")
        if ttl_seconds > MAX_MANUAL_TTL_SECONDS:
            raise InvalidArgument("ttl_seconds", f"is more than {MAX_MANUAL_TTL_SECONDS}")
        scope = tuple(sorted({CreditFeature(f) for f in features})) or tuple(CreditFeature)
        now = self.clock.now()
        freeze = Freeze(
            freeze_id="frz_op_" + secrets.token_hex(12), account_id=account_id, event_id="",
            features=scope, reasons=(Reason(ReasonCode.OPERATOR_FREEZE, text, 1.0),), risk=1.0,
            created_at=now, expires_at=now + (ttl_seconds or self.default_ttl_seconds),
            placed_by=actor.name)
        self.ledger.add_freeze(freeze, AuditRecord.of(
            now, actor.name, "freeze.placed", account_id, freeze.freeze_id, how="operator",
            reason=text, features=[f.name for f in scope], expires_at=freeze.expires_at))
        return freeze

    def lift_freeze(self, freeze_id: str, reason: str, actor: Actor) -> Freeze:
        check_id("freeze_id", freeze_id)
        text = _require_reason(reason)
        freeze = self.ledger.find_freeze(freeze_id)
        if freeze is None:
            raise NotFound("freeze_id: no freeze has this id")
        now = self.clock.now()
        if not freeze.is_active(now):
            raise FailedPrecondition(f"the freeze is {freeze.state_at(now).name}, not ACTIVE")
        lifted = replace(freeze, state=FreezeState.LIFTED_ADMIN, lifted_at=now,
                         lifted_by=actor.name, lift_reason=text)
        record = AuditRecord.of(now, actor.name, "freeze.lifted", freeze.account_id, freeze_id,
                                how="operator", reason=text)
        if not self.ledger.lift_freezes([lifted], [record]):
            raise FailedPrecondition("the freeze was lifted by someone else meanwhile")
        return lifted

    def frozen_accounts(self, limit: int,
                        after: tuple[float, str] | None) -> list[FrozenAccount]:
        now = self.clock.now()
        listed = []
        for account_id, last in self.ledger.frozen_accounts(now, limit, after):
            active = tuple(f for f in self.risk.freezes(account_id) if f.is_active(now))
            listed.append(FrozenAccount(account_id, active, last))
        return listed

    def audit_trail(self, account_id: str, after_sequence: int, limit: int) -> list[AuditEntry]:
        check_id("account_id", account_id)
        return self.ledger.audit_trail(account_id, after_sequence, limit)

    def account_events(self, account_id: str, limit: int,
                       before: tuple[float, str] | None) -> list[ScoreResult]:
        """The account's scored events, newest first, older than the cursor."""
        check_id("account_id", account_id)
        return self.risk.account_results(account_id, limit, before)

    def forget_account(self, account_id: str, reason: str, actor: Actor) -> dict[str, int]:
        """Erase the account's profile and records; its audit entries are redacted (the chain
        still verifies) and the erasure itself is audited, without the account id."""
        check_id("account_id", account_id)
        text = _require_reason(reason)
        self.risk.forget_profile(account_id)
        record = AuditRecord.of(self.clock.now(), actor.name, "account.forgotten", "", "",
                                reason=text)
        return self.ledger.forget(account_id, record)

    def prune(self, max_age_seconds: float) -> dict[str, int]:
        """Retention: delete what is older than ``max_age_seconds``."""
        return self.ledger.prune(self.clock.now() - max_age_seconds)

    def decision_summary(self, hours: int) -> list[HourOfDecisions]:
        """Decisions per hour for the last ``hours`` (the current one included), oldest
        first, with empty hours as zeros."""
        if not 0 <= hours <= MAX_SUMMARY_HOURS:
            raise InvalidArgument("hours", f"must be between 0 and {MAX_SUMMARY_HOURS}")
        hours = hours or 24
        last = int(self.clock.now()) // 3600
        first = last - hours + 1
        counts = self.ledger.decision_counts(first * 3600.0)
        return [HourOfDecisions(hour * 3600.0, *(counts.get((hour, name), 0)
                                                  for name in ("ALLOW", "CHALLENGE", "FREEZE")))
                for hour in range(first, last + 1)]

    def verify_audit_chain(self) -> ChainCheck:
        return self.ledger.verify_audit_chain()
