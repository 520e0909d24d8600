"""A plug-in strategy on the fast path: declared parameters and numpy signals.

Subclassing SignalStrategy gives validated parameters (and dashboard controls) and O(1)
decisions: ``signals`` runs once per symbol over its whole history, and must only look back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestrator import BarWindow
from strategies import SignalStrategy, param
from strategies.indicators import rolling_max, rolling_min


class ChannelMidline(SignalStrategy):
    """Hold while the close is above the middle of the channel of the last ``bars`` bars."""

    name = "channel_midline"
    description = "Buy above the middle of the N-bar high/low channel; sell below it"

    @dataclass(frozen=True)
    class Params:
        bars: int = param(20, min=2, max=250, step=1, help="Bars in the high/low channel")

    params: Params

    @property
    def warmup(self) -> int:
        return self.params.bars - 1

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        n = self.params.bars
        middle = (rolling_max(bars.high, n) + rolling_min(bars.low, n)) / 2
        with np.errstate(invalid="ignore"):  # NaN before the channel exists: no signal
            return bars.close > middle, bars.close < middle
