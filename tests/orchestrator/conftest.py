"""Shared fixtures of the orchestrator tests: small real runs for the allocation toolkit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from orchestrator import OrchestratorConfig, OrchestratorResult, StrategyOrchestrator
from tests.conftest import ohlc


class Hold:
    """Buys its one symbol at the first bar and holds it (or exits every ``cycle`` bars)."""

    def __init__(self, symbol: str, cycle: int | None = None) -> None:
        self.symbols = [symbol]
        self.name = f"hold_{symbol.lower()}"
        self.cycle = cycle

    def should_enter(self, bars: object, state: object) -> bool:
        return True

    def should_exit(self, bars: Sequence[object], state: object) -> bool:
        return self.cycle is not None and len(bars) % self.cycle == 0


def random_walks(
    vols: Sequence[float], bars: int = 300, seed: int = 7, start: str = "2022-01-03"
) -> dict[str, pd.DataFrame]:
    """One symbol per volatility (AAA, BBB, ...): daily log-normal closes, opens near them."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=bars)
    data = {}
    for k, vol in enumerate(vols):
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0004, vol, bars)))
        open_ = close * np.exp(rng.normal(0.0, vol / 4, bars))
        data[chr(65 + k) * 3] = ohlc(close, open_, band=0.001, volume=1_000.0, index=index)
    return data


RunFactory = Callable[..., OrchestratorResult]


@pytest.fixture
def allocation_run() -> RunFactory:
    """Build a run of one :class:`Hold` strategy per symbol with the given weights."""

    def build(
        weights: Sequence[float] = (0.4, 0.3, 0.2),
        vols: Sequence[float] = (0.01, 0.02, 0.015),
        bars: int = 300,
        seed: int = 7,
        cycle: int | None = None,
        config: OrchestratorConfig | None = None,
        capital: float = 100_000.0,
    ) -> OrchestratorResult:
        data = random_walks(vols, bars=bars, seed=seed)
        strategies = [(Hold(sym, cycle), w) for sym, w in zip(data, weights, strict=True)]
        return StrategyOrchestrator(strategies, capital, config).run(data)

    return build
