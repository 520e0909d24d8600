"""Write your own strategy and run it beside a built-in.

Run it: ``python examples/custom_strategy.py``. Or plug the class into the CLI and the
dashboard by reference: ``examples/custom_strategy.py:DipBuyer``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyOrchestrator,
    StrategyState,
    check_lookahead,
)
from strategies import BaseStrategy, create, param


class DipBuyer(BaseStrategy):
    """Buy after a run of lower closes; sell at a profit target or a stop loss."""

    name = "dip_buyer"
    description = "Buy after N lower closes in a row; sell at +target or -stop from the entry"

    @dataclass(frozen=True)
    class Params:
        downs: int = param(
            3, min=1, max=10, step=1, help="Lower closes in a row that trigger a buy"
        )
        target: float = param(0.05, min=0.005, max=0.5, step=0.005, help="Take profit (0.05 = 5 %)")
        stop: float = param(0.05, min=0.005, max=0.5, step=0.005, help="Stop loss (0.05 = 5 %)")

    params: Params

    @property
    def warmup(self) -> int:
        return self.params.downs

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        closes = bars.close[-(self.params.downs + 1) :]  # a view of the last closes, no copy
        return len(closes) > self.params.downs and bool((np.diff(closes) < 0).all())

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        if state.entry_price is None:  # not holding (the engine only asks while holding)
            return False
        change = bars.close[-1] / state.entry_price - 1.0
        return bool(change >= self.params.target or change <= -self.params.stop)


def main(tickers: tuple[str, ...] = ("AAPL", "MSFT", "^GSPC")) -> OrchestratorResult:
    """Run DipBuyer (60 %) beside the built-in SMA crossover (40 %) on the demo data."""
    from orchestrator.data import load_demo

    data = load_demo(list(tickers), start="2010-01-01", end="2019-12-31")
    dip = DipBuyer(downs=4, target=0.04)
    print(check_lookahead(dip, data))
    orch = StrategyOrchestrator(
        [(dip, "0.6"), (create("sma_crossover", fast=20, slow=100), "0.4")],
        100_000,
        OrchestratorConfig(commission_rate=0.0005, logging_level="ERROR"),
    )
    result = orch.run(data)
    print(result.comparison_table[["total_return", "sharpe_ratio", "max_drawdown", "num_trades"]])
    return result


if __name__ == "__main__":
    main()
