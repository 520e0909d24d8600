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
RSI's levels are decided on the closes' precision as well (:func:`rsi_order`): on the grid,
``RSI >= level`` is ``E = (100 - level) * avg_gain - level * avg_loss >= 0``, with the level
as written, and ``E`` is exact in integer ticks while it stays an integer. That is where every
exact tie lives: at the seed above all (of 4,000 random 40-bar decimal series, periods 2 to 14,
one in seven hit one of seven round levels exactly, 626 bars, 438 of them at the seed, and the
doubles put 176 of those below the level). Once ``E`` has a denominator, Wilder's step
``E = ((n - 1) * E + y) / n`` with an integer ``y`` only deepens it, so ``E`` is never 0
again. From then on the doubles decide, with a rigorous bound; the rare bar within it is
settled exactly in big integers (the last steps, with a bound on the older tail). Off the grid
a bar within that bound is a tie.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from orchestrator import BarWindow
from strategies.base import SignalStrategy, param
from strategies.indicators import rolling_std, sma, wilder
from strategies.precision import grid, price_vs_mean, tick_arrays

__all__ = ["BollingerReversionStrategy", "RsiReversionStrategy", "rsi", "rsi_order"]

_U = 2.0**-53  # unit roundoff of float64


def rsi(close: np.ndarray, period: int) -> np.ndarray:
    """Wilder's Relative Strength Index of the closes (NaN for ``t < period``).

    Gains and losses are the positive and negative parts of ``close[t] - close[t - 1]``;
    each is smoothed with Wilder's average (seeded at bar ``period`` with the simple mean of
    the first ``period`` changes, then ``avg = (avg * (period - 1) + x) / period``).
    ``RSI = 100 * avg_gain / (avg_gain + avg_loss)``, i.e. ``100 - 100 / (1 + RS)``; 100 when
    there are no losses, 50 when the price has not moved at all.
    """
    avg_gain, avg_loss = _smoothed_moves(np.asarray(close, dtype=np.float64), period)
    return _rsi_of(avg_gain, avg_loss)


def _smoothed_moves(x: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilder's averages of the gains and of the losses (NaN for ``t < period``)."""
    change = np.full(len(x), np.nan)
    change[1:] = np.diff(x)
    gain = np.maximum(change, 0.0)
    loss = np.maximum(-change, 0.0)
    return wilder(gain, period, start=1), wilder(loss, period, start=1)


def _rsi_of(avg_gain: np.ndarray, avg_loss: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = 100.0 * avg_gain / (avg_gain + avg_loss)
    flat = (avg_gain == 0.0) & (avg_loss == 0.0)
    out[flat] = 50.0
    return out


def rsi_order(close: np.ndarray, period: int, levels: Sequence[float]) -> list[np.ndarray]:
    """Sign of ``RSI(t) - level`` per bar for each level (NaN for ``t < period``), decided on
    the closes' own precision (see the module docstring).

    On the decimal grid the RSI is computed from the integer tick changes, which doubles hold
    exactly (the RSI is a ratio: the unit does not matter), and the exact integer phase settles
    every tie. After it, a bar is decided by the doubles when ``|RSI - level|`` beats the bound
    ``200 * (8 * u * (steps + 2) + 4 * u)``: ``3 * u`` per Wilder step bounds its rounding
    relative to the average (each step's errors decay as fast as its contribution does), the
    rest the seed and the final ratio, all doubled. Off the grid, where the changes are the
    doubles' own differences, a bar within the bound is a tie.
    """
    n = period
    found = grid(close)
    # Ticks as doubles are exact (below 2**51) and so are their differences.
    x = np.asarray(close, dtype=np.float64) if found is None else found[1][0].astype(np.float64)
    avg_gain, avg_loss = _smoothed_moves(x, n)
    value = _rsi_of(avg_gain, avg_loss)
    steps = np.arange(len(x), dtype=np.float64) - n
    bound = 200.0 * (8.0 * _U * (steps + 2.0) + 4.0 * _U)
    with np.errstate(invalid="ignore"):
        # Averages near underflow lose the relative error the bound relies on: doubtful.
        tiny = (avg_gain + avg_loss < 2.0**-900) & ~((avg_gain == 0.0) & (avg_loss == 0.0))
    out = []
    for level in levels:
        with np.errstate(invalid="ignore"):
            diff = value - level
            sign = np.where(np.abs(diff) <= bound, 0.0, np.sign(diff))
            doubtful = (np.abs(diff) <= bound) | tiny
        sign[:n] = np.nan
        doubtful[:n] = False
        if found is not None and len(x) > n:
            _exact_rsi_signs(found[1][0], n, Fraction(repr(float(level))), sign, doubtful)
        out.append(sign)
    return out


def _exact_rsi_signs(
    ticks: np.ndarray, n: int, level: Fraction, sign: np.ndarray, doubtful: np.ndarray
) -> None:
    """Overwrite ``sign`` with the exact sign of ``RSI - level`` over the integer phase (from
    the seed at bar ``n`` while ``E`` is an integer) and at every ``doubtful`` bar after it.

    ``E_t = a * avg_gain - b * avg_loss`` in ticks, ``a = 100 * q - p`` and ``b = p`` for
    ``level = p / q``: ``E_n = sum(y[1 : n + 1]) / n``, ``E_t = ((n - 1) * E_{t-1} + y_t) / n``
    with ``y = a * change`` on a gain and ``b * change`` on a loss. While every change so far
    is 0 the RSI is 50 by definition, not a tie with the level.
    """
    a = 100 * level.denominator - level.numerator
    b = level.numerator
    fifty = float((Fraction(50) > level) - (Fraction(50) < level))
    diffs = np.diff(ticks)

    def y(d: int) -> int:
        return a * d if d > 0 else b * d

    moved = False
    numerator = 0
    for d in diffs[:n].tolist():
        numerator += y(d)
        moved = moved or d != 0
    t, last, m = n, len(ticks) - 1, n - 1
    while True:  # the integer phase: E_t = numerator / n
        sign[t] = float((numerator > 0) - (numerator < 0)) if moved else fifty
        if numerator % n or t == last:
            break
        t += 1
        d = int(diffs[t - 1])
        moved = moved or d != 0
        numerator = m * (numerator // n) + y(d)
    later = np.flatnonzero(doubtful[t + 1 :]) + t + 1
    if not later.size:
        return
    changes = diffs.tolist()
    y_max = max(abs(a), abs(b)) * int(np.abs(diffs).max())  # E averages the y: |E| <= y_max
    for u in later.tolist():
        sign[u] = _sign_after(changes, y, n, t, numerator, u, y_max)


def _sign_after(
    changes: list[int], y: Callable[[int], int], n: int, t: int, e_t: int, u: int, y_max: int
) -> float:
    """The exact sign of ``E_u`` for ``u`` past the integer phase, which ended at ``t`` with
    ``E_t = e_t / n`` (non-zero, as is every later ``E``).

    ``E_u = (m / n)**K * E_(u-K) + S_K`` with ``S_K`` the last ``K`` steps from 0 and
    ``|E_(u-K)| <= y_max``: the sign of ``S_K`` is ``E_u``'s once ``|S_K|`` exceeds that tail.
    ``K`` doubles from 64 until it does, or until the window reaches ``t`` and is exact. Big
    integers of ``K * log2(n)`` bits, not of the whole history.
    """
    m, k = n - 1, 64
    while True:
        start = max(t, u - k)
        numerator, power = (e_t, n) if start == t else (0, 1)  # S = numerator / power
        for d in changes[start:u]:  # the changes of bars start + 1 .. u
            numerator = m * numerator + y(d) * power
            power *= n
        if start == t or abs(numerator) > m ** (u - start) * y_max:
            return float((numerator > 0) - (numerator < 0))
        k *= 2


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
        below, at_exit = rsi_order(bars.close, p.period, (p.oversold, p.exit_level))
        return below < 0.0, at_exit >= 0.0


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
