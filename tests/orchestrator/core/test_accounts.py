"""Tests of orchestrator.core.accounts: one strategy's ledger, its curves, breaches and state."""

from __future__ import annotations

import logging
from decimal import Decimal

import pandas as pd
import pytest

from orchestrator.core.accounts import Account
from orchestrator.core.execution import CostModel
from orchestrator.core.market import Market
from orchestrator.core.models import StrategyAllocation
from orchestrator.core.results import trades_frame
from orchestrator.core.state import Clock, StrategyState


def _market() -> Market:
    index = pd.date_range("2024-01-01", periods=4, freq="D")
    x = pd.DataFrame(
        {
            "open": [10.0, 10.5, 11.5, 12.5],
            "high": [10.0, 11.0, 12.0, 13.0],
            "low": [10.0, 10.5, 11.5, 12.5],
            "close": [10.0, 11.0, 12.0, 13.0],
        },
        index=index,
    )
    y = pd.DataFrame({"open": 5.0, "high": 5.0, "low": 5.0, "close": 5.0}, index=index[[1, 3]])
    return Market.from_data({"X": x, "Y": y})


def _account(costs: CostModel | None = None, capital: float = 1000.0) -> tuple[Account, Market]:
    market = _market()
    data = [market.symbols[n] for n in market.symbols]
    marks = [market.close_on_timeline(n) for n in market.symbols]
    alloc = StrategyAllocation("acct", Decimal("0.5"), capital)
    clock = Clock(market.timeline)
    return Account("acct", alloc, data, marks, clock, costs or CostModel()), market


def _state(acc: Account, si: int) -> StrategyState:
    return StrategyState(acc, si, lambda b, s: False, lambda b, s: False)


def test_account_buy_takes_cost_with_slippage_and_commission() -> None:
    acc, _ = _account(CostModel(rate=0.01, slippage=0.01))
    st = _state(acc, 0)
    acc.buy(0, 1, 1, 10.5, 50.0)
    fill = 10.5 * 1.01  # 10.605
    commission = 0.01 * 50 * fill  # 5.3025
    assert acc.allocation.available_capital == pytest.approx(1000 - 50 * fill - commission)
    pos = acc.positions[0]
    assert pos.quantity == 50.0
    assert pos.entry_price == pytest.approx(10.605)
    assert pos.entry_cost == pytest.approx(50 * 10.605 + 5.3025)
    assert pos.commission == pytest.approx(5.3025)
    assert pos.slippage == pytest.approx(50 * 0.105)
    assert pos.entry_time == pd.Timestamp("2024-01-02").value
    assert pos.entry_bar == 1
    assert st.position == 50.0
    assert st.entry_price == pytest.approx(10.605)
    assert st.entry_time == pd.Timestamp("2024-01-02")


def test_account_sell_records_trade_with_costs_both_legs() -> None:
    acc, _ = _account(CostModel(rate=0.01, slippage=0.01))
    st = _state(acc, 0)
    acc.buy(0, 1, 1, 10.5, 50.0)
    acc.sell(0, 3, 3, 12.5, bars_held=2)
    entry_cost = 50 * 10.605 + 0.01 * 50 * 10.605  # 530.25 + 5.3025 = 535.5525
    exit_fill = 12.5 * 0.99  # 12.375
    exit_commission = 0.01 * 50 * exit_fill  # 6.1875
    proceeds = 50 * exit_fill - exit_commission  # 618.75 - 6.1875 = 612.5625
    assert acc.allocation.available_capital == pytest.approx(1000 - entry_cost + proceeds)
    assert acc.positions == {}
    assert st.position == 0.0
    assert st.entry_price is None
    assert st.entry_time is None
    (trade,) = acc.trades
    assert trade.strategy_id == "acct"
    assert trade.symbol == "X"
    assert trade.entry_time == pd.Timestamp("2024-01-02")
    assert trade.exit_time == pd.Timestamp("2024-01-04")
    assert trade.entry_price == pytest.approx(10.605)
    assert trade.exit_price == pytest.approx(12.375)
    assert trade.quantity == 50.0
    assert trade.pnl == pytest.approx(proceeds - entry_cost)  # 77.01
    assert trade.pnl == pytest.approx(77.01)
    assert trade.return_pct == pytest.approx(77.01 / 535.5525)
    assert trade.commission == pytest.approx(5.3025 + 6.1875)
    assert trade.slippage == pytest.approx(50 * 0.105 + 50 * 0.125)
    assert trade.bars_held == 2
    assert trade.is_open is False


def test_account_sell_minimum_commission_above_proceeds_capped_cash_never_negative() -> None:
    acc, _ = _account(CostModel(minimum=30.0), capital=31.0)
    acc.buy(0, 0, 0, 1.0, 1.0)  # 1 + 30 = 31: all the cash
    assert acc.allocation.available_capital == 0.0
    acc.sell(0, 1, 1, 1.0, bars_held=1)  # 1 of proceeds cannot pay 30 of commission
    assert acc.allocation.available_capital == 0.0
    assert acc.trades[0].pnl == pytest.approx(-31.0)


def test_account_equity_marks_positions_at_latest_close() -> None:
    acc, _ = _account()
    acc.buy(0, 0, 0, 10.0, 20.0)  # cash 800
    acc.buy(1, 1, 0, 5.0, 10.0)  # cash 750
    assert acc.equity(1) == 750 + 20 * 11.0 + 10 * 5.0
    assert acc.equity(2) == 750 + 20 * 12.0 + 10 * 5.0  # Y carried forward
    assert acc.equity(3) == 750 + 20 * 13.0 + 10 * 5.0


def test_account_curves_rebuilt_from_events_on_timeline() -> None:
    acc, market = _account()
    acc.buy(0, 1, 1, 10.5, 20.0)  # cash 1000 - 210 = 790
    acc.sell(0, 3, 3, 12.5, bars_held=2)  # cash 790 + 250 = 1040
    equity, cash, value = acc.curves(len(market.timeline))
    assert cash.tolist() == [1000.0, 790.0, 790.0, 1040.0]
    assert value.tolist() == [0.0, 20 * 11.0, 20 * 12.0, 0.0]
    assert equity.tolist() == [1000.0, 790.0 + 220.0, 790.0 + 240.0, 1040.0]


def test_account_curves_no_events_flat_at_initial() -> None:
    acc, _ = _account()
    equity, cash, value = acc.curves(4)
    assert equity.tolist() == [1000.0] * 4
    assert cash.tolist() == [1000.0] * 4
    assert value.tolist() == [0.0] * 4


def test_account_open_trades_marked_at_last_close_without_exit_costs() -> None:
    acc, _ = _account(CostModel(rate=0.01))
    acc.buy(0, 1, 1, 10.5, 10.0)  # cost 105 + 1.05 = 106.05
    table = acc.trade_table({0: 3})
    (trade,) = table.itertuples(index=False)
    assert trade.is_open
    assert trade.exit_price == 13.0
    assert trade.exit_time == pd.Timestamp("2024-01-04")
    assert trade.pnl == pytest.approx(10 * 13.0 - 106.05)
    assert trade.commission == pytest.approx(1.05)
    assert trade.bars_held == 3
    assert acc.positions  # the position itself stays open
    assert len(acc.trade_table()) == 0  # without bars_held: closed trades only


def test_account_trade_table_columns_typed_like_trades_frame() -> None:
    acc, _ = _account()
    acc.buy(0, 1, 1, 10.5, 20.0)
    acc.sell(0, 3, 3, 12.5, bars_held=2)
    table = acc.trade_table({})
    rebuilt = trades_frame(acc.trades)
    pd.testing.assert_frame_equal(table, rebuilt)
    pd.testing.assert_frame_equal(Account.trade_table(_account()[0]), trades_frame([]))


def test_account_breach_recorded_and_logged_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    acc, _ = _account()
    with caplog.at_level(logging.WARNING, logger="orchestrator"):
        acc.breach(0, 1, 500.0, 120.5, dropped=False)  # Y's bar 0 is 2024-01-02
    (breach,) = acc.breaches
    assert breach.timestamp == pd.Timestamp("2024-01-02")
    assert breach.last_timestamp == pd.Timestamp("2024-01-02")
    assert breach.bars == 1
    assert (breach.strategy_id, breach.symbol) == ("acct", "Y")
    assert (breach.requested, breach.allowed, breach.action) == (500.0, 120.5, "reduced")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "capital breach: acct wanted 500.00 for Y at 2024-01-02T00:00:00 but 120.50 was "
        "allowed; order reduced"
    )


def test_account_breach_consecutive_bars_one_episode() -> None:
    acc, _ = _account()
    for bar in (0, 1, 2):
        acc.breach(bar, 0, 100.0 + bar, 5.0, dropped=True)
    acc.breach(3, 0, 50.0, 20.0, dropped=False)  # another action: a new episode
    first, second = acc.breaches
    assert (first.timestamp, first.last_timestamp, first.bars) == (
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-03"),
        3,
    )
    assert (first.requested, first.allowed, first.action) == (100.0, 5.0, "dropped")
    assert (second.timestamp, second.bars, second.action) == (
        pd.Timestamp("2024-01-04"),
        1,
        "reduced",
    )


def test_account_breach_gap_or_other_symbol_new_episode() -> None:
    acc, _ = _account()
    acc.breach(0, 0, 10.0, 0.0, dropped=True)
    acc.breach(0, 1, 10.0, 0.0, dropped=True)  # Y: its own episode
    acc.breach(2, 0, 10.0, 0.0, dropped=True)  # X skipped bar 1: a new episode
    acc.breach(1, 1, 10.0, 0.0, dropped=True)  # Y's next bar: extends Y's
    table = acc.breach_table()
    assert table["symbol"].tolist() == ["X", "Y", "X"]
    assert table["bars"].tolist() == [1, 2, 1]
    assert table["last_timestamp"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-04"),
        pd.Timestamp("2024-01-03"),
    ]


def test_account_breach_logging_capped_per_episode_all_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    acc, _ = _account()
    with caplog.at_level(logging.WARNING, logger="orchestrator"):
        for k in range(25):
            acc.breach(0 if k % 2 else 2, 0, 10.0, 0.0, dropped=True)  # never consecutive
    assert len(acc.breaches) == 25
    assert all(b.action == "dropped" for b in acc.breaches)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 21
    assert messages[-1] == "acct: further capital breaches are recorded in the results, not logged"


def test_strategy_state_reads_account_and_window() -> None:
    acc, _ = _account()
    acc.clock.ti = 2
    st = _state(acc, 0)
    assert st.symbol == "X"
    assert not st.sparse
    assert st.strategy_id == "acct"
    assert st.position == 0.0
    assert st.cash == 1000.0
    assert st.equity == 1000.0
    assert st.timestamp == pd.Timestamp("2024-01-03")
    acc.buy(0, 2, 2, 12.0, 10.0)
    assert st.cash == 880.0
    assert st.equity == 880.0 + 10 * 12.0
    assert "position=10.0" in repr(st)


@pytest.mark.parametrize(
    "name", ["symbol", "position", "entry_price", "entry_time", "cash", "equity", "timestamp"]
)
def test_strategy_state_attributes_read_only(name: str) -> None:
    acc, _ = _account()
    st = _state(acc, 0)
    with pytest.raises(AttributeError):
        setattr(st, name, 1)
    with pytest.raises(AttributeError):
        st.anything_new = 1  # type: ignore[attr-defined]
