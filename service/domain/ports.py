"""Storage ports, declared by the domain that uses them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from detectors.crowd import CrowdSignals
from detectors.events import Event
from detectors.profile import AccountProfile
from service.domain.audit import AuditEntry, AuditRecord, ChainCheck
from service.domain.decisions import ScoreResult
from service.domain.feedback import ChallengeReport, FraudEvidence, OutcomeReport, TrustChange
from service.domain.freezes import Freeze
from service.domain.verification import Challenge


@dataclass(slots=True)
class StoredAccounts:
    """What a batch reads of its accounts before scoring them: each one's profile with its
    version (None and 0 when there is none yet) and every freeze, oldest first."""

    profiles: dict[str, tuple[AccountProfile | None, int]] = field(default_factory=dict)
    freezes: dict[str, list[Freeze]] = field(default_factory=dict)


class RiskStore(Protocol):
    """Profiles, scored events and freezes, written together per event.

    ``commit_score`` is atomic: the result, the profile and the freeze (if any) are all durable
    when it returns, or none is. If another writer already stored a result for the same event_id,
    nothing is written and that stored result is returned instead.
    """

    def load_profile(self, account_id: str) -> AccountProfile | None: ...

    def load_versioned(self, account_id: str) -> tuple[AccountProfile | None, int]:
        """The profile and its version (0 when there is none yet)."""
        ...

    def find_result(self, event_id: str) -> ScoreResult | None: ...

    def freezes(self, account_id: str) -> list[Freeze]:
        """Every freeze of the account, oldest first, in its stored state."""
        ...

    def find_results(self, event_ids: Sequence[str]) -> dict[str, ScoreResult]:
        """``find_result`` for many at once (only the event_ids already stored are keys)."""
        ...

    def load_accounts(self, account_ids: Sequence[str]) -> StoredAccounts:
        """``load_versioned`` and ``freezes`` for many accounts at once, in as few round trips
        as the store allows; every account gets an entry."""
        ...

    def commit_score(self, result: ScoreResult, profile: AccountProfile, freeze: Freeze | None,
                     expected_version: int = -1) -> ScoreResult:
        """``expected_version``: the version the profile was read at; if it changed meanwhile,
        raise ConcurrentUpdate and write nothing (-1: do not check)."""
        ...

    def commit_batch(self, scored: list[tuple[ScoreResult, AccountProfile, Freeze | None]],
                     versions: dict[str, int] | None = None) -> bool:
        """Commit many scored events in one transaction (the last profile of each account is
        the one stored). If any event_id is already stored, or a profile is no longer at the
        version in ``versions``, nothing is written and the answer is False."""
        ...

    def remember_result(self, result: ScoreResult) -> ScoreResult:
        """Store ``result`` as its event's answer, touching no profile (a fail-mode answer: the
        event was not scored). If the event_id is already stored, nothing is written and the
        stored result is returned instead."""
        ...

    def account_results(self, account_id: str, limit: int,
                        before: tuple[float, str] | None) -> list[ScoreResult]:
        """At most ``limit`` of the account's stored results, newest first (by scored_at, then
        event_id), strictly before the (scored_at, event_id) cursor when one is given."""
        ...

    def forget_profile(self, account_id: str) -> None:
        """Remove the account's profile wherever profiles are kept (a cache included)."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable if the store cannot be used."""
        ...

    def close(self) -> None: ...


class VerificationStore(Protocol):
    """Challenges, authenticator secrets and the per-account failure record.

    Updates are conditional on the state the domain read (compare-and-set), so two replicas
    handling the same challenge at once cannot both count, or both accept, one attempt.
    Every write takes the audit records to append in the same transaction.
    """

    def add_challenge(self, challenge: Challenge, audit: AuditRecord) -> None: ...

    def load_challenge(self, challenge_id: str) -> Challenge | None: ...

    def challenges(self, account_id: str) -> list[Challenge]:
        """The account's challenges, oldest first."""
        ...

    def update_challenge(self, expected: Challenge, updated: Challenge, audit: list[AuditRecord],
                         failure_at: float | None = None, locked_until: float | None = None,
                         totp_step: int | None = None) -> bool:
        """Store ``updated`` if the challenge still is ``expected`` (same state and failures);
        record a failure, a lock, or the accepted TOTP step (only if later than the stored
        one). False, and nothing written, if any condition no longer holds."""
        ...

    def failures_since(self, account_id: str, since: float) -> int: ...

    def locked_until(self, account_id: str) -> float | None: ...

    def set_authenticator(self, account_id: str, sealed_secret: bytes, audit: AuditRecord) -> None:
        """Enrol (or replace) the account's TOTP secret, sealed; resets the accepted step."""
        ...

    def authenticator(self, account_id: str) -> tuple[bytes, int] | None:
        """The sealed secret and the last accepted time step."""
        ...


class FreezeLedger(Protocol):
    """Freezes placed and lifted outside scoring, outcomes, and the audit trail."""

    def find_freeze(self, freeze_id: str) -> Freeze | None: ...

    def add_freeze(self, freeze: Freeze, audit: AuditRecord) -> None: ...

    def lift_freezes(self, lifted: list[Freeze], audit: list[AuditRecord],
                     use_challenge: Challenge | None = None) -> bool:
        """Store each freeze in its lifted state if it is still ACTIVE, and mark
        ``use_challenge`` USED if it still is VERIFIED; all or nothing. False if any condition
        no longer holds."""
        ...

    def record_outcome(self, report: OutcomeReport, audit: list[AuditRecord],
                       lifted: Freeze | None = None) -> None:
        """Store (or replace) the outcome of an event, and lift ``lifted`` if still ACTIVE."""
        ...

    def outcomes(self) -> list[OutcomeReport]: ...

    def outcome_of(self, event_id: str) -> OutcomeReport | None: ...

    def challenge_report(self, event_id: str) -> ChallengeReport | None:
        """The step-up result reported for a challenged event, if one was."""
        ...

    def fraud_evidence(self, account_id: str) -> list[FraudEvidence]:
        """The devices, networks and payees of the account's events confirmed as fraud."""
        ...

    def commit_trust(self, change: TrustChange) -> bool:
        """Write a lesson and its effects in one transaction (see :class:`TrustChange` for the
        conditions); False, and nothing written, if one no longer holds. Raises
        ConcurrentUpdate if the profile changed since it was read."""
        ...

    def frozen_accounts(self, now: float, limit: int,
                        after: tuple[float, str] | None) -> list[tuple[str, float]]:
        """Accounts with an active freeze and the time of their latest one, most recent first,
        strictly after the (time, account) cursor."""
        ...

    def active_freeze_count(self, now: float) -> int: ...

    def forget(self, account_id: str, record: AuditRecord) -> dict[str, int]:
        """Erase the account's records, redact its audit entries, append ``record``."""
        ...

    def prune(self, before: float) -> dict[str, int]:
        """Delete per-event records, profiles and ended freezes older than ``before``."""
        ...

    def decision_counts(self, since: float) -> dict[tuple[int, str], int]:
        """(hour number since the epoch, decision name) -> events scored."""
        ...

    def audit_trail(self, account_id: str, after_sequence: int, limit: int) -> list[AuditEntry]:
        ...

    def verify_audit_chain(self) -> ChainCheck: ...


class SecretBox(Protocol):
    """Authenticated encryption under a key kept outside the database."""

    def seal(self, plaintext: bytes, context: str) -> bytes: ...

    def open(self, sealed: bytes, context: str) -> bytes: ...


class CodeSender(Protocol):
    """Hands a one-time code to whatever sends it to the account holder (SMS, e-mail)."""

    def send(self, challenge: Challenge, code: str) -> None:
        """Raise DeliveryFailed if the code could not be handed over."""
        ...


class CrowdLedger(Protocol):
    """Failed sign-ins per network across accounts (in process, or shared through Redis)."""

    def signals(self, event: Event) -> CrowdSignals: ...

    def record(self, event: Event) -> None: ...


class ScoringObserver(Protocol):
    """Told about every scored event once it is committed (metrics)."""

    def committed(self, result: ScoreResult, freeze: Freeze | None, seconds: float) -> None: ...
