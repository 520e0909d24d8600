"""sma_crossover, ema_crossover and macd on hand-made series with known entry and exit bars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestrator import ConfigError
from strategies import EmaCrossoverStrategy, MacdStrategy, SmaCrossoverStrategy, create


def _cumsum_sma(x: np.ndarray, n: int) -> np.ndarray:
    """The naive way: differences of a running cumulative sum."""
    s = np.concatenate(([0.0], np.cumsum(x)))
    out = np.full(len(x), np.nan)
    out[n - 1 :] = (s[n:] - s[:-n]) / n
    return out


def test_sma_crossover_known_series_enters_on_cross_and_exits_on_cross_back(
    frame, trades_of
) -> None:
    # t:      0   1   2   3   4   5   6   7   8  9 10 11
    closes = [10, 10, 10, 10, 12, 14, 14, 10, 8, 8, 8, 8]
    # SMA2(4)=11 > SMA4(4)=10.5 with SMA2(3)=SMA4(3)=10: a cross at t=4 = slow (first bar
    # evaluated); SMA2(7)=12 < SMA4(7)=12.5 after 14 >= 13: a cross back at t=7.
    trades = trades_of(SmaCrossoverStrategy(fast=2, slow=4), {"X": frame(closes)})
    assert trades == [("X", 4, 7)]


def test_sma_crossover_uptrend_from_start_without_cross_never_enters(frame, trades_of) -> None:
    # The fast SMA is above the slow one from the first bar both exist: there is no crossing.
    closes = [float(i) for i in range(1, 20)]
    assert trades_of(SmaCrossoverStrategy(fast=2, slow=4), {"X": frame(closes)}) == []


def test_sma_crossover_cross_before_slow_bars_is_not_evaluated(frame, window) -> None:
    # SMA2 > SMA4 first at t=3 = slow - 1, where SMA4(t-1) does not exist yet: no signal; the
    # first decision is at t = slow = 4.
    closes = [10, 10, 10, 13, 13, 13]
    enter, exit_ = SmaCrossoverStrategy(fast=2, slow=4).signals(window(frame(closes)))
    assert not enter.any()
    assert not exit_.any()


def test_sma_crossover_equal_averages_tie_does_not_flip_where_cumsum_does(frame, trades_of) -> None:
    # A flat price of 0.1: mathematically SMA2 == SMA4 at every bar, so nothing crosses until
    # the genuine rise at t=15. Averages from a running cumsum drift and "cross" in the flat.
    closes = np.array([0.1] * 15 + [0.2, 0.3, 0.4, 0.4, 0.4])
    naive_fast, naive_slow = _cumsum_sma(closes, 2), _cumsum_sma(closes, 4)
    with np.errstate(invalid="ignore"):
        naive_cross = (naive_fast[5:15] > naive_slow[5:15]) & (naive_fast[4:14] <= naive_slow[4:14])
    assert naive_cross.any(), "the trap: a cumsum-based SMA sees a false crossing here"
    trades = trades_of(SmaCrossoverStrategy(fast=2, slow=4), {"X": frame(closes)})
    assert trades == [("X", 15, None)]


def test_sma_crossover_flat_price_windows_of_3_and_7_do_not_cross(frame, trades_of) -> None:
    # Falling into a flat 0.1: from t=8 both windows hold only 0.1, so the means are equal.
    # fsum(3 x 0.1) / 3 is 0.10000000000000002 but fsum(7 x 0.1) / 7 is 0.1: rounding the sum
    # and then the quotient "crosses" at t=8. Correctly rounded means do not.
    closes = np.array([0.3, 0.2] + [0.1] * 20)

    def fsum_then_divide(n: int, t: int) -> float:
        return math.fsum(closes[t - n + 1 : t + 1]) / n

    assert fsum_then_divide(3, 8) > fsum_then_divide(7, 8)
    assert fsum_then_divide(3, 7) <= fsum_then_divide(7, 7)
    assert trades_of(SmaCrossoverStrategy(fast=3, slow=7), {"X": frame(closes)}) == []


def test_sma_crossover_fast_not_below_slow_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^sma_crossover: fast \(30\) must be < slow \(10\)$"):
        create("sma_crossover", fast=30, slow=10)
    with pytest.raises(ConfigError, match=r"fast \(10\) must be < slow \(10\)"):
        SmaCrossoverStrategy(fast=10, slow=10)


def test_ema_crossover_known_series_enters_and_exits_on_crosses(frame, trades_of) -> None:
    # EMA2 (alpha 2/3) and EMA3 (alpha 1/2), seeded with SMAs at t=1 and t=2 (both 10).
    # t=3: EMA2 = 2/3*13 + 1/3*10 = 12 > EMA3 = 11.5 -> cross up at t = slow = 3.
    # t=5: EMA2 = 2/3*7 + 1/3*12.67 = 8.89 < EMA3 = 1/2*7 + 1/2*12.25 = 9.63 -> cross down.
    closes = [10, 10, 10, 13, 13, 7, 7, 7]
    trades = trades_of(EmaCrossoverStrategy(fast=2, slow=3), {"X": frame(closes)})
    assert trades == [("X", 3, 5)]


def test_ema_crossover_flat_prices_give_no_signal(frame, trades_of) -> None:
    closes = [0.1] * 40
    assert trades_of(EmaCrossoverStrategy(fast=3, slow=7), {"X": frame(closes)}) == []


def test_ema_crossover_fast_not_below_slow_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"ema_crossover: fast \(26\) must be < slow \(12\)"):
        EmaCrossoverStrategy(fast=26, slow=12)


def test_macd_known_series_crosses_signal_line(frame, trades_of) -> None:
    # MACD(2, 3, 2): line = EMA2 - EMA3 is 0 over the flat start, signal (EMA2 of the line,
    # seeded at t=3) is 0 too. t=6: line 0.167 > signal 0.111 -> cross up. t=9: line 0.110 <
    # signal 0.188 after 0.394 >= 0.343 -> cross down. t=13: line -0.278 > signal -0.337
    # after -0.455 <= -0.454 -> cross up again, held to the end.
    closes = [10.0] * 6 + [11, 12, 13, 12, 10, 8, 8, 8, 8, 8]
    trades = trades_of(MacdStrategy(fast=2, slow=3, signal=2), {"X": frame(closes)})
    assert trades == [("X", 6, 9), ("X", 13, None)]


def test_macd_warmup_is_slow_plus_signal_minus_one() -> None:
    assert MacdStrategy().warmup == 26 + 9 - 1
    assert MacdStrategy(fast=2, slow=3, signal=2).warmup == 4
