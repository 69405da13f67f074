"""LODA (lightweight on-line detector of anomalies) as a pure-numpy evaluator.

PyOD's LODA keeps ``R`` sparse random projections ``w_i`` and, per projection, a normalised
histogram ``h_i`` (``B_i`` bins, ``+1e-12`` then divided by its sum) with edges ``e_i``. For a
row ``x`` it computes ``z_i = w_i . x`` (numpy ``dot`` of the projection with the row), the bin
``k_i = #{e_i[b] < z_i : b < B_i - 1}`` (``searchsorted`` over the first ``B_i - 1`` edges, as
PyOD does), and the score ``(1 / R) sum_i (-a_i) log h_i[k_i]`` with weights ``a_i = 1 / R``.

The projections of a batch are one matrix product. Its rounding can differ from PyOD's per-row
``dot`` by a few ulps, which only matters when ``z_i`` sits on a bin edge; those (row,
projection) pairs, found with a rigorous rounding-error bound, are recomputed with PyOD's exact
expression, so the bins (and scores) match exactly.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from ._base import (
    EPS,
    ArrayMap,
    FloatArray,
    IntArray,
    as_rows,
    count_less,
    frozen_float,
    frozen_int,
    require,
    row_sums,
)

_TINY = float(np.finfo(np.float64).tiny)


class CompiledLODA:
    """Numpy evaluator equivalent to a fitted ``pyod.models.loda.LODA``.

    Arrays: ``projections`` (R, d), ``limits`` (R, B+1) padded with +inf, ``histograms``
    (R, B) padded with 1, ``n_bins`` (R,), ``weights`` (R,); ``B`` is the largest bin count.
    """

    name: str = "loda"

    def __init__(
        self,
        projections: npt.ArrayLike,
        limits: npt.ArrayLike,
        histograms: npt.ArrayLike,
        n_bins: npt.ArrayLike,
        weights: npt.ArrayLike,
    ) -> None:
        self._projections = frozen_float(projections)
        self._limits = frozen_float(limits)
        self._histograms = frozen_float(histograms)
        self._n_bins = frozen_int(n_bins)
        self._weights = frozen_float(weights)
        n_cuts, width = self._histograms.shape
        if (
            self._projections.ndim != 2
            or self._projections.shape[0] != n_cuts
            or self._limits.shape != (n_cuts, width + 1)
            or self._n_bins.shape != (n_cuts,)
            or self._weights.shape != (n_cuts,)
        ):
            raise ValueError("inconsistent LODA array shapes")
        if n_cuts == 0 or self._n_bins.min() < 1 or self._n_bins.max() > width:
            raise ValueError("n_bins out of range")
        self.n_features: int = self._projections.shape[1]
        self._n_cuts = n_cuts
        self._cut_ids = frozen_int(np.arange(n_cuts))
        self._wt_projections = frozen_float(self._projections.T)
        self._abs_wt_projections = frozen_float(np.abs(self._projections.T))

        # The edges PyOD searches: the first B_i - 1, padded with +inf.
        searched = np.full((n_cuts, max(width - 1, 0)), np.inf)
        for i, bins in enumerate(self._n_bins):
            searched[i, : bins - 1] = self._limits[i, : bins - 1]
        self._searched = frozen_float(searched)
        # The same edges bracketed by -inf/+inf: bin k lies in (bracket[k], bracket[k + 1]].
        self._bracket = frozen_float(
            np.concatenate(
                [np.full((n_cuts, 1), -np.inf), searched, np.full((n_cuts, 1), np.inf)], axis=1
            )
        )
        # Per-bin term (-a_i) * log h_i[k], the exact product PyOD accumulates.
        self._terms = frozen_float(-self._weights[:, None] * np.log(self._histograms))

    @classmethod
    def from_pyod(cls, model: Any) -> Self:
        """Build from a fitted PyOD ``LODA`` (static ``n_bins`` or "auto")."""
        projections = np.asarray(model.projections_, dtype=np.float64)
        if isinstance(model.n_bins, str):
            counts = np.asarray(model.n_bins_, dtype=np.int64)
            width = int(counts.max())
            limits = np.full((counts.shape[0], width + 1), np.inf)
            histograms = np.ones((counts.shape[0], width))
            for i, (lim, hist) in enumerate(zip(model.limits_, model.histograms_, strict=True)):
                limits[i, : len(lim)] = lim
                histograms[i, : len(hist)] = hist
        else:
            limits = np.asarray(model.limits_, dtype=np.float64)
            histograms = np.asarray(model.histograms_, dtype=np.float64)
            counts = np.full(histograms.shape[0], histograms.shape[1], dtype=np.int64)
        return cls(projections, limits, histograms, counts, np.asarray(model.weights))

    def bins(self, X: npt.ArrayLike) -> IntArray:
        """Histogram bin of every row in every projection (m, R), exactly as PyOD picks it."""
        rows = as_rows(X, self.n_features)
        z = rows @ self._wt_projections
        k = count_less(z, self._searched)
        # |z - exact| and |PyOD's dot - exact| are each <= gamma_d * sum|w_j x_j|.
        slack = 2.0 * (self.n_features + 1) * EPS * (np.abs(rows) @ self._abs_wt_projections)
        slack += _TINY  # underflow in the products
        below = self._bracket[self._cut_ids, k]
        above = self._bracket[self._cut_ids, k + 1]
        unsure = (z - below <= slack) | (above - z <= slack)
        for r, i in zip(*np.nonzero(unsure), strict=True):
            exact = self._projections[i, :].dot(rows[r : r + 1].T)[0]
            k[r, i] = np.searchsorted(self._searched[i], exact, side="left")
        return k

    def score(self, X: npt.ArrayLike) -> FloatArray:
        """Raw outlier score ``(1 / R) sum_i (-a_i) log h_i[k_i]`` (m,)."""
        k = self.bins(X)
        out: FloatArray = row_sums(self._terms[self._cut_ids, k]) / self._n_cuts
        return out

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain numeric arrays for ``np.savez``."""
        return {
            "projections": np.array(self._projections),
            "limits": np.array(self._limits),
            "histograms": np.array(self._histograms),
            "n_bins": np.array(self._n_bins),
            "weights": np.array(self._weights),
        }

    @classmethod
    def from_arrays(cls, arrays: ArrayMap) -> Self:
        """Inverse of ``to_arrays``."""
        return cls(
            require(arrays, "projections", 2),
            require(arrays, "limits", 2),
            require(arrays, "histograms", 2),
            require(arrays, "n_bins", 1),
            require(arrays, "weights", 1),
        )
