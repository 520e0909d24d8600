"""rsi_reversion and bollinger_reversion on hand-made series with known entry and exit bars."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import ConfigError
from strategies import BollingerReversionStrategy, RsiReversionStrategy
from strategies.indicators import rolling_std, sma
from strategies.reversion import rsi


def test_rsi_known_series_matches_wilder_by_hand() -> None:
    closes = np.array([10, 11, 12, 13, 12, 10, 8, 9, 11, 12, 12], dtype=float)
    value = rsi(closes, 3)
    assert np.isnan(value[:3]).all()
    # t=3: gains 1, 1, 1 and no loss -> 100. Then Wilder: avg = (avg * 2 + x) / 3.
    gain, loss = 1.0, 0.0
    expected = [100.0]
    for change in (-1, -2, -2, 1, 2, 1, 0):
        gain = (gain * 2 + max(change, 0)) / 3
        loss = (loss * 2 + max(-change, 0)) / 3
        expected.append(100 * gain / (gain + loss))
    assert value[3:] == pytest.approx(expected, rel=1e-12)


def test_rsi_flat_prices_is_fifty() -> None:
    assert rsi(np.full(10, 5.0), 3)[3:].tolist() == [50.0] * 7


def test_rsi_reversion_known_series_enters_oversold_exits_recovered(frame, trades_of) -> None:
    # RSI(3): t=4 66.7, t=5 33.3, t=6 19.0 (< 30: enter), t=7 38.7 (hold), t=8 64.6 (>= 50).
    closes = [10, 11, 12, 13, 12, 10, 8, 9, 11, 12, 12]
    trades = trades_of(
        RsiReversionStrategy(period=3, oversold=30, exit_level=50), {"X": frame(closes)}
    )
    assert trades == [("X", 6, 8)]


def test_rsi_reversion_exit_at_level_exactly(frame, trades_of) -> None:
    # Period 2 after a drop: t=3 RSI 0 (enter); t=4 the gain equals the running loss,
    # RSI = 50.0 exactly: "at or above" exit_level 50 exits.
    closes = [10, 10, 10, 8, 9, 9, 9]
    trades = trades_of(
        RsiReversionStrategy(period=2, oversold=30, exit_level=50), {"X": frame(closes)}
    )
    value = rsi(np.array(closes, dtype=float), 2)
    assert value[3] == 0.0
    assert value[4] == 50.0
    assert trades == [("X", 3, 4)]


def test_rsi_reversion_oversold_not_below_exit_raises_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"rsi_reversion: oversold \(60\) must be < exit_level \(50\)"
    ):
        RsiReversionStrategy(oversold=60)


def test_bollinger_reversion_known_series_enters_below_band_exits_at_middle(
    frame, trades_of
) -> None:
    # Period 3, k 1: t=4 window [10, 10, 7]: mean 9, population std sqrt(2) = 1.414, lower
    # band 7.586 > close 7 -> enter. t=5 window [10, 7, 8.5]: mean 8.5 = close -> at the
    # middle band: exit.
    closes = [10, 10, 10, 10, 7, 8.5, 8, 8]
    trades = trades_of(BollingerReversionStrategy(period=3, k=1.0), {"X": frame(closes)})
    assert trades == [("X", 4, 5)]


def test_bollinger_reversion_holds_below_middle_band(frame, trades_of) -> None:
    # After the entry at t=4, t=5 close 8 < mean 8.33 (hold), t=6 close 10 >= 8.33 (exit).
    closes = [10, 10, 10, 10, 7, 8, 10, 10]
    trades = trades_of(BollingerReversionStrategy(period=3, k=1.0), {"X": frame(closes)})
    assert trades == [("X", 4, 6)]


def test_bollinger_reversion_wider_band_skips_shallow_dip(frame, trades_of) -> None:
    # k = 1.5: lower band 9 - 1.5 * 1.414 = 6.88 < 7: no entry.
    closes = [10, 10, 10, 10, 7, 8, 10, 10]
    assert trades_of(BollingerReversionStrategy(period=3, k=1.5), {"X": frame(closes)}) == []


def test_bollinger_reversion_k_below_minimum_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"bollinger_reversion: k \(0\) must be >= 0.1"):
        BollingerReversionStrategy(k=0)


def test_bollinger_reversion_period_2_k_1_band_is_the_low_never_enters(frame, window) -> None:
    # With two closes the lower band (mean - 1 x std) is exactly the lower of them, so a close
    # is never below it. As doubles 10.57, 9.56 put the band an ulp *above* 9.56.
    x = np.array([10.57, 9.56])
    middle = sma(x, 2)
    assert x[1] < middle[1] - rolling_std(x, 2, middle)[1], "the trap: doubles say below"
    closes = [10.57, 9.56, 10.57, 9.56, 9.0, 8.5, 9.56]
    enter, _ = BollingerReversionStrategy(period=2, k=1.0).signals(window(frame(closes)))
    assert not enter.any()


def test_bollinger_reversion_close_equal_to_middle_band_as_written_exits(frame, window) -> None:
    # Window 9.63, 10.14, 10.59, 10.12: the mean is 10.12 in decimal, equal to the close; the
    # correctly rounded double of the mean is an ulp above the close's double.
    closes = [9.63, 10.14, 10.59, 10.12]
    assert sma(np.array(closes), 4)[3] > 10.12, "the trap: as doubles the close is below"
    _, exit_ = BollingerReversionStrategy(period=4, k=2.0).signals(window(frame(closes)))
    assert exit_.tolist() == [False, False, False, True]


def _exact_below_band(ticks: list[int], n: int, k: Fraction) -> list[bool]:
    """Plain-Python reference: close < mean - k * std, squared on exact rationals."""
    out = [False] * len(ticks)
    for t in range(n - 1, len(ticks)):
        window = [Fraction(v) for v in ticks[t - n + 1 : t + 1]]
        mean = sum(window) / n
        variance = sum((v - mean) ** 2 for v in window) / n
        gap = mean - window[-1]
        out[t] = gap > 0 and gap * gap > k * k * variance
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ticks=st.lists(st.integers(1, 12), min_size=1, max_size=50),
    n=st.integers(2, 6),
    k=st.sampled_from([0.5, 1.0, 1.5, 2.0, 0.1, 0.7]),
    places=st.integers(0, 4),
)
def test_bollinger_reversion_entry_decimal_prices_equal_exact_reference(
    frame, window, ticks: list[int], n: int, k: float, places: int
) -> None:
    # Few distinct ticks: ties between the close and the band (period 2, k 1 above all) are
    # common; every one must be decided as exact decimal arithmetic decides it.
    closes = np.array(ticks) / 10.0**places
    enter, _ = BollingerReversionStrategy(period=n, k=k).signals(window(frame(closes)))
    assert enter.tolist() == _exact_below_band(ticks, n, Fraction(repr(k)))
