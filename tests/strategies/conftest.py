"""Tiny hand-made price series and a runner that reports trades as bar indices."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import pytest

from orchestrator import BarWindow, OrchestratorConfig, StrategyOrchestrator
from orchestrator.core.market import Market
from tests.conftest import ohlc

# fill="close": a signal at bar t fills at bar t's close, so a trade's entry and exit times
# are exactly the bars where the strategy said yes.
CLOSE_FILLS = OrchestratorConfig(fill="close", fractional=True, logging_level="ERROR")

Trades = list[tuple[str, int, int | None]]


def bars_frame(
    closes: Sequence[float],
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """Daily bars with open = close (high/low = close unless given): the shared builder."""
    return ohlc(closes, highs=highs, lows=lows, volume=1000.0, start=start)


def run_trades(strategy: object, data: Mapping[str, pd.DataFrame]) -> Trades:
    """Run ``strategy`` alone with close fills; return (symbol, entry bar, exit bar or None
    while still open) per trade, in entry order."""
    result = StrategyOrchestrator([(strategy, 1)], 10_000, CLOSE_FILLS).run(data)
    out: Trades = []
    for row in result.trades.sort_values(["entry_time", "symbol"]).itertuples():
        index = data[row.symbol].index
        exit_bar = None if row.is_open else int(index.get_loc(row.exit_time))
        out.append((row.symbol, int(index.get_loc(row.entry_time)), exit_bar))
    return out


@pytest.fixture
def trades_of() -> Callable[[object, Mapping[str, pd.DataFrame]], Trades]:
    return run_trades


@pytest.fixture
def frame() -> Callable[..., pd.DataFrame]:
    return bars_frame


def whole_window(df: pd.DataFrame, symbol: str = "X") -> BarWindow:
    """A window over all of ``df``'s bars, as ``prepare`` receives it."""
    return Market.from_data({symbol: df}).symbols[symbol].window()


@pytest.fixture
def window() -> Callable[..., BarWindow]:
    return whole_window
