"""Replaying labelled events through the service's own RiskEngine, one record per event.

The engine, scorer, policy and freeze logic are exactly what the server runs; only time and
storage differ: a :class:`ReplayClock` reads each event's own time, and profiles, results and
freezes live in memory. A :class:`Feedback` (the simulated gateways of
:mod:`service.evaluation.trust_loop`) may answer the decisions between events, at their own
simulated times.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from detectors.events import EventKind
from detectors.model import RiskModel
from detectors.profile import AccountProfile
from detectors.reasons import ReasonCode
from detectors.scoring import Scorer
from detectors.simulation import HONEST_SCENARIO, LabelledEvent
from detectors.training import in_test_split
from service.domain.decisions import Decision, ScoreResult
from service.domain.engine import EngineSettings, RiskEngine, freeze_id_for
from service.domain.freezes import Freeze
from service.domain.policy import RiskPolicy
from service.storage.memory import InMemoryRiskStore

DAY_SECONDS = 86400.0

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

TOP_REASONS = 3
# Events are replayed at their own time, so no event lies in the replay clock's future; the
# bound only has to accept whatever a labelled file holds.
REPLAY_FUTURE_SKEW_SECONDS = 100 * 365 * 86400.0


class ReplayClock:
    """The engine's clock during a replay: set to each event's time before it is scored."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, at: float) -> None:
        self._now = at


class ReplayRiskStore(InMemoryRiskStore):
    """The in-memory store without its defensive copies of profiles.

    The engine loads a profile, updates it and commits it within one call, so handing out the
    stored object itself gives the same results; the copies would otherwise cost more than
    scoring the event. Versions still count every commit, so the trust loop's writes
    (:meth:`detached`), which check them, see a consistent store.
    """

    def load_profile(self, account_id: str) -> AccountProfile | None:
        return self.profiles.get(account_id)

    def commit_score(self, result: ScoreResult, profile: AccountProfile, freeze: Freeze | None,
                     expected_version: int = -1) -> ScoreResult:
        """One writer: the version is never stale, so it is not checked (only counted)."""
        known = self.results.get(result.event_id)
        if known is not None:
            return known
        self.results[result.event_id] = result
        self.profiles[profile.account_id] = profile
        self.versions[profile.account_id] = self.versions.get(profile.account_id, 0) + 1
        if freeze is not None:
            self.freezes_by_account.setdefault(freeze.account_id, []).append(freeze)
        return result

    def detached(self) -> InMemoryRiskStore:
        """The same profiles, results, freezes, audit trail and versions, read with the plain
        in-memory store's copies: for the trust loop's services, which change a profile they
        loaded before they know whether their write goes through."""
        view = InMemoryRiskStore()
        view.profiles, view.results = self.profiles, self.results
        view.freezes_by_account, view.audit = self.freezes_by_account, self.audit
        view.versions = self.versions
        return view


class Feedback(Protocol):
    """What answers the decisions during a replay (the trust loop's simulated gateways)."""

    def until(self, at: float) -> None:
        """Carry out everything due at or before ``at``, each at its own time."""

    def observe(self, item: LabelledEvent, result: ScoreResult, placed: bool) -> None:
        """A scored event of an evaluated account, its answer, and whether it placed a freeze."""

    def finish(self) -> None:
        """The stream ended: carry out what is still due."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What happened to one replayed event, with its ground truth."""

    account_id: str
    event_id: str
    kind: EventKind
    occurred_at: float
    is_attack: bool
    scenario: str
    attack_key: str  # "attack_id/account_id" (one attack instance), "" for honest events
    persona: str  # the account holder's persona ("" when the label does not say)
    risk: float
    decision: Decision
    top_reasons: tuple[ReasonCode, ...]  # up to three, NOT_DETECTION_REASONS skipped
    freeze_placed: bool  # a new freeze was placed because of this event
    detector_risks: dict[str, float]  # each detector's own calibrated risk, by name


def detector_names(model: RiskModel) -> tuple[str, ...]:
    """Every detector name in the model, in the order of first appearance over event kinds."""
    names: dict[str, None] = {}
    for kind_model in model.kinds.values():
        names.update((det.name, None) for det in kind_model.detectors)
    return tuple(names)


def build_engine(model: RiskModel) -> tuple[RiskEngine, ReplayClock, ReplayRiskStore]:
    clock, store = ReplayClock(), ReplayRiskStore()
    engine = RiskEngine(Scorer(model), RiskPolicy(), store, clock,
                        EngineSettings(max_future_skew_seconds=REPLAY_FUTURE_SKEW_SECONDS))
    return engine, clock, store


def attack_key(attack_id: str, account_id: str) -> str:
    """One attack instance: campaigns share an attack_id across the accounts they hit."""
    return f"{attack_id}/{account_id}"


# Reasons that say what the service did or knew (a freeze in place, a new account, what the
# trust loop holds against a device, network or payee), not what looked wrong with the event.
NOT_DETECTION_REASONS = frozenset({ReasonCode.FEATURE_FROZEN, ReasonCode.NEW_ACCOUNT,
                                   ReasonCode.FAILED_STEP_UP, ReasonCode.REPORTED_FRAUD})


def _top_reasons(result: ScoreResult) -> tuple[ReasonCode, ...]:
    codes = [r.code for r in result.reasons if r.code not in NOT_DETECTION_REASONS]
    return tuple(codes[:TOP_REASONS])


class Replay:
    """Scores a time-ordered labelled stream; only accounts in the evaluated split are scored
    (profiles are per account). Failed sign-ins of the other accounts still reach the engine's
    cross-account counter, as they would in production, so the crowd signal is complete."""

    def __init__(self, model: RiskModel, test_fraction: float) -> None:
        self.engine, self.clock, self.store = build_engine(model)
        self.feedback: Feedback | None = None
        self.test_fraction = test_fraction
        self.names = detector_names(model)
        self._kind_names = {kind: tuple(det.name for det in kind_model.detectors)
                            for kind, kind_model in model.kinds.items()}
        self._in_split: dict[str, bool] = {}
        self.skipped_accounts = 0
        self.seen_events = 0
        self.scoring_seconds = 0.0  # inside the engine, without producing the stream
        self.duplicate_events = 0
        self.out_of_order_events = 0
        # A rollout's backfill: the first days of the stream are scored in audit mode (answered
        # ALLOW, nothing frozen, profiles learned) and left out of every figure.
        self.backfill_days = 0.0
        self.backfilled_events = 0
        self._measure_from: float | None = None
        self._enforce_settings = self.engine.settings

    def _backfilling(self, at: float) -> bool:
        """Whether an event at ``at`` falls in the backfill (audit mode until it ends)."""
        if self.backfill_days <= 0.0:
            return False
        if self._measure_from is None:
            origin = at - at % DAY_SECONDS
            self._measure_from = origin + self.backfill_days * DAY_SECONDS
            self.engine.settings = replace(self._enforce_settings,
                                           audit_kinds=frozenset(EventKind))
        if at < self._measure_from:
            return True
        if self.engine.settings is not self._enforce_settings:
            self.engine.settings = self._enforce_settings
        return False

    def _selected(self, account_id: str) -> bool:
        selected = self._in_split.get(account_id)
        if selected is None:
            selected = self.test_fraction <= 0 or in_test_split(account_id, self.test_fraction)
            self._in_split[account_id] = selected
            self.skipped_accounts += not selected
        return selected

    def run(self, events: Iterable[LabelledEvent]) -> Iterator[EventRecord]:
        feedback = self.feedback
        for item in events:
            event, label = item.event, item.label
            self.seen_events += 1
            if not self._selected(event.account_id):
                self.engine.crowd.record(event)
                continue
            if self._backfilling(event.occurred_at):
                self.clock.set(max(self.clock.now(), event.occurred_at))
                self.engine.score_detailed(event)
                self.backfilled_events += 1
                continue
            if feedback is not None:
                feedback.until(event.occurred_at)
            if event.occurred_at < self.clock.now():
                self.out_of_order_events += 1
            self.clock.set(event.occurred_at)
            started = perf_counter()
            result, assessment = self.engine.score_detailed(event)
            self.scoring_seconds += perf_counter() - started
            if assessment is None:  # an event_id seen before: the stored answer, not a score
                self.duplicate_events += 1
                continue
            # A freeze the event placed is named after it; any other id is a freeze that was
            # already in place (the engine's, or one the trust loop's risk team placed).
            placed = result.freeze_id == freeze_id_for(event.event_id)
            if feedback is not None:
                feedback.observe(item, result, placed)
            yield EventRecord(
                account_id=event.account_id, event_id=event.event_id, kind=event.kind,
                occurred_at=event.occurred_at, is_attack=label.is_attack,
                scenario=label.scenario,
                attack_key=(attack_key(label.attack_id, event.account_id)
                            if label.scenario != HONEST_SCENARIO else ""),
                persona=label.persona,
                risk=result.risk, decision=result.decision, top_reasons=_top_reasons(result),
                freeze_placed=placed,
                detector_risks=dict(zip(self._kind_names[event.kind],
                                        assessment.detector_risks, strict=True)))
        if feedback is not None:
            feedback.finish()


KIND_CODES: dict[EventKind, int] = {kind: code for code, kind in enumerate(EventKind)}
NAN = float("nan")  # a detector the event's kind does not use
NO_REASON = 0  # padding in the reason columns (ReasonCode values start at 1)


@dataclass(frozen=True, slots=True)
class ReplayArrays:
    """The records of a replay as columns, ready for the metrics."""

    detector_names: tuple[str, ...]
    account: Ints  # index into accounts
    accounts: NDArray[np.str_]
    account_persona: NDArray[np.str_]  # per account (aligned with accounts): its persona
    kind: Ints  # KIND_CODES
    occurred_at: Floats
    is_attack: Bools
    scenario: NDArray[np.str_]
    instance: Ints  # index into instance_keys for attack events, -1 for honest ones
    instance_keys: NDArray[np.str_]
    risk: Floats
    decision: Ints  # Decision values
    reasons: Ints  # (n, TOP_REASONS), NO_REASON where there are fewer
    freeze_placed: Bools
    detector_risks: Floats  # (n, len(detector_names))

    def __len__(self) -> int:
        return len(self.risk)


class ReplayColumns:
    """Accumulates records compactly (typed arrays, not objects): a million events fit easily."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.account_ids: list[str] = []
        self.personas: dict[str, str] = {}  # account -> persona, from its first record
        self.scenarios: list[str] = []
        self.attack_keys: list[str] = []
        self.kind = array("b")
        self.occurred_at = array("d")
        self.is_attack = array("b")
        self.risk = array("d")
        self.decision = array("b")
        self.reasons = array("h")
        self.freeze_placed = array("b")
        self.detector_risks = array("d")

    def __len__(self) -> int:
        return len(self.risk)

    def append(self, record: EventRecord) -> None:
        self.account_ids.append(record.account_id)
        self.personas.setdefault(record.account_id, record.persona)
        self.scenarios.append(record.scenario)
        self.attack_keys.append(record.attack_key)
        self.kind.append(KIND_CODES[record.kind])
        self.occurred_at.append(record.occurred_at)
        self.is_attack.append(record.is_attack)
        self.risk.append(record.risk)
        self.decision.append(int(record.decision))
        codes = [int(code) for code in record.top_reasons]
        self.reasons.extend(codes + [NO_REASON] * (TOP_REASONS - len(codes)))
        self.freeze_placed.append(record.freeze_placed)
        risks = record.detector_risks
        self.detector_risks.extend(risks.get(name, NAN) for name in self.names)

    def arrays(self) -> ReplayArrays:
        n = len(self.risk)
        accounts, account = np.unique(np.asarray(self.account_ids, dtype=np.str_),
                                      return_inverse=True)
        keys = np.asarray(self.attack_keys, dtype=np.str_)
        attack = np.frombuffer(self.is_attack, dtype=np.int8).astype(bool)
        instance = np.full(n, -1, dtype=np.int64)
        instance_keys, instance[attack] = np.unique(keys[attack], return_inverse=True)
        return ReplayArrays(
            detector_names=self.names,
            account=account.astype(np.int64), accounts=accounts,
            account_persona=np.asarray([self.personas[a] for a in accounts.tolist()],
                                       dtype=np.str_),
            kind=np.frombuffer(self.kind, dtype=np.int8).astype(np.int64),
            occurred_at=np.frombuffer(self.occurred_at, dtype=np.float64).copy(),
            is_attack=attack, scenario=np.asarray(self.scenarios, dtype=np.str_),
            instance=instance, instance_keys=instance_keys,
            risk=np.frombuffer(self.risk, dtype=np.float64).copy(),
            decision=np.frombuffer(self.decision, dtype=np.int8).astype(np.int64),
            reasons=np.frombuffer(self.reasons, dtype=np.int16).astype(np.int64)
            .reshape(n, TOP_REASONS),
            freeze_placed=np.frombuffer(self.freeze_placed, dtype=np.int8).astype(bool),
            detector_risks=np.frombuffer(self.detector_risks, dtype=np.float64)
            .reshape(n, len(self.names)).copy())
