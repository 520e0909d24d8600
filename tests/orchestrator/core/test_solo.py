"""Sleeves that trade alone run straight through with the same ledger as the per-bar path."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from orchestrator import OrchestratorConfig, StrategyOrchestrator
from orchestrator.core.execution import CostModel
from orchestrator.core.loop import Run
from orchestrator.core.market import Market
from orchestrator.core.solo import solo_states
from orchestrator.core.state import Clock
from strategies import DonchianBreakoutStrategy, RsiReversionStrategy, SmaCrossoverStrategy
from tests.conftest import ohlc


def _data() -> dict[str, object]:
    rng = np.random.default_rng(11)
    out: dict[str, object] = {}
    for k, start in enumerate(("2020-01-01", "2020-02-10", "2020-01-20")):
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 400 - 40 * k)))
        out[f"S{k}"] = ohlc(close, start=start)
    return out


@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("capital", [1_000_000.0, 600.0])
def test_solo_sleeves_equal_per_bar_path(fill: str, capital: float) -> None:
    logging.getLogger("orchestrator").setLevel(logging.ERROR)
    data = _data()
    config = OrchestratorConfig(
        fill=fill, commission_rate=0.001, commission_min=1.0, slippage_bps=5.0,
        close_at_end=True, logging_level="ERROR",
    )  # fmt: skip

    def pairs() -> list[tuple[object, float]]:
        out: list[tuple[object, float]] = []
        for s in data:
            out.append((SmaCrossoverStrategy(fast=3, slow=9, symbols=[s], name=f"sma_{s}"), 0.1))
            out.append((DonchianBreakoutStrategy(entry=5, exit=3, symbols=[s], name=f"d_{s}"), 0.1))
        out.append((RsiReversionStrategy(), 0.3))  # several symbols: not alone
        return out

    sparse = StrategyOrchestrator(pairs(), capital, config).run(data)
    reference = StrategyOrchestrator(pairs(), capital, config).run(data, per_bar=True)
    assert sparse == reference
    assert sum(len(sr.trades) for sr in sparse.strategy_results.values()) > 20


def test_solo_states_only_lone_sparse_states_without_entry_size_or_stops() -> None:
    market = Market.from_data(_data())
    data = [market.symbols[n] for n in sorted(market.symbols)]
    run = Run(data, Clock(market.timeline), CostModel.from_config(OrchestratorConfig()),
              fractional=False, at_open=True)  # fmt: skip
    assert solo_states(run) == []
    stopped = Run(data, Clock(market.timeline), CostModel.from_config(OrchestratorConfig()),
                  fractional=False, at_open=True, stops=[5])  # fmt: skip
    assert solo_states(stopped) == []
