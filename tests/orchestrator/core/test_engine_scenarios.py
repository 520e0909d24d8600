"""Hand-computed runs: every fill, cost and equity value is worked out here, to the cent.

Conventions used in the arithmetic below (see orchestrator.core.execution):
- a buy fills at ``price * (1 + slip)``, a sell at ``price * (1 - slip)``;
- commission of ``q`` units at fill ``p`` is ``max(min, rate * q * p + per_share * q)``;
- an entry's budget is equity / slots (slots = symbols the strategy trades), equity measured at
  the latest closes; the quantity is the largest whole number whose cost fits the budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyOrchestrator,
    StrategyState,
)
from tests.conftest import ohlc

CENT = 1e-6  # comparisons are far tighter than a cent; only float rounding is allowed


def frame(
    opens: Sequence[float], closes: Sequence[float], start: str = "2024-01-01", freq: str = "D"
) -> pd.DataFrame:
    """Shared bars from explicit opens and closes (the scenarios' own order of arguments)."""
    return ohlc(closes, opens, volume=1.0, start=start, freq=freq)


class Scripted:
    """Enters and exits on given bar indices (0-based, per symbol); records its state."""

    def __init__(
        self,
        name: str,
        enter: dict[str, set[int]],
        exit_: dict[str, set[int]] | None = None,
        symbols: list[str] | None = None,
    ) -> None:
        self.name = name
        self.enter = enter
        self.exit = exit_ or {}
        if symbols is not None:
            self.symbols = symbols
        self.states: list[tuple[str, int, float, float | None, float, float]] = []

    def _record(self, bars: BarWindow, state: StrategyState) -> int:
        i = len(bars) - 1
        self.states.append(
            (state.symbol, i, state.position, state.entry_price, state.cash, state.equity)
        )
        return i

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._record(bars, state) in self.enter.get(state.symbol, set())

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._record(bars, state) in self.exit.get(state.symbol, set())


def approx(values: Sequence[float] | float) -> Any:
    return pytest.approx(values, abs=CENT)


# ---- two strategies x two symbols with costs -------------------------------------------------
#
# Mon 2024-01-01 .. Fri 2024-01-05.   AAA open/close        BBB open/close
#   t0                                   100 / 100             50 / 50
#   t1                                   101 / 102             49 / 48
#   t2                                   103 / 104             47 / 46
#   t3                                   105 / 106             45 / 44
#   t4                                   107 / 108             43 / 42
# alpha (weight 0.6 of 10,000 = 6,000; AAA and BBB, so 2 slots): enter both at t0, exit AAA at t2.
# beta (weight 0.3 = 3,000; BBB only, 1 slot): enter BBB at t1, exit at t3.
# Unallocated: 1,000. Costs: 0.1 % + 0.01 per share, minimum 1; slippage 10 bps.

DATA = {
    "AAA": frame([100, 101, 103, 105, 107], [100, 102, 104, 106, 108]),
    "BBB": frame([50, 49, 47, 45, 43], [50, 48, 46, 44, 42]),
}
COSTS: dict[str, Any] = {
    "commission_rate": 0.001,
    "commission_per_share": 0.01,
    "commission_min": 1.0,
    "slippage_bps": 10,
}


def two_by_two(**config: Any) -> tuple[OrchestratorResult, Scripted, Scripted]:
    alpha = Scripted("alpha", {"AAA": {0}, "BBB": {0}}, {"AAA": {2}})
    beta = Scripted("beta", {"BBB": {1}}, {"BBB": {3}}, symbols=["BBB"])
    orch = StrategyOrchestrator(
        [(alpha, 0.6), (beta, 0.3)], 10_000, OrchestratorConfig(**COSTS, **config)
    )
    return orch.run(DATA), alpha, beta


def test_scenario_two_by_two_next_open_equity_and_trades_by_hand() -> None:
    result, alpha_s, _ = two_by_two()
    # alpha: signals at t0 fill at t1's open. Budget 6000 / 2 = 3000 per symbol.
    # AAA at 101 -> 101 * 1.001 = 101.101. One unit costs 101.101 * 1.001 + 0.01 = 101.212101,
    # 3000 / 101.212101 = 29.6 -> 29 units: 29 * 101.101 = 2931.929,
    # commission 0.001 * 2931.929 + 0.01 * 29 = 3.221929, cost 2935.150929.
    aaa_cost = 29 * 101.101 + (0.001 * 29 * 101.101 + 0.29)
    assert aaa_cost == approx(2935.150929)
    # BBB at 49 -> 49.049; unit 49.108049; 3000 / 49.108049 = 61.09 -> 61 units:
    # 61 * 49.049 = 2991.989, commission 2.991989 + 0.61 = 3.601989, cost 2995.590989.
    bbb_cost = 61 * 49.049 + (0.001 * 61 * 49.049 + 0.61)
    assert bbb_cost == approx(2995.590989)
    cash_t1 = 6000 - aaa_cost - bbb_cost  # 69.258082
    # AAA exit signal at t2 fills at t3's open 105 -> 104.895: 29 * 104.895 = 3041.955,
    # commission 3.041955 + 0.29 = 3.331955, proceeds 3038.623045.
    aaa_proceeds = 29 * 104.895 - (0.001 * 29 * 104.895 + 0.29)
    assert aaa_proceeds == approx(3038.623045)
    cash_t3 = cash_t1 + aaa_proceeds  # 3107.881127
    alpha = [
        6000.0,  # t0: nothing filled yet
        cash_t1 + 29 * 102 + 61 * 48,  # 5955.258082
        cash_t1 + 29 * 104 + 61 * 46,  # 5891.258082
        cash_t3 + 61 * 44,  # 5791.881127
        cash_t3 + 61 * 42,  # 5669.881127 (BBB still open, marked at the last close)
    ]
    assert alpha == approx([6000.0, 5955.258082, 5891.258082, 5791.881127, 5669.881127])
    # beta: signal at t1 fills at t2's open 47 -> 47.047; unit 47.104047; 3000 / 47.104047
    # = 63.69 -> 63: 63 * 47.047 = 2963.961, commission 2.963961 + 0.63 = 3.593961,
    # cost 2967.554961, cash 32.445039. Exit at t4's open 43 -> 42.957: 63 * 42.957 = 2706.291,
    # commission 2.706291 + 0.63 = 3.336291, proceeds 2702.954709.
    beta_cost = 63 * 47.047 + (0.001 * 63 * 47.047 + 0.63)
    beta_proceeds = 63 * 42.957 - (0.001 * 63 * 42.957 + 0.63)
    beta_cash = 3000 - beta_cost
    beta = [3000.0, 3000.0, beta_cash + 63 * 46, beta_cash + 63 * 44, beta_cash + beta_proceeds]
    assert beta == approx([3000.0, 3000.0, 2930.445039, 2804.445039, 2735.399748])

    curves = result.equity_curves
    assert curves["alpha"].tolist() == approx(alpha)
    assert curves["beta"].tolist() == approx(beta)
    portfolio = [1000 + a + b for a, b in zip(alpha, beta, strict=True)]
    assert curves["Portfolio"].tolist() == approx(portfolio)
    assert result.portfolio_equity.tolist() == approx(portfolio)
    assert result.unallocated_cash == 1000.0
    assert result.get_strategy_result("alpha").cash_curve.tolist() == approx(
        [6000.0, cash_t1, cash_t1, cash_t3, cash_t3]
    )

    trades = result.trades
    assert trades[["strategy_id", "symbol", "is_open"]].values.tolist() == [
        ["alpha", "AAA", False],
        ["alpha", "BBB", True],
        ["beta", "BBB", False],
    ]
    aaa, bbb, beta_trade = (trades.iloc[k] for k in range(3))
    assert aaa["entry_time"] == pd.Timestamp("2024-01-02")
    assert aaa["exit_time"] == pd.Timestamp("2024-01-04")
    assert (aaa["entry_price"], aaa["exit_price"]) == approx((101.101, 104.895))
    assert aaa["quantity"] == 29.0
    assert aaa["pnl"] == approx(aaa_proceeds - aaa_cost)  # 103.472116
    assert aaa["pnl"] == approx(103.472116)
    assert aaa["return_pct"] == approx(103.472116 / 2935.150929)
    assert aaa["commission"] == approx(3.221929 + 3.331955)
    assert aaa["slippage"] == approx(29 * 0.101 + 29 * 0.105)  # 5.974
    assert aaa["bars_held"] == 2  # held over t1 and t2, sold at t3's open
    # The open BBB position: marked at the last close 42, no exit costs.
    assert bbb["exit_time"] == pd.Timestamp("2024-01-05")
    assert bbb["exit_price"] == 42.0
    assert bbb["pnl"] == approx(61 * 42 - bbb_cost)  # -433.590989
    assert bbb["commission"] == approx(3.601989)
    assert bbb["slippage"] == approx(61 * 0.049)
    assert bbb["bars_held"] == 4  # t1..t4
    assert beta_trade["entry_time"] == pd.Timestamp("2024-01-03")
    assert beta_trade["exit_time"] == pd.Timestamp("2024-01-05")
    assert beta_trade["pnl"] == approx(-264.600252)
    assert beta_trade["commission"] == approx(3.593961 + 3.336291)
    assert beta_trade["bars_held"] == 2

    # Final equity of each strategy = allocated + pnl of all its trades (open ones included).
    assert alpha[-1] == approx(6000 + 103.472116 - 433.590989)
    assert beta[-1] == approx(3000 - 264.600252)

    # What alpha saw at t1 about AAA (after the fills at t1's open): position, price, cash, equity.
    seen = [s for s in alpha_s.states if s[0] == "AAA" and s[1] == 1]
    assert seen == [("AAA", 1, 29.0, approx(101.101), approx(cash_t1), approx(alpha[1]))]

    # Metrics: 252 (weekday calendar); exposure = bars holding / bars.
    am = result.get_strategy_result("alpha").metrics
    assert result.periods_per_year == 252.0
    assert am.total_return == approx(alpha[-1] / 6000 - 1)
    assert am.num_trades == 1  # closed trades only
    assert am.win_rate == 1.0
    assert am.exposure == 0.8
    assert am.total_costs == approx(6.553884 + 5.974 + 3.601989 + 2.989)
    bm = result.get_strategy_result("beta").metrics
    assert bm.exposure == 0.4
    assert bm.win_rate == 0.0
    assert bm.profit_factor == 0.0
    pm = result.aggregate_metrics
    assert pm.total_return == approx(portfolio[-1] / 10_000 - 1)
    assert pm.num_trades == 2
    assert pm.exposure == 0.8
    assert pm.total_costs == approx(am.total_costs + bm.total_costs)


def test_scenario_two_by_two_fill_close_equity_and_trades_by_hand() -> None:
    result, _, _ = two_by_two(fill="close")
    # alpha fills at t0's close. AAA 100 -> 100.1, unit 100.2101, 3000 / 100.2101 = 29.9 -> 29:
    # cost 29 * 100.1 + (2.9029 + 0.29) = 2906.0929.
    # BBB 50 -> 50.05, unit 50.11005, 3000 / 50.11005 = 59.9 -> 59: cost 2952.95 + 3.54295.
    aaa_cost = 29 * 100.1 + (0.001 * 29 * 100.1 + 0.29)
    bbb_cost = 59 * 50.05 + (0.001 * 59 * 50.05 + 0.59)
    assert (aaa_cost, bbb_cost) == approx((2906.0929, 2956.49295))
    cash0 = 6000 - aaa_cost - bbb_cost  # 137.41415
    # AAA exit at t2's close 104 -> 103.896: 29 * 103.896 = 3012.984, commission 3.302984.
    aaa_proceeds = 29 * 103.896 - (0.001 * 29 * 103.896 + 0.29)
    cash2 = cash0 + aaa_proceeds  # 3147.095166
    alpha = [
        cash0 + 29 * 100 + 59 * 50,
        cash0 + 29 * 102 + 59 * 48,
        cash2 + 59 * 46,
        cash2 + 59 * 44,
        cash2 + 59 * 42,
    ]
    assert alpha == approx([5987.41415, 5927.41415, 5861.095166, 5743.095166, 5625.095166])
    # beta: t1's close 48 -> 48.048, unit 48.106048, 3000 / 48.106048 = 62.4 -> 62:
    # cost 2978.976 + 3.598976; exit t3's close 44 -> 43.956: 2725.272 - 3.345272.
    beta_cost = 62 * 48.048 + (0.001 * 62 * 48.048 + 0.62)
    beta_proceeds = 62 * 43.956 - (0.001 * 62 * 43.956 + 0.62)
    beta_end = 3000 - beta_cost + beta_proceeds  # 2739.351752
    beta = [3000.0, 3000 - beta_cost + 62 * 48, 3000 - beta_cost + 62 * 46, beta_end, beta_end]
    assert beta == approx([3000.0, 2993.425024, 2869.425024, 2739.351752, 2739.351752])

    curves = result.equity_curves
    assert curves["alpha"].tolist() == approx(alpha)
    assert curves["beta"].tolist() == approx(beta)
    assert curves["Portfolio"].tolist() == approx(
        [1000 + a + b for a, b in zip(alpha, beta, strict=True)]
    )
    trades = result.trades
    assert trades["entry_time"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-02"),
    ]
    assert trades["pnl"].tolist() == approx(
        [aaa_proceeds - aaa_cost, 59 * 42 - bbb_cost, beta_proceeds - beta_cost]
    )
    assert trades["bars_held"].tolist() == [2, 4, 2]
    # The first bar's fills moved the curve: the metrics start from the allocated capital so that
    # those costs count.
    assert result.get_strategy_result("alpha").metrics.total_return == approx(alpha[-1] / 6000 - 1)


def test_scenario_two_by_two_close_at_end_closes_with_costs() -> None:
    result, _, _ = two_by_two(close_at_end=True)
    trades = result.trades
    assert not trades["is_open"].any()
    bbb = trades.iloc[1]
    # alpha's BBB (61 units) is sold at the last close 42 -> 41.958: 61 * 41.958 = 2559.438,
    # commission 2.559438 + 0.61 = 3.169438, proceeds 2556.268562.
    proceeds = 61 * 41.958 - (0.001 * 61 * 41.958 + 0.61)
    assert proceeds == approx(2556.268562)
    assert bbb["exit_time"] == pd.Timestamp("2024-01-05")
    assert bbb["exit_price"] == approx(41.958)
    assert bbb["pnl"] == approx(proceeds - 2995.590989)  # -439.322427
    assert bbb["commission"] == approx(3.601989 + 3.169438)
    assert bbb["bars_held"] == 4
    alpha = result.get_strategy_result("alpha")
    # Every bar but the last is as without close_at_end; the last is all cash.
    assert alpha.equity_curve.tolist() == approx(
        [6000.0, 5955.258082, 5891.258082, 5791.881127, 3107.881127 + proceeds]
    )
    assert alpha.cash_curve.iloc[-1] == approx(5664.149689)
    assert alpha.positions_value.iloc[-1] == 0.0


# ---- signals on the last bar -----------------------------------------------------------------


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_scenario_entry_signal_on_last_bar_never_fills(fill: str) -> None:
    data = {"X": frame([10, 11, 12], [10, 11, 12])}
    strategy = Scripted("late", {"X": {2}})
    result = StrategyOrchestrator([(strategy, 1)], 1000, OrchestratorConfig(fill=fill)).run(data)  # type: ignore[arg-type]
    sr = result.get_strategy_result("late")
    assert len(sr.trades) == 0
    assert sr.equity_curve.tolist() == [1000.0, 1000.0, 1000.0]


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_scenario_exit_signal_on_last_bar_leaves_open_trade(fill: str) -> None:
    data = {"X": frame([10, 10, 11, 12], [10, 10, 11, 12])}
    strategy = Scripted("hold", {"X": {0}}, {"X": {3}})
    result = StrategyOrchestrator([(strategy, 1)], 1000, OrchestratorConfig(fill=fill)).run(data)  # type: ignore[arg-type]
    (trade,) = result.get_strategy_result("hold").trade_records()
    assert trade.is_open
    assert trade.quantity == 100.0  # 1000 / 10 at t1's open or at t0's close
    assert trade.exit_price == 12.0
    assert trade.pnl == 200.0
    assert result.get_strategy_result("hold").metrics.num_trades == 0


def test_scenario_last_bar_of_one_symbol_only_blocks_that_symbol() -> None:
    # SHORT ends at t2; its signal there never fills even though the timeline goes on.
    data = {
        "LONG": frame([10] * 5, [10] * 5),
        "SHORT": frame([20, 20, 20], [20, 20, 20]),
    }
    strategy = Scripted("s", {"SHORT": {2}, "LONG": {2}})
    result = StrategyOrchestrator([(strategy, 1)], 1000).run(data)
    trades = result.get_strategy_result("s").trades
    assert trades["symbol"].tolist() == ["LONG"]
    assert trades["entry_time"].tolist() == [pd.Timestamp("2024-01-04")]


# ---- calendars -------------------------------------------------------------------------------
#
# Fri 2024-01-05 .. Tue 2024-01-09. BTC trades every day; SPY on Fri, Mon, Tue only.
#            Fri      Sat      Sun      Mon      Tue
# BTC o/c   39/40    40/42    42/41    41/43    43/44
# SPY o/c   99/100     -        -     101/102  103/101


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        self.calls.append((state.symbol, bars[-1].timestamp))
        return False

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:  # pragma: no cover
        return False


def test_scenario_calendars_differ_union_timeline_and_carry_forward() -> None:
    data = {
        "BTC": frame([39, 40, 42, 41, 43], [40, 42, 41, 43, 44], start="2024-01-05"),
        "SPY": frame([99, 101, 103], [100, 102, 101], start="2024-01-05", freq="B"),
    }
    stocks = Scripted("stocks", {"SPY": {0}}, symbols=["SPY"])
    crypto = Scripted("crypto", {"BTC": {0}}, {"BTC": {2}}, symbols=["BTC"])
    recorder = Recorder()
    result = StrategyOrchestrator([(stocks, 0.4), (crypto, 0.4), (recorder, 0.2)], 10_000).run(data)
    days = pd.date_range("2024-01-05", periods=5, freq="D")
    assert list(result.portfolio_equity.index) == list(days)
    fri, sat, sun, mon, tue = days
    # Each strategy is asked only on its symbols' bars.
    assert [(s, i) for s, i, *_ in stocks.states] == [("SPY", 0), ("SPY", 1), ("SPY", 2)]
    assert len(crypto.states) == 5
    assert recorder.calls == [
        ("BTC", fri),
        ("SPY", fri),
        ("BTC", sat),
        ("BTC", sun),
        ("BTC", mon),
        ("SPY", mon),
        ("BTC", tue),
        ("SPY", tue),
    ]
    # stocks: the signal of Friday fills at SPY's next bar, Monday's open 101 (not on Saturday):
    # 4000 // 101 = 39 units for 3939, cash 61; flat equity over the weekend.
    stocks_curve = [4000.0, 4000.0, 4000.0, 61 + 39 * 102, 61 + 39 * 101]
    assert result.get_strategy_result("stocks").equity_curve.tolist() == approx(stocks_curve)
    (spy_trade,) = result.get_strategy_result("stocks").trade_records()
    assert spy_trade.entry_time == mon
    # crypto: Friday's signal fills Saturday at 40: 100 units, cash 0; the exit signal of
    # Sunday fills Monday at 41: 4100.
    crypto_curve = [4000.0, 100 * 42, 100 * 41, 4100.0, 4100.0]
    assert result.get_strategy_result("crypto").equity_curve.tolist() == approx(crypto_curve)
    (btc_trade,) = result.get_strategy_result("crypto").trade_records()
    assert (btc_trade.entry_time, btc_trade.exit_time) == (sat, mon)
    assert btc_trade.pnl == 100.0
    assert result.get_strategy_result("recorder").equity_curve.tolist() == [2000.0] * 5
    assert result.portfolio_equity.tolist() == approx(
        [10_000.0, 4000 + 4200 + 2000, 4000 + 4100 + 2000, 4039 + 4100 + 2000, 4000 + 4100 + 2000]
    )
    assert result.periods_per_year == 365.0  # the portfolio's timeline has weekend bars
    stocks = result.get_strategy_result("stocks")
    # A strategy's metrics use its own calendar (SPY: Fri, Mon, Tue): weekday annualisation,
    # and it holds SPY on 2 of its 3 bars.
    assert stocks.periods_per_year == 252.0
    assert stocks.metrics.exposure == pytest.approx(2 / 3)
    assert result.get_strategy_result("crypto").periods_per_year == 365.0


# ---- capital breaches ------------------------------------------------------------------------


def breach_run(b_price: float, caplog: pytest.LogCaptureFixture) -> OrchestratorResult:
    data = {
        "A": frame([300] * 3, [300] * 3),
        "B": frame([b_price] * 3, [b_price] * 3),
    }
    strategy = Scripted("greedy", {"A": {0}, "B": {0}})
    orch = StrategyOrchestrator([(strategy, 1)], 1000, OrchestratorConfig(max_positions=1))
    with caplog.at_level(logging.WARNING, logger="orchestrator"):
        return orch.run(data)


def test_scenario_breach_one_slot_two_symbols_reduced(caplog: pytest.LogCaptureFixture) -> None:
    # One slot: each entry's budget is the whole equity, 1000. A (300) takes 3 units for 900,
    # leaving 100; B (30) wants 1000 but only 100 is there: cut to 3 units (90).
    result = breach_run(30.0, caplog)
    trades = result.get_strategy_result("greedy").trades
    assert trades["quantity"].tolist() == [3.0, 3.0]
    breaches = result.breaches
    assert breaches.to_dict("records") == [
        {
            "timestamp": pd.Timestamp("2024-01-02"),
            "strategy_id": "greedy",
            "symbol": "B",
            "requested": 1000.0,
            "allowed": 100.0,
            "action": "reduced",
            "last_timestamp": pd.Timestamp("2024-01-02"),
            "bars": 1,
        }
    ]
    assert result.get_strategy_result("greedy").cash_curve.tolist() == [1000.0, 10.0, 10.0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "capital breach: greedy wanted 1000.00 for B at 2024-01-02T00:00:00 but 100.00 was "
        "allowed; order reduced"
    ]


def test_scenario_breach_one_slot_two_symbols_dropped(caplog: pytest.LogCaptureFixture) -> None:
    # B at 150: not one unit fits in the 100 left, so the order is dropped.
    result = breach_run(150.0, caplog)
    trades = result.get_strategy_result("greedy").trades
    assert trades["symbol"].tolist() == ["A"]
    (breach,) = result.breaches.itertuples(index=False)
    assert (breach.symbol, breach.requested, breach.allowed, breach.action) == (
        "B",
        1000.0,
        100.0,
        "dropped",
    )
    assert "order dropped" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.WARNING


def test_scenario_breach_slot_budget_above_cash_after_gain_reduced() -> None:
    # Two slots. A fills at t1's open 10 with 1000 / 2 = 500: 50 units, cash 500. A closes at 30
    # on t2, so equity is 500 + 50 * 30 = 2000 and B's slot wants 1000, but only 500 is there:
    # B fills at t3's open 10 with 50 units, cash 0.
    data = {
        "A": frame([10, 10, 30, 30], [10, 20, 30, 30]),
        "B": frame([10, 10, 10, 10], [10, 10, 10, 10]),
    }
    strategy = Scripted("s", {"A": {0}, "B": {2}})
    result = StrategyOrchestrator([(strategy, 1)], 1000).run(data)
    sr = result.get_strategy_result("s")
    assert sr.trades["quantity"].tolist() == [50.0, 50.0]
    (breach,) = sr.breaches.itertuples(index=False)
    assert (breach.timestamp, breach.symbol) == (pd.Timestamp("2024-01-04"), "B")
    assert (breach.requested, breach.allowed, breach.action) == (1000.0, 500.0, "reduced")
    assert sr.cash_curve.tolist() == [1000.0, 500.0, 500.0, 0.0]
    assert sr.equity_curve.tolist() == [1000.0, 1500.0, 2000.0, 2000.0]


def test_scenario_breach_slot_too_small_for_one_share_dropped() -> None:
    # Two slots of 500 each, but one unit costs 600: dropped although the cash would pay for it.
    data = {"A": frame([600] * 3, [600] * 3), "B": frame([600] * 3, [600] * 3)}
    result = StrategyOrchestrator([(Scripted("s", {"A": {0}}), 1)], 1000).run(data)
    sr = result.get_strategy_result("s")
    assert len(sr.trades) == 0
    (breach,) = sr.breaches.itertuples(index=False)
    assert (breach.requested, breach.allowed, breach.action) == (600.0, 500.0, "dropped")


# ---- sizing ----------------------------------------------------------------------------------


def test_scenario_fractional_sizing_spends_whole_slot() -> None:
    data = {"X": frame([3, 3, 4], [3, 3, 4])}
    result = StrategyOrchestrator(
        [(Scripted("frac", {"X": {0}}), 1)], 1000, OrchestratorConfig(fractional=True)
    ).run(data)
    sr = result.get_strategy_result("frac")
    (trade,) = sr.trade_records()
    assert trade.quantity == pytest.approx(1000 / 3, rel=1e-12)
    assert trade.quantity != int(trade.quantity)
    assert sr.cash_curve.iloc[-1] >= 0.0
    assert sr.cash_curve.iloc[-1] == pytest.approx(0.0, abs=1e-9)
    assert sr.equity_curve.tolist() == approx([1000.0, 1000.0, 4000 / 3])


def test_scenario_whole_shares_minimum_commission_never_overspends() -> None:
    # 100 of capital, price 10, minimum commission 1: 10 units would cost 101, so 9 units:
    # 90 + max(1, 0.001 * 90) = 91, cash 9.
    data = {"X": frame([10, 10, 10], [10, 10, 10])}
    config = OrchestratorConfig(commission_rate=0.001, commission_min=1.0)
    result = StrategyOrchestrator([(Scripted("s", {"X": {0}}), 1)], 100, config).run(data)
    sr = result.get_strategy_result("s")
    assert sr.trades["quantity"].tolist() == [9.0]
    assert sr.trades["commission"].tolist() == [1.0]
    assert sr.cash_curve.tolist() == approx([100.0, 9.0, 9.0])
    assert len(sr.breaches) == 0


def test_scenario_whole_shares_exact_fit_spends_all_cash() -> None:
    data = {"X": frame([25, 25, 26], [25, 25, 26])}
    result = StrategyOrchestrator([(Scripted("s", {"X": {0}}), 1)], 1000).run(data)
    sr = result.get_strategy_result("s")
    assert sr.trades["quantity"].tolist() == [40.0]
    assert sr.cash_curve.tolist() == [1000.0, 0.0, 0.0]
    assert sr.equity_curve.tolist() == [1000.0, 1000.0, 1040.0]
