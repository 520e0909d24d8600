"""Trend strategies without moving averages: buy and hold, Donchian breakout, momentum.

Donchian's channel comparisons are decided on the prices' own precision
(:mod:`strategies.precision`): when the closes, highs and lows are decimals of at most 8
places, each price is compared as its decimal (so a close equal to the prior high as written
is equal, never an ulp above); otherwise a close within 4 ulps of the channel edge is a tie.
A tie is no breakout and no exit. Momentum's rate of change against its threshold is a price
comparison too (``close(t)`` against ``(1 + threshold) * close(t - lookback)``): on the grid it
is exact, with the threshold as written (a rise from 10.00 to 10.50 is a ROC of 0.05, equal to
a threshold of 0.05, which doubles put above it), else a tie within 4 ulps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestrator import BarWindow, StrategyState
from strategies.base import BaseStrategy, SignalStrategy, param
from strategies.indicators import rolling_max, rolling_min
from strategies.precision import order, ratio_order, snap

__all__ = ["BuyAndHoldStrategy", "DonchianBreakoutStrategy", "MomentumStrategy"]


class BuyAndHoldStrategy(BaseStrategy):
    """Enter every symbol at its first bar and never sell: the benchmark."""

    name = "buy_and_hold"
    description = "Buy every symbol at the first bar and hold it to the end"
    stateless = True

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return True

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


class DonchianBreakoutStrategy(SignalStrategy):
    """Turtle-style channel breakout.

    Enter at bar ``t >= entry`` when ``close(t)`` is above the highest high of the previous
    ``entry`` bars (``high[t - entry : t]``, bar t excluded); exit at ``t >= exit`` when
    ``close(t)`` is below the lowest low of the previous ``exit`` bars. Equality is at the
    data's precision: a close equal to the channel edge as written is not a breakout.
    """

    name = "donchian_breakout"
    description = "Buy a close above the prior N-bar high; sell a close below the prior M-bar low"

    @dataclass(frozen=True)
    class Params:
        entry: int = param(20, min=1, max=500, step=1, help="Bars in the breakout channel")
        exit: int = param(10, min=1, max=500, step=1, help="Bars in the exit channel")

    params: Params

    @property
    def warmup(self) -> int:
        return self.params.entry

    @property
    def decision_window(self) -> int:
        return max(self.params.entry, self.params.exit) + 1

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        snapped = snap(bars.close, bars.high, bars.low)
        close, high, low = (bars.close, bars.high, bars.low) if snapped is None else snapped
        n = len(close)
        upper = np.full(n, np.nan)  # highest high of the previous `entry` bars
        upper[1:] = rolling_max(high, p.entry)[:-1]
        lower = np.full(n, np.nan)  # lowest low of the previous `exit` bars
        lower[1:] = rolling_min(low, p.exit)[:-1]
        if snapped is None:  # off the grid: a tie within a few ulps
            return order(close, upper) > 0, order(close, lower) < 0
        with np.errstate(invalid="ignore"):  # snapped: exact decimal comparisons
            return close > upper, close < lower


class MomentumStrategy(SignalStrategy):
    """Time-series momentum on the rate of change ``ROC(t) = close(t) / close(t - lookback) - 1``.

    Enter at ``t >= lookback`` when ``ROC(t) > threshold``; exit when ``ROC(t) < threshold``
    (a position is kept while the ROC equals the threshold, equality at the data's precision).
    """

    name = "momentum"
    description = "Buy while the rate of change over the lookback is above a threshold"

    @dataclass(frozen=True)
    class Params:
        lookback: int = param(126, min=1, max=1000, step=1, help="Bars in the rate of change")
        threshold: float = param(
            0.0, min=-0.99, max=10.0, step=0.01, help="Rate of change to beat (0.05 = 5 %)"
        )

    params: Params

    @property
    def warmup(self) -> int:
        return self.params.lookback

    @property
    def decision_window(self) -> int:
        return self.params.lookback + 1

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        sign = ratio_order(bars.close, p.lookback, p.threshold)
        return sign > 0.0, sign < 0.0
