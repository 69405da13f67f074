"""COPOD (copula-based outlier detection) as a pure-numpy evaluator.

Per dimension PyOD combines the tail scores of ``_ecdf`` as
``O = max(U_skew, (U_l + U_r) / 2)`` with ``U_skew`` as in ECOD (``U_r`` for a positively
skewed column, ``U_l`` for a negatively skewed one, ``U_l + U_r`` at skewness exactly 0). The
score is ``sum_j O_j``, evaluated for each row as if it were the only row appended to the
training data (PyOD's single-row ``decision_function``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._base import FloatArray, as_rows
from ._ecdf import EcdfDetector
from .ecod import skew_combination


class CompiledCOPOD(EcdfDetector):
    """Numpy evaluator equivalent to a fitted ``pyod.models.copod.COPOD``.

    Arrays: ``sorted_values`` (n_train, d), each training column sorted ascending.
    """

    name: str = "copod"

    def contributions(self, X: npt.ArrayLike) -> FloatArray:
        """Per-dimension outlier scores ``O`` (m, d); each row sums to its score."""
        rows = as_rows(X, self.n_features)
        u_left, u_right = self._tails.tails(rows)
        u_skew = skew_combination(u_left, u_right, self._tails.skew_sign(rows))
        out: FloatArray = np.maximum(u_skew, np.add(u_left, u_right) / 2)
        return out
