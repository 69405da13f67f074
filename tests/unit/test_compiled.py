"""Compiled (pure-numpy) detectors against PyOD's own single-row ``decision_function``.

Tolerance: |compiled - pyod| <= 1e-9 * max(1, |pyod|), i.e. absolute for scores below 1 in
magnitude and relative above.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pyod.models.copod import COPOD
from pyod.models.ecod import ECOD, skew  # skew: PyOD's nan_to_num(scipy skew)
from pyod.models.hbos import HBOS
from pyod.models.iforest import IForest
from pyod.models.loda import LODA

from detectors.compiled import (
    CompiledCOPOD,
    CompiledDetector,
    CompiledECOD,
    CompiledHBOS,
    compile_detector,
    load_compiled,
)

TOL = 1e-9
N_FEATURES = 8

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _features(n: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Feature-like columns: normal, shifted normal, heavy-tailed, 0/1 flags, counts."""
    return np.column_stack(
        [
            rng.standard_normal(n),
            rng.standard_normal(n) * 3.0 + 10.0,
            rng.standard_t(2, n),
            rng.lognormal(0.0, 1.5, n),
            rng.integers(0, 2, n).astype(np.float64),
            (rng.random(n) < 0.05).astype(np.float64),
            rng.poisson(2.0, n).astype(np.float64),
            rng.exponential(1.0, n),
        ]
    )


@pytest.fixture(scope="module")
def train() -> npt.NDArray[np.float64]:
    return _features(3000, np.random.default_rng(7))


@pytest.fixture(scope="module")
def queries(train: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """50 held-out rows: inliers, scaled outliers, far out-of-range values, training copies."""
    rng = np.random.default_rng(8)
    inliers = _features(30, rng)
    outliers = _features(10, rng) * rng.choice([-5.0, 5.0, 20.0], size=(10, N_FEATURES))
    out_of_range = np.array(
        [
            [1e6, -1e6, 1e9, 0.0, 1.0, 0.0, 100.0, -3.0],
            [-1e6, 1e6, -1e9, 1e7, 0.0, 1.0, -5.0, 1e4],
            [0.0, 10.0, 0.0, -1.0, 2.0, -1.0, 0.5, 0.0],
            [train[:, 0].max() + 1e-3, train[:, 1].min() - 1e-3, 0.0, 1.0, 0.0, 0.0, 2.0, 1.0],
        ]
    )
    extremes = [int(np.argmin(train[:, 0])), int(np.argmax(train[:, 3])), 0, 1, 2, 3]
    return np.vstack([inliers, outliers, out_of_range, train[extremes]])


MODELS: dict[str, Callable[[], Any]] = {
    "hbos": HBOS,
    "hbos-auto": lambda: HBOS(n_bins="auto"),
    "hbos-25-bins": lambda: HBOS(n_bins=25, alpha=0.5, tol=0.2),
    "hbos-50-bins": lambda: HBOS(n_bins=50, tol=0.9),
    "ecod": ECOD,
    "copod": COPOD,
    "iforest": lambda: IForest(random_state=0),
    "iforest-max-features": lambda: IForest(max_features=0.5, random_state=1),
    "loda": lambda: LODA(random_state=0),
    "loda-auto": lambda: LODA(n_bins="auto", random_state=1),
    "loda-40-bins": lambda: LODA(n_bins=40, n_random_cuts=30, random_state=2),
}


@pytest.fixture(scope="module")
def fitted(train: npt.NDArray[np.float64]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {key: make().fit(train) for key, make in MODELS.items()}


def _single_row_reference(model: Any, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([model.decision_function(row.reshape(1, -1))[0] for row in rows])


def _assert_close(got: npt.NDArray[np.float64], want: npt.NDArray[np.float64]) -> None:
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    assert err.max() <= TOL, f"rows {np.nonzero(err > TOL)[0]}: max error {err.max()}"


@pytest.mark.parametrize("key", list(MODELS))
def test_matches_pyod_single_row(
    key: str, fitted: dict[str, Any], queries: npt.NDArray[np.float64]
) -> None:
    model = fitted[key]
    compiled = compile_detector(model)
    assert isinstance(compiled, CompiledDetector)
    assert compiled.n_features == N_FEATURES
    _assert_close(compiled.score(queries), _single_row_reference(model, queries))


@pytest.mark.parametrize("key", list(MODELS))
def test_batch_independent_and_round_trip(
    key: str, fitted: dict[str, Any], queries: npt.NDArray[np.float64]
) -> None:
    compiled = compile_detector(fitted[key])
    batch = compiled.score(queries)
    singles = np.array([compiled.score(queries[i : i + 1])[0] for i in range(len(queries))])
    assert np.array_equal(batch, singles)
    assert np.array_equal(compiled.score(queries[::-1])[::-1], batch)

    arrays: dict[str, Any] = dict(compiled.to_arrays())
    assert all(a.dtype.kind in "biuf" for a in arrays.values())
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as stored:
        restored = load_compiled(compiled.name, stored)
    assert type(restored) is type(compiled)
    assert np.array_equal(restored.score(queries), batch)


@pytest.mark.parametrize("key", ["ecod", "copod"])
def test_ecdf_contributions_match_pyod(
    key: str, fitted: dict[str, Any], queries: npt.NDArray[np.float64]
) -> None:
    model = fitted[key]
    compiled = compile_detector(model)
    assert isinstance(compiled, CompiledECOD | CompiledCOPOD)
    contributions = compiled.contributions(queries)
    right = compiled.right_tail_contributions(queries)
    assert np.allclose(contributions.sum(axis=1), compiled.score(queries), rtol=1e-12, atol=0)
    for i in range(0, len(queries), 7):
        model.decision_function(queries[i : i + 1])  # PyOD keeps O and U_r of its last call
        assert np.allclose(contributions[i], model.O[-1], rtol=TOL, atol=TOL)
        assert np.allclose(right[i], model.U_r[-1], rtol=TOL, atol=TOL)


def test_hbos_contributions_sum_to_score(
    fitted: dict[str, Any], queries: npt.NDArray[np.float64]
) -> None:
    compiled = compile_detector(fitted["hbos"])
    assert isinstance(compiled, CompiledHBOS)
    contributions = compiled.contributions(queries)
    assert contributions.shape == queries.shape
    assert np.allclose(contributions.sum(axis=1), compiled.score(queries), rtol=1e-12, atol=0)


def test_ecdf_skewness_edge_cases() -> None:
    """Columns whose skewness is exactly 0 once the scored row is added (scipy returns 0 there,
    which changes how PyOD combines the tails), and a constant column."""
    rng = np.random.default_rng(3)
    n = 599
    balanced = np.zeros(n)
    balanced[rng.choice(n, 300, replace=False)] = 1.0  # adding a 0 makes it exactly 50/50
    symmetric = rng.permutation(np.repeat([0.0, 1.0, 2.0], [200, 199, 200]))  # adding a 1
    constant = np.full(n, 0.25)
    train = np.column_stack([balanced, symmetric, constant, rng.standard_normal(n)])
    rows = np.array(
        [
            [0.0, 1.0, 0.25, 0.0],
            [1.0, 1.0, 0.25, 0.3],
            [0.0, 0.0, 0.5, -2.0],
            [1.0, 2.0, 0.0, 2.0],
            [0.0, 0.5, 0.25, 9.0],
        ]
    )
    for model in (ECOD().fit(train), COPOD().fit(train)):
        compiled = compile_detector(model)
        _assert_close(compiled.score(rows), _single_row_reference(model, rows))
        assert isinstance(compiled, CompiledECOD | CompiledCOPOD)
        signs = compiled._tails.skew_sign(rows)
        for row, sign in zip(rows, signs, strict=True):
            expected = np.sign(skew(np.vstack([train, row]), axis=0))
            # Column 2 is constant: scipy's sign there is rounding noise when the row equals
            # it, and both tails are then 0 so the sign cannot change the score.
            assert np.array_equal(sign[[0, 1, 3]], expected[[0, 1, 3]])


def test_loda_projection_on_bin_edge() -> None:
    """With more features than the matrix product rounds identically to PyOD's per-row ``dot``,
    rows that project exactly onto a bin edge (copies of the training extremes) still match."""
    rng = np.random.default_rng(4)
    train = np.column_stack([_features(800, rng), rng.integers(0, 3, (800, 12)).astype(float)])
    model = LODA(random_state=5).fit(train)
    projected = train @ model.projections_.T
    extremes = np.unique(np.concatenate([projected.argmin(axis=0), projected.argmax(axis=0)]))
    rows = np.vstack([train[extremes], train[:20]])
    _assert_close(compile_detector(model).score(rows), _single_row_reference(model, rows))


def test_thread_safe(fitted: dict[str, Any], queries: npt.NDArray[np.float64]) -> None:
    compiled = [compile_detector(model) for model in fitted.values()]
    expected = [c.score(queries) for c in compiled]
    failures: list[str] = []

    def work() -> None:
        for _ in range(20):
            for c, want in zip(compiled, expected, strict=True):
                if not np.array_equal(c.score(queries), want):
                    failures.append(c.name)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_rejects_bad_input(fitted: dict[str, Any]) -> None:
    for model in fitted.values():
        compiled = compile_detector(model)
        with pytest.raises(ValueError, match="NaN or infinity"):
            compiled.score(np.full((1, N_FEATURES), np.nan))
        with pytest.raises(ValueError, match="shape"):
            compiled.score(np.zeros((1, N_FEATURES + 1)))
    with pytest.raises(TypeError):
        compile_detector(object())
    with pytest.raises(ValueError, match="not fitted"):
        compile_detector(HBOS())
    with pytest.raises(ValueError, match="unknown"):
        load_compiled("nope", {})
