"""ECOD (empirical-CDF outlier detection) as a pure-numpy evaluator.

Per dimension PyOD combines the tail scores of ``_ecdf`` as
``U_skew = -U_l * sign(s - 1) + U_r * sign(s + 1)`` and ``O = max(U_l, U_r, U_skew)``, i.e.
``O = max(U_l, U_r)`` for a skewed column and ``O = U_l + U_r`` when the skewness is exactly 0
(constant or exactly symmetric column). The score is ``sum_j O_j``, evaluated for each row as if
it were the only row appended to the training data (PyOD's single-row ``decision_function``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._base import FloatArray, as_rows
from ._ecdf import EcdfDetector


def skew_combination(u_left: FloatArray, u_right: FloatArray, sign: FloatArray) -> FloatArray:
    """PyOD's ``U_skew = -U_l * sign(s - 1) + U_r * sign(s + 1)``: ``U_r`` for positive skew,
    ``U_l`` for negative, ``U_l + U_r`` at 0 (the same floats, as the dropped terms are 0)."""
    combined: FloatArray = np.where(sign > 0, u_right, np.where(sign < 0, u_left, u_left + u_right))
    return combined


class CompiledECOD(EcdfDetector):
    """Numpy evaluator equivalent to a fitted ``pyod.models.ecod.ECOD``.

    Arrays: ``sorted_values`` (n_train, d), each training column sorted ascending.
    """

    name: str = "ecod"

    def contributions(self, X: npt.ArrayLike) -> FloatArray:
        """Per-dimension outlier scores ``O`` (m, d); each row sums to its score."""
        rows = as_rows(X, self.n_features)
        u_left, u_right = self._tails.tails(rows)
        # max(U_l, U_r, U_skew) is max(U_l, U_r) unless the skewness is 0 (then U_l + U_r).
        sign = self._tails.skew_sign(rows)
        out: FloatArray = np.where(sign == 0, u_left + u_right, np.maximum(u_left, u_right))
        return out
