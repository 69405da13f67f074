"""Calibrating a model's decision thresholds on a deployment's own traffic.

Training sets the CHALLENGE and FREEZE thresholds from target false-positive rates on held-out
simulated traffic. A deployment's customers are not the simulator's, so the share of its events
at or above each threshold differs. Here the thresholds are set from the risks the model gave
the deployment's own events instead: for an alert budget (the share of each kind's events to
reach CHALLENGE, and the share to reach FREEZE), a threshold per kind that puts at most that
share of the events at or above it, and as close to it as the data allow. The budget is on the
risk, before the policy's rules (new accounts, distrust, failed sign-ins).

Only the highest risks of a kind matter: a kind is given as its event count and its highest
risks (:class:`KindRisks`), so a store can hand over a small part of a large table.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.events import EventKind
from detectors.model import KindModel, RiskModel, Thresholds, apply_priors
from detectors.simulation import LabelledEvent
from detectors.training import Progress, replay

Floats = NDArray[np.float64]

# At least this many events of a kind are expected at or above its FREEZE threshold: fewer,
# and where the threshold lands is mostly chance.
MIN_EXPECTED_FREEZES = 20
LABELLED_ATTACK = "labelled_attack"


class CalibrationError(ValueError):
    """The thresholds cannot be set from these events (the message is one line)."""


def parse_rate(text: str) -> float:
    """A share of events as ``"0.5%"`` or ``"0.005"``; strictly between 0 and 1."""
    value = text.strip()
    try:
        rate = float(value[:-1]) / 100.0 if value.endswith("%") else float(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate such as 0.5% or 0.005") from None
    if not 0.0 < rate < 1.0:  # also refuses NaN
        raise ValueError(f"{text!r} is not between 0 and 1 (0% and 100%)")
    return rate


def percent(rate: float) -> str:
    return f"{rate * 100:.6g}%"


@dataclass(frozen=True, slots=True)
class AlertBudget:
    """The share of a kind's events to reach CHALLENGE (FREEZE included) and FREEZE."""

    challenge_rate: float
    freeze_rate: float
    min_expected_freezes: int = MIN_EXPECTED_FREEZES

    def __post_init__(self) -> None:
        if not 0.0 < self.freeze_rate < 1.0 or not 0.0 < self.challenge_rate < 1.0:
            raise ValueError("rates must be between 0 and 1")
        if self.freeze_rate > self.challenge_rate:
            raise ValueError(f"the freeze rate ({percent(self.freeze_rate)}) is above the "
                             f"challenge rate ({percent(self.challenge_rate)}): every event at "
                             "or above FREEZE is also at or above CHALLENGE")
        if self.min_expected_freezes < 1:
            raise ValueError("min_expected_freezes must be at least 1")

    @property
    def required_events(self) -> int:
        """Events a kind needs so that ``min_expected_freezes`` reach FREEZE."""
        # The rounding keeps 20 / 0.0002 at 100,000 despite binary floating point.
        return math.ceil(round(self.min_expected_freezes / self.freeze_rate, 6))

    def highest_needed(self, events: int) -> int:
        """How many of a kind's highest risks :func:`kind_thresholds` reads."""
        return min(events, allowed_alerts(events, self.challenge_rate) + 1)


def allowed_alerts(events: int, rate: float) -> int:
    """How many of ``events`` a threshold for the share ``rate`` lets reach it: within one
    event of ``rate * events``, never above it."""
    return min(max(events - 1, 0), math.floor(rate * events + 1e-9))


@dataclass(frozen=True, slots=True)
class KindRisks:
    """One kind's events used for calibration: how many, their highest risks (descending, at
    least :meth:`AlertBudget.highest_needed` of them), and events left out, by why."""

    events: int
    highest: Floats
    left_out: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.events < len(self.highest):
            raise ValueError(f"{len(self.highest)} risks given for {self.events} events")

    @classmethod
    def of(cls, risks: Iterable[float], left_out: Mapping[str, int] | None = None) -> KindRisks:
        """Every risk of the kind, in any order."""
        ordered = np.sort(clip_risks(np.fromiter(risks, dtype=np.float64)))[::-1]
        return cls(len(ordered), ordered, dict(left_out or {}))

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


def clip_risks(risks: Floats) -> Floats:
    """Risks as the scorer reports them: in [0, 1] (NaN, which it never stores, as 0)."""
    return np.clip(np.nan_to_num(np.asarray(risks, dtype=np.float64), nan=0.0), 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class KindCalibration:
    """A kind's new thresholds and what they do on the events they were set from."""

    kind: EventKind
    thresholds: Thresholds
    previous: Thresholds
    events: int
    left_out: dict[str, int]
    at_or_above_challenge: int
    at_or_above_freeze: int
    kept_previous: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"events": self.events, "left_out": dict(self.left_out),
                "challenge": self.thresholds.challenge, "freeze": self.thresholds.freeze,
                "at_or_above_challenge": self.at_or_above_challenge,
                "at_or_above_freeze": self.at_or_above_freeze,
                "kept_previous": self.kept_previous}


def threshold_for(kind: EventKind, highest: Floats, events: int, rate: float) -> float:
    """The threshold that puts ``allowed_alerts(events, rate)`` events at or above it, or fewer
    where risks tie at the boundary (never more): halfway between the first risk left below and
    the next higher one."""
    k = allowed_alerts(events, rate)
    below = float(highest[k])
    higher = highest[:k][highest[:k] > below]
    if higher.size == 0:
        raise CalibrationError(
            f"{kind}: the {k + 1} highest of {events:,} risks are all {below:.6g}; no threshold "
            f"puts {percent(rate)} of them at or above it")
    above = float(higher[-1])
    middle = below + (above - below) / 2.0
    return middle if below < middle <= above else above


def kind_thresholds(kind: EventKind, risks: KindRisks, budget: AlertBudget,
                    previous: Thresholds) -> KindCalibration:
    """New thresholds for a kind with enough events (else CalibrationError)."""
    if risks.events < budget.required_events:
        raise CalibrationError(too_few({kind: risks.events}, budget))
    needed = budget.highest_needed(risks.events)
    highest = clip_risks(risks.highest[:needed])
    if len(highest) < needed or np.any(np.diff(highest) > 0):
        raise ValueError(f"{kind}: need the {needed} highest risks in descending order")
    challenge = threshold_for(kind, highest, risks.events, budget.challenge_rate)
    freeze = threshold_for(kind, highest, risks.events, budget.freeze_rate)
    return KindCalibration(kind, Thresholds(challenge, freeze), previous, risks.events,
                           dict(risks.left_out), int(np.count_nonzero(highest >= challenge)),
                           int(np.count_nonzero(highest >= freeze)))


def too_few(counts: Mapping[EventKind, int], budget: AlertBudget) -> str:
    """Why kinds with these event counts are refused: how many each has, how many are needed."""
    (first, n), *rest = counts.items()
    named = [f"{first} has {n:,} event{'' if n == 1 else 's'}",
             *(f"{kind} {count:,}" for kind, count in rest)]
    has = f"{', '.join(named[:-1])} and {named[-1]}:" if rest else f"{named[0]},"
    return (f"{has} {budget.required_events:,}{' of each' if rest else ''} needed for a "
            f"{percent(budget.freeze_rate)} freeze rate (at least "
            f"{budget.min_expected_freezes} expected at or above FREEZE)")


def calibrate_thresholds(model: RiskModel, risks: Mapping[EventKind, KindRisks],
                         budget: AlertBudget, keep_missing_kinds: bool = False,
                         ) -> dict[EventKind, KindCalibration]:
    """Every kind's new thresholds. A kind without events keeps its thresholds only with
    ``keep_missing_kinds``. Refuses (CalibrationError, naming every kind at fault) when a kind
    has too few events or none."""
    problems: list[str] = []
    scarce: dict[EventKind, int] = {}
    found: dict[EventKind, KindCalibration] = {}
    for kind in EventKind:
        previous = model.kinds[kind].thresholds
        given = risks.get(kind) or KindRisks(0, np.zeros(0))
        if given.events == 0:
            if keep_missing_kinds:
                found[kind] = KindCalibration(kind, previous, previous, 0, dict(given.left_out),
                                              0, 0, kept_previous=True)
            else:
                problems.append(f"{kind} has no events (--keep-missing-kinds keeps its "
                                "thresholds)")
            continue
        if given.events < budget.required_events:
            scarce[kind] = given.events
            continue
        try:
            found[kind] = kind_thresholds(kind, given, budget, previous)
        except CalibrationError as exc:
            problems.append(str(exc))
    if scarce:
        problems.insert(0, too_few(scarce, budget))
    if problems:
        raise CalibrationError("; ".join(problems))
    return found


def base_version(model: RiskModel) -> str:
    """The trained model's version, before any calibration."""
    calibration = model.metadata.get("calibration")
    if isinstance(calibration, dict) and calibration.get("base_version"):
        return str(calibration["base_version"])
    return model.version


def calibrated_version(model: RiskModel, thresholds: Mapping[EventKind, Thresholds]) -> str:
    """The trained version with a digest of the thresholds, so events scored with them are
    told apart from events scored with any other."""
    base = base_version(model)
    text = json.dumps({"base": base, "thresholds": {
        str(kind): [thresholds[kind].challenge, thresholds[kind].freeze] for kind in EventKind}},
        sort_keys=True)
    return f"{base}-cal{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def recalibrated(model: RiskModel, calibrations: Mapping[EventKind, KindCalibration],
                 budget: AlertBudget, source: dict[str, Any], calibrated_at: str) -> RiskModel:
    """``model`` with the new thresholds, a new version and the calibration in its metadata
    (``source`` must hold no secrets)."""
    thresholds = {kind: calibrations[kind].thresholds for kind in EventKind}
    kinds: dict[EventKind, KindModel] = {
        kind: replace(kind_model, thresholds=thresholds[kind])
        for kind, kind_model in model.kinds.items()}
    metadata = dict(model.metadata)
    metadata["calibration"] = {
        "calibrated_at": calibrated_at,
        "source": source,
        "challenge_rate": budget.challenge_rate,
        "freeze_rate": budget.freeze_rate,
        "min_expected_freezes": budget.min_expected_freezes,
        "base_version": base_version(model),
        "previous_version": model.version,
        "previous_thresholds": {
            str(kind): {"challenge": m.thresholds.challenge, "freeze": m.thresholds.freeze}
            for kind, m in model.kinds.items()},
        "kinds": {str(kind): calibrations[kind].as_dict() for kind in EventKind},
    }
    return RiskModel(calibrated_version(model, thresholds), kinds, metadata)


def replayed_risks(events: Iterable[LabelledEvent], model: RiskModel, since: float = 0.0,
                   on_progress: Progress | None = None) -> dict[EventKind, KindRisks]:
    """Each event's risk under ``model``, replayed in time order through fresh profiles (as
    training does). Events before ``since`` only build the profiles; events labelled as attacks
    take part in the profiles but are left out. ``on_progress``: see
    :data:`detectors.training.Progress` (stages: replay, score KIND)."""
    ordered = sorted(events, key=lambda item: item.event.occurred_at)
    tables = replay(ordered, on_progress)
    found: dict[EventKind, KindRisks] = {}
    for kind, table in tables.items():
        kind_model = model.kinds[kind]
        if on_progress is not None:
            on_progress(f"score {kind}", len(table.rows))
        if not table.rows:
            found[kind] = KindRisks(0, np.zeros(0))
            continue
        X = apply_priors(table.matrix(), np.asarray(table.empty_profile, dtype=bool),
                         kind_model.priors)
        counted = np.asarray(table.occurred_at, dtype=np.float64) >= since
        attack = np.asarray(table.is_attack, dtype=bool) & counted
        attacks = int(attack.sum())
        found[kind] = KindRisks.of(kind_model.risk(X)[counted & ~attack].tolist(),
                                   {LABELLED_ATTACK: attacks} if attacks else {})
    return found
