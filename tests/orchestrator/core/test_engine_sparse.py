"""The sparse path for declared signals: same results as the per-bar path, bit for bit.

A strategy that declares its decisions as arrays (``declared_signals``) is visited only where
the relevant array is true; ``run(per_bar=True)`` asks it at every bar instead. The property
below runs both on random markets, configurations and strategy mixes (declared strategies and
per-bar ones sharing symbols, built-ins too) and compares every table exactly.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyError,
    StrategyOrchestrator,
    StrategyState,
)
from orchestrator.core import engine
from orchestrator.core.market import Market
from strategies import DonchianBreakoutStrategy, SmaCrossoverStrategy
from strategies.base import SignalStrategy
from tests.orchestrator.core.test_properties import RandomTrader, configs, random_market


class RandomSignals(SignalStrategy):
    """Declared random entry and exit arrays, seeded per (seed, symbol)."""

    name = "random_signals"

    def __init__(self, seed: int, p_enter: float, p_exit: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed, self.p_enter, self.p_exit = seed, p_enter, p_exit

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, zlib.crc32(bars.symbol.encode())])
        n = len(bars)
        return rng.random(n) < self.p_enter, rng.random(n) < self.p_exit


class Sized(RandomSignals):
    """Random signals that ask for a fraction of equity per entry (from the bar's index)."""

    name = "sized"

    def entry_size(self, bars: BarWindow, state: StrategyState) -> float:
        return (1 + bars.index % 4) / 4


def same(a: OrchestratorResult, b: OrchestratorResult) -> None:
    """Every table of the two results is identical (exact floats, same dtypes)."""
    assert list(a.strategy_results) == list(b.strategy_results)
    for sid, ra in a.strategy_results.items():
        rb = b.strategy_results[sid]
        pd.testing.assert_frame_equal(ra.trades, rb.trades, check_exact=True)
        pd.testing.assert_frame_equal(ra.breaches, rb.breaches, check_exact=True)
        pd.testing.assert_series_equal(ra.equity_curve, rb.equity_curve, check_exact=True)
        pd.testing.assert_series_equal(ra.cash_curve, rb.cash_curve, check_exact=True)
    pd.testing.assert_series_equal(a.portfolio_equity, b.portfolio_equity, check_exact=True)
    assert a == b


def both_paths(pairs: Any, capital: Any, config: OrchestratorConfig, data: Any) -> tuple[Any, Any]:
    sparse = StrategyOrchestrator(pairs(), capital, config).run(data)
    per_bar = StrategyOrchestrator(pairs(), capital, config).run(data, per_bar=True)
    return sparse, per_bar


@st.composite
def mixes(draw: st.DrawFn) -> Callable[[], list[tuple[object, Decimal]]]:
    """A factory of fresh strategies (declared and per-bar, some on a subset of symbols)."""
    kinds = draw(
        st.lists(
            st.sampled_from(["random", "sized", "trader", "sma", "donchian"]),
            min_size=1,
            max_size=4,
        )
    )
    seeds = [draw(st.integers(0, 10**6)) for _ in kinds]
    probs = [draw(st.sampled_from([(0.1, 0.3), (0.5, 0.5), (0.9, 0.2)])) for _ in kinds]
    subset = [draw(st.booleans()) for _ in kinds]

    def build() -> list[tuple[object, Decimal]]:
        out: list[tuple[object, Decimal]] = []
        weight = Decimal(1) / len(kinds)
        weight = weight.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        for k, (kind, seed, (pe, px), sub) in enumerate(
            zip(kinds, seeds, probs, subset, strict=True)
        ):
            symbols = ["S0"] if sub else None
            name = f"{kind}{k}"
            strategy: object
            if kind == "random":
                strategy = RandomSignals(seed, pe, px, symbols=symbols, name=name)
            elif kind == "sized":
                strategy = Sized(seed, pe, px, symbols=symbols, name=name)
            elif kind == "trader":
                trader = RandomTrader(seed, pe, px, name)
                if sub:
                    trader.symbols = symbols  # type: ignore[attr-defined]
                strategy = trader
            elif kind == "sma":
                strategy = SmaCrossoverStrategy(fast=2, slow=5, symbols=symbols, name=name)
            else:
                strategy = DonchianBreakoutStrategy(entry=3, exit=2, symbols=symbols, name=name)
            out.append((strategy, weight))
        return out

    return build


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_symbols=st.integers(1, 3),
    n_days=st.integers(2, 60),
    mix=mixes(),
    config=configs(),
    capital=st.sampled_from([Decimal(1000), Decimal("12345.67"), Decimal(300)]),
)
def test_engine_sparse_and_per_bar_paths_identical_bit_for_bit(
    seed: int,
    n_symbols: int,
    n_days: int,
    mix: Callable[[], list[tuple[object, Decimal]]],
    config: OrchestratorConfig,
    capital: Decimal,
) -> None:
    data = random_market(seed, n_symbols, n_days)
    sparse, per_bar = both_paths(mix, capital, config, data)
    same(sparse, per_bar)


def test_engine_sparse_path_breach_episodes_same_as_per_bar() -> None:
    # A tiny capital: most entries are reduced or dropped, on runs of consecutive bars.
    data = random_market(7, 2, 80)
    config = OrchestratorConfig(logging_level="ERROR", commission_min=2.0)

    def pairs() -> list[tuple[object, float]]:
        return [(RandomSignals(3, 0.9, 0.3), 0.5), (RandomTrader(4, 0.9, 0.3, "t"), 0.5)]

    sparse, per_bar = both_paths(pairs, 150, config, data)
    same(sparse, per_bar)
    assert len(sparse.breaches) > 0
    assert (sparse.breaches["bars"] > 1).any()  # episodes that span several bars


class Counting(RandomSignals):
    """Random signals that count the per-bar questions asked."""

    def __init__(self) -> None:
        super().__init__(1, 0.2, 0.2)
        self.asked = 0

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        self.asked += 1
        return super().should_enter(bars, state)


def test_engine_sparse_path_does_not_ask_per_bar_and_override_disables_it() -> None:
    data = random_market(1, 1, 50)
    plain = RandomSignals(1, 0.2, 0.2)
    StrategyOrchestrator([(plain, 1)], 1000).run(data)
    assert plain.declared_signals("S0") is not None
    counting = Counting()  # overrides should_enter: its answers may differ from the arrays
    StrategyOrchestrator([(counting, 1)], 1000).run(data)
    assert counting.declared_signals("S0") is None
    assert counting.asked > 0


def test_engine_sparse_visits_only_true_signal_bars() -> None:
    data = random_market(2, 2, 200)
    orch = StrategyOrchestrator([(RandomSignals(5, 0.05, 0.05), 1)], 1000)
    market = Market.from_data(data)
    built = engine._Built(orch, market, {orch.strategy_ids[0]: sorted(data)})
    visited: list[int] = []
    original = built.run.visit

    def spy(visits: list[StrategyState], now: list[Any]) -> None:
        visited.extend(s.cursor for s in visits)
        original(visits, now)

    built.run.visit = spy  # type: ignore[method-assign]
    built.run.loop()
    strategy = orch.strategies[0]
    assert isinstance(strategy, RandomSignals)
    true_bars = sum(
        int(a.sum()) + int(b.sum())
        for a, b in (strategy.declared_signals(s) or () for s in sorted(data))  # type: ignore[misc]
    )
    assert 0 < len(visited) <= true_bars  # only true bars are visited, never every bar
    assert len(visited) < sum(len(f) for f in data.values())


def test_engine_forced_stops_call_hook_after_fills_results_unchanged() -> None:
    data = random_market(3, 2, 40)
    orch = StrategyOrchestrator([(RandomSignals(9, 0.3, 0.3), 1)], 1000)
    plain = orch.run(data)
    market = Market.from_data(data)
    calls: list[tuple[int, float]] = []
    holder: dict[str, engine._Built] = {}

    def hook(ti: int) -> None:
        acc = holder["b"].accounts[orch.strategy_ids[0]]
        calls.append((ti, acc.allocation.available_capital))

    built = engine._Built(
        orch, market, {orch.strategy_ids[0]: sorted(data)}, stops=[0, 5, 17, 39], on_stop=hook
    )
    holder["b"] = built
    built.run.loop()
    assert [ti for ti, _ in calls] == [0, 5, 17, 39]
    cash = plain.strategy_results[orch.strategy_ids[0]].cash_curve.to_numpy()
    # At a stop the due fills (at the open) are done, the close fills not yet: the cash is
    # the previous point's unless something filled at this open.
    assert calls[0][1] == 1000.0
    same(built.result(), plain)
    assert all(c == pytest.approx(cash[ti - 1]) or c == cash[ti] for ti, c in calls[1:])


@pytest.mark.parametrize(
    ("declared", "fragment"),
    [
        ((np.zeros(3, bool),), "expected None or a pair"),
        ((np.zeros(3), np.zeros(3, bool)), "entry array of dtype float64"),
        ((np.zeros(3, bool), np.zeros(2, bool)), r"exit array of dtype bool and shape \(2,\)"),
        (([False] * 3, np.zeros(3, bool)), "entry array of dtype list"),
    ],
)
def test_engine_bad_declared_signals_strategy_error(declared: Any, fragment: str) -> None:
    class Bad:
        name = "bad"

        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            return False

        def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
            return False

        def declared_signals(self, symbol: str) -> Any:
            return declared

    data = random_market(0, 1, 3)
    data["S0"] = data["S0"].iloc[:3]
    with pytest.raises(StrategyError, match=fragment) as info:
        StrategyOrchestrator([(Bad(), 1)], 1000).run(data)
    assert "in declared_signals()" in str(info.value)
    # Forced per-bar, the declaration is not read at all.
    StrategyOrchestrator([(Bad(), 1)], 1000).run(data, per_bar=True)


def test_engine_sparse_path_progress_now_and_then_to_completion() -> None:
    # Every bar is a visit (p = 1 on both arrays): the progress callback stays throttled.
    data = random_market(4, 1, 1)
    data["S0"] = pd.concat([data["S0"]] * 500, ignore_index=True).set_index(
        pd.date_range("2024-01-01", periods=500, freq="D")
    )
    calls: list[tuple[int, int]] = []
    StrategyOrchestrator([(RandomSignals(1, 1.0, 1.0), 1)], 1000).run(
        data, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (500, 500)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert 2 <= len(calls) < 500
