"""Moving-average crossover strategies: SMA, EMA and MACD.

All three enter when a fast line crosses above a slow one and exit when it crosses back below:
at bar t, *above* means ``fast(t) > slow(t)`` and ``fast(t - 1) <= slow(t - 1)``, *below*
means ``fast(t) < slow(t)`` and ``fast(t - 1) >= slow(t - 1)``. A position is entered only on
the bar of a crossing, never merely because the fast line is above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orchestrator.core.market import BarWindow
from strategies.base import SignalStrategy, param
from strategies.indicators import crossed_above, crossed_below, ema, sma

__all__ = ["EmaCrossoverStrategy", "MacdStrategy", "SmaCrossoverStrategy"]


def _crossings(fast: np.ndarray, slow: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    enter = crossed_above(fast, slow)
    exit_ = crossed_below(fast, slow)
    enter[:first] = False
    exit_[:first] = False
    return enter, exit_


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

    ``SMA_n(t)`` is the mean of the ``n`` closes up to and including bar t, correctly rounded
    (from exactly rounded window sums), so mathematically equal averages compare equal and
    flat prices never cross. Decisions start at ``t = slow``, the first bar whose previous bar
    has both averages.
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
        return _crossings(sma(close, p.fast), sma(close, p.slow), p.slow)


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
        return _crossings(ema(close, p.fast), ema(close, p.slow), p.slow)


class MacdStrategy(_FastSlow):
    """MACD: the MACD line (``EMA_fast - EMA_slow`` of the closes) against its signal line
    (an EMA of the MACD line over ``signal`` bars, seeded like every EMA here with a simple
    average). The MACD line exists from bar ``slow - 1``, the signal line from
    ``slow + signal - 2``; decisions start at ``t = slow + signal - 1``.
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
        line = ema(close, p.fast) - ema(close, p.slow)
        signal = ema(line, p.signal, start=p.slow - 1)
        return _crossings(line, signal, self.warmup)
