"""RiskEngine: validate, profile, score, decide, freeze, remember; one event at a time.

The engine is synchronous and not thread-safe by design: the service runs it on one worker so
that events of an account are applied in the order they arrive, and every answer is committed
before it is returned.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from detectors.crowd import CrowdSignals, NetworkFailures
from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    Event,
    EventKind,
    LoginEvent,
    TransactionEvent,
)
from detectors.features import NO_CROWD
from detectors.profile import AccountProfile
from detectors.reasons import Reason, ReasonCode
from detectors.scoring import Assessment, Scorer
from detectors.sentences import describe
from detectors.trust import (
    DeviceTrust,
    JudgedAbandoned,
    as_failed_sign_in,
    device_trust,
    distrust_of,
    hold_step_up,
    is_familiar,
    is_new_account,
    judge_abandoned,
    pending_step_ups,
)
from service.domain.clock import Clock
from service.domain.decisions import Decision, ScoreResult
from service.domain.errors import ConcurrentUpdate, EventIdConflict, InvalidArgument
from service.domain.freezes import Freeze, frozen_features
from service.domain.policy import RiskPolicy, Standing
from service.domain.ports import CrowdLedger, RiskStore, ScoringObserver, StoredAccounts
from service.domain.validation import validate_event

MAX_ATTEMPTS = 10  # scoring again after a concurrent update of the same account
RETRY_PAUSE_SECONDS = 0.002  # doubled each time (random up to it), at most 64x


@dataclass(frozen=True, slots=True)
class _Scored:
    result: ScoreResult
    freeze: Freeze | None
    assessment: Assessment
    # Step-ups of the account judged abandoned before this event: failed sign-ins for the crowd.
    abandoned: tuple[JudgedAbandoned, ...] = ()


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """The trust loop's times and sizes (see detectors.trust)."""

    # A challenged event without a result this long before the account's next event is
    # judged abandoned...
    abandon_after_seconds: float = 15 * 60.0
    # ...and counts as a failed step-up (False: it is only no longer pending, for gateways
    # that do not report step-up results yet).
    unreported_is_evidence: bool = True
    # How long a failed or abandoned step-up, or a restore from another device, keeps a device
    # or network untrusted on the account.
    distrust_seconds: float = 7 * 86400.0
    # An account is new (the model's FREEZE becomes CHALLENGE) while under this many days
    # since its first successful event, or with fewer than this many successful events.
    new_account_days: float = 7.0
    new_account_events: int = 10
    # A PHONE or EMAIL change this recent stops a passed step-up or a restore from teaching
    # anything (unless proven with an authenticator app or passkey).
    contact_change_guard_seconds: float = 7 * 86400.0
    # Confirmed fraud: how long its freeze and the distrust of its device, network and payee last.
    fraud_freeze_seconds: float = 30 * 86400.0


@dataclass(frozen=True, slots=True)
class EngineSettings:
    freeze_ttl_seconds: float = 72 * 3600.0
    max_future_skew_seconds: float = 300.0
    # Event kinds in audit (shadow) mode: decided as usual, answered ALLOW, never frozen.
    audit_kinds: frozenset[EventKind] = frozenset()
    trust: TrustSettings = TrustSettings()


def freeze_id_for(event_id: str) -> str:
    """Derived from the event, so every replica names the freeze of one event the same way."""
    return "frz_" + hashlib.sha256(event_id.encode()).hexdigest()[:24]


class RiskEngine:
    def __init__(self, scorer: Scorer, policy: RiskPolicy, store: RiskStore, clock: Clock,
                 settings: EngineSettings, crowd: CrowdLedger | None = None,
                 observer: ScoringObserver | None = None) -> None:
        self.scorer = scorer
        self.policy = policy
        self.store = store
        self.clock = clock
        self.settings = settings
        # Failed sign-ins per network across accounts, for the last hour: process state unless
        # shared (Redis) across replicas.
        self.crowd: CrowdLedger = crowd if crowd is not None else NetworkFailures()
        self.observer = observer

    def warm_up(self) -> None:
        """Run one synthetic event of each kind through features, detectors, calibration and
        policy (nothing is read from or written to the store), so the first real call does not
        pay for first-use costs."""
        self.smoke_test(self.scorer)

    def smoke_test(self, scorer: Scorer) -> None:
        """Score known synthetic events (a fresh and a seasoned account, each kind) with
        ``scorer``, touching no store; raise ValueError if an answer is not a risk in [0, 1]."""
        now = self.clock.now()
        seasoned = AccountProfile.new("smoke")
        for event in _smoke_events(now - 7 * 86400, 20):
            seasoned.update(event)
        for profile in (AccountProfile.new("smoke"), seasoned):
            for event in _smoke_events(now, 1):
                risk = scorer.assess(event, profile, NO_CROWD).risk
                if not 0.0 <= risk <= 1.0:  # also catches NaN
                    raise ValueError(f"the model scored a known {event.kind} event {risk!r}")

    def replace_scorer(self, scorer: Scorer) -> None:
        """Serve another model from the next event on (call on the engine's worker)."""
        self.scorer = scorer

    def validate(self, event: Event) -> None:
        """Raise InvalidArgument, naming the field, if the event cannot be scored."""
        validate_event(event, self.clock.now(), self.settings.max_future_skew_seconds)

    def score(self, event: Event) -> ScoreResult:
        return self.score_detailed(event)[0]

    def score_detailed(self, event: Event, crowd: CrowdSignals | None = None,
                       ) -> tuple[ScoreResult, Assessment | None]:
        """The result and the model's assessment behind it (None for a replayed event_id).
        Evaluation uses the assessment to compare detectors one by one. ``crowd``: the crowd
        signals as they were when the event arrived (a batch scored again), else read now."""
        now = self.clock.now()
        validate_event(event, now, self.settings.max_future_skew_seconds)
        for attempt in range(MAX_ATTEMPTS):
            known = self.store.find_result(event.event_id)
            if known is not None:
                return self._replayed(known, event), None
            started = time.perf_counter()
            stored, version = self.store.load_versioned(event.account_id)
            profile = stored or AccountProfile.new(event.account_id)
            active = self._active_freezes(event.account_id, now)
            scored = self._evaluate(event, profile, active, now, crowd)
            try:
                committed = self.store.commit_score(scored.result, profile, scored.freeze,
                                                    version)
            except ConcurrentUpdate:
                # Another replica updated the account meanwhile: score it again, after a short
                # random pause so two replicas do not keep colliding in step.
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2 ** min(attempt, 6)))
                continue
            if committed is scored.result:  # counted once, and only once stored
                self.crowd.record(event)
                self._record_abandoned(event.account_id, scored.abandoned)
                if self.observer is not None:
                    self.observer.committed(committed, scored.freeze,
                                            time.perf_counter() - started)
            return committed, scored.assessment
        raise ConcurrentUpdate(f"the account {event.account_id!r} is being updated by others; "
                               "try again")

    def score_batch(self, events: Sequence[Event]) -> list[ScoreResult]:
        """Many events, applied in order exactly as one call each would be, committed in one
        transaction. Every event is validated first: a bad one raises (InvalidArgument with
        its position) and nothing is written."""
        now = self.clock.now()
        for index, event in enumerate(events):
            try:
                validate_event(event, now, self.settings.max_future_skew_seconds)
            except InvalidArgument as error:
                raise InvalidArgument(f"requests[{index}].{error.field}", error.problem) from None
        started = time.perf_counter()
        batch = _Batch(self, now)
        results = batch.run(events)
        if batch.pending and not self.store.commit_batch(batch.pending, batch.versions):
            # Another writer stored one of these events meanwhile: redo them one by one, each
            # with the crowd signals it saw on arrival (the ledger now holds the later events
            # of this batch too; recording them again changes nothing).
            return [self.score_detailed(event, batch.crowd.get(event.event_id))[0]
                    for event in events]
        for account_id, judged in batch.abandoned:
            self._record_abandoned(account_id, (judged,))
        if self.observer is not None and batch.pending:
            each = (time.perf_counter() - started) / len(batch.pending)
            for result, _, freeze in batch.pending:
                self.observer.committed(result, freeze, each)
        return results

    def remember(self, result: ScoreResult) -> ScoreResult:
        """Store a fail-mode answer (the event was not scored) as the event's answer, so the
        same event_id gets it again; the profile learns nothing. An event_id already stored
        keeps its stored answer, which is returned."""
        return self.store.remember_result(result)

    def _evaluate(self, event: Event, profile: AccountProfile, active: list[Freeze],
                  now: float, crowd: CrowdSignals | None = None) -> _Scored:
        """Score, decide and (maybe) freeze; updates ``profile`` in place. Writes nothing."""
        signals = crowd if crowd is not None else self.crowd.signals(event)
        abandoned = self.settle(event, profile)
        assessment = self.scorer.assess(event, profile, signals)
        return self._conclude(event, profile, active, now, assessment, abandoned)

    def settle(self, event: Event, profile: AccountProfile) -> tuple[JudgedAbandoned, ...]:
        """Before ``event`` is assessed: the account's step-ups left without a result for too
        long are judged abandoned (evidence against their device and network)."""
        if not profile.step_ups:
            return ()
        trust = self.settings.trust
        return tuple(judge_abandoned(profile, event.occurred_at, trust.abandon_after_seconds,
                                     trust.distrust_seconds, trust.unreported_is_evidence))

    def _record_abandoned(self, account_id: str, abandoned: Sequence[JudgedAbandoned]) -> None:
        """Abandoned step-ups count for the crowd signal as failed sign-ins do."""
        for judged in abandoned:
            self.crowd.record(as_failed_sign_in(judged.event_id, account_id, judged.at,
                                                judged.ip, judged.device_id))

    def standing(self, event: Event, profile: AccountProfile) -> Standing:
        """What the account's trust state says about ``event`` (profile before the event)."""
        trust = self.settings.trust
        at = event.occurred_at
        new = is_new_account(profile, at, trust.new_account_days, trust.new_account_events)
        large = (new and isinstance(event, TransactionEvent) and bool(event.payee_id)
                 and event.amount_minor >= self.scorer.large_amount_minor
                 and event.payee_id not in profile.payees)
        return Standing(new, distrust_of(profile, event, at), large, is_familiar(profile, event))

    def _conclude(self, event: Event, profile: AccountProfile, active: list[Freeze],
                  now: float, assessment: Assessment,
                  abandoned: tuple[JudgedAbandoned, ...] = ()) -> _Scored:
        """The decision, freeze and result for an assessed event; updates ``profile``."""
        accumulator = self.scorer.accumulator
        level = assessment.alert_level
        if level is None:
            level = accumulator.level(profile.alert_level, profile.alert_at, assessment.risk,
                                      event.occurred_at)
        standing = self.standing(event, profile)
        verdict = self.policy.decide(event, assessment, accumulator.escalates(level), standing)
        decision = verdict.decision
        reasons: tuple[Reason, ...] = ()
        if decision is not Decision.ALLOW:
            reasons = (*verdict.reasons, *assessment.reasons)
        if reasons and (assessment.new_account or standing.large_to_new_payee):
            reasons += (Reason(ReasonCode.NEW_ACCOUNT, describe(ReasonCode.NEW_ACCOUNT, {}), 0.0),)
        new_freeze: Freeze | None = None
        covering = self._covering_freeze(
            verdict.freeze_scope, active, now + self.settings.freeze_ttl_seconds / 2,
        ) if active else None
        if decision is Decision.FREEZE and covering is None:
            new_freeze = Freeze(
                freeze_id=freeze_id_for(event.event_id), account_id=event.account_id,
                event_id=event.event_id, features=verdict.freeze_scope, reasons=reasons,
                risk=assessment.risk, created_at=now,
                expires_at=now + self.settings.freeze_ttl_seconds)
        freeze_id = new_freeze.freeze_id if new_freeze else ""
        if decision is Decision.FREEZE and covering is not None:
            freeze_id = covering.freeze_id
        would: Decision | None = None
        if event.kind in self.settings.audit_kinds:
            # Audit mode: report what enforcing would do, act on none of it. Freezes already
            # in place (from enforce mode or an operator) still block below.
            would, decision, new_freeze, freeze_id = decision, Decision.ALLOW, None, ""
        blocking = self._blocking_freeze(event, active) if active else None
        if blocking is not None:
            decision = Decision.FREEZE
            freeze_id = freeze_id or blocking.freeze_id
            code = ReasonCode.FEATURE_FROZEN
            reasons = (Reason(code, describe(code, {}), 1.0), *reasons)
        # Only an allowed event is learned as the holder's. A frozen event's device, place and
        # payee must not become known (nor one that would have been frozen: audit mode must not
        # teach the attacker's device); a challenged one's wait for the step-up result. Audit
        # mode challenges nobody, so a would-be CHALLENGE is learned as before.
        trusted = decision is Decision.ALLOW and would is not Decision.FREEZE
        profile.update(event, trusted=trusted)
        if decision is Decision.CHALLENGE and not _failed_login(event):
            hold_step_up(profile, event)
        profile.alert_level, profile.alert_at = level, max(profile.alert_at, event.occurred_at)
        result = ScoreResult(
            event_id=event.event_id, account_id=event.account_id, kind=event.kind,
            risk=assessment.risk, decision=decision, reasons=reasons,
            frozen_features=frozen_features([*active, new_freeze] if new_freeze else active),
            freeze_id=freeze_id, model_version=self.scorer.version, scored_at=now,
            would_decision=would, event=event)
        return _Scored(result, new_freeze, assessment, abandoned)

    def account_trust(self, account_id: str) -> tuple[list[DeviceTrust], list[str]]:
        """The account's devices with their trust state, and its challenged events awaiting a
        step-up result (oldest first)."""
        profile = self.store.load_profile(account_id)
        if profile is None:
            return [], []
        return device_trust(profile, self.clock.now()), pending_step_ups(profile)

    def account_freezes(self, account_id: str) -> list[Freeze]:
        """Active freezes of the account, oldest first."""
        return self._active_freezes(account_id, self.clock.now())

    def _active_freezes(self, account_id: str, now: float) -> list[Freeze]:
        return _active(self.store.freezes(account_id), now)

    @staticmethod
    def _covering_freeze(scope: tuple[CreditFeature, ...], active: list[Freeze],
                         lasting_until: float) -> Freeze | None:
        """An active freeze that covers everything a new one would and still has at least half
        a freeze lifetime to run: then no second freeze is placed. Fresh evidence against an
        account whose freeze is about to lapse places a new one, so protection never runs out
        while an attack goes on."""
        if not scope:
            return None
        return next((f for f in active
                     if set(scope) <= set(f.features) and f.expires_at >= lasting_until), None)

    @staticmethod
    def _blocking_freeze(event: Event, active: list[Freeze]) -> Freeze | None:
        if not isinstance(event, TransactionEvent):
            return None
        return next((f for f in active if event.feature in f.features), None)

    @staticmethod
    def _replayed(known: ScoreResult, event: Event) -> ScoreResult:
        if known.account_id != event.account_id or known.kind != event.kind:
            raise EventIdConflict(
                f"event_id {event.event_id!r} was already used for a different event")
        return known


class _Batch:
    """One batch. First, in batch order, each new event reads and then feeds the crowd signal
    (which depends on events only, not on decisions). Then the events are assessed in waves,
    wave k holding the k-th new event of every account (one numpy pass per kind and wave), and
    concluded, so each account's events meet its profile in order. Every event sees what it
    would have seen with one call per event."""

    def __init__(self, engine: RiskEngine, now: float) -> None:
        self.engine = engine
        self.now = now
        self.profiles: dict[str, AccountProfile] = {}
        self.active: dict[str, list[Freeze]] = {}
        self.versions: dict[str, int] = {}
        self.pending: list[tuple[ScoreResult, AccountProfile, Freeze | None]] = []
        self.crowd: dict[str, CrowdSignals] = {}  # event_id -> what it saw on arrival
        self.abandoned: list[tuple[str, JudgedAbandoned]] = []  # (account, step-up) judged

    def run(self, events: Sequence[Event]) -> list[ScoreResult]:
        out: list[ScoreResult | None] = [None] * len(events)
        first: dict[str, int] = {}  # event_id -> index of its first new occurrence
        waves: list[list[tuple[int, Event, CrowdSignals]]] = []
        depth: dict[str, int] = {}
        engine = self.engine
        # Two reads for the whole batch: which events are already stored (replays), then the
        # profiles and freezes of the accounts with new events (none for a batch of replays).
        stored_results = engine.store.find_results(
            list(dict.fromkeys(e.event_id for e in events)))
        fresh = list(dict.fromkeys(
            e.account_id for e in events if e.event_id not in stored_results))
        stored = engine.store.load_accounts(fresh) if fresh else StoredAccounts()
        for index, event in enumerate(events):
            if event.event_id in first:
                continue  # answered below, once its first occurrence is
            known = stored_results.get(event.event_id)
            if known is not None:
                out[index] = engine._replayed(known, event)
                continue
            first[event.event_id] = index
            self._load(event.account_id, stored)
            wave = depth.get(event.account_id, 0)
            depth[event.account_id] = wave + 1
            if wave == len(waves):
                waves.append([])
            signals = self.crowd[event.event_id] = engine.crowd.signals(event)
            waves[wave].append((index, event, signals))
            engine.crowd.record(event)  # as one call per event would, after its commit
        for wave_events in waves:
            self._assess(wave_events, out)
        for index, event in enumerate(events):
            if out[index] is None:
                earlier = out[first[event.event_id]]
                assert earlier is not None
                out[index] = engine._replayed(earlier, event)
        return [result for result in out if result is not None]

    def _load(self, account: str, stored: StoredAccounts) -> None:
        if account not in self.profiles:
            profile, self.versions[account] = stored.profiles[account]
            self.profiles[account] = profile or AccountProfile.new(account)
            self.active[account] = _active(stored.freezes[account], self.now)

    def _assess(self, wave: list[tuple[int, Event, CrowdSignals]],
                out: list[ScoreResult | None]) -> None:
        engine = self.engine
        abandoned = [engine.settle(event, self.profiles[event.account_id])
                     for _, event, _ in wave]
        assessments = engine.scorer.assess_many(
            [(event, self.profiles[event.account_id], crowd) for _, event, crowd in wave])
        for (index, event, _), assessment, judged in zip(wave, assessments, abandoned,
                                                         strict=True):
            profile = self.profiles[event.account_id]
            active = self.active[event.account_id]
            scored = engine._conclude(event, profile, active, self.now, assessment, judged)
            self.abandoned.extend((event.account_id, j) for j in judged)
            if scored.freeze is not None:
                active.append(scored.freeze)
            out[index] = scored.result
            self.pending.append((scored.result, profile, scored.freeze))


def _failed_login(event: Event) -> bool:
    return isinstance(event, LoginEvent) and not event.success


def _active(freezes: list[Freeze], now: float) -> list[Freeze]:
    return [f for f in freezes if f.is_active(now)]


def _smoke_events(start: float, days: int) -> list[Event]:
    """One ordinary day of each kind per day: a sign-in, a payment, an e-mail change."""
    events: list[Event] = []
    for day in range(days):
        at = start + day * 86400
        events += [
            LoginEvent(f"smoke-login-{day}", "smoke", at, ip="192.0.2.1", device_id="d",
                       country="DE", latitude=52.5, longitude=13.4, asn=64500),
            TransactionEvent(f"smoke-tx-{day}", "smoke", at + 60, amount_minor=1000,
                             currency="EUR", payee_id="p", device_id="d"),
            AccountChangeEvent(f"smoke-change-{day}", "smoke", at + 120, AccountChangeKind.EMAIL)]
    return events
