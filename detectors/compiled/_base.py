"""Shared helpers for the compiled (pure-numpy) detector evaluators.

Every evaluator keeps its parameters as read-only numpy arrays and never writes to ``self``
while scoring, so one instance can be shared by any number of threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
AnyArray: TypeAlias = npt.NDArray[Any]
ArrayMap: TypeAlias = Mapping[str, AnyArray]

EPS = float(np.finfo(np.float64).eps)

#: Above this many candidate edges per column, bin lookup uses one np.searchsorted per column
#: instead of one broadcast comparison over all columns.
_BROADCAST_EDGES_MAX = 32


def as_rows(X: npt.ArrayLike, n_features: int) -> FloatArray:
    """Validate a batch the way PyOD's ``check_array`` does: 2-D, finite, float64.

    Non-finite values raise ``ValueError`` (PyOD raises on them too). Returns a C-contiguous
    float64 array, copying only when needed.
    """
    rows = np.ascontiguousarray(X, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != n_features:
        raise ValueError(f"expected an array of shape (n, {n_features}), got {rows.shape}")
    if not np.isfinite(rows).all():
        raise ValueError("input contains NaN or infinity")
    return rows


def frozen(values: npt.ArrayLike, dtype: npt.DTypeLike) -> AnyArray:
    """A read-only, C-contiguous copy of ``values`` with the given dtype."""
    out = np.array(values, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def frozen_float(values: npt.ArrayLike) -> FloatArray:
    """``frozen`` for float64 arrays."""
    out: FloatArray = frozen(values, np.float64)
    return out


def frozen_int(values: npt.ArrayLike) -> IntArray:
    """``frozen`` for int64 arrays."""
    out: IntArray = frozen(values, np.int64)
    return out


def require(arrays: ArrayMap, key: str, ndim: int) -> AnyArray:
    """Fetch ``arrays[key]`` and check it is a numeric array of the given rank."""
    if key not in arrays:
        raise KeyError(f"missing array {key!r}")
    value = np.asarray(arrays[key])
    if value.dtype.kind not in "biuf":
        raise TypeError(f"array {key!r} must be numeric, got dtype {value.dtype}")
    if value.ndim != ndim:
        raise ValueError(f"array {key!r} must have {ndim} dimensions, got {value.ndim}")
    return value


def scalar(arrays: ArrayMap, key: str) -> float:
    """Fetch a 0-d numeric array as a Python float."""
    return float(require(arrays, key, 0))


def count_less(values: FloatArray, edges: FloatArray) -> IntArray:
    """Per column k, how many of ``edges[k]`` are strictly below each value.

    ``values`` is (n, k); ``edges`` is (k, m), each row sorted ascending and padded on the right
    with +inf. This equals ``np.searchsorted(edges[k], values[:, k], side="left")`` (and
    ``np.digitize(values, edges, right=True)``), computed exactly.
    """
    n, k = values.shape
    if edges.shape[1] <= _BROADCAST_EDGES_MAX:
        counts: IntArray = (values[:, :, None] > edges[None, :, :]).sum(axis=2, dtype=np.int64)
        return counts
    out = np.empty((n, k), dtype=np.int64)
    for col in range(k):
        out[:, col] = np.searchsorted(edges[col], values[:, col], side="left")
    return out


def row_sums(contributions: FloatArray) -> FloatArray:
    """Sum each row left to right (a sequential accumulation, so the rounding of row ``i`` does
    not depend on how many rows are in the batch)."""
    if contributions.shape[1] == 0:
        return np.zeros(contributions.shape[0], dtype=np.float64)
    totals: FloatArray = np.cumsum(contributions, axis=1)[:, -1]
    return np.ascontiguousarray(totals)
