"""Fitting a :class:`RiskModel` from labelled traffic.

Events are replayed in time order through account profiles (the same feature code the service
runs), which yields one feature table per event kind. Honest events are split by account into a
training part, on which the PyOD detectors, their calibrators and the explanation tails are
fitted, and a held-out part, on which the risk calibration and the decision thresholds are set.
Attack events take part in the replay (profiles see them, as they would in production) but never
in fitting.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.accumulation import RiskAccumulator
from detectors.base_model import METADATA_KEY as KIND_ORIGINS
from detectors.base_model import BaseModel, KindOrigins
from detectors.calibration import TailCalibrator, surprise
from detectors.compiled import CompiledDetector, compile_detector
from detectors.crowd import NetworkFailures
from detectors.events import EventKind, TransactionEvent
from detectors.explain import FeatureTails
from detectors.features import FEATURE_SPECS, extract_features, feature_schema
from detectors.model import KindModel, RiskModel, Thresholds, apply_priors
from detectors.profile import AccountProfile
from detectors.simulation import LabelledEvent

Floats = NDArray[np.float64]
# Called as ``progress(stage, events)`` while a long replay or fit runs (every
# ``PROGRESS_EVERY`` events of a replay, and as each stage begins); how it is shown is the
# caller's business.
Progress = Callable[[str, int], None]
PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    detectors: tuple[str, ...] = ("hbos", "ecod")
    challenge_fpr: float = 0.005
    freeze_fpr: float = 0.0002
    # Share of honest events the accumulated-evidence rule may escalate to CHALLENGE.
    escalation_fpr: float = 0.0025
    holdout_fraction: float = 0.25
    max_train_rows: int = 50_000
    seed: int = 7
    # Accounts in this share (see :func:`in_test_split`) are left out of fitting entirely, so
    # an evaluation on them measures accounts the model never saw. 0 trains on every account.
    test_fraction: float = 0.0


@dataclass(slots=True)
class KindTable:
    """Feature rows of one event kind, with who and what each row was."""

    rows: list[list[float]] = field(default_factory=list)
    empty_profile: list[bool] = field(default_factory=list)
    is_attack: list[bool] = field(default_factory=list)
    scenario: list[str] = field(default_factory=list)
    account_id: list[str] = field(default_factory=list)
    event_id: list[str] = field(default_factory=list)
    occurred_at: list[float] = field(default_factory=list)
    sequence: list[int] = field(default_factory=list)  # position in the replayed stream
    amount_minor: list[int] = field(default_factory=list)  # transactions: the amount

    def matrix(self) -> Floats:
        width = len(feature_schema(EventKind.LOGIN))
        return np.asarray(self.rows, dtype=np.float64).reshape(len(self.rows), -1) \
            if self.rows else np.zeros((0, width))


def replay(events: Iterable[LabelledEvent], on_progress: Progress | None = None,
           ) -> dict[EventKind, KindTable]:
    """Feature tables from a time-ordered labelled stream, updating profiles as the service does.
    ``on_progress`` is called with ``("replay", events replayed)``."""
    profiles: dict[str, AccountProfile] = {}
    crowd = NetworkFailures()
    tables = {kind: KindTable() for kind in EventKind}
    position = -1
    for position, item in enumerate(events):
        if on_progress is not None and position % PROGRESS_EVERY == 0 and position:
            on_progress("replay", position)
        event = item.event
        profile = profiles.get(event.account_id)
        if profile is None:
            profile = profiles[event.account_id] = AccountProfile.new(event.account_id)
        vector = extract_features(event, profile, crowd.signals(event))
        table = tables[event.kind]
        table.rows.append(vector.values)
        table.empty_profile.append(profile.is_empty)
        table.is_attack.append(item.label.is_attack)
        table.scenario.append(item.label.scenario)
        table.account_id.append(event.account_id)
        table.event_id.append(event.event_id)
        table.occurred_at.append(event.occurred_at)
        table.sequence.append(position)
        if isinstance(event, TransactionEvent):
            table.amount_minor.append(event.amount_minor)
        profile.update(event)
        crowd.record(event)
    if on_progress is not None:
        on_progress("replay", position + 1)
    return tables


def novelty_priors(kind: EventKind, X: Floats, empty: NDArray[np.bool_]) -> Floats:
    """Per-feature values to use for an account without history: the median over accounts with
    history for novelty features, NaN (meaning: keep the computed value) for the others."""
    priors = np.full(X.shape[1], np.nan)
    seasoned = X[~empty] if (~empty).any() else X
    for j, spec in enumerate(FEATURE_SPECS[kind]):
        if spec.novelty:
            priors[j] = float(np.median(seasoned[:, j])) if seasoned.size else 0.0
    return priors


def _pyod_detector(name: str, seed: int) -> Any:
    if name == "hbos":
        from pyod.models.hbos import HBOS
        # "auto" bins adapt to each feature and avoid PyOD's numba compile of the static path.
        return HBOS(n_bins="auto")
    if name == "ecod":
        from pyod.models.ecod import ECOD
        return ECOD()
    if name == "copod":
        from pyod.models.copod import COPOD
        return COPOD()
    if name == "iforest":
        from pyod.models.iforest import IForest
        return IForest(n_estimators=100, random_state=seed)
    if name == "loda":
        from pyod.models.loda import LODA
        return LODA()
    raise ValueError(f"unknown detector {name!r}")


def fit_detector(name: str, X: Floats, seed: int) -> CompiledDetector:
    model = _pyod_detector(name, seed)
    model.fit(X)
    return compile_detector(model)


def in_test_split(account_id: str, test_fraction: float) -> bool:
    """Whether an account belongs to the evaluation split: a stable hash of its id, salted
    differently from the calibration hold-out so the two splits are independent."""
    return zlib.crc32(b"test-split:" + account_id.encode()) % 10_000 < int(test_fraction * 10_000)


def _holdout_mask(accounts: list[str], fraction: float) -> NDArray[np.bool_]:
    """Deterministic split by account, so no account is on both sides."""
    buckets = np.array([zlib.crc32(a.encode()) % 10_000 for a in accounts])
    return buckets < int(fraction * 10_000)


# A kind needs at least this many honest events to fit its detectors on, and this many of other
# accounts held out to calibrate its risk on.
MIN_FIT_ROWS = 30
MIN_HELD_OUT_ROWS = 20


class TrainingDataError(ValueError):
    """The training data cannot give a model (the message says why)."""


class TooFewEvents(TrainingDataError):
    """The training data has too few honest events of a kind to fit it."""

    def __init__(self, kind: EventKind, fit_rows: int, held_out_rows: int,
                 holdout_fraction: float) -> None:
        self.kind = kind
        self.found = fit_rows + held_out_rows
        self.shortfall = (f"found {self.found:,} honest event{'' if self.found == 1 else 's'},"
                          f" {fit_rows:,} to fit and {held_out_rows:,} held out; at least "
                          f"{MIN_FIT_ROWS} to fit and {MIN_HELD_OUT_ROWS} held out are needed")
        super().__init__(f"not enough honest {kind} events to train on: {self.shortfall} "
                         f"(held out: the events of {holdout_fraction:.0%} of the accounts)")


def fit_kind(kind: EventKind, table: KindTable, config: TrainingConfig) -> KindModel:
    X = table.matrix()
    empty = np.asarray(table.empty_profile, dtype=bool)
    honest = ~np.asarray(table.is_attack, dtype=bool)
    if config.test_fraction > 0:
        unseen = np.array([in_test_split(a, config.test_fraction) for a in table.account_id],
                          dtype=bool)
        honest = honest & ~unseen
    priors = novelty_priors(kind, X[honest], empty[honest])
    X = apply_priors(X, empty, priors)
    held = _holdout_mask(table.account_id, config.holdout_fraction)
    train, holdout = X[honest & ~held], X[honest & held]
    if len(train) < MIN_FIT_ROWS or len(holdout) < MIN_HELD_OUT_ROWS:
        raise TooFewEvents(kind, len(train), len(holdout), config.holdout_fraction)
    rng = np.random.default_rng(config.seed)
    if len(train) > config.max_train_rows:
        train = train[np.sort(rng.choice(len(train), config.max_train_rows, replace=False))]
    detectors = tuple(fit_detector(name, train, config.seed) for name in config.detectors)
    calibrators = tuple(TailCalibrator.fit(det.score(train)) for det in detectors)
    combined = np.column_stack([surprise(cal.exceedance(det.score(holdout)))
                                for det, cal in zip(detectors, calibrators, strict=True)])
    risk_calibrator = TailCalibrator.fit(combined.mean(axis=1))
    thresholds = Thresholds(challenge=1.0 - config.challenge_fpr, freeze=1.0 - config.freeze_fpr)
    return KindModel(kind, tuple(feature_schema(kind)), priors, detectors, calibrators,
                     risk_calibrator, FeatureTails.fit(train), thresholds)


def calibrate_accumulator(tables: dict[EventKind, KindTable], kinds: dict[EventKind, KindModel],
                          config: TrainingConfig) -> RiskAccumulator:
    """The level that only ``escalation_fpr`` of honest events reach, measured on the
    calibration hold-out accounts that suffered no attack, in stream order."""
    attacked = {a for t in tables.values() for a, bad in zip(t.account_id, t.is_attack,
                                                               strict=True) if bad}
    stream: list[tuple[int, str, float, float]] = []
    for kind, table in tables.items():
        if not table.rows:
            continue
        held = _holdout_mask(table.account_id, config.holdout_fraction)
        keep = np.array([h and a not in attacked and not in_test_split(a, config.test_fraction)
                         for h, a in zip(held, table.account_id, strict=True)], dtype=bool)
        if not keep.any():
            continue
        model = kinds[kind]
        X = apply_priors(table.matrix()[keep],
                         np.asarray(table.empty_profile, dtype=bool)[keep], model.priors)
        risks = model.risk(X)
        rows = np.flatnonzero(keep)
        stream.extend((table.sequence[i], table.account_id[i], table.occurred_at[i], float(r))
                      for i, r in zip(rows, risks, strict=True))
    stream.sort()
    base = RiskAccumulator()
    levels = np.asarray(base.levels((a, t, r) for _, a, t, r in stream))
    if levels.size < 100:
        return base  # too little to calibrate on: never escalate
    level = float(np.quantile(levels, 1.0 - config.escalation_fpr))
    return RiskAccumulator(base.half_life_hours, base.allowance, max(level, 1e-6))


def population_figures(transactions: KindTable) -> dict[str, float]:
    """What a new account is compared with where its own history says nothing yet: the amount
    only 5% of honest transactions reach."""
    honest = [a for a, bad in zip(transactions.amount_minor, transactions.is_attack, strict=True)
              if not bad]
    if len(honest) < 100:
        return {}
    return {"large_amount_minor": float(np.quantile(np.asarray(honest, dtype=np.float64), 0.95))}


def _versions() -> dict[str, str]:
    found = {}
    for package in ("pyod", "numpy", "scikit-learn"):
        try:
            found[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found


def _digest(tables: dict[EventKind, KindTable]) -> str:
    digest = hashlib.sha256()
    for kind in EventKind:
        digest.update(str(kind).encode())
        digest.update(tables[kind].matrix().tobytes())
        digest.update(np.asarray(tables[kind].is_attack, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def fit_kinds(tables: dict[EventKind, KindTable], config: TrainingConfig,
              base: BaseModel | None = None, on_progress: Progress | None = None,
              ) -> tuple[dict[EventKind, KindModel], KindOrigins, RiskModel | None]:
    """Every kind fitted on its table; with ``base``, a kind with too few honest events is the
    base model's instead (the base is loaded only then). Raises :class:`TooFewEvents` for the
    first such kind without ``base``, :class:`TrainingDataError` when no kind can be fitted."""
    kinds: dict[EventKind, KindModel] = {}
    short: dict[EventKind, TooFewEvents] = {}
    for kind in EventKind:
        if on_progress is not None:
            on_progress(f"fit {kind}", len(tables[kind].rows))
        try:
            kinds[kind] = fit_kind(kind, tables[kind], config)
        except TooFewEvents as exc:
            if base is None:
                raise
            short[kind] = exc
    trained = {kind: len(tables[kind].rows) for kind in kinds}
    if not short:
        return kinds, KindOrigins(trained), None
    if not kinds:
        raise TrainingDataError("no event kind has enough honest events to train on: " + "; ".join(
            f"{kind}: {exc.shortfall}" for kind, exc in short.items()))
    assert base is not None
    model = base.load()
    kinds.update({kind: model.kinds[kind] for kind in short})
    return kinds, KindOrigins(trained, {kind: exc.shortfall for kind, exc in short.items()},
                              model.version, base.origin,
                              dict(model.metadata.get("source") or {})), model


def train(events: Iterable[LabelledEvent], config: TrainingConfig,
          source: dict[str, Any] | None = None, base: BaseModel | None = None,
          on_progress: Progress | None = None) -> RiskModel:
    """A model fitted on ``events``; see :func:`fit_kinds` for kinds with too few events.
    ``on_progress``: see :data:`Progress` (stages: replay, fit KIND, escalation)."""
    tables = replay(events, on_progress)
    training_digest = _digest(tables)
    kinds, origins, base_model = fit_kinds(tables, config, base, on_progress)
    if on_progress is not None:
        on_progress("escalation", sum(len(t.rows) for t in tables.values()))
    accumulator = calibrate_accumulator(tables, kinds, config)
    metadata: dict[str, Any] = {
        "accumulation": accumulator.to_dict(),
        "population": population_figures(tables[EventKind.TRANSACTION]),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_digest": training_digest,
        "detectors": list(config.detectors),
        "challenge_fpr": config.challenge_fpr,
        "freeze_fpr": config.freeze_fpr,
        "test_fraction": config.test_fraction,
        "rows": {str(k): len(t.rows) for k, t in tables.items()},
        "attack_rows": {str(k): int(sum(t.is_attack)) for k, t in tables.items()},
        "libraries": _versions(),
        "source": source or {},
        KIND_ORIGINS: origins.to_metadata(),
    }
    identity = training_digest
    if base_model is not None:
        # Too little data for these to set the base's figures aside: keep the base's.
        if math.isinf(accumulator.challenge_level):
            metadata["accumulation"] = base_model.metadata.get("accumulation")
        if not metadata["population"]:
            metadata["population"] = base_model.metadata.get("population") or {}
        identity = hashlib.sha256(f"{training_digest}+{base_model.version}".encode()).hexdigest()
    version = f"{'-'.join(config.detectors)}-{identity[:12]}"
    return RiskModel(version, kinds, metadata)


def train_simulator_default(accounts: int, days: int, seed: int,
                            on_progress: Progress | None = None) -> RiskModel:
    """The default model: the project's simulator with the default training configuration
    (what the service trains on first start; nothing is downloaded)."""
    from detectors.simulation import SimulationConfig, simulate

    return train(simulate(SimulationConfig(accounts=accounts, days=days, seed=seed)),
                 TrainingConfig(seed=seed),
                 source={"simulator": {"accounts": accounts, "days": days, "seed": seed}},
                 on_progress=on_progress)
