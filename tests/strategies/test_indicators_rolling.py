"""rolling_max / rolling_min by doubling equal the plain window reductions."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.indicators import rolling_max, rolling_min


def _plain(values: np.ndarray, n: int, how: str) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        windows = np.lib.stride_tricks.sliding_window_view(values, n)
        out[n - 1 :] = windows.max(axis=1) if how == "max" else windows.min(axis=1)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_rolling_extremes_equal_plain_windows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(100, 5, int(rng.integers(0, 300)))
    if seed % 3 == 0 and len(values):
        values[rng.integers(0, len(values), 4)] = np.nan  # a NaN in a window gives NaN
    if seed % 2:
        values = np.round(values)  # repeated values
    for n in (1, 2, 3, 7, 8, 9, 20, 64, 65, 400):
        assert np.array_equal(rolling_max(values, n), _plain(values, n, "max"), equal_nan=True)
        assert np.array_equal(rolling_min(values, n), _plain(values, n, "min"), equal_nan=True)


def test_rolling_extremes_reject_empty_window() -> None:
    with pytest.raises(ValueError, match="window length"):
        rolling_max(np.ones(3), 0)
