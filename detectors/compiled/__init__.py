"""Pure-numpy evaluators built from fitted PyOD detectors, for inline scoring.

PyOD stays the trainer and the reference; these evaluators reproduce PyOD's single-row
``decision_function`` (to within 1e-9, see each module for the math) at a fraction of the cost,
never mutate themselves while scoring (safe to share across threads), and are vectorised over
the batch. A row's score never depends on the other rows of its batch: for ECOD and COPOD each
row is scored as the single row appended to the training data. Non-finite input raises
``ValueError``, as PyOD's ``check_array`` does.

Known inexactness: ECOD/COPOD take the sign of scipy's skewness of each (n + 1)-value column; when
that skewness is 0 up to rounding but not exactly (see ``_ecdf.EcdfTails.skew_sign``), scipy's
sign is rounding noise and is not reproduced.

Persist with ``np.savez(path, **det.to_arrays())`` and restore with
``load_compiled(name, np.load(path, allow_pickle=False))``. Importing this package does not
import PyOD; ``compile_detector`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from .copod import CompiledCOPOD
from .ecod import CompiledECOD
from .hbos import CompiledHBOS
from .iforest import CompiledIForest
from .loda import CompiledLODA

__all__ = [
    "COMPILED_TYPES",
    "CompiledCOPOD",
    "CompiledDetector",
    "CompiledECOD",
    "CompiledHBOS",
    "CompiledIForest",
    "CompiledLODA",
    "compile_detector",
    "load_compiled",
]


@runtime_checkable
class CompiledDetector(Protocol):
    """A scorer built from a fitted PyOD model: higher score = more anomalous."""

    name: str
    n_features: int

    def score(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """(n, d) float64 -> (n,) raw outlier score, PyOD's single-row ``decision_function``."""
        ...

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Everything needed to rebuild, as plain numeric arrays (``np.savez``-able)."""
        ...

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> Self:
        """Rebuild from ``to_arrays`` output (e.g. ``np.load(..., allow_pickle=False)``)."""
        ...


COMPILED_TYPES: dict[str, type[CompiledDetector]] = {
    CompiledHBOS.name: CompiledHBOS,
    CompiledECOD.name: CompiledECOD,
    CompiledCOPOD.name: CompiledCOPOD,
    CompiledIForest.name: CompiledIForest,
    CompiledLODA.name: CompiledLODA,
}


def compile_detector(model: Any) -> CompiledDetector:
    """Build the numpy evaluator for a fitted PyOD ``HBOS``, ``ECOD``, ``COPOD``, ``IForest``
    or ``LODA`` model (dispatching on its exact type)."""
    from pyod.models.copod import COPOD
    from pyod.models.ecod import ECOD
    from pyod.models.hbos import HBOS
    from pyod.models.iforest import IForest
    from pyod.models.loda import LODA

    builders: dict[
        type, type[CompiledHBOS | CompiledECOD | CompiledCOPOD | CompiledIForest | CompiledLODA]
    ] = {
        HBOS: CompiledHBOS,
        ECOD: CompiledECOD,
        COPOD: CompiledCOPOD,
        IForest: CompiledIForest,
        LODA: CompiledLODA,
    }
    builder = builders.get(type(model))
    if builder is None:
        raise TypeError(f"no compiled evaluator for {type(model).__name__}")
    if getattr(model, "decision_scores_", None) is None:
        raise ValueError(f"{type(model).__name__} is not fitted")
    return builder.from_pyod(model)


def load_compiled(name: str, arrays: Mapping[str, npt.NDArray[Any]]) -> CompiledDetector:
    """Rebuild the evaluator called ``name`` from its ``to_arrays`` output."""
    try:
        kind = COMPILED_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown compiled detector {name!r}") from None
    return kind.from_arrays(arrays)
