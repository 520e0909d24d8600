"""Benchmark of the allocation toolkit: what a rule costs per rebalance, and on the demo run.

Prints, for the demo portfolio (every built-in strategy over every demo symbol, equal
weights), the engine's run time, the number of monthly rebalances, and the time the rule
``inverse_volatility`` (and every other rule) takes over all of them on the run's own
strategy returns: the extra the engine loop will pay for computing targets once it rebalances
(the transfers and trades themselves are the engine's, not measured here). Then the time of
``suggest``, ``efficient_frontier`` and ``walk_forward`` on the same run, which the dashboard
pays on a click. Times are the best of ``--repeats``; skfolio's first import is reported apart.

    python bench/bench_allocation.py            # ~1 minute
    python bench/bench_allocation.py --quick    # smoke run (~15 s)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _common import best_of, machine

RULES = ("equal", "inverse_volatility", "risk_parity", "min_variance", "max_sharpe", "hrp")


def _skfolio_import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import skfolio.optimization; "
    code += "print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter history")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    from orchestrator import Rebalance, StrategyOrchestrator
    from orchestrator.app.suggest import efficient_frontier, strategy_returns, suggest
    from orchestrator.app.walkforward import walk_forward
    from orchestrator.core.allocation import schedule_indices
    from orchestrator.core.rules import target_weights, trailing_window
    from orchestrator.data.demo import load_demo
    from strategies import REGISTRY

    print(machine())
    data = load_demo(start="2021-01-01" if args.quick else None)
    weight = 1.0 / len(REGISTRY)

    def setup() -> Callable[[], object]:
        strategies = [(cls(), weight) for cls in REGISTRY.values()]
        orch = StrategyOrchestrator(strategies, 100_000, None)
        return lambda: orch.run(data)

    engine_s = best_of(setup, repeats)
    result = StrategyOrchestrator(
        [(cls(), weight) for cls in REGISTRY.values()], 100_000, None
    ).run(data)
    bars = len(result.portfolio_equity)
    print(
        f"demo run: {len(REGISTRY)} strategies x {len(data)} symbols, {bars} bars: "
        f"engine {engine_s * 1000:.0f} ms"
    )
    print(f"skfolio first import (fresh process): {_skfolio_import_seconds() * 1000:.0f} ms")

    returns = strategy_returns(result).to_numpy()
    full = np.vstack([np.zeros((1, returns.shape[1])), returns])  # row 0: no return
    lookback = 126
    due = schedule_indices(
        pd.DatetimeIndex(result.portfolio_equity.index), Rebalance(schedule="monthly")
    )
    fixed = np.full(returns.shape[1], weight)
    print(f"monthly rebalances: {len(due)} (lookback {lookback} bars, {returns.shape[1]} sleeves)")
    for rule in RULES:
        warnings: list[str] = []

        def setup_rule(rule: str = rule, warnings: list[str] = warnings) -> Callable[[], None]:
            def run() -> None:
                previous = fixed
                warnings.clear()
                for t in due:
                    out = target_weights(
                        rule,
                        trailing_window(full, int(t), lookback),
                        total=1.0,
                        fixed=fixed,
                        previous=previous,
                        when=int(t),
                    )
                    previous = out.weights
                    if out.warning:
                        warnings.append(out.warning)

            return run

        seconds = best_of(setup_rule, repeats)
        print(
            f"  {rule:<19} all rebalances {seconds * 1000:7.1f} ms = "
            f"{seconds / engine_s:6.1%} of the engine run; "
            f"{seconds / max(len(due), 1) * 1000:5.2f} ms per rebalance; "
            f"{len(warnings)} fell back to the previous weights"
        )

    for label, fn in (
        ("suggest risk_parity", lambda: suggest(result, "risk_parity")),
        ("efficient_frontier 30 points", lambda: efficient_frontier(result, 30)),
        ("walk_forward hrp 252/63", lambda: walk_forward(result, "hrp", 252, 63)),
    ):
        started = time.perf_counter()
        try:
            fn()
            status = ""
        except Exception as exc:  # a rule may not fit the demo's returns; say so, go on
            status = f" (failed: {str(exc)[:80]})"
        print(f"{label}: {(time.perf_counter() - started) * 1000:.0f} ms{status}")


if __name__ == "__main__":
    main()
