"""Isolation Forest as a pure-numpy evaluator (flattened trees walked level by level).

PyOD's ``IForest.decision_function`` is ``-(sklearn IsolationForest.decision_function)`` with
sklearn's ``decision_function = score_samples - offset_`` and
``score_samples = -2 ** (-D(x) / (T * c(max_samples)))``. So the raw score is
``2 ** (-D(x) / (T * c(psi))) + offset_``, where

* ``x`` is cast to float32 (sklearn's tree dtype) and compared with the float64 thresholds
  (``x <= threshold`` goes left), using each tree's feature subset when ``max_features < 1``;
* ``D(x) = sum_t (depth_t(leaf) + c(n_t(leaf)) - 1)``, summed over trees in order, with the root
  at depth 1 and ``n_t(leaf)`` the training samples in the leaf;
* ``c(k) = 2 (ln(k - 1) + gamma) - 2 (k - 1) / k`` for ``k > 2``, ``c(2) = 1``, ``c(k <= 1) = 0``.

All trees share one flat node table; ``children`` holds ``[left, right]`` per node (a leaf points
at itself), so a batch walks every tree at once, ``max_depth`` steps.
"""

from __future__ import annotations

import itertools
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from ._base import (
    ArrayMap,
    FloatArray,
    IntArray,
    as_rows,
    frozen_float,
    frozen_int,
    require,
    scalar,
)

_LEAF = -1  # sklearn's TREE_LEAF


def average_path_length(n_samples: npt.ArrayLike) -> FloatArray:
    """``c(k)``: average path length of an unsuccessful BST search among ``k`` samples."""
    k = np.asarray(n_samples, dtype=np.float64)
    out = np.zeros(k.shape, dtype=np.float64)
    out[k == 2] = 1.0
    big = k > 2
    kb = k[big]
    out[big] = 2.0 * (np.log(kb - 1.0) + np.euler_gamma) - 2.0 * (kb - 1.0) / kb
    return out


def _node_depths(left: IntArray, right: IntArray) -> IntArray:
    """Depth of each node of one tree, root = 1 (children always follow their parent)."""
    depth = np.ones(left.shape[0], dtype=np.int64)
    for node in range(left.shape[0]):
        if left[node] != _LEAF:
            depth[left[node]] = depth[node] + 1
            depth[right[node]] = depth[node] + 1
    return depth


class CompiledIForest:
    """Numpy evaluator equivalent to a fitted ``pyod.models.iforest.IForest``.

    Arrays (over all trees' nodes, concatenated): ``left``/``right`` (tree-local child ids, -1
    for leaves), ``feature`` (original column index), ``threshold``, ``path_length`` (for leaves
    ``depth + c(n_leaf) - 1``), ``tree_offsets`` (T + 1,), and 0-d ``denominator``
    (``T * c(max_samples)``) and ``offset`` (sklearn's ``offset_``).
    """

    name: str = "iforest"

    def __init__(
        self,
        n_features: int,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        feature: npt.ArrayLike,
        threshold: npt.ArrayLike,
        path_length: npt.ArrayLike,
        tree_offsets: npt.ArrayLike,
        denominator: float,
        offset: float,
    ) -> None:
        self.n_features: int = int(n_features)
        self._left = frozen_int(left)
        self._right = frozen_int(right)
        self._feature = frozen_int(feature)
        self._threshold = frozen_float(threshold)
        self._path_length = frozen_float(path_length)
        self._tree_offsets = frozen_int(tree_offsets)
        self._denominator = float(denominator)
        self._offset = float(offset)
        n_nodes = self._left.shape[0]
        for arr in (self._right, self._feature, self._threshold, self._path_length):
            if arr.shape != (n_nodes,):
                raise ValueError("inconsistent IForest node array shapes")
        offsets = self._tree_offsets
        if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != n_nodes:
            raise ValueError("tree_offsets must run from 0 to the node count")
        if bool((np.diff(offsets) < 1).any()):
            raise ValueError("every tree needs at least one node")

        is_leaf = self._left == _LEAF
        tree_of_node = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
        base = offsets[tree_of_node]
        node_ids = np.arange(n_nodes)
        children = np.empty((n_nodes, 2), dtype=np.intp)
        children[:, 0] = np.where(is_leaf, node_ids, self._left + base)
        children[:, 1] = np.where(is_leaf, node_ids, self._right + base)
        if children.min() < 0 or children.max() >= n_nodes:
            raise ValueError("child index out of range")
        feature = np.where(is_leaf, 0, self._feature)
        if feature.min() < 0 or feature.max() >= max(self.n_features, 1):
            raise ValueError("feature index out of range")
        self._children = frozen_int(children.ravel())
        self._split_feature = frozen_int(feature)
        self._roots = frozen_int(offsets[:-1])
        depths = np.concatenate(
            [
                _node_depths(self._left[a:b], self._right[a:b])
                for a, b in itertools.pairwise(offsets.tolist())
            ]
        )
        self._n_steps = int(depths.max()) - 1

    @classmethod
    def from_pyod(cls, model: Any) -> Self:
        """Build from a fitted PyOD ``IForest`` (its sklearn ``detector_``)."""
        forest = model.detector_
        n_features = int(forest.n_features_in_)
        subsample = int(forest._max_features) != n_features
        lefts, rights, feats, thresholds, lengths, sizes = [], [], [], [], [], []
        for est, used in zip(forest.estimators_, forest.estimators_features_, strict=True):
            tree = est.tree_
            left = np.asarray(tree.children_left, dtype=np.int64)
            right = np.asarray(tree.children_right, dtype=np.int64)
            is_leaf = left == _LEAF
            feat = np.where(is_leaf, 0, np.asarray(tree.feature, dtype=np.int64))
            if subsample:
                feat = np.where(is_leaf, 0, np.asarray(used, dtype=np.int64)[feat])
            depth = _node_depths(left, right).astype(np.float64)
            leaf_length = depth + average_path_length(tree.n_node_samples) - 1.0
            lefts.append(left)
            rights.append(right)
            feats.append(feat)
            thresholds.append(np.asarray(tree.threshold, dtype=np.float64))
            lengths.append(np.where(is_leaf, leaf_length, 0.0))
            sizes.append(left.shape[0])
        max_samples = int(getattr(forest, "_max_samples", forest.max_samples_))
        denominator = len(forest.estimators_) * float(average_path_length([max_samples])[0])
        return cls(
            n_features,
            np.concatenate(lefts),
            np.concatenate(rights),
            np.concatenate(feats),
            np.concatenate(thresholds),
            np.concatenate(lengths),
            np.concatenate([[0], np.cumsum(sizes)]),
            denominator,
            float(forest.offset_),
        )

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return int(self._roots.shape[0])

    def leaves(self, X: npt.ArrayLike) -> IntArray:
        """Global leaf node id reached in every tree (m, T)."""
        rows = as_rows(X, self.n_features)
        with np.errstate(over="ignore"):
            x32 = rows.astype(np.float32).astype(np.float64).ravel()
        m = rows.shape[0]
        row_base = (np.arange(m, dtype=np.intp) * self.n_features)[:, None]
        node: IntArray = np.broadcast_to(self._roots, (m, self.n_trees))
        for _ in range(self._n_steps):
            value = x32[row_base + self._split_feature[node]]
            go_right = value > self._threshold[node]
            node = self._children[2 * node + go_right]
        return node

    def score(self, X: npt.ArrayLike) -> FloatArray:
        """Raw outlier score ``2 ** (-D(x) / (T c(psi))) + offset_`` (m,)."""
        node = self.leaves(X)
        # Sequential sum over trees in order, as sklearn accumulates them.
        depth = np.cumsum(self._path_length[node], axis=1)[:, -1]
        # sklearn: depth / denominator, or 1 where the denominator is 0 (max_samples == 1).
        ratio = depth / self._denominator if self._denominator != 0 else np.ones_like(depth)
        normal = -(2.0 ** (-ratio))  # sklearn's score_samples
        out: FloatArray = -(normal - self._offset)
        return out

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain numeric arrays for ``np.savez``."""
        return {
            "n_features": np.array(self.n_features, dtype=np.int64),
            "left": self._left.astype(np.int32),
            "right": self._right.astype(np.int32),
            "feature": self._feature.astype(np.int32),
            "threshold": np.array(self._threshold),
            "path_length": np.array(self._path_length),
            "tree_offsets": np.array(self._tree_offsets),
            "denominator": np.array(self._denominator),
            "offset": np.array(self._offset),
        }

    @classmethod
    def from_arrays(cls, arrays: ArrayMap) -> Self:
        """Inverse of ``to_arrays``."""
        return cls(
            int(require(arrays, "n_features", 0)),
            require(arrays, "left", 1),
            require(arrays, "right", 1),
            require(arrays, "feature", 1),
            require(arrays, "threshold", 1),
            require(arrays, "path_length", 1),
            require(arrays, "tree_offsets", 1),
            scalar(arrays, "denominator"),
            scalar(arrays, "offset"),
        )
