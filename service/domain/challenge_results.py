"""Step-up results reported by the gateway: what a CHALLENGE led to."""

from __future__ import annotations

from detectors.events import Event, LoginEvent
from detectors.profile import AccountProfile
from detectors.trust import as_failed_sign_in
from service.domain.audit import Actor, AuditRecord
from service.domain.clock import Clock
from service.domain.decisions import Decision, ScoreResult
from service.domain.degraded import is_fail_mode
from service.domain.engine import TrustSettings
from service.domain.errors import ConcurrentUpdate, FailedPrecondition, InvalidArgument, NotFound
from service.domain.feedback import ChallengeReport, ChallengeResult, TrustChange
from service.domain.lessons import Lesson, failed, passed
from service.domain.ports import CrowdLedger, FreezeLedger, RiskStore
from service.domain.validation import MAX_TEXT, check_id

MAX_ATTEMPTS = 10


class ChallengeResults:
    """Records each challenged event's step-up result once, and learns from it: a passed
    step-up vouches for the event, a failed or abandoned one is evidence against its device
    and network (and a failed sign-in for the crowd signal)."""

    def __init__(self, risk: RiskStore, ledger: FreezeLedger, clock: Clock,
                 settings: TrustSettings, crowd: CrowdLedger | None = None) -> None:
        self.risk = risk
        self.ledger = ledger
        self.clock = clock
        self.settings = settings
        self.crowd = crowd

    def report(self, event_id: str, result: int, method: str, actor: Actor) -> ChallengeReport:
        check_id("event_id", event_id)
        if result not in tuple(ChallengeResult):
            raise InvalidArgument("result", "must be CHALLENGE_PASSED, CHALLENGE_FAILED or "
                                            "CHALLENGE_ABANDONED")
        if len(method) > MAX_TEXT:
            raise InvalidArgument("method", f"is longer than {MAX_TEXT} characters")
        chosen = ChallengeResult(result)
        for _ in range(MAX_ATTEMPTS):
            report = self._try_report(event_id, chosen, method.strip().lower(), actor)
            if report is not None:
                return report
        raise ConcurrentUpdate("the account is being updated by others; try again")

    def _try_report(self, event_id: str, result: ChallengeResult, method: str,
                    actor: Actor) -> ChallengeReport | None:
        known = self.risk.find_result(event_id)
        if known is None:
            raise NotFound("event_id: no scored event has this id")
        if Decision.CHALLENGE not in (known.decision, known.would_decision):
            raise FailedPrecondition(f"event_id: the event was answered {known.decision.name}, "
                                     "not CHALLENGE")
        stored = self.ledger.challenge_report(event_id)
        if stored is not None:
            if stored.result is result:
                return stored
            raise FailedPrecondition(f"result: this event's step-up was already reported "
                                     f"{stored.result.name}; the first reported result stands")
        now = self.clock.now()
        profile: AccountProfile | None = None
        version = -1
        why_not = _unlearnable(known)
        if why_not or known.event is None:
            lesson = Lesson(False, why_not)
        else:
            stored_profile, version = self.risk.load_versioned(known.account_id)
            profile = stored_profile or AccountProfile.new(known.account_id)
            lesson = self._learn(profile, known.event, result, method, now)
        report = ChallengeReport(event_id, known.account_id, result, method, now, actor.name,
                                 lesson.learned, lesson.note)
        record = AuditRecord.of(now, actor.name, "challenge.result_reported", known.account_id,
                                event_id, result=result.name, method=method,
                                learned=lesson.learned, note=lesson.note)
        try:
            if not self.ledger.commit_trust(TrustChange(
                    known.account_id, [record], profile, version, challenge_report=report)):
                return None  # a result was stored meanwhile: read it
        except ConcurrentUpdate:
            return None
        if result is not ChallengeResult.PASSED and lesson.learned and known.event is not None:
            self._count_for_crowd(known.event)
        return report

    def _learn(self, profile: AccountProfile, event: Event, result: ChallengeResult,
               method: str, now: float) -> Lesson:
        if result is ChallengeResult.PASSED:
            return passed(profile, event, method, now, self.settings)
        return failed(profile, event, now, self.settings)

    def _count_for_crowd(self, event: Event) -> None:
        if self.crowd is not None and event.ip:
            self.crowd.record(as_failed_sign_in(event.event_id, event.account_id,
                                                event.occurred_at, event.ip, event.device_id))


def _unlearnable(known: ScoreResult) -> str:
    """Why a result for this event can teach nothing ('' when it can)."""
    if is_fail_mode(known):
        return "the event was answered by the fail mode, not scored"
    if known.would_decision is not None:
        return "audit mode: the CHALLENGE was not enforced"
    if known.event is None:
        return "the event was stored before events were kept with their results"
    if isinstance(known.event, LoginEvent) and not known.event.success:
        return "a failed sign-in teaches nothing"
    return ""
