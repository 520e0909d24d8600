"""Mean-reversion strategies: buy a dip measured by Wilder's RSI or by Bollinger Bands, sell
when the price has recovered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orchestrator.core.market import BarWindow
from strategies.base import SignalStrategy, param
from strategies.indicators import rolling_std, sma, wilder

__all__ = ["BollingerReversionStrategy", "RsiReversionStrategy", "rsi"]


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
    defines it). Decisions start at ``t = period - 1``.
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
        lower = middle - p.k * rolling_std(close, p.period, middle)
        with np.errstate(invalid="ignore"):
            return close < lower, close >= middle
