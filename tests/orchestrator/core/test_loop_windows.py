"""The per-bar loop moves a window on only when no strategy kept it."""

from __future__ import annotations

import numpy as np

from orchestrator import BarWindow, OrchestratorConfig, StrategyOrchestrator
from tests.conftest import ohlc


class _SometimesKeeps:
    """Keeps the window of every third bar (and what it showed then), drops the others."""

    def __init__(self) -> None:
        self.kept: list[tuple[BarWindow, int, float]] = []
        self.seen: list[tuple[str, int, float]] = []

    def should_enter(self, bars: BarWindow, state: object) -> bool:
        self.seen.append((bars.symbol, len(bars), float(bars.close[-1])))
        if len(bars) % 3 == 0:
            self.kept.append((bars, len(bars), float(bars.close[-1])))
        return bool(len(bars) % 4 == 0)

    def should_exit(self, bars: BarWindow, state: object) -> bool:
        return self.should_enter(bars, state)


def test_loop_window_kept_on_some_bars_never_changes_and_others_see_their_bar() -> None:
    keeper = _SometimesKeeps()
    data = {"A": ohlc(np.arange(1.0, 31.0)), "B": ohlc(np.arange(101.0, 113.0), start="2024-01-05")}
    StrategyOrchestrator([(keeper, 1)], 10_000, OrchestratorConfig(logging_level="ERROR")).run(data)
    assert len(keeper.seen) == 30 + 12
    closes = {"A": np.arange(1.0, 31.0), "B": np.arange(101.0, 113.0)}
    for symbol, length, last in keeper.seen:
        assert last == closes[symbol][length - 1]  # every bar saw its own window
    assert len(keeper.kept) == 10 + 4
    for window, length, last in keeper.kept:
        assert (len(window), float(window.close[-1]), window.index) == (length, last, length - 1)
