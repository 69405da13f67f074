"""Who did what: callers as the domain sees them, and entries for the audit trail."""

from __future__ import annotations

import hashlib
import json
import secrets
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


def field_digest(salt: str, value: str) -> str:
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A stored record with its place in the chain.

    The hash covers digests of the personal fields (account, subject, detail), each salted
    with the entry's own random salt, not the fields themselves. Forgetting an account blanks
    those fields and the salt: the digests stay, so the chain still verifies, and without the
    salt they cannot be matched to any account id."""

    sequence: int
    record: AuditRecord
    prev_hash: str
    hash: str
    salt: str
    account_digest: str
    subject_digest: str
    detail_digest: str

    @property
    def redacted(self) -> bool:
        return not self.salt

    @classmethod
    def seal(cls, sequence: int, record: AuditRecord, prev_hash: str) -> AuditEntry:
        salt = secrets.token_hex(16)
        digests = (field_digest(salt, record.account_id), field_digest(salt, record.subject_id),
                   field_digest(salt, record.detail))
        return cls(sequence, record, prev_hash, audit_hash(prev_hash, _sealed(record, *digests)),
                   salt, *digests)

    def fields_match(self) -> bool:
        """The stored fields are the ones the digests were made of (blank when redacted)."""
        record = self.record
        if self.redacted:
            return record.account_id == record.subject_id == record.detail == ""
        return (field_digest(self.salt, record.account_id) == self.account_digest
                and field_digest(self.salt, record.subject_id) == self.subject_digest
                and field_digest(self.salt, record.detail) == self.detail_digest)


def _sealed(record: AuditRecord, account: str, subject: str, detail: str) -> dict[str, Any]:
    return {"at": record.at, "actor": record.actor, "action": record.action,
            "account": account, "subject": subject, "detail": detail}


def verify_chain(entries: list[AuditEntry]) -> ChainCheck:
    """Recompute every hash from the start of the trail."""
    prev = GENESIS_HASH
    for count, entry in enumerate(entries):
        expected = audit_hash(prev, _sealed(entry.record, entry.account_digest,
                                            entry.subject_digest, entry.detail_digest))
        if entry.prev_hash != prev or entry.hash != expected or not entry.fields_match():
            return ChainCheck(False, count, entry.sequence)
        prev = entry.hash
    return ChainCheck(True, len(entries))


@dataclass(frozen=True, slots=True)
class ChainCheck:
    intact: bool
    entries: int
    first_bad_sequence: int = 0
