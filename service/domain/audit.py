"""Who did what: callers as the domain sees them, and entries for the audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ENGINE = "engine"
GENESIS_HASH = "0" * 64
AUDIT_FIELDS = ("at", "actor", "action", "account_id", "subject_id", "detail")


class Role(StrEnum):
    GATEWAY = "gateway"
    VERIFIER = "verifier"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller behind a request (``name`` from its token or certificate)."""

    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def delivers_codes(self) -> bool:
        """May receive a one-time code in the response, to deliver it itself."""
        return self.role in (Role.VERIFIER, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry for the append-only, hash-chained audit trail."""

    at: float
    actor: str
    action: str
    account_id: str
    subject_id: str
    detail: str

    @classmethod
    def of(cls, at: float, actor: str, action: str, account_id: str, subject_id: str,
           **detail: Any) -> AuditRecord:
        return cls(at, actor, action, account_id, subject_id,
                   json.dumps(detail, sort_keys=True, separators=(",", ":")))


    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUDIT_FIELDS}


def audit_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """Each audit entry's hash covers the previous one, so a removed or edited entry shows."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def verify_chain(entries: list[AuditEntry]) -> ChainCheck:
    """Recompute every hash from the start of the trail."""
    prev = GENESIS_HASH
    for count, entry in enumerate(entries):
        if entry.prev_hash != prev or entry.hash != audit_hash(prev, entry.record.as_dict()):
            return ChainCheck(False, count, entry.sequence)
        prev = entry.hash
    return ChainCheck(True, len(entries))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A stored record with its place in the chain."""

    sequence: int
    record: AuditRecord
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    intact: bool
    entries: int
    first_bad_sequence: int = 0
