"""buy_and_hold, donchian_breakout and momentum on hand-made series with known bars."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import BuyAndHoldStrategy, DonchianBreakoutStrategy, MomentumStrategy


def test_buy_and_hold_enters_each_symbol_at_its_first_bar_and_holds(frame, trades_of) -> None:
    data = {
        "A": frame([10, 11, 12, 11, 13]),
        "B": frame([50, 49, 48], start="2024-01-03"),
    }
    assert trades_of(BuyAndHoldStrategy(), data) == [("A", 0, None), ("B", 0, None)]


def test_donchian_breakout_known_series_enters_above_prior_high_exits_below_prior_low(
    frame, trades_of
) -> None:
    # high = close + 0.5, low = close - 0.5. t=4: close 12 > max(high[1:4]) = 11.5 -> enter
    # (bar 4's own high, 12.5, is excluded). t=7: close 11 < min(low[5:7]) = 12.3 -> exit.
    closes = [10, 11, 10, 10.5, 12, 13, 12.8, 11, 12]
    highs = [c + 0.5 for c in closes]
    lows = [c - 0.5 for c in closes]
    strategy = DonchianBreakoutStrategy(entry=3, exit=2)
    assert trades_of(strategy, {"X": frame(closes, highs, lows)}) == [("X", 4, 7)]


def test_donchian_breakout_close_equal_to_prior_high_does_not_enter(frame, trades_of) -> None:
    closes = [10, 11, 10, 11, 11, 11]
    assert trades_of(DonchianBreakoutStrategy(entry=3, exit=2), {"X": frame(closes)}) == []


def test_donchian_breakout_first_entry_decision_at_t_equal_entry(frame, window) -> None:
    # A breakout at t=2 is before `entry` (3) previous bars exist: not evaluated.
    closes = [10, 10, 12, 13, 14]
    enter, _ = DonchianBreakoutStrategy(entry=3, exit=2).signals(window(frame(closes)))
    assert enter.tolist() == [False, False, False, True, True]


def test_donchian_breakout_cross_up_through_decimal_tie_enters_after_the_tie(
    frame, window, trades_of
) -> None:
    # Prior 3-bar high 10.12 throughout. Closes below it (t = 3), equal to it as written
    # (t = 4: built as cents * 0.01, an ulp above the double 10.12), above it (t = 5).
    closes = [10.0, 10.0, 10.0, 10.05, 1012 * 0.01, 10.2, 10.2]
    highs = [10.12, 10.12, 10.12, 10.05, 10.12, 10.2, 10.2]
    lows = [9.0] * 7
    assert closes[4] > 10.12, "the trap: as doubles the close is above the prior high"
    strategy = DonchianBreakoutStrategy(entry=3, exit=2)
    enter, exit_ = strategy.signals(window(frame(closes, highs, lows)))
    assert enter.tolist() == [False, False, False, False, False, True, False]
    assert not exit_.any()
    assert trades_of(strategy, {"X": frame(closes, highs, lows)}) == [("X", 5, None)]


def test_donchian_breakout_touch_of_prior_low_at_decimal_tie_holds(
    frame, window, trades_of
) -> None:
    # Entry at t = 3 (11 > 10.5). Prior 2-bar low 10.8 from t = 5; the close at t = 5 equals
    # it as written but was read an ulp low (as an off-by-one parser leaves it), then recovers.
    touch = float(np.nextafter(10.8, -np.inf))
    closes = [10.0, 10.0, 10.0, 11.0, 11.2, touch, 11.5, 11.6]
    highs = [10.5, 10.5, 10.5, 11.0, 11.2, 10.8, 11.5, 11.6]
    lows = [9.5, 9.5, 9.5, 10.8, 10.9, 10.8, 11.4, 11.5]
    assert touch < 10.8, "the trap: as doubles the close is below the prior low"
    strategy = DonchianBreakoutStrategy(entry=3, exit=2)
    _, exit_ = strategy.signals(window(frame(closes, highs, lows)))
    assert not exit_[5]
    assert trades_of(strategy, {"X": frame(closes, highs, lows)}) == [("X", 3, None)]


def test_donchian_breakout_off_grid_close_within_ulps_of_prior_high_is_a_tie(frame, window) -> None:
    # Adjusted prices of 14 decimals (off the grid): a close 3 ulps above the prior high is
    # rounding noise, not a breakout; a genuine rise is.
    high = 87.54955105009496
    closes = [87.1234567890123, 87.1234567890123, 87.549551050095, 87.6234567890123]
    highs = [high, high, 87.549551050095, 87.6234567890123]
    enter, _ = DonchianBreakoutStrategy(entry=2, exit=2).signals(window(frame(closes, highs)))
    assert closes[2] > high
    assert enter.tolist() == [False, False, False, True]


def test_momentum_known_series_enters_on_positive_roc_exits_on_negative(frame, trades_of) -> None:
    # ROC(3): t=3 0 (not > 0), t=4 11/10 - 1 > 0 -> enter, t=7 9/11 - 1 < 0 -> exit.
    closes = [10, 10, 10, 10, 11, 12, 11, 9, 9, 10]
    assert trades_of(MomentumStrategy(lookback=3), {"X": frame(closes)}) == [("X", 4, 7)]


def test_momentum_threshold_gates_entry_and_exit(frame, trades_of) -> None:
    # Threshold 15 %: t=5 ROC 0.2 -> enter; t=6 ROC 0.1 < 0.15 -> exit.
    closes = [10, 10, 10, 10, 11, 12, 11, 9, 9, 10]
    trades = trades_of(MomentumStrategy(lookback=3, threshold=0.15), {"X": frame(closes)})
    assert trades == [("X", 5, 6)]


def test_momentum_roc_equal_to_threshold_keeps_position(frame, trades_of) -> None:
    # Enter at t=3 (ROC 0.5); at t=5 ROC is exactly 0 (= threshold): hold; exit at t=6.
    closes = [2, 2, 2, 3, 3, 2, 1, 1]
    assert trades_of(MomentumStrategy(lookback=3), {"X": frame(closes)}) == [("X", 3, 6)]


def test_momentum_roc_equal_to_threshold_as_written_neither_enters_nor_exits(frame, window) -> None:
    # 10.00 -> 10.50 is a ROC of exactly 0.05, and 10.00 -> 11.50 of exactly 0.15: equal to
    # the thresholds. As doubles 10.5 / 10 - 1 is above 0.05 and 11.5 / 10 - 1 below 0.15.
    assert 10.5 / 10 - 1 > 0.05, "the trap: as doubles the ROC beats the threshold"
    assert 11.5 / 10 - 1 < 0.15, "the trap: as doubles the ROC falls short of it"
    enter, exit_ = MomentumStrategy(lookback=1, threshold=0.05).signals(
        window(frame([10.0, 10.5, 11.2]))
    )
    assert enter.tolist() == [False, False, True]
    assert not exit_.any()
    enter, exit_ = MomentumStrategy(lookback=2, threshold=0.15).signals(
        window(frame([10.0, 10.0, 11.5, 11.5, 12.0]))
    )
    assert not enter.any()
    assert exit_.tolist() == [False, False, False, False, True]  # 12 / 11.5 - 1 < 0.15


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ticks=st.lists(st.integers(1, 40), min_size=1, max_size=40),
    lookback=st.integers(1, 5),
    threshold=st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.25, 0.5, -0.2, 1.0]),
    places=st.integers(0, 4),
)
def test_momentum_decimal_prices_equal_exact_reference(
    frame, window, ticks: list[int], lookback: int, threshold: float, places: int
) -> None:
    closes = np.array(ticks) / 10.0**places
    enter, exit_ = MomentumStrategy(lookback=lookback, threshold=threshold).signals(
        window(frame(closes))
    )
    level = Fraction(repr(threshold))
    roc = [None] * min(lookback, len(ticks)) + [
        Fraction(ticks[t], ticks[t - lookback]) - 1 for t in range(lookback, len(ticks))
    ]
    assert enter.tolist() == [r is not None and r > level for r in roc]
    assert exit_.tolist() == [r is not None and r < level for r in roc]
