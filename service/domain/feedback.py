"""What comes back after a decision, as records: step-up results, fraud evidence, and the one
write (:class:`TrustChange`) that stores a lesson together with everything it touches."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from detectors.profile import AccountProfile
from detectors.trust import EntityKind
from service.domain.audit import AuditRecord
from service.domain.freezes import Freeze
from service.domain.verification import Challenge


class Outcome(IntEnum):
    """Numbers are the proto's."""

    CONFIRMED_FRAUD = 1
    CONFIRMED_LEGITIMATE = 2


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    event_id: str
    account_id: str
    outcome: Outcome
    reported_at: float
    reported_by: str


class ChallengeResult(IntEnum):
    """Numbers are the proto's."""

    PASSED = 1
    FAILED = 2
    ABANDONED = 3


@dataclass(frozen=True, slots=True)
class ChallengeReport:
    """The reported result of one challenged event's step-up (the first one stands)."""

    event_id: str
    account_id: str
    result: ChallengeResult
    method: str
    reported_at: float
    reported_by: str
    learned: bool  # whether it changed what the account trusts
    note: str = ""  # why nothing was learned, when nothing was


@dataclass(frozen=True, slots=True)
class FraudEvidence:
    """A device, network or payee seen in an event confirmed as fraud (for signals across
    accounts)."""

    kind: EntityKind
    key: str
    account_id: str
    event_id: str
    reported_at: float


@dataclass(slots=True)
class TrustChange:
    """One lesson and its effects, written in one transaction: all of it or nothing.

    The store answers False (and writes nothing) when a condition the domain read no longer
    holds: a freeze in ``lift`` is no longer ACTIVE (unless ``lift_strict`` is off, when such a
    freeze is skipped), ``use_challenge`` is no longer VERIFIED, a result for
    ``challenge_report``'s event is already stored, or the stored outcome of ``outcome``'s
    event is no longer ``replaces_outcome``. It raises ConcurrentUpdate when ``profile`` is no
    longer at ``expected_version``.
    """

    account_id: str
    audit: list[AuditRecord]
    profile: AccountProfile | None = None
    expected_version: int = -1
    lift: list[Freeze] = field(default_factory=list)
    lift_strict: bool = True
    place: Freeze | None = None
    use_challenge: Challenge | None = None
    challenge_report: ChallengeReport | None = None
    outcome: OutcomeReport | None = None
    replaces_outcome: Outcome | None = None
    evidence: list[FraudEvidence] = field(default_factory=list)
    # The event whose fraud evidence is withdrawn (it was confirmed legitimate after all).
    withdraw_evidence_of: str = ""
