"""HBOS (histogram-based outlier score) as a pure-numpy evaluator.

PyOD's HBOS keeps, per feature ``j``, bin edges ``e_j[0..B_j]`` and histogram densities
``h_j[0..B_j-1]`` (``np.histogram(..., density=True)``; ``B_j`` is ``n_bins`` or, in "auto"
mode, chosen per feature). For a value ``x`` it takes ``k = #{e_j < x}`` (``np.digitize`` with
``right=True``) and

* ``1 <= k <= B_j``: ``c = log2(h_j[k-1] + alpha)``;
* ``k == 0`` (``x <= e_j[0]``): ``c = log2(h_j[0] + alpha)`` if
  ``e_j[0] - x <= tol * (e_j[1] - e_j[0])``, else ``min_b log2(h_j[b] + alpha)``;
* ``k == B_j + 1`` (``x > e_j[B_j]``): the same with the last bin and ``x - e_j[B_j]``.

The outlier score is ``-sum_j c_j``. ``contributions`` returns the per-feature ``-c_j``
(the negative log2-density), which sum to the score.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from ._base import (
    ArrayMap,
    FloatArray,
    IntArray,
    as_rows,
    count_less,
    frozen_float,
    frozen_int,
    require,
    row_sums,
    scalar,
)


class CompiledHBOS:
    """Numpy evaluator equivalent to a fitted ``pyod.models.hbos.HBOS``.

    Arrays: ``bin_edges`` (d, B+1) padded with +inf, ``hist`` (d, B) padded with 0, ``n_bins``
    (d,), and 0-d ``alpha`` and ``tol``; ``B`` is the largest per-feature bin count.
    """

    name: str = "hbos"

    def __init__(
        self,
        bin_edges: npt.ArrayLike,
        hist: npt.ArrayLike,
        n_bins: npt.ArrayLike,
        alpha: float,
        tol: float,
    ) -> None:
        self._edges = frozen_float(bin_edges)
        self._hist = frozen_float(hist)
        self._n_bins = frozen_int(n_bins)
        self._alpha = float(alpha)
        self._tol = float(tol)
        d, width = self._hist.shape
        if self._edges.shape != (d, width + 1) or self._n_bins.shape != (d,):
            raise ValueError("inconsistent HBOS array shapes")
        if d and (self._n_bins.min() < 1 or self._n_bins.max() > width):
            raise ValueError("n_bins out of range")
        self.n_features: int = d

        cols = np.arange(d)
        self._cols = frozen_int(cols)
        last = self._n_bins - 1
        log_density = np.log2(self._hist + self._alpha)
        valid = np.arange(width)[None, :] < self._n_bins[:, None]
        # table[j, k] is the value for k = #{edges < x}: bin k - 1 inside the range, the first
        # (last) bin just below (above) it; beyond tol * bin width the minimum replaces it.
        table = np.zeros((d, width + 2))
        table[:, 1 : width + 1] = np.where(valid, log_density, 0.0)
        table[:, 0] = table[:, 1]
        table[cols, self._n_bins + 1] = log_density[cols, last]
        self._table = frozen_float(table)
        lowest = np.where(valid, log_density, np.inf).min(axis=1, initial=np.inf)
        self._lowest = frozen_float(lowest)
        lo = self._edges[:, 0]
        hi = self._edges[cols, self._n_bins]
        self._lo = frozen_float(lo)
        self._hi = frozen_float(hi)
        # Same float operations as PyOD: (edge1 - edge0) * tol.
        self._lo_slack = frozen_float((self._edges[:, 1] - lo) * self._tol)
        self._hi_slack = frozen_float((hi - self._edges[cols, last]) * self._tol)

    @classmethod
    def from_pyod(cls, model: Any) -> Self:
        """Build from a fitted PyOD ``HBOS`` (static ``n_bins`` or "auto")."""
        if isinstance(model.n_bins, str):
            edges_list = [np.asarray(e, dtype=np.float64) for e in model.bin_edges_]
            hist_list = [np.asarray(h, dtype=np.float64) for h in model.hist_]
            counts = np.array([h.shape[0] for h in hist_list], dtype=np.int64)
            width = int(counts.max())
            edges = np.full((len(hist_list), width + 1), np.inf)
            hist = np.zeros((len(hist_list), width))
            for j, (e, h) in enumerate(zip(edges_list, hist_list, strict=True)):
                edges[j, : e.shape[0]] = e
                hist[j, : h.shape[0]] = h
        else:
            edges = np.asarray(model.bin_edges_, dtype=np.float64).T
            hist = np.asarray(model.hist_, dtype=np.float64).T
            counts = np.full(hist.shape[0], hist.shape[1], dtype=np.int64)
        return cls(edges, hist, counts, float(model.alpha), float(model.tol))

    def contributions(self, X: npt.ArrayLike) -> FloatArray:
        """Per-feature ``-log2(density + alpha)`` (n, d), PyOD's out-of-range rules included."""
        rows = as_rows(X, self.n_features)
        k = count_less(rows, self._edges)
        value = self._table[self._cols, k]
        # Only a value outside the range can be this far from it (slacks are >= 0).
        far = ((self._lo - rows) > self._lo_slack) | ((rows - self._hi) > self._hi_slack)
        out: FloatArray = -np.where(far, self._lowest, value)
        return out

    def score(self, X: npt.ArrayLike) -> FloatArray:
        """Raw outlier score ``-sum_j log2(density_j + alpha)`` (n,)."""
        return row_sums(self.contributions(X))

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain numeric arrays for ``np.savez``."""
        return {
            "bin_edges": np.array(self._edges),
            "hist": np.array(self._hist),
            "n_bins": np.array(self._n_bins),
            "alpha": np.array(self._alpha),
            "tol": np.array(self._tol),
        }

    @classmethod
    def from_arrays(cls, arrays: ArrayMap) -> Self:
        """Inverse of ``to_arrays``."""
        n_bins: IntArray = require(arrays, "n_bins", 1).astype(np.int64)
        return cls(
            require(arrays, "bin_edges", 2),
            require(arrays, "hist", 2),
            n_bins,
            scalar(arrays, "alpha"),
            scalar(arrays, "tol"),
        )
