"""Attribution: the P&L split sums to the portfolio's P&L to the cent; shares of risk."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import OrchestratorConfig, OrchestratorResult, StrategyOrchestrator
from orchestrator.core.attribution import (
    CASH_LINE,
    COMMISSIONS_LINE,
    REBALANCING_LINE,
    SLIPPAGE_LINE,
    attribution,
    cash_drag,
    risk_contributions,
    rolling_risk_contributions,
    strategy_pnl,
    weights_over_time,
)
from orchestrator.errors import ConfigError
from tests.conftest import ohlc

CENT = 0.005


class _Hold:
    def __init__(self, symbol: str) -> None:
        self.symbols = [symbol]
        self.name = f"hold_{symbol.lower()}"

    def should_enter(self, bars: object, state: object) -> bool:
        return True

    def should_exit(self, bars: object, state: object) -> bool:
        return False


def _bars(opens: list[float], closes: list[float]) -> pd.DataFrame:
    return ohlc(closes, opens, volume=1.0)


def _hand_run(close_at_end: bool) -> OrchestratorResult:
    config = OrchestratorConfig(
        commission_rate=0.001, slippage_bps=10, close_at_end=close_at_end, logging_level="ERROR"
    )
    data = {"AAA": _bars([100.0, 100.0, 104.0, 108.0], [100.0, 103.0, 107.0, 110.0])}
    return StrategyOrchestrator([(_Hold("AAA"), 0.5)], 10_000, config).run(data)


def _lines(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["component"], frame["pnl"], strict=True))


def test_attribution_hand_computed_open_position() -> None:
    # Signal at bar 0, fill at bar 1's open 100 + 10 bps = 100.1; a unit costs 100.1 x 1.001
    # = 100.2001, so 5,000 buys 49. Commission 0.001 x 49 x 100.1 = 4.9049, slippage 49 x 0.1
    # = 4.90. Marked at 110: equity 5,000 - 4,904.90 - 4.9049 + 5,390 = 5,480.1951.
    result = _hand_run(close_at_end=False)
    lines = _lines(attribution(result))
    assert lines["hold_aaa"] == pytest.approx(490.00, abs=1e-9)  # 49 x (110 - 100)
    assert lines[COMMISSIONS_LINE] == pytest.approx(-4.9049, abs=1e-9)
    assert lines[SLIPPAGE_LINE] == pytest.approx(-4.90, abs=1e-9)
    assert lines[REBALANCING_LINE] == 0.0
    assert lines[CASH_LINE] == pytest.approx(0.0, abs=1e-9)
    assert sum(lines.values()) == pytest.approx(480.1951, abs=1e-9)
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert round(sum(lines.values()), 2) == round(pnl, 2) == 480.20


def test_attribution_hand_computed_closed_at_end() -> None:
    # Sold at 110 - 10 bps = 109.89: commission 0.001 x 49 x 109.89 = 5.38461, slippage
    # 49 x 0.11 = 5.39. Cash 5,000 - 4,909.8049 + 5,384.61 - 5.38461 = 5,469.42049.
    lines = _lines(attribution(_hand_run(close_at_end=True)))
    assert lines["hold_aaa"] == pytest.approx(490.00, abs=1e-9)
    assert lines[COMMISSIONS_LINE] == pytest.approx(-(4.9049 + 5.38461), abs=1e-9)
    assert lines[SLIPPAGE_LINE] == pytest.approx(-(4.90 + 5.39), abs=1e-9)
    assert sum(lines.values()) == pytest.approx(469.42049, abs=1e-9)


def test_cash_drag_hand_computed() -> None:
    # 5,000 left as cash; the sleeve made 480.1951 on 5,000, so the cash gave up as much.
    assert cash_drag(_hand_run(close_at_end=False)) == pytest.approx(480.1951, abs=1e-9)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    weights=st.lists(st.integers(0, 33), min_size=3, max_size=3),
    seed=st.integers(0, 1000),
    cycle=st.sampled_from([None, 7, 23]),
    rate=st.sampled_from([0.0, 0.001]),
    bps=st.sampled_from([0.0, 5.0]),
    close_at_end=st.booleans(),
)
def test_attribution_sums_to_portfolio_pnl_to_the_cent(
    allocation_run,
    weights: list[int],
    seed: int,
    cycle: int | None,
    rate: float,
    bps: float,
    close_at_end: bool,
) -> None:
    config = OrchestratorConfig(
        commission_rate=rate, slippage_bps=bps, close_at_end=close_at_end, logging_level="ERROR"
    )
    result = allocation_run(
        weights=[w / 100 for w in weights], bars=120, seed=seed, cycle=cycle, config=config
    )
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert abs(attribution(result)["pnl"].sum() - pnl) < CENT
    costs = strategy_pnl(result)[["commission", "slippage"]].to_numpy().sum()
    assert costs == pytest.approx(result.trades[["commission", "slippage"]].to_numpy().sum())
    shares = risk_contributions(result)
    if shares.notna().all():
        assert shares.sum() == pytest.approx(1.0, abs=1e-9)


@dataclass(frozen=True, eq=False)
class _Rebalanced(OrchestratorResult):
    """A result with a transfers table, as a rebalancing run will have."""

    transfers: pd.DataFrame | None = None


def _with_transfer(result: OrchestratorResult, k: int, amount: float) -> _Rebalanced:
    """Move ``amount`` from hold_aaa to hold_bbb at bar ``k``; the portfolio is unchanged."""
    moved = dict(result.strategy_results)
    for sid, sign in (("hold_aaa", -1.0), ("hold_bbb", 1.0)):
        sr = moved[sid]
        curve = sr.equity_curve.copy()
        curve.iloc[k:] += sign * amount
        moved[sid] = replace(sr, equity_curve=curve)
    when = result.portfolio_equity.index[k]
    transfers = pd.DataFrame(
        {
            "timestamp": [when, when],
            "strategy_id": ["hold_aaa", "hold_bbb"],
            "amount": [-amount, amount],
        }
    )
    values = {f.name: getattr(result, f.name) for f in fields(result)}
    values["strategy_results"] = moved
    values["transfers"] = transfers
    return _Rebalanced(**values)


def test_attribution_transfers_are_flows_not_pnl(allocation_run) -> None:
    result = allocation_run()
    shifted = _with_transfer(result, 150, 2_000.0)
    before, after = _lines(attribution(result)), _lines(attribution(shifted))
    assert after == pytest.approx(before, abs=1e-9)
    per = strategy_pnl(shifted)
    assert per.loc["hold_aaa", "transfers"] == -2_000.0
    assert per.loc["hold_bbb", "transfers"] == 2_000.0
    assert risk_contributions(shifted).to_numpy() == pytest.approx(
        risk_contributions(result).to_numpy(), abs=1e-12
    )


def test_attribution_rebalance_trades_costs_on_their_own_line(allocation_run) -> None:
    result = allocation_run(config=OrchestratorConfig(commission_rate=0.001, logging_level="ERROR"))
    sr = result.strategy_results["hold_aaa"]
    tagged = sr.trades.assign(reason=["rebalance"] + ["signal"] * (len(sr.trades) - 1))
    values = {f.name: getattr(result, f.name) for f in fields(result)}
    values["strategy_results"] = dict(result.strategy_results) | {
        "hold_aaa": replace(sr, trades=tagged)
    }
    lines = _lines(attribution(OrchestratorResult(**values)))
    before = _lines(attribution(result))
    moved = float(tagged["commission"].iloc[0] + tagged["slippage"].iloc[0])
    assert lines[REBALANCING_LINE] == pytest.approx(-moved)
    assert lines[COMMISSIONS_LINE] == pytest.approx(before[COMMISSIONS_LINE] + moved)
    assert sum(lines.values()) == pytest.approx(sum(before.values()), abs=1e-9)


def test_risk_contributions_match_formula_and_flat_sleeve_zero(allocation_run) -> None:
    result = allocation_run(weights=(0.5, 0.3, 0.0))
    shares = risk_contributions(result)
    assert shares["hold_ccc"] == 0.0
    eq = result.equity_curves
    prev = eq["Portfolio"].to_numpy()[:-1]
    c = np.vstack([np.diff(eq[s].to_numpy()) / prev for s in ("hold_aaa", "hold_bbb")])
    rp = c.sum(axis=0)
    expected = [np.cov(ci, rp, ddof=0)[0, 1] / np.var(rp) for ci in c]
    assert shares[["hold_aaa", "hold_bbb"]].to_numpy() == pytest.approx(expected, rel=1e-10)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)


def test_weights_over_time_shares_sum_to_one_and_drift(allocation_run) -> None:
    result = allocation_run(weights=(0.4, 0.3, 0.2))
    weights = weights_over_time(result)
    assert list(weights.columns) == ["hold_aaa", "hold_bbb", "hold_ccc", "Cash"]
    assert weights.iloc[0].tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1], abs=1e-12)
    assert weights.sum(axis=1).to_numpy() == pytest.approx(np.ones(len(weights)), abs=1e-12)
    last = result.equity_curves.iloc[-1]
    assert weights["hold_bbb"].iloc[-1] == pytest.approx(last["hold_bbb"] / last["Portfolio"])
    assert weights["Cash"].iloc[-1] == pytest.approx(10_000.0 / last["Portfolio"])


def test_rolling_risk_contributions_rows_sum_to_one_and_match_window(allocation_run) -> None:
    result = allocation_run()
    rolling = rolling_risk_contributions(result, window=40)
    assert len(rolling) == len(result.portfolio_equity) - 40
    assert rolling.sum(axis=1).to_numpy() == pytest.approx(np.ones(len(rolling)), abs=1e-9)
    # The last row is the whole-run formula on the last 40 returns.
    eq = result.equity_curves.iloc[-41:]
    prev = eq["Portfolio"].to_numpy()[:-1]
    c = np.vstack([np.diff(eq[s].to_numpy()) / prev for s in rolling.columns])
    rp = c.sum(axis=0)
    expected = [np.cov(ci, rp, ddof=0)[0, 1] / np.var(rp) for ci in c]
    assert rolling.iloc[-1].to_numpy() == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ConfigError, match="window must be a whole number of bars >= 2"):
        rolling_risk_contributions(result, window=1)
