"""Mean-reversion strategies: buy a dip measured by Wilder's RSI or by Bollinger Bands, sell
when the price has recovered.

Bollinger's comparisons are decided on the prices' own precision (:mod:`strategies.precision`).
The exit, a close at or above the middle band (its SMA), is exact on the closes' decimal grid
(``n * close`` vs the window's sum of ticks), else a tie within 4 ulps. The entry, a close
below ``SMA - k * std``, is decided in doubles wherever a rigorous bound on their rounding
(and on the decimals' own representation error) leaves no doubt; a window within that bound is
decided exactly on the grid, in integers (``D > 0`` and ``D**2 > k**2 * V`` with
``D = sum - n * close`` and ``V = n * sum(x**2) - sum**2`` in ticks, ``k`` as written), and off
the grid it is a tie (no entry). With ``period = 2, k = 1`` the lower band is the window's low,
so a close never falls below it; compared as doubles it did on about one down bar in eight.
RSI's thresholds compare a ratio of smoothed changes with a level, not prices: they compare as
doubles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from orchestrator import BarWindow
from strategies.base import SignalStrategy, param
from strategies.indicators import rolling_std, sma, wilder
from strategies.precision import price_vs_mean, tick_arrays

__all__ = ["BollingerReversionStrategy", "RsiReversionStrategy", "rsi"]

_U = 2.0**-53  # unit roundoff of float64


def rsi(close: np.ndarray, period: int) -> np.ndarray:
    """Wilder's Relative Strength Index of the closes (NaN for ``t < period``).

    Gains and losses are the positive and negative parts of ``close[t] - close[t - 1]``;
    each is smoothed with Wilder's average (seeded at bar ``period`` with the simple mean of
    the first ``period`` changes, then ``avg = (avg * (period - 1) + x) / period``).
    ``RSI = 100 * avg_gain / (avg_gain + avg_loss)``, i.e. ``100 - 100 / (1 + RS)``; 100 when
    there are no losses, 50 when the price has not moved at all.
    """
    x = np.asarray(close, dtype=np.float64)
    change = np.full(len(x), np.nan)
    change[1:] = np.diff(x)
    gain = np.maximum(change, 0.0)
    loss = np.maximum(-change, 0.0)
    avg_gain = wilder(gain, period, start=1)
    avg_loss = wilder(loss, period, start=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = 100.0 * avg_gain / (avg_gain + avg_loss)
    flat = (avg_gain == 0.0) & (avg_loss == 0.0)
    out[flat] = 50.0
    return out


class RsiReversionStrategy(SignalStrategy):
    """Buy when Wilder's RSI closes below ``oversold``; sell when it is at or above
    ``exit_level``. Decisions start at ``t = period`` (the first bar with an RSI)."""

    name = "rsi_reversion"
    description = "Buy when the RSI falls below the oversold level; sell when it recovers"

    @dataclass(frozen=True)
    class Params:
        period: int = param(14, min=2, max=200, step=1, help="Bars in Wilder's RSI")
        oversold: float = param(30.0, min=1.0, max=99.0, step=1.0, help="Buy below this RSI")
        exit_level: float = param(
            50.0, min=1.0, max=99.0, step=1.0, help="Sell at or above this RSI"
        )

    params: Params

    @classmethod
    def check_params(cls, params: Any) -> None:
        if params.oversold >= params.exit_level:
            raise cls.fail(
                f"oversold ({params.oversold:g}) must be < exit_level ({params.exit_level:g})"
            )

    @property
    def warmup(self) -> int:
        return self.params.period

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        value = rsi(bars.close, p.period)
        with np.errstate(invalid="ignore"):
            return value < p.oversold, value >= p.exit_level


class BollingerReversionStrategy(SignalStrategy):
    """Buy when the close is below the lower Bollinger Band; sell when it is back at or above
    the middle band.

    Middle band: the simple moving average of the last ``period`` closes (bar t included);
    lower band: middle - ``k`` x their population standard deviation (ddof = 0, as Bollinger
    defines it). Decisions start at ``t = period - 1``. Both comparisons are decided on the
    closes' own precision (see the module docstring).
    """

    name = "bollinger_reversion"
    description = "Buy below the lower Bollinger Band; sell at the middle band"

    @dataclass(frozen=True)
    class Params:
        period: int = param(20, min=2, max=500, step=1, help="Bars in the moving average")
        k: float = param(2.0, min=0.1, max=10.0, step=0.1, help="Band width in standard deviations")

    params: Params

    @property
    def warmup(self) -> int:
        return self.params.period - 1

    @property
    def decision_window(self) -> int:
        return self.params.period

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        close = bars.close
        middle = sma(close, p.period)
        std = rolling_std(close, p.period, middle)
        enter = _below_lower_band(close, middle, std, p.period, p.k)
        return enter, price_vs_mean(close, p.period, middle) >= 0.0


def _below_lower_band(
    close: np.ndarray, middle: np.ndarray, std: np.ndarray, n: int, k: float
) -> np.ndarray:
    """``close(t) < middle(t) - k * std(t)`` decided on the closes' own precision.

    ``middle`` is the correctly rounded SMA and ``std`` the two-pass population deviation
    around it. The bound covers, per window: each close's distance from its decimal (2 ulps of
    the window's largest price, in the close, the mean and, as std is 1-Lipschitz in the
    max norm, the std), the mean's rounding (which also shifts the two-pass std by at most as
    much), the sum of ``n`` squares, the square root, the product and the subtraction. It is
    doubled for safety; only windows within it need the exact integer decision.
    """
    out = np.zeros(len(close), dtype=bool)
    if len(close) < n:
        return out
    with np.errstate(invalid="ignore"):
        lower = middle - k * std
        gap = lower - close
        # No price of the window is further than sqrt(n) * std from its mean, so `size` bounds
        # every magnitude involved (prices, mean, band, gap up to 2 x): an ulp of any of them
        # is at most 2**-52 * size (x 2 for the gap).
        size = np.abs(middle) + (math.sqrt(n) + k + 1.0) * std
        bound = 2.0 * ((8.0 + 4.0 * k) * 2.0**-52 * size + (n + 10) * _U * k * std)
        out[:] = gap > bound
        doubtful = np.flatnonzero(np.abs(gap) <= bound)
    if not doubtful.size:
        return out
    grid = tick_arrays(close)
    if grid is None:
        return out  # off the grid: a tie within the rounding bound, no entry
    ticks = grid[0].tolist()
    ratio = Fraction(repr(float(k)))  # k as written: 0.1 is 1/10
    p2, q2 = ratio.numerator**2, ratio.denominator**2
    for t in doubtful.tolist():
        window = ticks[t - n + 1 : t + 1]
        total = sum(window)
        below = total - n * ticks[t]  # n * (mean - close), in ticks
        spread = n * sum(v * v for v in window) - total * total  # n**2 * variance
        out[t] = below > 0 and q2 * below * below > p2 * spread
    return out
