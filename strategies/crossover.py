"""Moving-average crossover strategies: SMA, EMA and MACD.

All three enter when a fast line crosses above a slow one and exit when it crosses back below:
at bar t, *above* means ``fast(t) > slow(t)`` and ``fast(t - 1) <= slow(t - 1)``, *below*
means ``fast(t) < slow(t)`` and ``fast(t - 1) >= slow(t - 1)``. A position is entered only on
the bar of a crossing, never merely because the fast line is above. Through a tie (below,
equal, above) the cross is at the first bar above. A touch from above (above, equal, above)
is no cross below, so a held position stays; by the ``<=`` the bar after it counts as a cross
above, which matters only while flat.

Ties are decided on the prices' own precision (:mod:`strategies.precision`):

* ``sma_crossover``: when the closes are decimals of at most 8 places, the averages compare
  exactly in integer ticks (``sum_fast * slow`` vs ``sum_slow * fast``), so averages equal in
  decimal arithmetic are equal; otherwise the correctly rounded SMAs compare with a tie within
  4 ulps.
* ``ema_crossover`` and ``macd``: the lines compare as doubles with a tie within 4 ulps of the
  averages (for MACD, of the two EMAs the line is made of, the scale of its rounding noise).
  Exact decimal ties between EMAs are all but impossible: an EMA of decimals is a rational
  whose denominator gains a factor ``n + 1`` per bar, so two spans (or the MACD line and its
  signal) coincide only on flat prices, where the recursion keeps every average exactly equal
  to the price, or in the first bars after a seed, while the averages are still simple
  fractions. The tolerance settles those seeded ties (an ``EMA_1``, the close itself, against
  a slow EMA seeded with an SMA). It is not widened to the recursion's own accumulated rounding
  (some ``1 / alpha`` ulps): that would swallow genuine crossings to decide ties that do not
  occur.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orchestrator import BarWindow
from strategies.base import SignalStrategy, param
from strategies.indicators import ema
from strategies.precision import crossings, mean_order, order

__all__ = ["EmaCrossoverStrategy", "MacdStrategy", "SmaCrossoverStrategy"]


class _FastSlow(SignalStrategy):
    """Parameters ``fast`` < ``slow`` (checked), decisions from ``t = slow`` on."""

    @classmethod
    def check_params(cls, params: Any) -> None:
        if params.fast >= params.slow:
            raise cls.fail(f"fast ({params.fast}) must be < slow ({params.slow})")

    @property
    def warmup(self) -> int:
        return int(self.params.slow)


class SmaCrossoverStrategy(_FastSlow):
    """Trend following on two simple moving averages of the closes.

    ``SMA_n(t)`` is the mean of the ``n`` closes up to and including bar t. The two compare
    exactly on the closes' decimal grid (integer ticks), else as correctly rounded doubles with
    a tie within a few ulps, so averages equal as written compare equal and flat prices never
    cross. Decisions start at ``t = slow``, the first bar whose previous bar has both averages.
    """

    name = "sma_crossover"
    description = "Buy when the fast SMA crosses above the slow SMA; sell when it crosses below"

    @dataclass(frozen=True)
    class Params:
        fast: int = param(10, min=1, max=500, step=1, help="Bars in the fast moving average")
        slow: int = param(30, min=2, max=1000, step=1, help="Bars in the slow moving average")

    params: Params

    @property
    def decision_window(self) -> int:
        return self.params.slow + 1

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        close = bars.close
        p = self.params
        return crossings(mean_order(close, p.fast, p.slow), p.slow)


class EmaCrossoverStrategy(_FastSlow):
    """Trend following on two exponential moving averages of the closes.

    ``EMA_n`` uses ``alpha = 2 / (n + 1)`` and is seeded at bar ``n - 1`` with the simple
    average of the first ``n`` closes (the TA-Lib convention). Decisions start at
    ``t = slow``.
    """

    name = "ema_crossover"
    description = "Buy when the fast EMA crosses above the slow EMA; sell when it crosses below"

    @dataclass(frozen=True)
    class Params:
        fast: int = param(12, min=1, max=500, step=1, help="Span of the fast EMA in bars")
        slow: int = param(26, min=2, max=1000, step=1, help="Span of the slow EMA in bars")

    params: Params

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        close = bars.close
        p = self.params
        return crossings(order(ema(close, p.fast), ema(close, p.slow)), p.slow)


class MacdStrategy(_FastSlow):
    """MACD: the MACD line (``EMA_fast - EMA_slow`` of the closes) against its signal line
    (an EMA of the MACD line over ``signal`` bars, seeded like every EMA here with a simple
    average). The MACD line exists from bar ``slow - 1``, the signal line from
    ``slow + signal - 2``; decisions start at ``t = slow + signal - 1``. A tie is within a few
    ulps of the EMAs the line is the difference of.
    """

    name = "macd"
    description = "Buy when the MACD line crosses above its signal line; sell when it crosses below"

    @dataclass(frozen=True)
    class Params:
        fast: int = param(12, min=1, max=200, step=1, help="Span of the fast EMA in bars")
        slow: int = param(26, min=2, max=500, step=1, help="Span of the slow EMA in bars")
        signal: int = param(9, min=1, max=200, step=1, help="Span of the signal line's EMA")

    params: Params

    @property
    def warmup(self) -> int:
        return int(self.params.slow + self.params.signal - 1)

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        close = bars.close
        p = self.params
        fast, slow = ema(close, p.fast), ema(close, p.slow)
        line = fast - slow
        signal = ema(line, p.signal, start=p.slow - 1)
        noise = np.maximum(np.abs(fast), np.abs(slow))  # the line's rounding is on this scale
        return crossings(order(line, signal, scale=noise), self.warmup)
