"""The way back for a frozen customer: verification challenges, then Unfreeze.

Nothing here says whether a challenge exists to someone who may not use it: an unknown,
expired, already used or foreign challenge gets one and the same error. A challenge is usable
only by the caller that started it, an admin included: an operator lifts a freeze with
``AdminService.lift_freeze`` and a written reason, not with a customer's challenge.
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass, replace

from detectors.events import CreditFeature
from detectors.profile import AccountProfile
from service.domain.audit import ENGINE, Actor, AuditRecord
from service.domain.clock import Clock
from service.domain.engine import TrustSettings
from service.domain.errors import (
    ConcurrentUpdate,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RateLimited,
)
from service.domain.feedback import TrustChange
from service.domain.freezes import Freeze, FreezeState, frozen_features
from service.domain.lessons import Lesson, restored
from service.domain.ports import (
    CodeSender,
    FreezeLedger,
    RiskStore,
    SecretBox,
    VerificationStore,
)
from service.domain.validation import MAX_ID, MAX_TEXT, check_id
from service.domain.verification import (
    Challenge,
    ChallengeState,
    CodeDelivery,
    CodeHasher,
    VerificationMethod,
    VerificationRules,
    looks_like_code,
    new_challenge_id,
    new_one_time_code,
    new_totp_secret,
    totp_matching_step,
)

UNUSABLE_CHALLENGE = "the challenge is unknown, expired or already used"
NO_VERIFIED_CHALLENGE = "no verified, unused challenge of this account with this id: verify first"
MAX_CAS_RETRIES = 5


@dataclass(frozen=True, slots=True)
class StartedChallenge:
    challenge: Challenge
    delivery: CodeDelivery
    code: str = ""  # only when the caller is to deliver it


@dataclass(frozen=True, slots=True)
class Attempt:
    verified: bool
    attempts_left: int
    locked: bool = False  # this failure locked verification for the account


@dataclass(frozen=True, slots=True)
class Restoration:
    features: tuple[CreditFeature, ...]  # no longer frozen
    lifted: tuple[Freeze, ...]


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret_base32: str
    otpauth_uri: str


def _iso(at: float) -> str:
    import datetime as dt
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds")


class VerificationService:
    def __init__(self, risk: RiskStore, challenges: VerificationStore, ledger: FreezeLedger,
                 clock: Clock, rules: VerificationRules, hasher: CodeHasher, box: SecretBox,
                 sender: CodeSender | None, trust: TrustSettings | None = None) -> None:
        self.risk = risk
        self.store = challenges
        self.ledger = ledger
        self.clock = clock
        self.rules = rules
        self.hasher = hasher
        self.box = box
        self.sender = sender
        self.trust = trust or TrustSettings()

    # -- starting -------------------------------------------------------------------------------

    def start(self, account_id: str, method: int, actor: Actor, device_id: str = "",
              ip: str = "") -> StartedChallenge:
        """``device_id``, ``ip``: where the holder is verifying from (optional). A restore
        verified from the frozen event's own device teaches the account that device."""
        check_id("account_id", account_id)
        if method not in tuple(VerificationMethod):
            raise InvalidArgument("method", "must be ONE_TIME_CODE or TOTP")
        if len(device_id) > MAX_ID:
            raise InvalidArgument("device_id", f"is longer than {MAX_ID} characters")
        if len(ip) > MAX_TEXT:
            raise InvalidArgument("ip", f"is longer than {MAX_TEXT} characters")
        origin = (device_id, ip)
        chosen = VerificationMethod(method)
        now = self.clock.now()
        if not any(f.is_active(now) for f in self.risk.freezes(account_id)):
            raise FailedPrecondition("the account has no active freeze to restore")
        self._check_not_locked(account_id, now)
        since = now - self.rules.start_window_seconds
        if sum(c.created_at > since for c in self.store.challenges(account_id)) \
                >= self.rules.starts_per_account:
            raise RateLimited(f"at most {self.rules.starts_per_account} verifications may be "
                              "started for an account per hour")
        if chosen is VerificationMethod.TOTP:
            return self._start_totp(account_id, actor, now, origin)
        return self._start_one_time_code(account_id, actor, now, origin)

    def _check_not_locked(self, account_id: str, now: float) -> None:
        until = self.store.locked_until(account_id)
        if until is not None and until > now:
            raise RateLimited(f"verification is locked for this account until {_iso(until)} "
                              "after too many wrong codes")

    def _new_challenge(self, account_id: str, method: VerificationMethod, actor: Actor,
                       now: float, origin: tuple[str, str], code: str = "") -> Challenge:
        challenge_id = new_challenge_id()
        return Challenge(
            challenge_id=challenge_id, account_id=account_id, method=method,
            started_by=actor.name, created_at=now, expires_at=now + self.rules.code_ttl_seconds,
            attempts_allowed=self.rules.attempts_per_challenge,
            code_mac=self.hasher.mac(challenge_id, code) if code else "",
            device_id=origin[0], ip=origin[1])

    def _started_record(self, challenge: Challenge, delivery: CodeDelivery) -> AuditRecord:
        return AuditRecord.of(challenge.created_at, challenge.started_by, "verification.started",
                              challenge.account_id, challenge.challenge_id,
                              method=challenge.method.name, delivery=delivery.name,
                              expires_at=challenge.expires_at, device_id=challenge.device_id)

    def _start_totp(self, account_id: str, actor: Actor, now: float,
                    origin: tuple[str, str]) -> StartedChallenge:
        if self.store.authenticator(account_id) is None:
            raise FailedPrecondition("no authenticator app is enrolled for this account")
        challenge = self._new_challenge(account_id, VerificationMethod.TOTP, actor, now, origin)
        delivery = CodeDelivery.AUTHENTICATOR_APP
        self.store.add_challenge(challenge, self._started_record(challenge, delivery))
        return StartedChallenge(challenge, delivery)

    def _start_one_time_code(self, account_id: str, actor: Actor, now: float,
                             origin: tuple[str, str]) -> StartedChallenge:
        if self.sender is None and not actor.delivers_codes:
            raise FailedPrecondition("no code delivery webhook is configured, and only a "
                                     "verifier may receive codes to deliver")
        code = new_one_time_code()
        challenge = self._new_challenge(account_id, VerificationMethod.ONE_TIME_CODE, actor,
                                        now, origin, code)
        delivery = CodeDelivery.WEBHOOK if self.sender is not None else CodeDelivery.CALLER
        self.store.add_challenge(challenge, self._started_record(challenge, delivery))
        if self.sender is not None:
            # Stored first, so a failed delivery still counts against the hourly limit.
            self.sender.send(challenge, code)
            return StartedChallenge(challenge, delivery)
        return StartedChallenge(challenge, delivery, code)

    # -- completing -----------------------------------------------------------------------------

    def complete(self, challenge_id: str, code: str, actor: Actor) -> Attempt:
        check_id("challenge_id", challenge_id)
        if not looks_like_code(code):
            raise InvalidArgument("code", "must be 6 digits")
        for _ in range(MAX_CAS_RETRIES):
            attempt = self._try_complete(challenge_id, code, actor)
            if attempt is not None:
                return attempt
        raise FailedPrecondition("the challenge changed while the code was checked; try again")

    def _usable_by(self, challenge: Challenge | None, actor: Actor) -> Challenge:
        if challenge is None or challenge.started_by != actor.name:
            raise NotFound(UNUSABLE_CHALLENGE)
        return challenge

    def _try_complete(self, challenge_id: str, code: str, actor: Actor) -> Attempt | None:
        now = self.clock.now()
        challenge = self._usable_by(self.store.load_challenge(challenge_id), actor)
        if challenge.state is ChallengeState.DEAD and now < challenge.expires_at:
            return Attempt(False, 0)  # used up by wrong codes: even the right one is refused
        if not challenge.completable(now):
            raise NotFound(UNUSABLE_CHALLENGE)
        self._check_not_locked(challenge.account_id, now)
        totp_step: int | None = None
        if challenge.method is VerificationMethod.TOTP:
            totp_step = self._totp_step(challenge.account_id, code, now)
            right = totp_step is not None
        else:
            right = self.hasher.matches(challenge, code)
        if right:
            return self._succeed(challenge, actor, now, totp_step)
        return self._fail(challenge, actor, now)

    def _totp_step(self, account_id: str, code: str, now: float) -> int | None:
        enrolled = self.store.authenticator(account_id)
        if enrolled is None:
            return None
        sealed, last_step = enrolled
        secret = self.box.open(sealed, f"totp:{account_id}")
        return totp_matching_step(secret, code, now, self.rules, last_step)

    def _succeed(self, challenge: Challenge, actor: Actor, now: float,
                 totp_step: int | None) -> Attempt | None:
        updated = challenge.after_success(now)
        record = AuditRecord.of(now, actor.name, "verification.succeeded", challenge.account_id,
                                challenge.challenge_id, method=challenge.method.name)
        if not self.store.update_challenge(challenge, updated, [record], totp_step=totp_step):
            return None
        return Attempt(True, updated.attempts_left)

    def _fail(self, challenge: Challenge, actor: Actor, now: float) -> Attempt | None:
        updated = challenge.after_failure()
        since = now - self.rules.failure_window_seconds
        failures = self.store.failures_since(challenge.account_id, since) + 1
        records = [AuditRecord.of(now, actor.name, "verification.failed", challenge.account_id,
                                  challenge.challenge_id, attempts_left=updated.attempts_left)]
        locked_until = None
        if failures >= self.rules.failures_per_account:
            locked_until = now + self.rules.lockout_seconds
            records.append(AuditRecord.of(now, actor.name, "verification.locked",
                                          challenge.account_id, challenge.challenge_id,
                                          failures_in_window=failures, until=locked_until))
        if not self.store.update_challenge(challenge, updated, records, failure_at=now,
                                           locked_until=locked_until):
            return None
        return Attempt(False, updated.attempts_left, locked_until is not None)

    # -- authenticator apps -----------------------------------------------------------------------

    def enroll(self, account_id: str, issuer: str, actor: Actor) -> Enrolment:
        """A new TOTP secret for the account. Refused while the account is frozen: whoever
        holds a stolen session must not be able to enrol their own authenticator and use it
        to unfreeze."""
        check_id("account_id", account_id)
        if len(issuer) > MAX_TEXT:
            raise InvalidArgument("issuer", f"is longer than {MAX_TEXT} characters")
        now = self.clock.now()
        if any(f.is_active(now) for f in self.risk.freezes(account_id)):
            raise FailedPrecondition("an authenticator cannot be enrolled while the account is "
                                     "frozen; verify with a one-time code instead")
        secret = new_totp_secret()
        sealed = self.box.seal(secret, f"totp:{account_id}")
        self.store.set_authenticator(account_id, sealed, AuditRecord.of(
            now, actor.name, "authenticator.enrolled", account_id, account_id))
        encoded = base64.b32encode(secret).decode().rstrip("=")
        label = urllib.parse.quote(f"{issuer or 'acctguard'}:{account_id}")
        query = urllib.parse.urlencode({"secret": encoded, "issuer": issuer or "acctguard",
                                        "digits": 6, "period": self.rules.totp_step_seconds})
        return Enrolment(encoded, f"otpauth://totp/{label}?{query}")

    def account_state(self, account_id: str) -> VerificationState:
        now = self.clock.now()
        open_now = tuple(c for c in self.store.challenges(account_id)
                         if c.completable(now) or (
                             c.state is ChallengeState.VERIFIED and c.verified_at is not None
                             and now <= c.verified_at + self.rules.unfreeze_window_seconds))
        until = self.store.locked_until(account_id)
        return VerificationState(open_now, until if until is not None and until > now else None,
                                 self.store.authenticator(account_id) is not None)

    # -- unfreezing -----------------------------------------------------------------------------

    def unfreeze(self, account_id: str, challenge_id: str, actor: Actor) -> Restoration:
        """Lift the account's freezes placed before the challenge was verified; the challenge
        is used up in the same transaction. Each lifted freeze that a scored event triggered
        teaches the account something by who verified (:func:`lessons.restored`), in the same
        transaction too. Returns the features no longer frozen."""
        check_id("account_id", account_id)
        check_id("challenge_id", challenge_id)
        for _ in range(MAX_CAS_RETRIES):
            try:
                return self._try_unfreeze(account_id, challenge_id, actor)
            except ConcurrentUpdate:
                continue  # the profile changed while we read: read again
        raise FailedPrecondition("the account changed while it was restored; try again")

    def _try_unfreeze(self, account_id: str, challenge_id: str, actor: Actor) -> Restoration:
        now = self.clock.now()
        challenge = self.store.load_challenge(challenge_id)
        if challenge is None or not self._may_unfreeze(challenge, account_id, actor, now):
            raise FailedPrecondition(NO_VERIFIED_CHALLENGE)
        verified_at = challenge.verified_at or now
        active = [f for f in self.risk.freezes(account_id) if f.is_active(now)]
        covered = [f for f in active if f.created_at <= verified_at]
        how = f"identity verified by {challenge.method.name} challenge {challenge_id}"
        lifted = [replace(f, state=FreezeState.LIFTED_VERIFIED, lifted_at=now,
                          lifted_by=actor.name, lift_reason=how) for f in covered]
        records = [AuditRecord.of(now, actor.name, "freeze.lifted", account_id, f.freeze_id,
                                  how="verified", challenge_id=challenge_id,
                                  features=[x.name for x in f.features]) for f in covered]
        records.append(AuditRecord.of(now, actor.name, "verification.used", account_id,
                                      challenge_id, freezes=[f.freeze_id for f in covered]))
        stored, version = self.risk.load_versioned(account_id)
        profile = stored or AccountProfile.new(account_id)
        records += self._lessons(profile, covered, challenge, actor, now)
        if not self.ledger.commit_trust(TrustChange(
                account_id, records, profile, version, lift=lifted, use_challenge=challenge)):
            raise FailedPrecondition(NO_VERIFIED_CHALLENGE)
        remaining = [f for f in active if f not in covered]
        restored = set(frozen_features(active)) - set(frozen_features(remaining))
        return Restoration(tuple(sorted(restored)), tuple(lifted))

    def _lessons(self, profile: AccountProfile, covered: list[Freeze], challenge: Challenge,
                 actor: Actor, now: float) -> list[AuditRecord]:
        """What each lifted freeze teaches, applied to ``profile``; the audit entries say."""
        records = []
        for freeze in covered:
            event = None
            if freeze.event_id and freeze.placed_by == ENGINE:
                known = self.risk.find_result(freeze.event_id)
                event = known.event if known is not None else None
            if event is None:
                lesson = Lesson(False, "no scored event triggered this freeze" if not
                                freeze.event_id or freeze.placed_by != ENGINE
                                else "the triggering event was not kept")
            else:
                lesson = restored(profile, event, challenge.device_id,
                                  challenge.method is VerificationMethod.TOTP, now,
                                  self.trust)
            records.append(AuditRecord.of(
                now, actor.name, "restore.learned" if lesson.learned else "restore.unlearned",
                challenge.account_id, freeze.freeze_id, event_id=freeze.event_id,
                verifying_device=challenge.device_id, note=lesson.note))
        return records

    def _may_unfreeze(self, challenge: Challenge, account_id: str, actor: Actor,
                      now: float) -> bool:
        return (challenge.account_id == account_id
                and challenge.started_by == actor.name
                and challenge.state is ChallengeState.VERIFIED
                and challenge.verified_at is not None
                and now <= challenge.verified_at + self.rules.unfreeze_window_seconds)


@dataclass(frozen=True, slots=True)
class VerificationState:
    """What a support agent needs to see: challenges still open, a lock, an authenticator."""

    open_challenges: tuple[Challenge, ...]
    locked_until: float | None
    authenticator_enrolled: bool
