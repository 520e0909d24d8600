"""Ties decided on the prices' own precision: the decimal grid, exact integer comparisons, the
tolerance off the grid, and built-ins whose signals do not move when prices are rescaled."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import BarWindow
from strategies import (
    BollingerReversionStrategy,
    DonchianBreakoutStrategy,
    MomentumStrategy,
    RsiReversionStrategy,
    SmaCrossoverStrategy,
)
from strategies.indicators import sma
from strategies.precision import (
    TIE_ULPS,
    crossings,
    decimal_places,
    mean_order,
    order,
    price_vs_mean,
    snap,
    tick_arrays,
)


def _sign(value: Fraction | int) -> float:
    return float((value > 0) - (value < 0))


def _exact_mean_order(ticks: list[int], fast: int, slow: int) -> list[float]:
    """Plain-Python reference: sign of the exact difference of the two means (NaN before)."""
    out = [float("nan")] * len(ticks)
    for t in range(max(fast, slow) - 1, len(ticks)):
        f = Fraction(sum(ticks[t - fast + 1 : t + 1]), fast)
        s = Fraction(sum(ticks[t - slow + 1 : t + 1]), slow)
        out[t] = _sign(f - s)
    return out


@pytest.mark.parametrize(
    ("values", "places"),
    [
        ([1.0, 2.0, 300.0], 0),
        ([0.1, 0.2, 10.5], 1),
        ([101.25, 99.99], 2),
        ([100.1234, 0.0001], 4),
        ([0.12345678], 8),
        ([0.1 + 0.2, 0.3], 1),  # 0.30000000000000004 is 0.3 an ulp off, as arithmetic leaves it
        ([1015 * 0.01], 2),  # cents * 0.01: an ulp above 10.15
    ],
)
def test_decimal_places_decimals_smallest_places_found(values: list[float], places: int) -> None:
    assert decimal_places(np.array(values)) == places


@pytest.mark.parametrize(
    "values",
    [[1 / 3], [0.123456789], [1.0, np.nan], [np.inf], [1e15 + 0.5], [2.0**60]],
)
def test_decimal_places_off_grid_is_none(values: list[float]) -> None:
    assert decimal_places(np.array(values)) is None


def test_decimal_places_common_grid_of_several_arrays_is_the_finest() -> None:
    assert decimal_places(np.array([1.5]), np.array([2.25]), np.array([3.0])) == 2
    assert decimal_places(np.array([]), np.array([])) == 0


def test_tick_arrays_and_snap_read_prices_as_their_decimals() -> None:
    close = np.array([0.1 + 0.2, 1015 * 0.01])
    ticks = tick_arrays(close)
    assert ticks is not None
    assert ticks[0].tolist() == [30, 1015]
    snapped = snap(close)
    assert snapped is not None
    assert snapped[0].tolist() == [0.3, 10.15]
    assert tick_arrays(np.array([1 / 3])) is None
    assert snap(np.array([1 / 3])) is None


def test_order_within_tolerance_is_a_tie_beyond_it_a_sign() -> None:
    a = np.array([1.0, 1.0, 1.0, np.nan, 2.0])
    ulp = np.spacing(1.0)
    b = np.array([1.0 + TIE_ULPS * ulp, 1.0 + (TIE_ULPS + 2) * ulp, 0.5, 1.0, 3.0])
    assert order(a, b).tolist()[:3] == [0.0, -1.0, 1.0]
    assert np.isnan(order(a, b)[3])
    assert order(a, b)[4] == -1.0
    # A given scale: the MACD line's noise is on the scale of the EMAs it is made of.
    assert order(np.array([4e-14]), np.array([0.0]), scale=np.array([100.0]))[0] == 0.0
    assert order(np.array([4e-14]), np.array([0.0]))[0] == 1.0


@settings(max_examples=120, deadline=None)
@given(
    ticks=st.lists(st.integers(1, 30), min_size=1, max_size=80),
    places=st.integers(0, 6),
    fast=st.integers(1, 8),
    slow=st.integers(2, 12),
)
def test_mean_order_decimal_prices_equal_exact_fraction_reference(
    ticks: list[int], places: int, fast: int, slow: int
) -> None:
    # Few distinct ticks: exact ties between the two means are common.
    closes = np.array(ticks) / 10.0**places
    got = mean_order(closes, fast, slow)
    assert np.array_equal(got, _exact_mean_order(ticks, fast, slow), equal_nan=True)


def test_mean_order_huge_ticks_long_windows_exact_without_overflow() -> None:
    # 2**50 ticks and lcm(499, 997) * 2**50 > 2**63: the comparison runs on Python ints.
    ticks = [2**50 - 7 * (i % 3) for i in range(1200)]
    closes = np.array(ticks, dtype=np.float64)
    assert closes.tolist() == ticks  # exactly representable
    got = mean_order(closes, 499, 997)
    want = _exact_mean_order(ticks, 499, 997)
    assert np.array_equal(got[990:1010], want[990:1010], equal_nan=True)
    assert np.array_equal(got, want, equal_nan=True)


def test_mean_order_off_grid_ties_within_ulps_of_correctly_rounded_smas() -> None:
    x = np.array([1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 2 / 3])
    assert decimal_places(x) is None
    assert np.array_equal(mean_order(x, 2, 4), order(sma(x, 2), sma(x, 4)), equal_nan=True)
    assert mean_order(x, 2, 4)[3:].tolist() == [0.0, 0.0, 0.0]


def test_mean_order_window_below_one_raises_value_error() -> None:
    with pytest.raises(ValueError, match="window lengths must be >= 1"):
        mean_order(np.ones(5), 0, 3)


@settings(max_examples=100, deadline=None)
@given(ticks=st.lists(st.integers(1, 20), min_size=1, max_size=60), n=st.integers(1, 10))
def test_price_vs_mean_decimal_prices_equal_exact_reference(ticks: list[int], n: int) -> None:
    closes = np.array(ticks) / 100.0
    want = [float("nan")] * len(ticks)
    for t in range(n - 1, len(ticks)):
        want[t] = _sign(Fraction(ticks[t]) - Fraction(sum(ticks[t - n + 1 : t + 1]), n))
    assert np.array_equal(price_vs_mean(closes, n), want, equal_nan=True)


def test_crossings_through_tie_crosses_after_it_touch_from_above_exits_nothing() -> None:
    # A tie counts as "not above" for the bar after it, and as "not below" too.
    sign = np.array([np.nan, -1.0, 0.0, 1.0, 0.0, 1.0, -1.0])
    above, below = crossings(sign)
    assert above.tolist() == [False, False, False, True, False, True, False]
    assert below.tolist() == [False, False, False, False, False, False, True]
    above, _ = crossings(sign, first=4)
    assert above.tolist() == [False] * 5 + [True, False]


# --- signals do not move when the prices are rescaled by a power of ten --------------------

Window = Callable[[pd.DataFrame], BarWindow]


def _signals(strategy: object, df: pd.DataFrame, window: Window) -> tuple[list[bool], ...]:
    enter, exit_ = strategy.signals(window(df))  # type: ignore[attr-defined]
    return enter.tolist(), exit_.tolist()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    closes=st.lists(st.integers(50, 60), min_size=2, max_size=60),
    spread=st.lists(st.integers(0, 3), min_size=60, max_size=60),
    places=st.integers(0, 4),
    shift=st.integers(-3, 3),
)
def test_builtins_prices_scaled_by_power_of_ten_same_signals(
    frame: Callable[..., pd.DataFrame],
    window: Window,
    closes: list[int],
    spread: list[int],
    places: int,
    shift: int,
) -> None:
    # Prices are ticks / 10**places, rescaled by 10**shift while staying on a grid of at most
    # 8 places; both versions are the doubles nearest their decimals. Exact ties are common
    # (few distinct ticks), and they must be decided the same way at either scale.
    new_places = places - shift
    if not 0 <= new_places <= 8:
        new_places = places
    highs = [c + s for c, s in zip(closes, spread, strict=False)]
    lows = [c - s for c, s in zip(closes, spread[::-1], strict=False)]

    def prices(ticks: list[int], p: int) -> np.ndarray:
        return np.array(ticks) / 10.0**p

    original = frame(prices(closes, places), prices(highs, places), prices(lows, places))
    scaled = frame(prices(closes, new_places), prices(highs, new_places), prices(lows, new_places))
    for strategy in (
        SmaCrossoverStrategy(fast=2, slow=5),
        SmaCrossoverStrategy(fast=3, slow=7),
        DonchianBreakoutStrategy(entry=3, exit=2),
        BollingerReversionStrategy(period=2, k=1.0),
        BollingerReversionStrategy(period=4, k=0.5),
        MomentumStrategy(lookback=2, threshold=0.1),
        RsiReversionStrategy(period=2, oversold=25, exit_level=50),
        RsiReversionStrategy(period=3, oversold=40, exit_level=60),
    ):
        assert _signals(strategy, original, window) == _signals(strategy, scaled, window)
