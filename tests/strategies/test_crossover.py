"""sma_crossover, ema_crossover and macd on hand-made series with known entry and exit bars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestrator import ConfigError
from strategies import EmaCrossoverStrategy, MacdStrategy, SmaCrossoverStrategy, create
from strategies.indicators import ema, sma
from strategies.precision import mean_order

# Closes of four decimals whose SMA10 and SMA30 are below (t = 29), equal in decimal
# arithmetic (t = 30) and above (t = 31). The correctly rounded doubles put SMA10 an ulp
# *above* SMA30 at t = 30, so compared as doubles the cross fires a bar early.
CROSS_THROUGH_TIE = [
    100.0, 100.1478, 100.0375, 100.0688, 99.7955, 99.6772, 99.7547, 99.6934, 99.5779, 99.5228,
    99.4284, 99.4071, 99.2556, 98.9836, 99.2164, 99.1625, 99.1067, 98.9639, 98.8869, 99.0828,
    99.1403, 98.9356, 98.9297, 99.1719, 99.2107, 99.4008, 99.5176, 99.4117, 99.3512, 99.1393,
    101.3864, 103.3864, 103.3864,
]  # fmt: skip

# Below until t = 37, a cross up at t = 38, above, then at t = 45 a dip that brings SMA10
# exactly down to SMA30 in decimal (a touch), then above again. The doubles put SMA10 an ulp
# *below* SMA30 at the touch: compared as doubles, it is a cross down (exit) and a re-entry.
TOUCH_FROM_ABOVE = [
    100.0, 100.0535, 100.011, 99.9863, 100.0255, 99.969, 99.9717, 99.9918, 99.8293, 99.6159,
    99.4759, 99.3314, 99.3635, 99.4073, 99.1788, 99.0987, 99.1151, 98.9245, 98.9337, 98.7394,
    98.6498, 98.6648, 98.5257, 98.3982, 98.2517, 98.2376, 98.084, 98.1512, 98.0547, 97.9681,
    98.1195, 98.2943, 98.4604, 98.6132, 98.9119, 99.1542, 99.392, 99.6021, 99.7888, 99.8911,
    100.1878, 100.3277, 100.3923, 100.6459, 100.6939, 84.2044, 101.1939, 101.1939,
]  # fmt: skip


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


def test_sma_crossover_cross_up_through_exact_decimal_tie_enters_after_the_tie(
    frame, window, trades_of
) -> None:
    closes = np.array(CROSS_THROUGH_TIE)
    fast, slow = sma(closes, 10), sma(closes, 30)
    assert fast[30] > slow[30], "the trap: as doubles SMA10 is an ulp above SMA30 at the tie"
    assert mean_order(closes, 10, 30)[29:32].tolist() == [-1.0, 0.0, 1.0]
    enter, exit_ = SmaCrossoverStrategy(fast=10, slow=30).signals(window(frame(closes)))
    assert np.flatnonzero(enter).tolist() == [31]
    assert not exit_.any()
    assert trades_of(SmaCrossoverStrategy(), {"X": frame(closes)}) == [("X", 31, None)]


def test_sma_crossover_touch_at_exact_decimal_tie_holds_position(frame, window, trades_of) -> None:
    closes = np.array(TOUCH_FROM_ABOVE)
    fast, slow = sma(closes, 10), sma(closes, 30)
    assert fast[45] < slow[45], "the trap: as doubles SMA10 is an ulp below SMA30 at the touch"
    assert mean_order(closes, 10, 30)[44:47].tolist() == [1.0, 0.0, 1.0]
    _, exit_ = SmaCrossoverStrategy(fast=10, slow=30).signals(window(frame(closes)))
    assert not exit_.any()
    assert trades_of(SmaCrossoverStrategy(), {"X": frame(closes)}) == [("X", 38, None)]


def test_sma_crossover_prices_times_ten_same_trades(frame, trades_of) -> None:
    # The same decimals at another scale: the ticks, and so every decision, are the same.
    for closes in (CROSS_THROUGH_TIE, TOUCH_FROM_ABOVE):
        scaled = np.round(np.array(closes) * 10, 3)
        assert trades_of(SmaCrossoverStrategy(), {"X": frame(scaled)}) == trades_of(
            SmaCrossoverStrategy(), {"X": frame(closes)}
        )


def test_ema_crossover_close_ema1_tied_with_seeded_slow_ema_crosses_after_tie(
    frame, window
) -> None:
    # EMA_1 is the close itself; EMA_4 is seeded at t = 3 with the SMA of the first four
    # closes, 1.8055 in decimal: equal to the close there. As doubles the seed is an ulp below
    # the close (the close already "above"), so no cross would follow at t = 4.
    closes = [1.6899, 1.7982, 1.9284, 1.8055, 1.9, 1.9]
    x = np.array(closes)
    assert ema(x, 1)[3] == 1.8055
    assert ema(x, 4)[3] < 1.8055, "the trap: as doubles the close is above the slow EMA"
    enter, exit_ = EmaCrossoverStrategy(fast=1, slow=4).signals(window(frame(closes)))
    assert enter.tolist() == [False, False, False, False, True, False]
    assert not exit_.any()


def test_macd_flat_prices_line_and_signal_exactly_zero_no_signal(frame, window) -> None:
    enter, exit_ = MacdStrategy(fast=2, slow=3, signal=2).signals(window(frame([7.3] * 30)))
    assert not enter.any()
    assert not exit_.any()
