"""COPOD (copula-based outlier detection) as a pure-numpy evaluator.

Per dimension PyOD combines the tail scores of ``_ecdf`` as
``O = max(U_skew, (U_l + U_r) / 2)`` with ``U_skew`` as in ECOD (``U_r`` for a positively
skewed column, ``U_l`` for a negatively skewed one, ``U_l + U_r`` at skewness exactly 0). The
score is ``sum_j O_j``, evaluated for each row as if it were the only row appended to the
training data (PyOD's single-row ``decision_function``).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from ._base import ArrayMap, FloatArray, as_rows, require, row_sums
from ._ecdf import EcdfTails
from .ecod import skew_combination


class CompiledCOPOD:
    """Numpy evaluator equivalent to a fitted ``pyod.models.copod.COPOD``.

    Arrays: ``sorted_values`` (n_train, d), each training column sorted ascending.
    """

    name: str = "copod"

    def __init__(self, sorted_values: npt.ArrayLike) -> None:
        self._tails = EcdfTails(sorted_values)
        self.n_features: int = self._tails.n_features
        self.n_train: int = self._tails.n_train

    @classmethod
    def from_pyod(cls, model: Any) -> Self:
        """Build from a fitted PyOD ``COPOD`` (its ``X_train``)."""
        return cls(np.sort(np.asarray(model.X_train, dtype=np.float64), axis=0))

    def contributions(self, X: npt.ArrayLike) -> FloatArray:
        """Per-dimension outlier scores ``O`` (m, d); each row sums to its score."""
        rows = as_rows(X, self.n_features)
        u_left, u_right = self._tails.tails(rows)
        u_skew = skew_combination(u_left, u_right, self._tails.skew_sign(rows))
        out: FloatArray = np.maximum(u_skew, np.add(u_left, u_right) / 2)
        return out

    def right_tail_contributions(self, X: npt.ArrayLike) -> FloatArray:
        """``-log F_r(x)`` per dimension (m, d): rarity of values this high or higher."""
        rows = as_rows(X, self.n_features)
        return self._tails.tails(rows)[1]

    def score(self, X: npt.ArrayLike) -> FloatArray:
        """Raw outlier score ``sum_j O_j`` (m,)."""
        return row_sums(self.contributions(X))

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain numeric arrays for ``np.savez``."""
        return {"sorted_values": np.array(self._tails.sorted_values)}

    @classmethod
    def from_arrays(cls, arrays: ArrayMap) -> Self:
        """Inverse of ``to_arrays``."""
        return cls(require(arrays, "sorted_values", 2))
