"""Empirical tail probabilities shared by the ECOD and COPOD evaluators.

PyOD's ECOD/COPOD score a batch by concatenating it under the training matrix (``N = n + m``
rows) and, per dimension ``j``, computing

* ``U_l = -log F_l(x)`` with ``F_l(x) = #{v <= x} / N`` (``column_ecdf``),
* ``U_r = -log F_r(x)`` with ``F_r(x) = #{v >= x} / N`` (``column_ecdf(-X)``),
* ``s_j = sign(skew(column j))`` (scipy's biased skewness, NaN for a constant column -> 0).

The ECDF levels are ``np.linspace(1/N, 1, N)``, so a value whose count is ``c`` gets level
``(c - 1) * ((1 - 1/N) / (N - 1)) + 1/N`` (exactly 1.0 for ``c == N``); the evaluators reproduce
those floats bit for bit through a table of ``-log(level)`` indexed by count.

For one scored row (``m = 1``), the counts come from the sorted training values with
``np.searchsorted`` (plus one for the row itself), and the skewness sign of the ``n + 1`` values
from training moment sums updated with the row (see ``EcdfTails.skew_sign``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from ._base import (
    EPS,
    ArrayMap,
    FloatArray,
    IntArray,
    as_rows,
    frozen_float,
    frozen_int,
    require,
    row_sums,
)

#: |M3| within this many ulps of the magnitudes involved is treated as an exact zero skewness
#: (what scipy computes for exactly symmetric data, e.g. a 0/1 feature split 50/50).
_SKEW_ZERO_ULPS = 64.0

#: Batches of at most this many rows search all dimensions in one call (on complex keys
#: ``dim + 1j * value``, ordered lexicographically); larger ones search each dimension's
#: contiguous column, which is more cache-friendly.
_SINGLE_SEARCH_MAX_ROWS = 16


class EcdfTails:
    """Sorted training values per dimension, with everything derived from them for scoring.

    ``sorted_values`` is (n, d) with each column ascending. Derived (not stored): the ``-log``
    level table for ``N = n + 1``, search keys, and the coefficients of the row's skewness.
    """

    def __init__(self, sorted_values: npt.ArrayLike) -> None:
        values = np.array(sorted_values, dtype=np.float64)
        if values.ndim != 2 or values.shape[0] < 1:
            raise ValueError("sorted_values must be a non-empty (n, d) array")
        if not np.isfinite(values).all():
            raise ValueError("sorted_values must be finite")
        if values.shape[0] > 1 and bool((np.diff(values, axis=0) < 0).any()):
            raise ValueError("each column of sorted_values must be ascending")
        n, d = values.shape
        self.n_train: int = n
        self.n_features: int = d
        columns = frozen_float(values.T)
        self._columns = columns
        keys = np.empty((d, n), dtype=np.complex128)
        keys.real = np.arange(d, dtype=np.float64)[:, None]
        keys.imag = columns
        keys_flat = keys.ravel()
        keys_flat.flags.writeable = False
        self._keys = keys_flat
        self._key_dims = frozen_float(np.arange(d, dtype=np.float64))
        self._key_offsets = frozen_int(np.arange(d, dtype=np.int64) * n)

        total = n + 1
        start = 1.0 / total
        step = (1.0 - start) / (total - 1)
        levels = np.arange(total, dtype=np.float64) * step + start
        levels[-1] = 1.0
        # _neg_log[c] = -log(level at count c + 1): indexed by the number of training values
        # on the tail side, the scored row itself being the "+ 1".
        self._neg_log = frozen_float(-np.log(levels))
        self._init_skew(columns)

    def _init_skew(self, columns: FloatArray) -> None:
        """Coefficients, in ``delta = x - c``, of the (n + 1)-value central sums.

        With correctly rounded training sums ``S_k = sum (v - c)^k`` about ``c`` (the training
        mean, or the value of a constant column so its sums are exact zeros):
        ``M3(delta) = S3 - 3 s1 s2 / N + 2 s1^3 / N^2`` with ``s1 = S1 + delta``,
        ``s2 = S2 + delta^2``, and ``M2(delta) = s2 - s1^2 / N``, expanded as polynomials.
        """
        n, d = self.n_train, self.n_features
        total = float(n + 1)
        sums = np.zeros((5, d))
        center = np.zeros(d)
        for j in range(d):
            col = columns[j]
            center[j] = col[0] if col[0] == col[-1] else col.mean()
            dev = col - center[j]
            sq = dev * dev
            cube = sq * dev
            sums[:, j] = [
                math.fsum(dev),
                math.fsum(sq),
                math.fsum(cube),
                math.fsum(np.abs(cube)),
                math.fsum(np.abs(dev)),
            ]
        s1, s2, s3, abs3, abs1 = sums
        self._center = frozen_float(center)
        # Row k of each (4, d) block multiplies delta^k (|delta|^k for the noise bound).
        m3 = np.stack(
            [
                s3 - 3.0 * s1 * s2 / total + 2.0 * s1**3 / total**2,
                -3.0 * s2 / total + 6.0 * s1**2 / total**2,
                -3.0 * s1 / total + 6.0 * s1 / total**2,
                np.full(d, 1.0 - 3.0 / total + 2.0 / total**2),
            ]
        )
        # Bound on the rounding error of the computed M3 (training-sum rounding, including that
        # of the deviations, plus the polynomial evaluation), a polynomial in |delta|.
        a = np.abs(m3)
        noise = (_SKEW_ZERO_ULPS * EPS) * np.stack(
            [a[0] + abs3 + abs1 * s2 / total, a[1], a[2] + abs1 / total, a[3]]
        )
        # scipy's "constant column" test m2 <= (eps * mean)^2, as q(delta) <= 0 with
        # m2 = (S2 - s1^2 / N) / N and mean = c + s1 / N (s1 = S1 + delta).
        mean0 = center + s1 / total
        var = np.stack(
            [
                (s2 - s1 * s1 / total) / total - (EPS * mean0) ** 2,
                -2.0 * s1 / total**2 - 2.0 * EPS**2 * mean0 / total,
                np.full(d, (1.0 - 1.0 / total) / total - (EPS / total) ** 2),
                np.zeros(d),
            ]
        )
        # (degree, polynomial, dimension): polynomials m3, noise, q.
        self._poly = frozen_float(np.stack([m3, noise, var], axis=1))

    @property
    def sorted_values(self) -> FloatArray:
        """The training values, each column ascending (n, d)."""
        out: FloatArray = np.ascontiguousarray(self._columns.T)
        return out

    def counts(self, rows: FloatArray) -> tuple[IntArray, IntArray]:
        """``(#{v < x}, #{v <= x})`` over the training values of each dimension, each (m, d)."""
        m, d = rows.shape
        # #{v <= x} == #{v < nextafter(x, +inf)}: left-side searches answer both.
        if m <= _SINGLE_SEARCH_MAX_ROWS:
            queries = np.empty((2, m, d), dtype=np.complex128)
            queries.real = self._key_dims
            queries.imag[0] = rows
            queries.imag[1] = np.nextafter(rows, np.inf)
            found = np.searchsorted(self._keys, queries.ravel(), side="left").reshape(2, m, d)
            found -= self._key_offsets
            return found[0], found[1]
        per_dim = np.empty((2, d, m), dtype=np.int64)
        queries_t = np.empty((d, 2, m), dtype=np.float64)
        queries_t[:, 0] = rows.T
        queries_t[:, 1] = np.nextafter(rows.T, np.inf)
        for j in range(d):
            per_dim[:, j] = np.searchsorted(self._columns[j], queries_t[j], side="left")
        return per_dim[0].T, per_dim[1].T

    def tails(self, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``(U_l, U_r)``, each (m, d): ``-log`` of the left/right tail level of every value,
        each row taken as the single row added to the training data."""
        below, at_or_below = self.counts(rows)
        u_left: FloatArray = self._neg_log[at_or_below]
        u_right: FloatArray = self._neg_log[self.n_train - below]
        return u_left, u_right

    def skew_sign(self, rows: FloatArray) -> FloatArray:
        """``sign(nan_to_num(scipy.stats.skew(column + [x])))`` per value, (m, d) in {-1, 0, 1}.

        scipy returns NaN (-> 0) when ``M2 / N <= (eps * mean)^2``; otherwise the sign is that of
        ``M3``. The computed ``M3`` is within a few ulps (of the magnitudes involved) of its exact
        value; inside that band it is taken as an exact 0, which is what scipy gets for exactly
        symmetric data such as a 0/1 feature split 50/50. Where scipy's own rounding noise exceeds
        the true skewness (a column that is symmetric only up to rounding, e.g. equal counts of
        0.1/0.2/0.3, or one whose mean is ~1e9 times its spread), scipy's sign is noise and may
        differ from this one.
        """
        delta = rows - self._center
        powers = np.empty((3, *delta.shape), dtype=np.float64)
        powers[0] = delta
        np.abs(delta, out=powers[1])
        powers[2] = delta
        poly = self._poly
        acc = poly[3][:, None, :] * powers
        for k in (2, 1, 0):
            acc += poly[k][:, None, :]
            if k:
                acc *= powers
        m3, noise, var = acc
        zero = (np.abs(m3) <= noise) | (var <= 0.0)
        sign: FloatArray = np.where(zero, 0.0, np.sign(m3))
        return sign


class EcdfDetector(ABC):
    """What ECOD and COPOD share: the sorted training columns, the right-tail contributions,
    the score as the sum of per-dimension contributions, and the array round trip. A subclass
    sets ``name`` and says how it combines the tails in :meth:`contributions`."""

    name: str = ""

    def __init__(self, sorted_values: npt.ArrayLike) -> None:
        self._tails = EcdfTails(sorted_values)
        self.n_features: int = self._tails.n_features
        self.n_train: int = self._tails.n_train

    @classmethod
    def from_pyod(cls, model: Any) -> Self:
        """Build from a fitted PyOD ``ECOD`` or ``COPOD`` (its ``X_train``)."""
        return cls(np.sort(np.asarray(model.X_train, dtype=np.float64), axis=0))

    @abstractmethod
    def contributions(self, X: npt.ArrayLike) -> FloatArray:
        """Per-dimension outlier scores ``O`` (m, d); each row sums to its score."""

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
