"""Tests of orchestrator.core.metrics: hand-computed figures, period inference and edge cases."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestrator.core.metrics import (
    PerformanceMetrics,
    annual_volatility,
    cagr,
    calmar_ratio,
    compute_metrics,
    infer_periods_per_year,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    trade_stats,
)
from orchestrator.core.results import trades_frame

# The reference curve: returns r = [0.1, -0.1, 0.0, 121/99 - 1 = 2/9].
CURVE = np.array([100.0, 110.0, 99.0, 99.0, 121.0])
# mean(r) = (0.1 - 0.1 + 0 + 2/9) / 4 = 1/18. Deviations from the mean, in 45ths:
# 2/45, -7/45, -2.5/45, 7.5/45; squares sum to 115.5 / 2025; ddof=1 variance = 38.5 / 2025,
# so std(r) = sqrt(38.5) / 45.
MEAN = 1 / 18
STD = math.sqrt(38.5) / 45


def test_total_return_end_over_start() -> None:
    assert total_return(CURVE) == pytest.approx(0.21, abs=1e-15)
    assert total_return(np.array([50.0, 40.0])) == pytest.approx(-0.2, abs=1e-15)


def test_cagr_annualised_over_bars_minus_one() -> None:
    assert cagr(CURVE, 252) == pytest.approx(1.21 ** (252 / 4) - 1, rel=1e-12)
    # One year of daily bars (253 points = 252 periods) growing 10 %: CAGR is 10 %.
    year = np.linspace(100.0, 110.0, 253)
    assert cagr(year, 252) == pytest.approx(0.10, rel=1e-12)
    # Two years of weekly bars growing 21 %: sqrt(1.21) - 1 = 10 % a year.
    assert cagr(np.linspace(100.0, 121.0, 105), 52) == pytest.approx(0.10, rel=1e-12)


def test_annual_volatility_sample_std_times_sqrt_periods() -> None:
    assert annual_volatility(CURVE, 252) == pytest.approx(STD * math.sqrt(252), rel=1e-12)
    assert STD * math.sqrt(252) == pytest.approx(2.18885, rel=1e-5)


def test_sharpe_ratio_without_risk_free() -> None:
    # (1/18) / (sqrt(38.5)/45) * sqrt(252) = 2.5 * sqrt(252 / 38.5) = 6.39602...
    expected = 2.5 * math.sqrt(252 / 38.5)
    assert sharpe_ratio(CURVE, 252) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(6.396021, rel=1e-6)


def test_sharpe_ratio_with_risk_free_per_period() -> None:
    # rf = 5.04 % a year is 0.0002 per bar at 252 bars a year.
    expected = (MEAN - 0.0002) / STD * math.sqrt(252)
    assert sharpe_ratio(CURVE, 252, 0.0504) == pytest.approx(expected, rel=1e-12)
    assert sharpe_ratio(CURVE, 252, 0.0504) < sharpe_ratio(CURVE, 252)


def test_sortino_ratio_downside_deviation() -> None:
    # Only -0.1 is below 0: downside = sqrt(0.01 / 4) = 0.05; (1/18) / 0.05 * sqrt(252).
    expected = MEAN / 0.05 * math.sqrt(252)
    assert sortino_ratio(CURVE, 252) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(17.63834, rel=1e-6)


def test_sortino_ratio_with_risk_free_counts_returns_below_it() -> None:
    # rf per bar 0.0002: excess = [0.0998, -0.1002, -0.0002, 2/9 - 0.0002].
    excess = np.array([0.1, -0.1, 0.0, 2 / 9]) - 0.0002
    downside = math.sqrt((0.1002**2 + 0.0002**2) / 4)
    expected = float(np.mean(excess)) / downside * math.sqrt(252)
    assert sortino_ratio(CURVE, 252, 0.0504) == pytest.approx(expected, rel=1e-12)


def test_max_drawdown_depth_and_duration() -> None:
    # Peaks 100, 110, 110, 110, 121: drawdowns 0, 0, -10 %, -10 %, 0 -> 2 bars under water.
    mdd, duration = max_drawdown(CURVE)
    assert mdd == pytest.approx(-0.1, abs=1e-15)
    assert duration == 2


def test_max_drawdown_duration_longest_run_even_if_shallower() -> None:
    # Runs under water: [90] (1 bar, -10 %), then [95, 94, 93] (3 bars, at most -7 %).
    mdd, duration = max_drawdown(np.array([100.0, 90.0, 100.0, 95.0, 94.0, 93.0, 120.0]))
    assert mdd == pytest.approx(-0.1, abs=1e-15)
    assert duration == 3


def test_max_drawdown_unrecovered_counts_to_end() -> None:
    mdd, duration = max_drawdown(np.array([100.0, 90.0, 95.0, 80.0]))
    assert mdd == pytest.approx(-0.2, abs=1e-15)
    assert duration == 3


def test_calmar_ratio_cagr_over_drawdown() -> None:
    assert calmar_ratio(CURVE, 252) == pytest.approx((1.21 ** (252 / 4) - 1) / 0.1, rel=1e-12)
    assert math.isnan(calmar_ratio(np.array([1.0, 2.0, 3.0]), 252))  # no drawdown


# ---- trades ----------------------------------------------------------------------------------


def trades(rows: list[dict[str, Any]]) -> pd.DataFrame:
    t = pd.Timestamp("2024-01-02")
    base = {
        "strategy_id": "s",
        "symbol": "X",
        "entry_time": t,
        "entry_price": 10.0,
        "exit_time": t,
        "exit_price": 11.0,
        "quantity": 1.0,
        "commission": 0.0,
        "slippage": 0.0,
        "bars_held": 1,
        "is_open": False,
    }
    return trades_frame([{**base, **row} for row in rows])


TRADES = trades(
    [
        {"pnl": 100.0, "return_pct": 0.10, "commission": 1.0, "slippage": 0.5},
        {"pnl": -50.0, "return_pct": -0.05, "commission": 1.0, "slippage": 0.25},
        {"pnl": 30.0, "return_pct": 0.03, "commission": 2.0, "slippage": 0.0},
        {"pnl": -20.0, "return_pct": -0.02, "commission": 0.5, "slippage": 0.0},
        {"pnl": 999.0, "return_pct": 0.50, "commission": 3.0, "slippage": 1.0, "is_open": True},
    ]
)


def test_trade_stats_closed_trades_by_hand() -> None:
    stats = trade_stats(TRADES)
    assert stats["num_trades"] == 4  # the open trade is not counted
    assert stats["win_rate"] == 0.5
    assert stats["profit_factor"] == pytest.approx(130 / 70, rel=1e-12)
    assert stats["avg_trade_return"] == pytest.approx(0.015, abs=1e-15)
    assert stats["best_trade_return"] == 0.10
    assert stats["worst_trade_return"] == -0.05
    # Costs include the open trade's: 1 + .5 + 1 + .25 + 2 + .5 + 3 + 1.
    assert stats["total_costs"] == pytest.approx(9.25, abs=1e-12)


def test_trade_stats_no_losers_profit_factor_inf() -> None:
    stats = trade_stats(
        trades([{"pnl": 5.0, "return_pct": 0.05}, {"pnl": 1.0, "return_pct": 0.01}])
    )
    assert stats["profit_factor"] == math.inf
    assert stats["win_rate"] == 1.0


def test_trade_stats_only_breakeven_profit_factor_nan() -> None:
    stats = trade_stats(trades([{"pnl": 0.0, "return_pct": 0.0}]))
    assert math.isnan(stats["profit_factor"])
    assert stats["win_rate"] == 0.0
    assert stats["num_trades"] == 1


def test_trade_stats_no_losers_no_winners_but_losses_only_profit_factor_zero() -> None:
    stats = trade_stats(trades([{"pnl": -5.0, "return_pct": -0.05}]))
    assert stats["profit_factor"] == 0.0
    assert stats["win_rate"] == 0.0


@pytest.mark.parametrize("frame", [trades([]), trades_frame([])])
def test_trade_stats_no_trades_nan_and_zero(frame: pd.DataFrame) -> None:
    stats = trade_stats(frame)
    assert stats["num_trades"] == 0
    assert stats["total_costs"] == 0.0
    for key in ("win_rate", "profit_factor", "avg_trade_return", "best_trade_return"):
        assert math.isnan(stats[key])
    assert math.isnan(stats["worst_trade_return"])


def test_trade_stats_only_open_trades_costs_counted() -> None:
    stats = trade_stats(
        trades([{"pnl": 9.0, "return_pct": 0.9, "commission": 2.0, "is_open": True}])
    )
    assert stats["num_trades"] == 0
    assert math.isnan(stats["win_rate"])
    assert stats["total_costs"] == 2.0


# ---- compute_metrics -------------------------------------------------------------------------


def test_compute_metrics_every_field_by_hand() -> None:
    m = compute_metrics(CURVE, TRADES, 0.6, 252, 0.0)
    assert m.total_return == pytest.approx(0.21, abs=1e-15)
    assert m.cagr == pytest.approx(1.21**63 - 1, rel=1e-12)
    assert m.annual_volatility == pytest.approx(STD * math.sqrt(252), rel=1e-12)
    assert m.sharpe_ratio == pytest.approx(2.5 * math.sqrt(252 / 38.5), rel=1e-12)
    assert m.sortino_ratio == pytest.approx(MEAN / 0.05 * math.sqrt(252), rel=1e-12)
    assert m.calmar_ratio == pytest.approx((1.21**63 - 1) / 0.1, rel=1e-12)
    assert m.max_drawdown == pytest.approx(-0.1, abs=1e-15)
    assert m.max_drawdown_duration == 2
    assert m.num_trades == 4
    assert m.win_rate == 0.5
    assert m.profit_factor == pytest.approx(130 / 70, rel=1e-12)
    assert m.avg_trade_return == pytest.approx(0.015, abs=1e-15)
    assert (m.best_trade_return, m.worst_trade_return) == (0.10, -0.05)
    assert m.exposure == 0.6
    assert m.total_costs == pytest.approx(9.25, abs=1e-12)
    assert set(m.to_dict()) == {
        "total_return",
        "cagr",
        "annual_volatility",
        "sharpe_ratio",
        "sortino_ratio",
        "calmar_ratio",
        "max_drawdown",
        "max_drawdown_duration",
        "num_trades",
        "win_rate",
        "profit_factor",
        "avg_trade_return",
        "best_trade_return",
        "worst_trade_return",
        "exposure",
        "total_costs",
    }


def _nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def test_compute_metrics_no_trades_one_bar_nan_never_raises() -> None:
    m = compute_metrics(np.array([1000.0]), trades_frame([]), 0.0, 252)
    assert m.total_return == 0.0
    assert all(_nan(x) for x in (m.cagr, m.annual_volatility, m.sharpe_ratio, m.sortino_ratio))
    assert _nan(m.calmar_ratio)
    assert (m.max_drawdown, m.max_drawdown_duration) == (0.0, 0)
    assert (m.num_trades, m.total_costs, m.exposure) == (0, 0.0, 0.0)
    assert _nan(m.win_rate)
    assert _nan(m.profit_factor)
    assert _nan(m.avg_trade_return)


def test_compute_metrics_flat_curve_zero_return_nan_ratios() -> None:
    m = compute_metrics(np.full(10, 500.0), trades_frame([]), 0.0, 252)
    assert (m.total_return, m.cagr, m.annual_volatility) == (0.0, 0.0, 0.0)
    assert _nan(m.sharpe_ratio)
    assert _nan(m.sortino_ratio)
    assert _nan(m.calmar_ratio)
    assert (m.max_drawdown, m.max_drawdown_duration) == (0.0, 0)


def test_compute_metrics_all_zero_curve_nan_never_raises() -> None:
    with np.errstate(all="raise"):
        m = compute_metrics(np.zeros(5), trades_frame([]), 0.0, 252)
    assert _nan(m.total_return)
    assert _nan(m.cagr)
    assert _nan(m.sharpe_ratio)
    assert _nan(m.max_drawdown)
    assert m.max_drawdown_duration == 0
    assert m.annual_volatility == 0.0


def test_compute_metrics_empty_curve_nan_never_raises() -> None:
    m = compute_metrics(np.array([]), trades_frame([]), 0.0, 252)
    assert _nan(m.total_return)
    assert _nan(m.cagr)
    assert _nan(m.annual_volatility)
    assert _nan(m.max_drawdown)
    assert m.max_drawdown_duration == 0


def test_compute_metrics_two_bars_volatility_nan() -> None:
    m = compute_metrics(np.array([100.0, 110.0]), trades_frame([]), 0.5, 252)
    assert m.total_return == pytest.approx(0.1)
    assert m.cagr == pytest.approx(1.1**252 - 1, rel=1e-12)
    assert _nan(m.annual_volatility)
    assert _nan(m.sharpe_ratio)


def test_compute_metrics_curve_to_zero_cagr_nan_drawdown_total() -> None:
    m = compute_metrics(np.array([100.0, 50.0, 0.0]), trades_frame([]), 1.0, 252)
    assert m.total_return == -1.0
    assert _nan(m.cagr)
    assert m.max_drawdown == -1.0
    assert _nan(m.calmar_ratio)


def test_compute_metrics_rising_curve_sortino_nan_no_downside() -> None:
    m = compute_metrics(np.array([1.0, 2.0, 3.0, 5.0]), trades_frame([]), 1.0, 252)
    assert _nan(m.sortino_ratio)
    assert m.sharpe_ratio > 0


def test_performance_metrics_equality_nan_matches_nan() -> None:
    a = compute_metrics(np.array([1.0]), trades_frame([]), 0.0, 252)
    b = compute_metrics(np.array([1.0]), trades_frame([]), 0.0, 252)
    assert a == b
    c = compute_metrics(np.array([2.0, 1.0]), trades_frame([]), 0.0, 252)
    assert a != c
    assert a != "not metrics"
    assert PerformanceMetrics.__hash__ is None


# ---- periods per year ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (pd.bdate_range("2024-01-01", periods=60), 252.0),
        (pd.date_range("2024-01-01", periods=60, freq="D"), 365.0),
        (pd.date_range("2024-01-07", periods=60, freq="W"), 52.0),
        (pd.date_range("2020-01-01", periods=36, freq="MS"), 12.0),
        (pd.date_range("2020-01-01", periods=12, freq="QS"), 4.0),
        (pd.DatetimeIndex(["2024-01-05", "2024-01-08"]), 252.0),  # Fri, Mon: a weekday gap
        (pd.DatetimeIndex(["2024-01-06", "2024-01-07", "2024-01-08"]), 365.0),  # Sat, Sun, Mon
        (pd.DatetimeIndex(["2024-01-02"]), 252.0),
        (pd.DatetimeIndex([]), 252.0),
    ],
)
def test_infer_periods_per_year_from_spacing(index: pd.DatetimeIndex, expected: float) -> None:
    assert infer_periods_per_year(index) == expected


def test_infer_periods_per_year_weekday_daily_with_holidays_252() -> None:
    days = pd.bdate_range("2024-01-01", periods=250)
    holidays = days.delete([0, 14, 35, 100, 180])
    assert infer_periods_per_year(holidays) == 252.0


def test_infer_periods_per_year_intraday_bars_per_day_times_252() -> None:
    # Seven hourly bars (9:30 .. 15:30) on each of 10 weekdays.
    days = pd.bdate_range("2024-01-01", periods=10)
    hours = pd.timedelta_range("9h30min", periods=7, freq="h")
    index = pd.DatetimeIndex([d + h for d in days for h in hours])
    assert infer_periods_per_year(index) == 252.0 * 7
    minutes = pd.date_range("2024-01-02 09:30", periods=390, freq="min")
    assert infer_periods_per_year(minutes) == 252.0 * 390
