"""Properties of whole runs on random markets, weights and strategies (hypothesis).

Random prices are positive random walks over random calendars (every day, weekdays only, or a
random subset); strategies decide at random but deterministically from (seed, symbol, bar), so
the same strategy decides the same way alone or among others.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyOrchestrator,
    StrategyState,
)
from orchestrator.core.metrics import compute_metrics, infer_periods_per_year
from tests.conftest import ohlc

SETTINGS = settings(max_examples=40, deadline=None)


def random_market(seed: int, n_symbols: int, n_days: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-12-29", periods=n_days, freq="D")
    out: dict[str, pd.DataFrame] = {}
    for k in range(n_symbols):
        kind = rng.integers(3)
        if kind == 0:
            mask = np.ones(n_days, dtype=bool)
        elif kind == 1:
            mask = np.asarray(days.day_of_week < 5)
        else:
            mask = rng.random(n_days) < 0.6
        if not mask.any():
            mask[rng.integers(n_days)] = True
        n = int(mask.sum())
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.03, n)))
        open_ = np.concatenate(([100.0], close[:-1])) * np.exp(rng.normal(0.0, 0.01, n))
        high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
        low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
        out[f"S{k}"] = ohlc(close, open_, highs=high, lows=low, volume=1.0, index=days[mask])
    return out


class RandomTrader:
    """Enters with probability ``p_enter`` and exits with ``p_exit``, from (seed, symbol, bar)."""

    def __init__(self, seed: int, p_enter: float, p_exit: float, name: str) -> None:
        self.seed, self.p_enter, self.p_exit, self.name = seed, p_enter, p_exit, name

    def _draw(self, bars: BarWindow, what: str) -> float:
        return random.Random(f"{self.seed}/{bars.symbol}/{len(bars)}/{what}").random()

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._draw(bars, "enter") < self.p_enter

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._draw(bars, "exit") < self.p_exit


class Spy(RandomTrader):
    """A random trader that records what it was shown."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed, 0.3, 0.3, "spy")
        self.seen: list[tuple[str, int, datetime, float, pd.Timestamp]] = []

    def _draw(self, bars: BarWindow, what: str) -> float:
        self.seen.append(
            (bars.symbol, len(bars), bars[-1].timestamp, float(bars.close[-1]), state_ts(bars))
        )
        return super()._draw(bars, what)


def state_ts(bars: BarWindow) -> pd.Timestamp:
    return pd.Timestamp(bars.timestamp[-1])


@st.composite
def weights(draw: st.DrawFn, n: int) -> list[Decimal]:
    """``n`` weights in hundredths, each > 0, summing to at most 1."""
    parts = draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    total = sum(parts)
    slack = draw(st.integers(0, 50))
    return [Decimal(p * 100 // (total + slack)) / 100 or Decimal("0.01") for p in parts]


@st.composite
def configs(draw: st.DrawFn) -> OrchestratorConfig:
    return OrchestratorConfig(
        fill=draw(st.sampled_from(["next_open", "close"])),
        commission_rate=draw(st.sampled_from([0.0, 0.001, 0.01])),
        commission_per_share=draw(st.sampled_from([0.0, 0.01])),
        commission_min=draw(st.sampled_from([0.0, 1.0])),
        slippage_bps=draw(st.sampled_from([0.0, 5.0, 50.0])),
        fractional=draw(st.booleans()),
        max_positions=draw(st.sampled_from([None, 1, 2])),
        close_at_end=draw(st.booleans()),
        logging_level="ERROR",
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n_strategies = draw(st.integers(1, 3))
    return {
        "data": random_market(
            draw(st.integers(0, 2**32 - 1)), draw(st.integers(1, 3)), draw(st.integers(2, 40))
        ),
        "weights": draw(weights(n_strategies)),
        "capital": draw(
            st.sampled_from(
                [Decimal(1000), Decimal("100000"), Decimal("12345.67"), Decimal("20963283.86")]
            )
        ),
        "traders": [
            RandomTrader(
                draw(st.integers(0, 10**6)),
                draw(st.sampled_from([0.1, 0.5, 0.9])),
                draw(st.sampled_from([0.1, 0.5, 0.9])),
                f"t{k}",
            )
            for k in range(n_strategies)
        ],
        "config": draw(configs()),
    }


def run(scenario: dict[str, Any]) -> OrchestratorResult:
    pairs = list(zip(scenario["traders"], scenario["weights"], strict=True))
    orch = StrategyOrchestrator(pairs, scenario["capital"], scenario["config"])
    return orch.run(scenario["data"])


@SETTINGS
@given(scenarios())
def test_properties_portfolio_equals_sum_of_strategies_plus_cash(scenario: dict[str, Any]) -> None:
    result = run(scenario)
    total = sum(sr.equity_curve.to_numpy() for sr in result.strategy_results.values())
    expected = total + result.unallocated_cash
    np.testing.assert_allclose(result.portfolio_equity.to_numpy(), expected, rtol=1e-6, atol=1e-9)
    capital = float(scenario["capital"])
    allocated = sum(sr.allocated_capital for sr in result.strategy_results.values())
    assert abs(allocated + result.unallocated_cash - capital) <= 1e-9 * capital
    assert result.portfolio_equity.index.equals(
        pd.DatetimeIndex(sorted(set().union(*(f.index for f in scenario["data"].values()))))
    )


@SETTINGS
@given(scenarios())
def test_properties_cash_never_negative_and_books_balance(scenario: dict[str, Any]) -> None:
    result = run(scenario)
    for sr in result.strategy_results.values():
        cash = sr.cash_curve.to_numpy()
        assert (cash >= 0.0).all(), f"{sr.strategy_id}: negative cash {cash.min()}"
        assert (sr.positions_value.to_numpy() >= -1e-9).all()
        # Final equity = allocated + pnl of every trade (open ones marked at the last close).
        pnl = float(sr.trades["pnl"].sum())
        assert np.isclose(sr.final_equity, sr.allocated_capital + pnl, rtol=1e-6, atol=1e-6)
        if scenario["config"].close_at_end:
            assert not sr.trades["is_open"].any()
            assert sr.positions_value.iloc[-1] == 0.0
        # Trades are filled on the symbol's own bars, in order.
        for trade in sr.trade_records():
            index = scenario["data"][trade.symbol].index
            assert trade.entry_time in index
            assert trade.exit_time in index
            assert trade.exit_time >= trade.entry_time
            assert trade.quantity > 0
            if not scenario["config"].fractional:
                assert trade.quantity == int(trade.quantity)


@SETTINGS
@given(scenarios())
def test_properties_strategy_alone_gives_same_curve_isolation(scenario: dict[str, Any]) -> None:
    together = run(scenario)
    capital: Decimal = scenario["capital"]
    for trader, weight in zip(scenario["traders"], scenario["weights"], strict=True):
        alone = StrategyOrchestrator([(trader, 1)], capital * weight, scenario["config"]).run(
            scenario["data"]
        )
        a = alone.get_strategy_result(trader.name)
        b = together.get_strategy_result(trader.name)
        assert a.allocated_capital == b.allocated_capital
        np.testing.assert_array_equal(a.equity_curve.to_numpy(), b.equity_curve.to_numpy())
        np.testing.assert_array_equal(a.cash_curve.to_numpy(), b.cash_curve.to_numpy())
        assert a.trades.equals(b.trades)
        assert a.breaches.equals(b.breaches)
        assert a.metrics == b.metrics


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_symbols=st.integers(1, 3),
    n_days=st.integers(1, 30),
    trader_seed=st.integers(0, 1000),
    config=configs(),
)
def test_properties_spy_sees_exactly_bars_up_to_now(
    seed: int, n_symbols: int, n_days: int, trader_seed: int, config: OrchestratorConfig
) -> None:
    data = random_market(seed, n_symbols, n_days)
    spy = Spy(trader_seed)
    StrategyOrchestrator([(spy, 1)], 10_000, config).run(data)
    calls: dict[str, list[tuple[int, datetime, float]]] = {}
    previous: datetime = pd.Timestamp.min
    for symbol, n, last_ts, last_close, window_ts in spy.seen:
        assert last_ts == window_ts
        assert last_ts >= previous  # the timeline only moves forward
        previous = last_ts
        calls.setdefault(symbol, []).append((n, last_ts, last_close))
    for symbol, frame in data.items():
        got = calls[symbol]
        # One call per bar of the symbol, each showing exactly the bars up to that one.
        assert [n for n, _, _ in got] == list(range(1, len(frame) + 1))
        assert [ts for _, ts, _ in got] == list(frame.index)
        assert [c for _, _, c in got] == frame["close"].tolist()


@SETTINGS
@given(scenarios())
def test_properties_metrics_computed_from_returned_curves(scenario: dict[str, Any]) -> None:
    result = run(scenario)
    ppy = result.periods_per_year
    rf = scenario["config"].risk_free_rate
    fill_close = scenario["config"].fill == "close"
    for sr in result.strategy_results.values():
        # A strategy's metrics use its own calendar: the bars of its symbols.
        own = sr.equity_curve.index.isin(
            pd.DatetimeIndex(np.concatenate([scenario["data"][s].index for s in sr.symbols]))
        )
        if scenario["config"].close_at_end:
            own[-1] = True
        curve = sr.equity_curve.to_numpy()[own]
        assert sr.periods_per_year == infer_periods_per_year(sr.equity_curve.index[own])
        capital = sr.allocated_capital
        # First-bar fills count; float rounding of a cost-free fill is not a move.
        if fill_close and abs(curve[0] - capital) > max(1e-9, 1e-12 * capital):
            curve = np.concatenate(([capital], curve))
        expected = compute_metrics(curve, sr.trades, sr.metrics.exposure, sr.periods_per_year, rf)
        assert sr.metrics == expected
        assert sr.metrics.num_trades == int((~sr.trades["is_open"]).sum())
    curve = result.portfolio_equity.to_numpy()
    if not fill_close:
        expected = compute_metrics(curve, result.trades, result.aggregate_metrics.exposure, ppy, rf)
        assert result.aggregate_metrics == expected
