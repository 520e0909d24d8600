"""Benchmark the built-in strategies: strategy-bar steps per second of a whole run.

Run ``python bench/bench_strategies.py [--bars N] [--symbols N] [--repeats N] [--quick]
[--source project|local]``. It prints figures and never fails on time. The data are seeded
synthetic daily bars (``orchestrator.data.generator``, 10 x 50,000 by default; ``--source
local`` uses ``bench/_common.py``'s plain random walks). Each built-in runs alone, with its
default parameters, at weight 1.0; ``orch.run`` is timed (best of ``--repeats``), which
includes ``prepare`` (the indicators computed once per symbol) and every fill. A step is one
strategy x symbol x bar decision, counted as the engine counts them.

Columns: steps/s and seconds of the whole run; the trades it made (a fill costs far more than
a decision); ``prepare`` alone over every symbol; and "alone", the strategy's own speed:
``prepare`` plus one ``should_enter`` per bar, without the engine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from _common import best_of, machine, rate, steps_of, synthetic_data

from orchestrator import OrchestratorConfig, StrategyOrchestrator
from orchestrator.core.market import BarWindow, Market
from strategies import REGISTRY, BaseStrategy

SEED = 42
# Fractional quantities: every signal fills (no order is dropped for want of a whole share),
# so the figures include the fills a real run makes. Quiet: capital breaches are not news here.
CONFIG = OrchestratorConfig(fractional=True, logging_level="ERROR")


def prepare_seconds(strategy: BaseStrategy, market: Market) -> float:
    """Time ``strategy.prepare`` over every symbol (0 for a strategy without one)."""
    prepare = getattr(strategy, "prepare", None)
    if not callable(prepare):
        return 0.0
    started = time.perf_counter()
    for data in market.symbols.values():
        prepare(data.window())
    return time.perf_counter() - started


def alone_seconds(strategy: BaseStrategy, market: Market) -> float:
    """Time the strategy without the engine: ``prepare`` plus ``should_enter`` at every bar of
    every symbol, through one window per symbol moved along as the engine moves it."""
    prepare = getattr(strategy, "prepare", None)
    enter = strategy.should_enter
    started = time.perf_counter()
    for data in market.symbols.values():
        if callable(prepare):
            prepare(data.window())
        window = BarWindow(data, 0)
        for end in range(1, len(data) + 1):
            window._end = end  # as the engine does: the same O(1) view, one bar longer
            enter(window, None)  # type: ignore[arg-type]
    return time.perf_counter() - started


def _steps(steps: int, seconds: float) -> str:
    return rate(steps, seconds).removesuffix(" steps/s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bars", type=int, default=50_000, help="bars per symbol (50,000)")
    parser.add_argument("--symbols", type=int, default=10, help="number of symbols (10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per strategy; best kept")
    parser.add_argument("--quick", action="store_true", help="2 x 5,000 bars, one run each")
    parser.add_argument(
        "--source",
        choices=["project", "local", "auto"],
        default="project",
        help="data generator: orchestrator.data.generator (project, default) or bench._common's",
    )
    args = parser.parse_args(argv)
    bars, symbols, repeats = args.bars, args.symbols, args.repeats
    if args.quick:
        bars, symbols, repeats = 5_000, 2, 1

    data, source = synthetic_data(symbols, bars, SEED, source=args.source)
    market = Market.from_data(data)
    print(f"# built-in strategies: {symbols} symbols x {bars:,} daily bars ({source}, seed {SEED})")
    print(f"# {machine()}")
    print(f"# orch.run timed, best of {repeats}; prepare included in the run time")
    print(
        f"{'strategy':<22}{'steps/s':>12}{'run (s)':>9}{'trades':>8}{'prepare (s)':>13}"
        f"{'alone (steps/s)':>17}"
    )
    for name, cls in REGISTRY.items():
        steps = steps_of([cls()], data)
        trades = 0

        def setup(cls: type[BaseStrategy] = cls) -> Callable[[], None]:
            orch = StrategyOrchestrator([(cls(), 1)], 1_000_000, CONFIG)

            def run() -> None:
                nonlocal trades
                trades = len(orch.run(data).trades)

            return run

        seconds = best_of(setup, repeats)
        prep = prepare_seconds(cls(), market)
        alone = min(alone_seconds(cls(), market) for _ in range(max(repeats, 1)))
        print(
            f"{name:<22}{_steps(steps, seconds):>12}{seconds:>9.3f}{trades:>8,}{prep:>13.3f}"
            f"{_steps(steps, alone):>17}"
        )


if __name__ == "__main__":
    main()
