"""Identity-verification challenges: the rules, the challenge record, code checks.

One-time codes follow NIST SP 800-63B and PCI DSS 8.3.4: six digits from a CSPRNG, valid for
at most ten minutes, at most five wrong attempts, single use, bound to their challenge, and kept
only as an HMAC under a key that lives outside the database. TOTP (RFC 6238) checks a code
against the enrolled secret and never accepts a time step twice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum

MAX_CODE_TTL_SECONDS = 600.0
CODE_DIGITS = 6


class VerificationMethod(IntEnum):
    """Numbers are the proto's."""

    ONE_TIME_CODE = 1
    TOTP = 2


class CodeDelivery(IntEnum):
    WEBHOOK = 1
    CALLER = 2
    AUTHENTICATOR_APP = 3


class ChallengeState(StrEnum):
    OPEN = "OPEN"          # waiting for the right code
    VERIFIED = "VERIFIED"  # the right code was given; one Unfreeze may use it
    USED = "USED"          # an Unfreeze used it
    DEAD = "DEAD"          # too many wrong codes


@dataclass(frozen=True, slots=True)
class VerificationRules:
    code_ttl_seconds: float = MAX_CODE_TTL_SECONDS
    attempts_per_challenge: int = 5
    failures_per_account: int = 10
    failure_window_seconds: float = 3600.0
    lockout_seconds: float = 1800.0
    starts_per_account: int = 5
    start_window_seconds: float = 3600.0
    # How long after verification the challenge can still be used to unfreeze.
    unfreeze_window_seconds: float = 900.0
    totp_step_seconds: int = 30
    # Steps either side of now a TOTP code may come from (clock drift between phone and server).
    totp_drift_steps: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.code_ttl_seconds <= MAX_CODE_TTL_SECONDS:
            raise ValueError(f"a one-time code may be valid for at most {MAX_CODE_TTL_SECONDS:.0f}"
                             f" seconds (NIST SP 800-63B), not {self.code_ttl_seconds}")
        if not 1 <= self.attempts_per_challenge <= 5:
            raise ValueError("attempts per challenge must be between 1 and 5")


@dataclass(frozen=True, slots=True)
class Challenge:
    challenge_id: str
    account_id: str
    method: VerificationMethod
    started_by: str
    created_at: float
    expires_at: float
    attempts_allowed: int
    code_mac: str = ""  # HMAC of the one-time code; empty for TOTP
    failures: int = 0
    state: ChallengeState = ChallengeState.OPEN
    verified_at: float | None = None
    used_at: float | None = None
    # The device and address of the party verifying, as the verification flow gave them.
    device_id: str = ""
    ip: str = ""

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts_allowed - self.failures)

    def completable(self, now: float) -> bool:
        """Can still take a code: open, not expired, attempts left."""
        return (self.state is ChallengeState.OPEN and now < self.expires_at
                and self.attempts_left > 0)

    def after_failure(self) -> Challenge:
        failures = self.failures + 1
        state = ChallengeState.DEAD if failures >= self.attempts_allowed else self.state
        return replace(self, failures=failures, state=state)

    def after_success(self, now: float) -> Challenge:
        return replace(self, state=ChallengeState.VERIFIED, verified_at=now)


def new_challenge_id() -> str:
    return "chl_" + secrets.token_urlsafe(18)


def new_one_time_code() -> str:
    """Six digits from the operating system's CSPRNG, leading zeros kept."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


class CodeHasher:
    """HMAC-SHA256 of a code bound to its challenge id, under a key kept outside the database."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the code key must be at least 32 bytes")
        self._key = key

    def mac(self, challenge_id: str, code: str) -> str:
        return hmac.new(self._key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()

    def matches(self, challenge: Challenge, code: str) -> bool:
        return hmac.compare_digest(self.mac(challenge.challenge_id, code), challenge.code_mac)


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def totp_code(secret: bytes, step: int, digits: int = CODE_DIGITS) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, as authenticator apps use) for one time step."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** digits:0{digits}d}"


def totp_matching_step(secret: bytes, code: str, now: float, rules: VerificationRules,
                       last_step: int) -> int | None:
    """The time step the code belongs to, if it is within the drift window and later than the
    last accepted step (a code, or an earlier one, can never be accepted twice)."""
    current = int(now // rules.totp_step_seconds)
    found: int | None = None
    for step in range(current - rules.totp_drift_steps, current + rules.totp_drift_steps + 1):
        # Every candidate is compared, so the time taken does not say which one matched.
        if hmac.compare_digest(totp_code(secret, step), code) and step > last_step:
            found = step
    return found


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)  # 160 bits, as RFC 4226 recommends
