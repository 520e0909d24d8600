"""Rebalancing in the engine: two buy-and-hold sleeves, monthly, computed by hand to the cent.

Four days across a month end (Jan 30, Jan 31, Feb 1, Feb 2): the rebalance is on Feb 1, the
first timestamp of February. AAA rises, BBB falls; weights 50/50.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from orchestrator import OrchestratorConfig, Rebalance, StrategyOrchestrator
from orchestrator.core.results import TRANSFER_COLUMNS, OrchestratorResult
from orchestrator.errors import ConfigError
from tests.conftest import ohlc

CENT = 0.005
DAYS = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"])


class _Hold:
    def __init__(self, symbol: str) -> None:
        self.symbols = [symbol]
        self.name = f"hold_{symbol.lower()}"

    def should_enter(self, bars: object, state: object) -> bool:
        return True

    def should_exit(self, bars: object, state: object) -> bool:
        return False


def _frame(opens: list[float], closes: list[float]) -> pd.DataFrame:
    return ohlc(closes, opens, volume=1.0, index=DAYS)


DATA = {
    "AAA": _frame([100.0, 105.0, 118.0, 121.0], [100.0, 110.0, 120.0, 130.0]),
    "BBB": _frame([100.0, 95.0, 82.0, 79.0], [100.0, 90.0, 80.0, 70.0]),
}


def _run(
    capital: float = 10_000.0, *, fill: str = "close", mode: str = "scale", costs: bool = False
) -> OrchestratorResult:
    config = OrchestratorConfig(
        logging_level="ERROR",
        fill=fill,  # type: ignore[arg-type]
        commission_rate=0.001 if costs else 0.0,
        slippage_bps=10.0 if costs else 0.0,
        rebalance=Rebalance(schedule="monthly", mode=mode),  # type: ignore[arg-type]
    )
    pairs = [(_Hold("AAA"), 0.5), (_Hold("BBB"), 0.5)]
    return StrategyOrchestrator(pairs, capital, config).run(DATA)


def _transfer(result: OrchestratorResult, sid: str) -> pd.Series:
    rows = result.transfers[result.transfers["strategy_id"] == sid]
    assert len(rows) == 1
    return rows.iloc[0]


def _equity(result: OrchestratorResult, sid: str) -> list[float]:
    return result.strategy_results[sid].equity_curve.tolist()


def test_rebalance_scale_close_no_costs_trims_and_tops_up_to_the_cent() -> None:
    r = _run()
    # Bar 0: 50 shares each at 100. Feb 1 close: AAA 50 x 120 = 6000, BBB 50 x 80 = 4000,
    # targets 5000: AAA keeps floor(50 x 5/6) = 41 (sells 9 at 120 = 1080, gives 1000),
    # BBB gets 1000 and buys floor(50 x 1.25) - 50 = 12 at 80 = 960.
    assert _equity(r, "hold_aaa") == pytest.approx([5000, 5500, 41 * 120 + 80, 41 * 130 + 80])
    assert _equity(r, "hold_bbb") == pytest.approx([5000, 4500, 62 * 80 + 40, 62 * 70 + 40])
    assert r.portfolio_equity.iloc[-1] == pytest.approx(41 * 130 + 80 + 62 * 70 + 40, abs=CENT)
    a, b = _transfer(r, "hold_aaa"), _transfer(r, "hold_bbb")
    assert a["timestamp"] == DAYS[2]
    assert a["reason"] == "schedule"
    assert (a["amount"], b["amount"]) == (pytest.approx(-1000.0), pytest.approx(1000.0))
    assert a["costs"] == b["costs"] == 0.0
    trades = r.trades.set_index(["strategy_id", "reason"])
    assert trades.loc[("hold_aaa", "rebalance"), "quantity"] == 9.0
    assert trades.loc[("hold_aaa", "rebalance"), "pnl"] == pytest.approx(9 * 20.0)
    assert trades.loc[("hold_bbb", "rebalance"), "quantity"] == 12.0
    assert r.rebalances == 1
    assert r.rebalance_costs == 0.0
    w = r.weights.loc[DAYS[2]]
    assert (w["hold_aaa"], w["hold_bbb"], w["Cash"]) == pytest.approx((0.5, 0.5, 0.0))


def test_rebalance_scale_next_open_no_costs_trades_at_the_open_to_the_cent() -> None:
    r = _run(fill="next_open")
    # Jan 31 open: AAA 47 at 105 (cash 65), BBB 52 at 95 (cash 60). Feb 1 open, marks at the
    # Jan 31 closes: AAA 5235, BBB 4740, E = 9975, targets 4987.5 each. AAA keeps
    # floor(47 x 4987.5 / 5235) = 44, sells 3 at 118, gives 247.5; BBB gets 247.5 and tops up
    # to floor(52 x 4987.5 / 4740) = 54: 2 at 82.
    aaa_cash = 65 + 3 * 118 - 247.5
    bbb_cash = 60 + 247.5 - 2 * 82
    assert _equity(r, "hold_aaa")[2:] == pytest.approx(
        [44 * 120 + aaa_cash, 44 * 130 + aaa_cash], abs=CENT
    )
    assert _equity(r, "hold_bbb")[2:] == pytest.approx(
        [54 * 80 + bbb_cash, 54 * 70 + bbb_cash], abs=CENT
    )
    assert _transfer(r, "hold_aaa")["amount"] == pytest.approx(-247.5, abs=CENT)
    assert _transfer(r, "hold_bbb")["amount"] == pytest.approx(247.5, abs=CENT)
    assert r.strategy_results["hold_aaa"].cash_curve.iloc[-1] == pytest.approx(aaa_cash)


def test_rebalance_scale_next_open_with_costs_pays_them_to_the_cent() -> None:
    r = _run(fill="next_open", costs=True)
    buy_a, buy_b = 105 * 1.001, 95 * 1.001
    cash_a = 5000 - 47 * buy_a * 1.001
    cash_b = 5000 - 52 * buy_b * 1.001
    v_a, v_b = 47 * 110 + cash_a, 52 * 90 + cash_b
    target = (v_a + v_b) / 2
    assert math.floor(47 * target / v_a) == 44
    assert math.floor(52 * target / v_b) == 54
    sell = 118 * 0.999
    trim_costs = 3 * sell * 0.001 + 3 * (118 - sell)
    cash_a += 3 * sell * 0.999 - (v_a - target)
    top = 82 * 1.001
    top_costs = 2 * top * 0.001 + 2 * (top - 82)
    cash_b += (target - v_b) - 2 * top * 1.001
    a, b = _transfer(r, "hold_aaa"), _transfer(r, "hold_bbb")
    assert a["amount"] == pytest.approx(-(v_a - target), abs=CENT)
    assert b["amount"] == pytest.approx(target - v_b, abs=CENT)
    assert a["costs"] == pytest.approx(trim_costs, abs=CENT)
    assert b["costs"] == pytest.approx(top_costs, abs=CENT)
    assert r.rebalance_costs == pytest.approx(trim_costs + top_costs, abs=CENT)
    assert _equity(r, "hold_aaa")[-1] == pytest.approx(44 * 130 + cash_a, abs=CENT)
    assert _equity(r, "hold_bbb")[-1] == pytest.approx(54 * 70 + cash_b, abs=CENT)
    lines = dict(zip(r.attribution["component"], r.attribution["pnl"], strict=True))
    assert lines["Rebalancing costs"] == pytest.approx(-(trim_costs + top_costs), abs=CENT)
    pnl = float(r.portfolio_equity.iloc[-1]) - 10_000
    assert sum(lines.values()) == pytest.approx(pnl, abs=CENT)


def test_rebalance_scale_close_with_costs_pays_them_to_the_cent() -> None:
    r = _run(costs=True)
    buy = 100 * 1.001
    cash = 5000 - 49 * buy * 1.001  # floor(5000 / 100.2001) = 49 shares each
    v_a, v_b = 49 * 120 + cash, 49 * 80 + cash
    target = (v_a + v_b) / 2
    keep, grow = math.floor(49 * target / v_a), math.floor(49 * target / v_b)
    sell, top = 120 * 0.999, 80 * 1.001
    cash_a = cash + (49 - keep) * sell * 0.999 - (v_a - target)
    cash_b = cash + (target - v_b) - (grow - 49) * top * 1.001
    assert _equity(r, "hold_aaa")[-1] == pytest.approx(keep * 130 + cash_a, abs=CENT)
    assert _equity(r, "hold_bbb")[-1] == pytest.approx(grow * 70 + cash_b, abs=CENT)
    trim = (49 - keep) * (sell * 0.001 + 120 - sell)
    assert _transfer(r, "hold_aaa")["costs"] == pytest.approx(trim, abs=CENT)


def test_rebalance_cash_mode_moves_only_idle_cash_and_records_the_shortfall() -> None:
    r = _run(10_100.0)
    assert _transfer(r, "hold_aaa")["amount"] == pytest.approx(-1000.0)  # scale: trims
    r = _run(10_100.0, mode="cash")
    # 50 shares each and 50 idle; Feb 1 close: AAA 6050, BBB 4050, targets 5050. AAA can
    # give only its 50 idle (950 short); BBB gets those 50 (950 short); nothing is traded.
    a, b = _transfer(r, "hold_aaa"), _transfer(r, "hold_bbb")
    assert (a["amount"], a["shortfall"]) == (pytest.approx(-50.0), pytest.approx(950.0))
    assert (b["amount"], b["shortfall"]) == (pytest.approx(50.0), pytest.approx(950.0))
    assert a["costs"] == b["costs"] == 0.0
    assert set(r.trades["reason"]) == {"signal"}
    assert _equity(r, "hold_aaa") == pytest.approx([5050, 5550, 6000, 6500])
    assert _equity(r, "hold_bbb") == pytest.approx([5050, 4550, 4100, 3600])


def test_rebalance_cash_mode_next_open_with_costs_to_the_cent() -> None:
    r = _run(fill="next_open", mode="cash", costs=True)
    cash_a = 5000 - 47 * 105 * 1.001 * 1.001
    cash_b = 5000 - 52 * 95 * 1.001 * 1.001
    v_a, v_b = 47 * 110 + cash_a, 52 * 90 + cash_b
    target = (v_a + v_b) / 2
    give = min(v_a - target, cash_a)
    a, b = _transfer(r, "hold_aaa"), _transfer(r, "hold_bbb")
    assert a["amount"] == pytest.approx(-give, abs=CENT)
    assert b["amount"] == pytest.approx(give, abs=CENT)
    assert a["shortfall"] == pytest.approx(v_a - target - give, abs=CENT)
    assert r.rebalance_costs == 0.0
    assert _equity(r, "hold_aaa")[-1] == pytest.approx(47 * 130 + cash_a - give, abs=CENT)


def test_rebalance_default_has_empty_typed_tables() -> None:
    pairs = [(_Hold("AAA"), 0.5), (_Hold("BBB"), 0.5)]
    r = StrategyOrchestrator(pairs, 10_000, OrchestratorConfig(logging_level="ERROR")).run(DATA)
    assert list(r.transfers.columns) == TRANSFER_COLUMNS
    assert len(r.transfers) == 0
    assert r.rebalances == 0
    assert r.rebalance_costs == 0.0
    assert set(r.trades["reason"]) == {"signal"}
    assert np.allclose(r.weights.sum(axis=1), 1.0)


def test_rebalance_close_at_end_tags_the_closing_trades_end() -> None:
    config = OrchestratorConfig(logging_level="ERROR", close_at_end=True)
    r = StrategyOrchestrator([(_Hold("AAA"), 0.5)], 10_000, config).run(DATA)
    assert r.trades["reason"].tolist() == ["end"]


def test_rebalance_result_round_trips_through_json() -> None:
    import json

    r = _run(fill="next_open", costs=True)
    back = OrchestratorResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back == r
    assert back.config.rebalance == Rebalance(schedule="monthly")
    pd.testing.assert_frame_equal(back.transfers, r.transfers)
    pd.testing.assert_frame_equal(back.weights, r.weights)
    assert back.rebalances == 1


def test_rebalance_sleeve_metrics_are_time_weighted() -> None:
    r = _run(fill="next_open")
    aaa = r.strategy_results["hold_aaa"]
    # The transfer out is a flow: AAA's return is its shares' and cash's growth, not the drop
    # from giving 247.5 away.
    equity = aaa.equity_curve.to_numpy()
    before = 47 * 110 + 65.0  # the value the transfer was decided on
    growth = (equity[1] / 5000) * (before / equity[1]) * (equity[3] / (before - 247.5))
    assert aaa.metrics.total_return == pytest.approx(growth - 1, abs=1e-12)
    assert r.aggregate_metrics.total_return == pytest.approx(
        r.portfolio_equity.iloc[-1] / 10_000 - 1
    )


def test_rebalance_lookback_longer_than_data_raises_before_the_run() -> None:
    config = OrchestratorConfig(
        rebalance=Rebalance(schedule="monthly", rule="equal", lookback=10), logging_level="ERROR"
    )
    pairs = [(_Hold("AAA"), 0.5), (_Hold("BBB"), 0.5)]
    with pytest.raises(ConfigError, match="lookback=10"):
        StrategyOrchestrator(pairs, 10_000, config).run(DATA)


def test_rebalance_infeasible_bounds_raise_before_the_run() -> None:
    config = OrchestratorConfig(
        rebalance=Rebalance(schedule="monthly", rule="equal", lookback=2, max_weight=0.3),
        logging_level="ERROR",
    )
    pairs = [(_Hold("AAA"), 0.5), (_Hold("BBB"), 0.5)]
    with pytest.raises(ConfigError, match=r"max_weight=0\.3"):
        StrategyOrchestrator(pairs, 10_000, config).run(DATA)


def test_rebalance_config_rejects_a_non_rebalance() -> None:
    with pytest.raises(ConfigError, match="rebalance must be a Rebalance"):
        OrchestratorConfig(rebalance="monthly")  # type: ignore[arg-type]
    assert OrchestratorConfig(rebalance={"schedule": "weekly"}).rebalance.schedule == "weekly"  # type: ignore[arg-type]


def test_rebalance_symbol_without_a_bar_is_not_traded_and_cash_covers_it() -> None:
    # October 1st 2022 is a Saturday: only the 7-day symbol has a bar at the first timestamp
    # of October, so the business-day sleeve is not trimmed then; its idle cash goes as far
    # as it goes and the rest is its shortfall.
    days = pd.date_range("2022-09-26", "2022-10-04", freq="D")
    weekdays = days[days.day_of_week < 5]
    up = np.linspace(100.0, 140.0, len(weekdays))
    down = np.linspace(100.0, 70.0, len(days))
    data = {
        "AAA": pd.DataFrame(
            {"open": up, "high": up, "low": up, "close": up, "volume": 1.0}, index=weekdays
        ),
        "BTC": pd.DataFrame(
            {"open": down, "high": down, "low": down, "close": down, "volume": 1.0}, index=days
        ),
    }
    config = OrchestratorConfig(
        logging_level="ERROR", fill="close", rebalance=Rebalance(schedule="monthly")
    )
    pairs = [(_Hold("AAA"), 0.5), (_Hold("BTC"), 0.5)]
    r = StrategyOrchestrator(pairs, 10_050, config).run(data)
    rows = r.transfers.set_index("strategy_id")
    assert (rows["timestamp"] == pd.Timestamp("2022-10-01")).all()
    assert rows.loc["hold_aaa", "amount"] == pytest.approx(-25.0)  # its idle cash: 5025 - 50 x 100
    assert rows.loc["hold_aaa", "shortfall"] > 0
    # BTC gets only those 25 (the rest is its shortfall): not enough for one more share.
    assert rows.loc["hold_btc", "amount"] == pytest.approx(25.0)
    assert rows.loc["hold_btc", "shortfall"] == pytest.approx(rows.loc["hold_aaa", "shortfall"])
    assert set(r.trades["reason"]) == {"signal"}
    sleeves = sum(sr.equity_curve for sr in r.strategy_results.values())
    pool = r.unallocated_cash - r.transfers["amount"].sum()
    assert r.portfolio_equity.iloc[-1] == pytest.approx(sleeves.iloc[-1] + pool, abs=1e-9)
