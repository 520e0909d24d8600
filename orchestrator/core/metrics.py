"""Performance metrics: pure functions over an equity curve and a table of trades.

Conventions: returns are simple per-bar returns ``r_t = E_t / E_{t-1} - 1`` of the equity
curve ``E``; ``P`` is the number of periods (bars) per year; ``rf`` the annual risk-free rate,
taken per period as ``rf / P``. Fractions, not percent. Where a figure has no honest value
(one bar, a flat curve, no trades) the answer is NaN (or 0 for counts), never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PerformanceMetrics",
    "TradeColumns",
    "annual_volatility",
    "cagr",
    "calmar_ratio",
    "compute_metrics",
    "infer_periods_per_year",
    "max_drawdown",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
]

NAN = float("nan")
#: A trades table, or a mapping of its columns to arrays (what :func:`trade_stats` reads).
TradeColumns = pd.DataFrame | Mapping[str, Any]


@dataclass(frozen=True, eq=False)  # eq below (NaN equals NaN), so unhashable
class PerformanceMetrics:
    """The figures reported for each strategy and for the portfolio (fractions, not percent)."""

    total_return: float
    cagr: float
    annual_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    calmar_ratio: float
    max_drawdown: float
    max_drawdown_duration: int
    num_trades: int
    win_rate: float
    profit_factor: float
    avg_trade_return: float
    best_trade_return: float
    worst_trade_return: float
    exposure: float
    total_costs: float

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __eq__(self, other: object) -> bool:
        """Equal when every figure is equal, NaN matching NaN."""
        if not isinstance(other, PerformanceMetrics):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a != b and not (_isnan(a) and _isnan(b)):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def _isnan(x: object) -> bool:
    return isinstance(x, float) and math.isnan(x)


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Infer bars per year from the spacing of ``index``.

    Daily bars: 365 when more than 10 % of the bars fall on a weekend (a 7-day calendar such as
    crypto), else 252. Otherwise ``365.25 days / median spacing`` rounded (weekly gives 52,
    monthly 12), and for intraday bars 252 trading days (365 for a 7-day calendar) times the
    median number of bars per day. Fewer than two bars give 252.
    """
    if len(index) < 2:
        return 252.0
    # asi8 counts in the index's own unit (pandas 3 defaults to microseconds): use ns.
    spacing = np.diff(pd.DatetimeIndex(index).as_unit("ns").asi8)
    median_days = float(np.median(spacing)) / 86_400e9
    if median_days <= 0:
        return 252.0
    if median_days < 0.9:
        per_day = pd.Series(1, index=index).groupby(index.normalize()).size()
        days = 365.0 if _seven_day(index) else 252.0
        return days * float(per_day.median())
    if median_days < 1.5 or (median_days < 4 and len(index) < 10):
        return 365.0 if _seven_day(index) else 252.0
    return float(round(365.25 / median_days))


def _seven_day(index: pd.DatetimeIndex) -> bool:
    """A 7-day calendar: more than 10 % of the bars fall on a weekend (a full one has 2/7),
    so a stray weekend bar in a stock's history does not change the annualisation."""
    return bool(np.mean(index.day_of_week >= 5) > 0.1)


def _returns(equity: np.ndarray) -> np.ndarray:
    prev = equity[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev != 0, equity[1:] / prev - 1.0, 0.0)
    return r


def total_return(equity: np.ndarray) -> float:
    """``E_end / E_0 - 1``; NaN when ``E_0`` is 0 or there are no bars."""
    if len(equity) == 0 or equity[0] == 0:
        return NAN
    return float(equity[-1] / equity[0] - 1.0)


def cagr(equity: np.ndarray, periods_per_year: float) -> float:
    """Compound annual growth ``(E_end / E_0) ** (P / (n - 1)) - 1`` over ``n`` bars.

    NaN with fewer than two bars, a zero start or a non-positive end.
    """
    n = len(equity)
    if n < 2 or equity[0] <= 0 or equity[-1] <= 0:
        return NAN
    return float((equity[-1] / equity[0]) ** (periods_per_year / (n - 1)) - 1.0)


def annual_volatility(equity: np.ndarray, periods_per_year: float) -> float:
    """``std(r, ddof=1) * sqrt(P)``; NaN with fewer than three bars."""
    r = _returns(equity)
    if len(r) < 2:
        return NAN
    return float(np.std(r, ddof=1) * math.sqrt(periods_per_year))


def sharpe_ratio(equity: np.ndarray, periods_per_year: float, risk_free_rate: float = 0.0) -> float:
    """``mean(r - rf/P) / std(r, ddof=1) * sqrt(P)``; NaN for a flat curve or < 3 bars."""
    r = _returns(equity)
    if len(r) < 2:
        return NAN
    sd = float(np.std(r, ddof=1))
    if not sd > 1e-15:
        return NAN
    excess = r - risk_free_rate / periods_per_year
    return float(np.mean(excess) / sd * math.sqrt(periods_per_year))


def sortino_ratio(
    equity: np.ndarray, periods_per_year: float, risk_free_rate: float = 0.0
) -> float:
    """``mean(r - rf/P) / sqrt(mean(min(0, r - rf/P)^2)) * sqrt(P)``.

    NaN when there is no downside (no return below the risk-free rate) or fewer than 3 bars.
    """
    r = _returns(equity)
    if len(r) < 2:
        return NAN
    excess = r - risk_free_rate / periods_per_year
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if not downside > 1e-15:
        return NAN
    return float(np.mean(excess) / downside * math.sqrt(periods_per_year))


def max_drawdown(equity: np.ndarray) -> tuple[float, int]:
    """Return (max drawdown, longest time under water in bars).

    Drawdown ``D_t = E_t / max_{s<=t} E_s - 1`` (<= 0); the max drawdown is ``min D_t`` (so
    -0.25 means a 25 % fall from a peak). The duration is the longest run of bars spent below a
    previous peak, recovered or not. A curve that never reaches above 0 gives (NaN, 0).
    """
    if len(equity) == 0 or not np.any(equity > 0):
        return NAN, 0
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, equity / peak - 1.0, 0.0)
    under = dd < -1e-12
    longest = 0
    if under.any():
        # Edges of the runs of bars under water: +1 where one starts, -1 after it ends.
        edges = np.zeros(len(under) + 2, dtype=np.int8)
        edges[1:-1] = under.view(np.int8)
        idx = np.flatnonzero(edges[1:] != edges[:-1])
        longest = int((idx[1::2] - idx[::2]).max())
    return float(dd.min()), longest


def calmar_ratio(equity: np.ndarray, periods_per_year: float) -> float:
    """``CAGR / |max drawdown|``; NaN when there is no drawdown."""
    mdd, _ = max_drawdown(equity)
    if not mdd < 0:
        return NAN
    return cagr(equity, periods_per_year) / abs(mdd)


def _column(trades: TradeColumns, name: str) -> np.ndarray:
    values = trades[name]
    if isinstance(values, pd.Series):
        return values.to_numpy()
    return np.asarray(values)


def _total(values: np.ndarray) -> float:
    """The sum as pandas' ``Series.sum`` takes it (NaN skipped): the same pairwise sum."""
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    return float(np.where(nan, 0.0, values).sum() if nan.any() else values.sum())


def trade_stats(trades: TradeColumns) -> dict[str, float]:
    """Count, win rate, profit factor and average/best/worst return of the closed trades.

    Win rate = winners / closed trades; profit factor = gross profit / gross loss (inf when
    there are winners and no losers, NaN when there are neither); returns are ``return_pct``.
    Costs are the commission and slippage of every trade, open ones included.

    ``trades`` is a trades table or any mapping of its columns (``pnl``, ``return_pct``,
    ``is_open``, ``commission``, ``slippage``) to numpy arrays: the engine passes slices of
    the run's one column table, so no per-sleeve frame is filtered.
    """
    # A mapping without columns (a run without trades) has no rows either.
    size = len(trades) if isinstance(trades, pd.DataFrame) else len(trades.get("pnl", ()))
    costs = 0.0
    n = 0
    if size:
        costs = _total(_column(trades, "commission")) + _total(_column(trades, "slippage"))
        pnl = _column(trades, "pnl").astype(np.float64, copy=False)
        ret = _column(trades, "return_pct").astype(np.float64, copy=False)
        closed = ~_column(trades, "is_open").astype(bool)
        if not closed.all():
            pnl, ret = pnl[closed], ret[closed]
        n = len(pnl)
    if n == 0:
        return {
            "num_trades": 0,
            "win_rate": NAN,
            "profit_factor": NAN,
            "avg_trade_return": NAN,
            "best_trade_return": NAN,
            "worst_trade_return": NAN,
            "total_costs": costs,
        }
    wins = pnl > 0
    profit = float(pnl[wins].sum())
    loss = float(-pnl[pnl < 0].sum())
    pf = profit / loss if loss > 0 else (math.inf if profit > 0 else NAN)
    finite = bool(np.isfinite(ret).any())
    if finite and not np.isnan(ret).any():  # then the NaN-skipping reductions give these
        avg, best, worst = ret.mean(), ret.max(), ret.min()
    elif finite:
        avg, best, worst = np.nanmean(ret), np.nanmax(ret), np.nanmin(ret)
    return {
        "num_trades": n,
        "win_rate": float(wins.sum() / n),
        "profit_factor": pf,
        "avg_trade_return": float(avg) if finite else NAN,
        "best_trade_return": float(best) if finite else NAN,
        "worst_trade_return": float(worst) if finite else NAN,
        "total_costs": costs,
    }


def compute_metrics(
    equity: np.ndarray,
    trades: TradeColumns,
    exposure: float,
    periods_per_year: float,
    risk_free_rate: float = 0.0,
) -> PerformanceMetrics:
    """Compute every :class:`PerformanceMetrics` figure for one equity curve and its trades.

    ``exposure`` is the share of bars during which a position was held (computed by the
    caller, who knows the positions). ``trades`` is a trades table or a mapping of its columns
    (see :func:`trade_stats`). The figures are those of the functions above, bit for bit; the
    returns and the drawdown are computed once and shared.
    """
    equity = np.asarray(equity, dtype=float)
    mdd, duration = max_drawdown(equity)
    r = _returns(equity)
    p = periods_per_year
    root = math.sqrt(p)
    growth = cagr(equity, p)
    if len(r) < 2:
        vol = sharpe = sortino = NAN
    else:
        sd = float(np.std(r, ddof=1))
        vol = float(sd * root)
        excess = r - risk_free_rate / p
        mean = np.mean(excess)
        sharpe = float(mean / sd * root) if sd > 1e-15 else NAN
        downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
        sortino = float(mean / downside * root) if downside > 1e-15 else NAN
    return PerformanceMetrics(
        total_return=total_return(equity),
        cagr=growth,
        annual_volatility=vol,
        sharpe_ratio=sharpe,
        sortino_ratio=sortino,
        calmar_ratio=growth / abs(mdd) if mdd < 0 else NAN,
        max_drawdown=mdd,
        max_drawdown_duration=duration,
        exposure=float(exposure),
        **trade_stats(trades),  # type: ignore[arg-type]
    )
