"""Tests of orchestrator.core.results: JSON round trip, lookups, the comparison table, views."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyOrchestrator,
    StrategyResult,
    StrategyState,
    Trade,
)
from orchestrator.core.metrics import PerformanceMetrics
from tests.conftest import ohlc


def frame(closes: list[float], start: str = "2024-01-01") -> pd.DataFrame:
    return ohlc(closes, band=0.01, volume=5.0, start=start)


class Scripted:
    def __init__(
        self, name: str, enter: dict[str, set[int]], exit_: dict[str, set[int]], **extra: Any
    ) -> None:
        self.name, self.enter, self.exit = name, enter, exit_
        for key, value in extra.items():
            setattr(self, key, value)

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) - 1 in self.enter.get(state.symbol, set())

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) - 1 in self.exit.get(state.symbol, set())


DATA = {
    "A": frame([100, 101, 105, 104, 108, 110]),
    "B": frame([20, 21, 19, 22, 23], start="2024-01-02"),
}


def make_result(**config: Any) -> OrchestratorResult:
    winner = Scripted("winner", {"A": {0}}, {"A": {2}}, symbols=["A"])  # no losers: pf = inf
    greedy = Scripted("greedy", {"A": {1}, "B": {0}}, {}, max_positions=1)  # breach, open trades
    idle = Scripted("idle", {}, {})  # no trades: NaN metrics
    orch = StrategyOrchestrator(
        [(winner, Decimal("0.3")), (greedy, Decimal("0.5")), (idle, Decimal("0.1"))],
        Decimal("10000"),
        OrchestratorConfig(**{"commission_rate": 0.001, "slippage_bps": 5, **config}),
    )
    return orch.run(DATA)


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    return make_result()


def test_result_fixture_covers_inf_nan_breaches_open_trades(result: OrchestratorResult) -> None:
    # The round-trip tests below rely on these special values being present.
    assert result.get_strategy_result("winner").metrics.profit_factor == math.inf
    assert math.isnan(result.get_strategy_result("idle").metrics.win_rate)
    assert len(result.breaches) >= 1
    assert result.trades["is_open"].any()


def test_result_to_dict_json_strict_serialisable(result: OrchestratorResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["initial_capital"] == 10_000.0
    assert data["config"]["commission_rate"] == 0.001
    winner, greedy, idle = data["strategy_results"]
    assert winner["weight"] == "0.3"
    assert winner["metrics"]["profit_factor"] == "Infinity"
    assert idle["metrics"]["win_rate"] is None  # NaN as null
    assert idle["metrics"]["num_trades"] == 0
    for stamp in data["portfolio_equity"]["index"]:
        assert datetime.fromisoformat(stamp)
    assert data["portfolio_equity"]["index"][0] == "2024-01-01T00:00:00"
    trade = winner["trades"][0]
    assert trade["entry_time"] == "2024-01-02T00:00:00"
    assert isinstance(trade["bars_held"], int)
    assert isinstance(trade["is_open"], bool)
    breach = greedy["breaches"][0]
    assert datetime.fromisoformat(breach["timestamp"])
    assert breach["action"] in ("reduced", "dropped")


def test_result_from_dict_after_json_round_trip_equal(result: OrchestratorResult) -> None:
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    rebuilt = OrchestratorResult.from_dict(data)
    assert rebuilt == result
    assert rebuilt.strategy_ids == result.strategy_ids
    pd.testing.assert_frame_equal(rebuilt.comparison_table, result.comparison_table)
    pd.testing.assert_frame_equal(rebuilt.trades, result.trades)
    pd.testing.assert_frame_equal(rebuilt.breaches, result.breaches)
    pd.testing.assert_frame_equal(rebuilt.equity_curves, result.equity_curves)
    assert rebuilt.get_strategy_result("winner").metrics.profit_factor == math.inf


def test_result_from_dict_without_json_equal(result: OrchestratorResult) -> None:
    assert OrchestratorResult.from_dict(result.to_dict()) == result


def test_result_fill_close_round_trip_equal() -> None:
    r = make_result(fill="close", close_at_end=True, fractional=True, risk_free_rate=0.02)
    assert OrchestratorResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_result_equality_detects_differences(result: OrchestratorResult) -> None:
    other = make_result(commission_rate=0.002)
    assert other != result
    data = result.to_dict()
    data["strategy_results"][0]["equity_curve"]["values"][-1] += 0.01
    assert OrchestratorResult.from_dict(data) != result
    assert result != "result"


def test_strategy_result_round_trip_equal(result: OrchestratorResult) -> None:
    for sr in result.strategy_results.values():
        again = StrategyResult.from_dict(json.loads(json.dumps(sr.to_dict(), allow_nan=False)))
        assert again == sr


def test_result_get_strategy_result_unknown_raises_listing_ids(result: OrchestratorResult) -> None:
    assert result.get_strategy_result("greedy").strategy_id == "greedy"
    with pytest.raises(KeyError) as info:
        result.get_strategy_result("momentum")
    message = info.value.args[0]
    assert message == "no strategy 'momentum' in this result; known ids: 'winner', 'greedy', 'idle'"


def test_result_comparison_table_one_row_per_strategy_plus_portfolio(
    result: OrchestratorResult,
) -> None:
    table = result.comparison_table
    rows = table.to_dict("index")
    assert list(table.index) == ["winner", "greedy", "idle", "Portfolio"]
    metric_names = [f.name for f in dataclasses.fields(PerformanceMetrics)]
    assert list(table.columns) == ["weight", "allocated_capital", "final_equity", *metric_names]
    assert table["weight"].tolist() == pytest.approx([0.3, 0.5, 0.1, 0.9])
    assert table["allocated_capital"].tolist() == [3000.0, 5000.0, 1000.0, 10_000.0]
    for sid, sr in result.strategy_results.items():
        assert table.loc[sid, "final_equity"] == sr.equity_curve.iloc[-1]
        for name in metric_names:
            value = getattr(sr.metrics, name)
            cell = rows[sid][name]
            assert cell == value or (math.isnan(value) and math.isnan(cell))
    assert table.loc["Portfolio", "final_equity"] == result.portfolio_equity.iloc[-1]
    assert table.loc["Portfolio", "total_return"] == result.aggregate_metrics.total_return
    assert table.loc["Portfolio", "num_trades"] == result.aggregate_metrics.num_trades


def test_result_equity_curves_columns_and_portfolio(result: OrchestratorResult) -> None:
    curves = result.equity_curves
    assert list(curves.columns) == ["winner", "greedy", "idle", "Portfolio"]
    assert curves.index.name == "timestamp"
    assert len(curves) == 6  # union of A (6 days) and B (5 days from the 2nd)
    total = curves[["winner", "greedy", "idle"]].sum(axis=1) + result.unallocated_cash
    np.testing.assert_allclose(curves["Portfolio"].to_numpy(), total.to_numpy(), rtol=1e-12)


def test_result_trades_all_strategies_in_order(result: OrchestratorResult) -> None:
    trades = result.trades
    per_strategy = [sr.trades for sr in result.strategy_results.values()]
    assert len(trades) == sum(len(t) for t in per_strategy)
    assert trades["strategy_id"].tolist() == [
        sid for sid, sr in result.strategy_results.items() for _ in range(len(sr.trades))
    ]
    assert trades["entry_time"].dtype == np.dtype("datetime64[ns]")
    assert trades["bars_held"].dtype == np.int64
    assert trades["is_open"].dtype == bool


def test_result_breaches_sorted_by_time_with_columns(result: OrchestratorResult) -> None:
    breaches = result.breaches
    assert list(breaches.columns) == [
        "timestamp",
        "strategy_id",
        "symbol",
        "requested",
        "allowed",
        "action",
        "last_timestamp",
        "bars",
    ]
    assert breaches["timestamp"].is_monotonic_increasing
    assert set(breaches["strategy_id"]) == {"greedy"}


def test_strategy_result_views(result: OrchestratorResult) -> None:
    sr = result.get_strategy_result("winner")
    assert sr.final_equity == sr.equity_curve.iloc[-1]
    pd.testing.assert_series_equal(
        sr.positions_value, (sr.equity_curve - sr.cash_curve).rename("winner")
    )
    records = sr.trade_records()
    assert all(isinstance(t, Trade) for t in records)
    assert [t.pnl for t in records] == sr.trades["pnl"].tolist()
    assert records[0].entry_time == pd.Timestamp("2024-01-02")
    assert sr.symbols == ("A",)
    assert sr.weight == Decimal("0.3")


def test_result_frozen_and_unhashable(result: OrchestratorResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.initial_capital = 1.0  # type: ignore[misc]
    sr = result.get_strategy_result("idle")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sr.strategy_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(result)
    with pytest.raises(TypeError):
        hash(sr)
