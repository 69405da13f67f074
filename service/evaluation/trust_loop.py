"""The trust loop during a replay: simulated gateways answer the service's decisions.

Every decision is answered as the people behind it would, at a simulated time after it, and
the answers reach the engine's stores through the service's own feedback calls
(:class:`Gateways`), interleaved with the events in time order:

* a CHALLENGE of an honest event: the holder passes the step-up 1 to 3 minutes later (SMS);
  of an attack event: the attacker fails it (60%, 1 to 3 minutes later) or abandons it (40%,
  reported after the gateway's 5 to 10 minute timeout);
* a freeze placed by an honest event: the holder verifies with a one-time code from that
  event's own device 30 to 120 minutes later and unfreezes (from their usual device when the
  event had none, as card payments do);
* a freeze placed by an attack event: the genuine holder verifies from the device they use
  most that the account trusts, 2 to 12 hours later;
* half of the attacked accounts: the risk team confirms the first scored attack event as
  fraud 1 to 3 days later (and the holder restores any freeze that places 2 to 12 hours on).

Each choice is drawn from a generator seeded by the loop's seed and the event, so the same
stream gets the same answers whatever the engine decides elsewhere. The stream itself does not
react: an attacker who failed a step-up still sends the events the simulator planned, which is
how a retry from the same device or network looks.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import numpy as np

from detectors.events import Event, LoginEvent
from detectors.simulation import HONEST_SCENARIO, LabelledEvent
from service.domain.decisions import Decision, ScoreResult
from service.domain.errors import DomainError
from service.evaluation import metrics
from service.evaluation.replay import ReplayClock, attack_key

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
STEP_UP_METHOD = "sms"
ATTACKER_FAILS = 0.6  # else abandons
FRAUD_CONFIRMED_SHARE = 0.5  # of attacked accounts
PASS_DELAY = (1 * MINUTE, 3 * MINUTE)
FAIL_DELAY = (1 * MINUTE, 3 * MINUTE)
ABANDON_DELAY = (5 * MINUTE, 10 * MINUTE)
HONEST_RESTORE_DELAY = (30 * MINUTE, 120 * MINUTE)
OWNER_RESTORE_DELAY = (2 * HOUR, 12 * HOUR)
FRAUD_REPORT_DELAY = (1 * DAY, 3 * DAY)
PERCENTILE = 90.0


class StepUp(Enum):
    PASSED = "passed"
    FAILED = "failed"
    ABANDONED = "abandoned"


class Gateways(Protocol):
    """The service's feedback calls, as a gateway, a verifier and a risk team make them."""

    def step_up(self, event_id: str, result: StepUp, method: str) -> bool:
        """Report a challenged event's step-up result; True if the account learned from it."""

    def restore(self, account_id: str, device_id: str, ip: str) -> tuple[str, ...]:
        """Verify with a one-time code from ``device_id`` and unfreeze; the freezes lifted
        (none when the account had no active freeze)."""

    def confirm_fraud(self, event_id: str) -> str:
        """Report the event as confirmed fraud; the account's fraud freeze ('' if none)."""

    def trusts_device(self, account_id: str, device_id: str) -> bool:
        """Whether the account trusts the device now."""


@dataclass(slots=True)
class FreezeTrack:
    account_id: str
    placed_at: float
    honest: bool  # placed because of an honest event
    by_risk_team: bool = False
    lifted_at: float | None = None


@dataclass(slots=True)
class LoopLog:
    """What the simulated gateways did and what came of it, for the report."""

    step_ups: Counter[str] = field(default_factory=Counter)  # result -> reported
    step_ups_learned: Counter[str] = field(default_factory=Counter)
    restores: Counter[str] = field(default_factory=Counter)  # outcome -> count
    errors: Counter[str] = field(default_factory=Counter)  # "call: ErrorName" -> count
    fraud_reports: int = 0
    freezes: dict[str, FreezeTrack] = field(default_factory=dict)
    # Honest freezes placed after the account was restored, and what they were about.
    refreezes: int = 0
    refrozen_accounts: set[str] = field(default_factory=set)
    refreezes_by_account: Counter[str] = field(default_factory=Counter)
    refreezes_same_device: int = 0  # by an event from a device the holder restored from
    refreeze_reasons: Counter[str] = field(default_factory=Counter)
    honest_freeze_reasons: Counter[str] = field(default_factory=Counter)
    # Attack instances whose attacker failed or abandoned a step-up: when, and what their
    # later attack events were answered.
    stopped_at: dict[str, float] = field(default_factory=dict)
    after_stop: Counter[str] = field(default_factory=Counter)  # decision -> attack events
    through: set[str] = field(default_factory=set)  # instances with a later ALLOW


def _draw(seed: int, *parts: str) -> random.Random:
    """A generator for one choice: the same seed and parts give the same draws."""
    return random.Random("|".join((str(seed), *parts)))


def _is_failed_sign_in(event: Event) -> bool:
    return isinstance(event, LoginEvent) and not event.success


class TrustLoop:
    """The replay's :class:`~service.evaluation.replay.Feedback`: schedules each answer when a
    decision is observed, and carries it out when the replay reaches its time."""

    def __init__(self, gateways: Gateways, clock: ReplayClock, seed: int) -> None:
        self.gateways = gateways
        self.clock = clock
        self.seed = seed
        self.log = LoopLog()
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = 0
        self._honest_devices: dict[str, Counter[str]] = {}
        self._attacked: set[str] = set()
        self._restored_from: dict[str, set[str]] = {}  # account -> devices restored from

    # -- the replay's hooks ---------------------------------------------------------------------

    def until(self, at: float) -> None:
        while self._due and self._due[0][0] <= at:
            when, _, action = heapq.heappop(self._due)
            self.clock.set(max(when, self.clock.now()))
            action()

    def finish(self) -> None:
        self.until(float("inf"))

    def observe(self, item: LabelledEvent, result: ScoreResult, placed: bool) -> None:
        event, label = item.event, item.label
        honest = label.scenario == HONEST_SCENARIO
        if honest and event.device_id:
            self._honest_devices.setdefault(event.account_id, Counter())[event.device_id] += 1
        key = attack_key(label.attack_id, event.account_id) if not honest else ""
        if key in self.log.stopped_at:
            self.log.after_stop[result.decision.name] += 1
            if result.decision is Decision.ALLOW:
                self.log.through.add(key)
        if result.decision is Decision.CHALLENGE:
            self._answer_challenge(event, honest, key)
        if placed:
            self._frozen(event, result, honest)
        if not honest and event.account_id not in self._attacked:
            self._attacked.add(event.account_id)
            if _draw(self.seed, event.account_id, "fraud").random() < FRAUD_CONFIRMED_SHARE:
                delay = _draw(self.seed, event.event_id, "fraud-delay").uniform(
                    *FRAUD_REPORT_DELAY)
                self._schedule(event.occurred_at + delay,
                               lambda: self._confirm_fraud(event.event_id, event.account_id))

    # -- answers --------------------------------------------------------------------------------

    def _schedule(self, at: float, action: Callable[[], None]) -> None:
        self._order += 1
        heapq.heappush(self._due, (at, self._order, action))

    def _answer_challenge(self, event: Event, honest: bool, key: str) -> None:
        draw = _draw(self.seed, event.event_id, "step-up")
        if honest:
            result, delay = StepUp.PASSED, draw.uniform(*PASS_DELAY)
        elif draw.random() < ATTACKER_FAILS:
            result, delay = StepUp.FAILED, draw.uniform(*FAIL_DELAY)
        else:
            result, delay = StepUp.ABANDONED, draw.uniform(*ABANDON_DELAY)
        if not honest and not _is_failed_sign_in(event):
            # A step-up the attacker did not get through (a failed password's challenge asks
            # nothing of a session: it does not count).
            self.log.stopped_at.setdefault(key, event.occurred_at)
        self._schedule(event.occurred_at + delay,
                       lambda: self._report_step_up(event.event_id, result))

    def _report_step_up(self, event_id: str, result: StepUp) -> None:
        try:
            learned = self.gateways.step_up(event_id, result, STEP_UP_METHOD)
        except DomainError as error:
            self.log.errors[f"step_up: {type(error).__name__}"] += 1
            return
        self.log.step_ups[result.value] += 1
        self.log.step_ups_learned[result.value] += learned

    def _frozen(self, event: Event, result: ScoreResult, honest: bool) -> None:
        account = event.account_id
        self.log.freezes[result.freeze_id] = FreezeTrack(account, event.occurred_at, honest)
        draw = _draw(self.seed, event.event_id, "restore")
        if honest:
            reasons = [r.code.name for r in result.reasons]
            self.log.honest_freeze_reasons.update(reasons)
            if account in self._restored_from:
                self.log.refreezes += 1
                self.log.refrozen_accounts.add(account)
                self.log.refreezes_by_account[account] += 1
                self.log.refreeze_reasons.update(reasons)
                self.log.refreezes_same_device += event.device_id in self._restored_from[account]
            at = event.occurred_at + draw.uniform(*HONEST_RESTORE_DELAY)
            self._schedule(at, lambda: self._restore(account, event.device_id, event.ip))
        else:
            at = event.occurred_at + draw.uniform(*OWNER_RESTORE_DELAY)
            self._schedule(at, lambda: self._restore(account, "", ""))

    def _usual_device(self, account_id: str) -> str:
        """The holder's most used device that the account trusts now (else their most used)."""
        used = self._honest_devices.get(account_id)
        if not used:
            return ""
        ranked = [device for device, _ in used.most_common()]
        return next((d for d in ranked if self.gateways.trusts_device(account_id, d)), ranked[0])

    def _restore(self, account_id: str, device_id: str, ip: str) -> None:
        """``device_id`` '' means from the holder's usual device."""
        kind = "from_frozen_device" if device_id else "from_usual_device"
        device = device_id or self._usual_device(account_id)
        try:
            lifted = self.gateways.restore(account_id, device, ip)
        except DomainError as error:
            self.log.errors[f"restore: {type(error).__name__}"] += 1
            return
        if not lifted:
            self.log.restores["nothing_to_restore"] += 1
            return
        self.log.restores[kind] += 1
        now = self.clock.now()
        for freeze_id in lifted:
            track = self.log.freezes.get(freeze_id)
            if track is not None and track.lifted_at is None:
                track.lifted_at = now
        if device:
            self._restored_from.setdefault(account_id, set()).add(device)
        else:
            self._restored_from.setdefault(account_id, set())

    def _confirm_fraud(self, event_id: str, account_id: str) -> None:
        try:
            placed = self.gateways.confirm_fraud(event_id)
        except DomainError as error:
            self.log.errors[f"confirm_fraud: {type(error).__name__}"] += 1
            return
        self.log.fraud_reports += 1
        if placed and placed not in self.log.freezes:
            now = self.clock.now()
            self.log.freezes[placed] = FreezeTrack(account_id, now, honest=False,
                                                   by_risk_team=True)
            delay = _draw(self.seed, event_id, "fraud-restore").uniform(*OWNER_RESTORE_DELAY)
            self._schedule(now + delay, lambda: self._restore(account_id, "", ""))


def _hours(tracks: list[FreezeTrack]) -> dict[str, Any]:
    lifted = np.asarray([t.lifted_at - t.placed_at for t in tracks if t.lifted_at is not None],
                        dtype=np.float64) / HOUR
    return {
        "freezes": len(tracks),
        "restored": int(lifted.size),
        "median_hours": float(np.median(lifted)) if lifted.size else None,
        f"p{PERCENTILE:g}_hours": (float(np.percentile(lifted, PERCENTILE))
                                   if lifted.size else None),
    }


def loop_section(loop: TrustLoop | None, honest_accounts: int, days: float) -> dict[str, Any]:
    """The loop's figures: what the gateways reported, re-freezes of restored honest accounts,
    attacks that got through after a failed step-up, time from freeze to restore."""
    if loop is None:
        return {"feedback": "none"}
    log = loop.log
    tracks = list(log.freezes.values())
    stopped = len(log.stopped_at)
    return {
        "feedback": "loop",
        "seed": loop.seed,
        "step_ups_reported": dict(sorted(log.step_ups.items())),
        "step_ups_learned": dict(sorted(log.step_ups_learned.items())),
        "restores": dict(sorted(log.restores.items())),
        "fraud_reports": log.fraud_reports,
        "fraud_freezes": sum(t.by_risk_team for t in tracks),
        "errors": dict(sorted(log.errors.items())),
        "refreezes": log.refreezes,
        "refreezes_per_10k_accounts_per_day": metrics.per_10k_per_day(
            log.refreezes, honest_accounts, days),
        "refrozen_accounts": len(log.refrozen_accounts),
        "refreezes_from_a_device_restored_from": log.refreezes_same_device,
        "refreeze_reasons": dict(log.refreeze_reasons.most_common()),
        "honest_freeze_reasons": dict(log.honest_freeze_reasons.most_common()),
        "attacks_stopped_at_step_up": stopped,
        "attacks_through_after_step_up": len(log.through),
        "attacks_through_after_step_up_share": (len(log.through) / stopped
                                                if stopped else None),
        "attack_events_after_step_up": dict(sorted(log.after_stop.items())),
        "time_to_restore": {
            "all": _hours(tracks),
            "honest": _hours([t for t in tracks if t.honest]),
            "attack": _hours([t for t in tracks if not t.honest and not t.by_risk_team]),
            "fraud_confirmed": _hours([t for t in tracks if t.by_risk_team]),
        },
    }
