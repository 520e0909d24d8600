"""Indicators: exactly rounded window sums, EMA/Wilder seeding, prefix stability."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.indicators import (
    crossed_above,
    crossed_below,
    ema,
    rolling_max,
    rolling_min,
    rolling_std,
    sma,
    wilder,
    window_sums,
)


def _fsum_windows(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    values = x.tolist()
    for t in range(n - 1, len(x)):
        out[t] = math.fsum(values[t - n + 1 : t + 1])
    return out


prices = st.lists(
    st.one_of(
        st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.1, 0.2, 0.3, 0.7, 1.1, 100.1, 1e-3, 12345.67]),
        st.integers(1, 1000).map(float),
    ),
    min_size=1,
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(values=prices, n=st.integers(1, 40))
def test_window_sums_any_prices_equal_math_fsum_bit_for_bit(values: list[float], n: int) -> None:
    x = np.array(values)
    assert np.array_equal(window_sums(x, n), _fsum_windows(x, n), equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e300, 1e300, allow_nan=False), min_size=1, max_size=60),
    n=st.integers(1, 10),
)
def test_window_sums_extreme_magnitudes_equal_math_fsum(values: list[float], n: int) -> None:
    x = np.array(values)
    assert np.array_equal(window_sums(x, n), _fsum_windows(x, n), equal_nan=True)


def test_window_sums_long_random_walk_equals_fsum() -> None:
    rng = np.random.default_rng(7)
    x = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 20_000))), 2)
    for n in (2, 10, 30, 200):
        assert np.array_equal(window_sums(x, n), _fsum_windows(x, n), equal_nan=True)


def _exact_means(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    values = x.tolist()
    for t in range(n - 1, len(x)):
        out[t] = float(sum(map(Fraction, values[t - n + 1 : t + 1])) / n)
    return out


@settings(max_examples=150, deadline=None)
@given(values=prices, n=st.integers(1, 40))
def test_sma_any_prices_is_correctly_rounded_exact_mean(values: list[float], n: int) -> None:
    x = np.array(values)
    assert np.array_equal(sma(x, n), _exact_means(x, n), equal_nan=True)


def test_sma_long_random_walk_is_correctly_rounded_exact_mean() -> None:
    rng = np.random.default_rng(11)
    x = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 5_000))), 2)
    for n in (3, 10, 30):
        assert np.array_equal(sma(x, n), _exact_means(x, n), equal_nan=True)


@pytest.mark.parametrize("price", [0.1, 0.3, 100.1, 1234.56, 1e-3])
def test_sma_constant_series_same_value_for_every_window_length(price: float) -> None:
    # fsum(3 * [0.1]) / 3 is 0.10000000000000002: rounding the sum, then the quotient, is not
    # enough; the correctly rounded mean of a flat price is the price itself.
    x = np.full(60, price)
    for n in (1, 2, 3, 7, 10, 30, 50):
        assert sma(x, n)[n - 1 :].tolist() == [price] * (61 - n)


def test_sma_mathematically_equal_means_of_different_windows_are_equal() -> None:
    # Alternating floats: every window of 2 or of 4 has the exact mean (a + b) / 2.
    a, b = 0.1, 0.7
    x = np.array([a, b, a, b, a, b, a, b])  # every window of 2 or 4 has mean (a + b) / 2
    assert sma(x, 2)[3:].tolist() == sma(x, 4)[3:].tolist()


def test_ema_seeded_with_sma_then_recursive() -> None:
    out = ema(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == [2.0, 3.0, 4.0]  # seed mean(1, 2, 3); then 0.5 * x + 0.5 * prev


def test_ema_start_skips_leading_values() -> None:
    x = np.array([np.nan, np.nan, 4.0, 6.0, 8.0])
    out = ema(x, 2, start=2)
    assert np.isnan(out[:3]).all()
    assert out[3] == 5.0
    assert out[4] == pytest.approx(2 / 3 * 8 + 1 / 3 * 5)


def test_wilder_smoothing_matches_formula() -> None:
    out = wilder(np.array([2.0, 4.0, 6.0, 3.0]), 2)
    assert np.isnan(out[0])
    assert out[1:].tolist() == [3.0, (3.0 + 6.0) / 2, (4.5 + 3.0) / 2]


def test_rolling_extremes_and_std_known_values() -> None:
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    assert rolling_max(x, 3)[2:].tolist() == [4.0, 4.0, 5.0]
    assert rolling_min(x, 3)[2:].tolist() == [1.0, 1.0, 1.0]
    assert rolling_std(x, 3)[2:] == pytest.approx([np.std(x[i - 2 : i + 1]) for i in (2, 3, 4)])
    assert np.isnan(rolling_std(x, 6)).all()


def test_crossings_need_the_previous_bar() -> None:
    a = np.array([np.nan, 1.0, 2.0, 2.0, 1.0, 3.0])
    b = np.array([np.nan, 1.0, 1.0, 2.0, 2.0, 2.0])
    assert crossed_above(a, b).tolist() == [False, False, True, False, False, True]
    assert crossed_below(a, b).tolist() == [False, False, False, False, True, False]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.integers(1, 300))
def test_indicators_prefix_stable_value_at_t_ignores_later_bars(seed: int, cut: int) -> None:
    # Causality, bit for bit: computing on x[:cut] gives the same first `cut` values.
    rng = np.random.default_rng(seed)
    x = np.round(50 * np.exp(np.cumsum(rng.normal(0, 0.02, 300))), 2)
    for fn in (
        lambda v: window_sums(v, 7),
        lambda v: sma(v, 12),
        lambda v: ema(v, 5),
        lambda v: wilder(v, 4),
        lambda v: rolling_std(v, 9),
        lambda v: rolling_max(v, 6),
    ):
        assert np.array_equal(fn(x[:cut]), fn(x)[:cut], equal_nan=True)
