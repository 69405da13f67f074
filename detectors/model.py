"""The risk model: per event kind, compiled detectors, their calibration, and thresholds.

Risk for an event of one kind is computed in three steps:

1. each detector's raw score becomes a surprise, -log P(S >= s), under its calibrator fitted on
   the detector's scores of normal training traffic;
2. the surprises are averaged (a geometric mean of tail probabilities);
3. the average becomes ``risk = 1 - P(A >= a)`` under a calibrator fitted on *held-out* normal
   traffic, so a risk of 0.99 means 1% of normal events score at least this high.

The CHALLENGE and FREEZE thresholds are risks chosen from target false-positive rates on that
held-out traffic. A model is saved as one ``.npz`` file holding only numeric arrays and a JSON
header (loaded with ``allow_pickle=False``: an artifact cannot run code).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detectors.calibration import TailCalibrator, surprise
from detectors.compiled import CompiledDetector, load_compiled
from detectors.events import EventKind
from detectors.explain import FeatureTails
from detectors.features import feature_schema

Floats = NDArray[np.float64]
# 3: transaction features for money sent to new payees and tiny payments to them, fresh network
# and country apart, dormancy carried into the session, the hour's total read as an amount spike.
FORMAT_VERSION = 3


# What to do with an artifact this build cannot use: its thresholds were set for its own
# features, so a deployment that calibrated them calibrates the new model again.
RETRAIN = ("retrain with `acctguard train --out NEW.npz [--events F.jsonl]`, then, if the "
           "thresholds were calibrated, calibrate again with `acctguard calibrate --model "
           "NEW.npz --out CALIBRATED.npz ...` (docs/calibration.md)")


class ArtifactError(ValueError):
    """The file is not a usable acctguard model artifact."""


def apply_priors(X: Floats, empty: NDArray[np.bool_], priors: Floats) -> Floats:
    """Rows of accounts without history get the population prior for each feature that has
    one (NaN in ``priors`` means: keep the computed value)."""
    if not empty.any():
        return X
    X = X.copy()
    columns = ~np.isnan(priors)
    X[np.ix_(empty, columns)] = priors[columns]
    return X


@dataclass(frozen=True, slots=True)
class Thresholds:
    challenge: float
    freeze: float

    def __post_init__(self) -> None:
        if not 0.0 < self.challenge <= self.freeze <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 < challenge <= freeze <= 1: {self}")


@dataclass(frozen=True, slots=True)
class KindModel:
    kind: EventKind
    feature_names: tuple[str, ...]
    priors: Floats
    detectors: tuple[CompiledDetector, ...]
    detector_calibrators: tuple[TailCalibrator, ...]
    risk_calibrator: TailCalibrator
    tails: FeatureTails
    thresholds: Thresholds

    def detector_surprises(self, X: Floats) -> Floats:
        """(n, k): each detector's surprise for each row."""
        columns = [surprise(cal.exceedance(det.score(X)))
                   for det, cal in zip(self.detectors, self.detector_calibrators, strict=True)]
        return np.column_stack(columns)

    def risk(self, X: Floats) -> Floats:
        return self.risk_parts(X)[0]

    def risk_parts(self, X: Floats) -> tuple[Floats, Floats]:
        """The ensemble risk (n,) and each detector's own calibrated risk (n, k), the share of
        its training scores below the row's score (for comparing detectors one by one)."""
        surprises = self.detector_surprises(X)
        risk = 1.0 - self.risk_calibrator.exceedance(surprises.mean(axis=1))
        return risk, 1.0 - np.exp(-surprises)

    def to_arrays(self) -> dict[str, Floats]:
        p = str(self.kind)
        arrays: dict[str, Floats] = {f"{p}.priors": self.priors,
                                     f"{p}.thresholds": np.array([self.thresholds.challenge,
                                                                  self.thresholds.freeze])}
        arrays.update(self.tails.to_arrays(f"{p}.tails"))
        arrays.update(self.risk_calibrator.to_arrays(f"{p}.risk"))
        for i, (det, cal) in enumerate(zip(self.detectors, self.detector_calibrators,
                                           strict=True)):
            for key, value in det.to_arrays().items():
                arrays[f"{p}.det{i}.{det.name}.{key}"] = value
            arrays.update(cal.to_arrays(f"{p}.cal{i}"))
        return arrays

    @classmethod
    def from_arrays(cls, kind: EventKind, arrays: dict[str, Floats]) -> KindModel:
        p = str(kind)
        detectors: list[CompiledDetector] = []
        calibrators: list[TailCalibrator] = []
        i = 0
        while True:
            head = f"{p}.det{i}."
            keys = [k for k in arrays if k.startswith(head)]
            if not keys:
                break
            name = keys[0][len(head):].split(".", 1)[0]
            own = {k[len(head) + len(name) + 1:]: arrays[k] for k in keys}
            detectors.append(load_compiled(name, own))
            calibrators.append(TailCalibrator.from_arrays(arrays, f"{p}.cal{i}"))
            i += 1
        if not detectors:
            raise ArtifactError(f"no detectors for {kind}")
        challenge, freeze = (float(x) for x in arrays[f"{p}.thresholds"])
        names = tuple(feature_schema(kind))
        return cls(kind, names, np.asarray(arrays[f"{p}.priors"]),
                   tuple(detectors), tuple(calibrators),
                   TailCalibrator.from_arrays(arrays, f"{p}.risk"),
                   FeatureTails.from_arrays(arrays, f"{p}.tails", len(names)),
                   Thresholds(challenge, freeze))


@dataclass(frozen=True, slots=True)
class RiskModel:
    version: str
    kinds: dict[EventKind, KindModel]
    metadata: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        """Write atomically: readers see the old file or the new one, never half of one."""
        header = {"format": FORMAT_VERSION, "version": self.version, "metadata": self.metadata,
                  "schema": {str(k): list(m.feature_names) for k, m in self.kinds.items()}}
        arrays: dict[str, Any] = {"__header__": np.frombuffer(
            json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)}
        for model in self.kinds.values():
            arrays.update(model.to_arrays())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez_compressed(handle, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)  # an artifact holds no secrets; the service user must read it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError, TypeError, AttributeError, EOFError,
                zipfile.BadZipFile) as exc:
            raise ArtifactError(f"{path}: not a readable model artifact ({exc})") from exc
        try:
            header = json.loads(bytes(arrays.pop("__header__")).decode())
            version = str(header["version"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ArtifactError(f"{path}: missing or corrupt header") from exc
        if header.get("format") != FORMAT_VERSION:
            raise ArtifactError(f"{path}: artifact format {header.get('format')} is not "
                                f"{FORMAT_VERSION}; {RETRAIN}")
        kinds: dict[EventKind, KindModel] = {}
        for kind in EventKind:
            expected = feature_schema(kind)
            found = header.get("schema", {}).get(str(kind))
            if found != expected:
                raise ArtifactError(f"{path}: feature schema for {kind} is {found}, this build "
                                    f"computes {expected}; {RETRAIN}")
            try:
                kinds[kind] = model = KindModel.from_arrays(kind, arrays)
            except (KeyError, ValueError, TypeError) as exc:
                raise ArtifactError(f"{path}: {kind} model incomplete ({exc})") from exc
            width = len(expected)
            if model.priors.shape != (width,) or any(
                    d.n_features != width for d in model.detectors):
                raise ArtifactError(f"{path}: {kind} arrays do not have {width} features")
        return cls(version, kinds, dict(header.get("metadata", {})))
