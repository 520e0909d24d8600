"""The estimated path of ``mean_order`` off the decimal grid gives the full path's signs."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.indicators import sma
from strategies.precision import _estimated_mean_order, mean_order, order


def _walk(seed: int, n: int, flats: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.exp(np.cumsum(rng.normal(0, 0.01, n))) * rng.uniform(0.001, 1e6)
    for _ in range(flats):  # flat runs: exact ties of the averages, and near ties
        a = int(rng.integers(0, n - 1))
        b = min(n, a + int(rng.integers(2, 60)))
        x[a:b] = x[a] * (1 + rng.normal(0, 1e-15))
    return x


@pytest.mark.parametrize("seed", range(40))
def test_mean_order_off_grid_estimate_equals_correctly_rounded_smas(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    x = _walk(seed, int(rng.integers(50, 3000)), seed % 4)
    fast = int(rng.integers(1, 20))
    slow = fast + int(rng.integers(1, 40))
    expected = order(sma(x, fast), sma(x, slow))
    assert np.array_equal(mean_order(x, fast, slow), expected, equal_nan=True)


def test_mean_order_estimate_settles_exact_ties_exactly() -> None:
    x = _walk(3, 2000, 0)
    x[500:560] = x[500]  # SMA 10 and SMA 30 equal on 31 bars
    estimated = _estimated_mean_order(x, 10, 30)
    assert estimated is not None
    assert (estimated[529 - 29 : 560 - 29] == 0.0).all()
    assert np.array_equal(estimated, order(sma(x, 10), sma(x, 30))[29:])


def test_mean_order_estimate_declines_flat_prices() -> None:
    assert _estimated_mean_order(np.full(5000, 1 / 3), 10, 30) is None
    assert _estimated_mean_order(np.array([1.0, np.inf, 2.0] * 20), 2, 5) is None
