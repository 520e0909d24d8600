"""Benchmark the engine: throughput, multi-strategy overhead (NFR-001), memory growth (NFR-002).

Run ``python bench/bench_engine.py [--bars N] [--symbols N] [--repeats N] [--quick]
[--profile] [--tracemalloc] [--data project|local]``. It prints figures and never fails on
time. The data are seeded synthetic daily bars (10 x 50,000 by default, from
``orchestrator.data.generator``); only ``orch.run`` is timed (best of ``--repeats``, default
3), never the data generation. ``--quick`` (10 x 5,000 bars, one repeat, small memory sizes)
is a smoke run of a few seconds.

(a) Strategy-bar steps per second (a step is one strategy x symbol x bar decision, counted as
    the engine counts them) with a do-nothing strategy and with an SMA crossover written against
    the public protocol, in two styles: "prepared" (both SMAs computed once per symbol in
    ``prepare(bars)`` with numpy, then indexed at ``len(bars) - 1``) and "naive" (the means
    recomputed from ``bars.close`` at every call); and the built-in SMA crossover (a
    declared-signal strategy) on the engine's sparse path against the same run forced onto the
    per-bar path (``run(per_bar=True)``), checking that both give the same result.
(b) NFR-001: four strategies run together at weight 0.25 each, against the sum of the four run
    alone at weight 1.0 on the same data.
(c) NFR-002: peak memory of a run of the same four strategies at 10 x 20,000 and 10 x 200,000
    bars, each in a fresh subprocess, above the baseline measured once the data exist: peak RSS
    (the kernel's high-water mark, reset after data creation), and with ``--tracemalloc`` the
    peak of traced Python and numpy allocations.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import best_of, machine, rate, steps_of, synthetic_data

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    OrchestratorResult,
    StrategyOrchestrator,
    StrategyState,
)

SEED = 42
# Quiet: the buy-and-hold strategy's equal-slot entries may log capital breaches.
CONFIG = OrchestratorConfig(logging_level="ERROR")
Data = dict[str, pd.DataFrame]


# ---- strategies, written against the public protocol only ------------------------------------


class DoNothing:
    """Never enters: measures the engine's own cost per decision."""

    name = "do_nothing"

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return False

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Causal rolling mean: ``out[t]`` is the mean of ``values[t - window + 1 : t + 1]`` (bar t
    included), NaN for the first ``window - 1`` bars."""
    out = np.full(len(values), np.nan)
    if len(values) >= window:
        out[window - 1 :] = np.lib.stride_tricks.sliding_window_view(values, window).mean(axis=1)
    return out


class SmaCrossover:
    """Long while the fast SMA of closes is above the slow one; both SMAs are computed once per
    symbol in ``prepare`` and looked up at the current bar."""

    def __init__(self, fast: int = 10, slow: int = 50, name: str = "sma_prepared") -> None:
        self.fast = fast
        self.slow = slow
        self.name = name
        self._sma: dict[str, tuple[list[float], list[float]]] = {}

    def prepare(self, bars: BarWindow) -> None:
        close = bars.close
        self._sma[bars.symbol] = (
            rolling_mean(close, self.fast).tolist(),
            rolling_mean(close, self.slow).tolist(),
        )

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        fast, slow = self._sma[bars.symbol]
        i = len(bars) - 1
        return fast[i] > slow[i]

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        fast, slow = self._sma[bars.symbol]
        i = len(bars) - 1
        return fast[i] < slow[i]


class NaiveSmaCrossover:
    """The same rule, recomputing both means from ``bars.close`` at every call."""

    def __init__(self, fast: int = 10, slow: int = 50, name: str = "sma_naive") -> None:
        self.fast = fast
        self.slow = slow
        self.name = name

    def _means(self, bars: BarWindow) -> tuple[float, float] | None:
        close = bars.close
        if len(close) < self.slow:
            return None
        return float(close[-self.fast :].mean()), float(close[-self.slow :].mean())

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        means = self._means(bars)
        return means is not None and means[0] > means[1]

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        means = self._means(bars)
        return means is not None and means[0] < means[1]


class RandomSignal:
    """Enters and exits at random with fixed probabilities; the draws are seeded per symbol in
    ``prepare``, so the signals are the same alone or alongside other strategies."""

    def __init__(self, seed: int = 7, p_enter: float = 0.05, p_exit: float = 0.1) -> None:
        self.name = "random_signal"
        self.seed = seed
        self.p_enter = p_enter
        self.p_exit = p_exit
        self._signals: dict[str, tuple[list[bool], list[bool]]] = {}

    def prepare(self, bars: BarWindow) -> None:
        rng = np.random.default_rng([self.seed, zlib.crc32(bars.symbol.encode())])
        n = len(bars)
        self._signals[bars.symbol] = (
            (rng.random(n) < self.p_enter).tolist(),
            (rng.random(n) < self.p_exit).tolist(),
        )

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._signals[bars.symbol][0][len(bars) - 1]

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._signals[bars.symbol][1][len(bars) - 1]


class BuyAndHold:
    """Enters at the first bar and never exits."""

    name = "buy_and_hold"

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return True

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


# ---- helpers ----------------------------------------------------------------------------------

Pairs = list[tuple[object, float]]


def alone(make: Callable[[], object]) -> Callable[[], Pairs]:
    """A factory of ``[(fresh strategy, 1.0)]``."""
    return lambda: [(make(), 1.0)]


def together() -> Pairs:
    """The four strategies of the overhead test, at weight 0.25 each."""
    return [
        (DoNothing(), 0.25),
        (SmaCrossover(), 0.25),
        (RandomSignal(), 0.25),
        (BuyAndHold(), 0.25),
    ]


def timed(
    make: Callable[[], Pairs], data: Data, repeats: int
) -> tuple[float, int, OrchestratorResult]:
    """Return (best wall time of ``orch.run(data)`` in seconds, steps per run, the last result).

    Strategies and orchestrator are built afresh for each repeat (``prepare`` keeps per-run
    state in the strategy), outside the timed region.
    """
    results: list[OrchestratorResult] = []

    def setup() -> Callable[[], object]:
        results.clear()  # free the previous run's result before the next one is timed
        orch = StrategyOrchestrator(make(), 100_000, CONFIG)
        return lambda: results.append(orch.run(data))

    seconds = best_of(setup, repeats)
    return seconds, steps_of([s for s, _ in make()], data), results[-1]


def trades_of(result: OrchestratorResult) -> int:
    return sum(len(sr.trades) for sr in result.strategy_results.values())


# ---- (a) throughput ---------------------------------------------------------------------------


def bench_throughput(data: Data, repeats: int) -> None:
    print(f"(a) throughput: strategy-bar steps per second (best of {repeats}, orch.run only)")
    cases: list[tuple[str, Callable[[], object], str]] = [
        ("do-nothing", DoNothing, ">= 1,000,000"),
        ("SMA 10/50, prepared", SmaCrossover, ">= 300,000"),
        ("SMA 10/50, naive", NaiveSmaCrossover, "none (for contrast)"),
    ]
    results: dict[str, OrchestratorResult] = {}
    for label, make, target in cases:
        seconds, steps, results[label] = timed(alone(make), data, repeats)
        print(
            f"    {label:<20} {steps:>10,} steps in {seconds:7.3f} s = "
            f"{rate(steps, seconds):>20}   target {target}"
        )
    prepared, naive = results["SMA 10/50, prepared"], results["SMA 10/50, naive"]
    same = trades_of(prepared) == trades_of(naive) and np.allclose(
        prepared.portfolio_equity.to_numpy(), naive.portfolio_equity.to_numpy()
    )
    print(
        f"    prepared and naive SMA give the same run: {'yes' if same else 'NO'} "
        f"({trades_of(prepared):,} vs {trades_of(naive):,} trades)"
    )
    bench_sparse(data, repeats)


def bench_sparse(data: Data, repeats: int) -> None:
    """The built-in SMA crossover (a declared-signal strategy) on the sparse path, and the same
    run forced onto the per-bar path (``run(per_bar=True)``): same results, different cost."""
    from strategies import SmaCrossoverStrategy

    timings: dict[bool, float] = {}
    runs: dict[bool, OrchestratorResult] = {}
    for per_bar in (False, True):
        kept: list[OrchestratorResult] = []

        def setup(per_bar: bool = per_bar, kept: list[OrchestratorResult] = kept) -> Any:
            kept.clear()
            orch = StrategyOrchestrator(
                [(SmaCrossoverStrategy(fast=10, slow=50), 1.0)], 100_000, CONFIG
            )
            return lambda: kept.append(orch.run(data, per_bar=per_bar))

        timings[per_bar] = best_of(setup, repeats)
        runs[per_bar] = kept[-1]
    steps = steps_of([SmaCrossoverStrategy()], data)
    for per_bar, label in ((False, "sparse path"), (True, "forced per-bar")):
        print(
            f"    built-in SMA 10/50, {label:<15} {steps:>10,} steps in "
            f"{timings[per_bar]:7.3f} s = {rate(steps, timings[per_bar]):>20}"
        )
    same = runs[False] == runs[True]
    print(
        f"    sparse and per-bar paths give the same result: {'yes' if same else 'NO'} "
        f"({trades_of(runs[False]):,} trades); per-bar / sparse time = "
        f"{timings[True] / timings[False]:.2f}x"
    )


# ---- (b) NFR-001 overhead ---------------------------------------------------------------------


def bench_overhead(data: Data, repeats: int) -> None:
    print(
        f"(b) NFR-001: 4 strategies together (0.25 each) vs the sum of the 4 alone (1.0 each), "
        f"best of {repeats}"
    )
    alone_total = 0.0
    for make in (DoNothing, SmaCrossover, RandomSignal, BuyAndHold):
        seconds, steps, result = timed(alone(make), data, repeats)
        alone_total += seconds
        name = getattr(make(), "name", "?")
        print(
            f"    alone     {name:<15} {seconds:7.3f} s  ({rate(steps, seconds)}, "
            f"{trades_of(result):,} trades)"
        )
    both, steps, result = timed(together, data, repeats)
    print(f"    sum of the 4 alone        {alone_total:7.3f} s")
    print(
        f"    together                  {both:7.3f} s  ({rate(steps, both)}, "
        f"{trades_of(result):,} trades)"
    )
    print(f"    ratio together / sum alone = {both / alone_total:.2f}x   target <= 1.2x")


# ---- (c) NFR-002 memory -----------------------------------------------------------------------


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


def memory_child(symbols: int, bars: int, mode: str, source: str) -> dict[str, Any]:
    """Measure one run's peak memory above the baseline taken after the data exist.

    ``mode="rss"``: reset the peak-RSS watermark (``/proc/self/clear_refs``), run, and read
    VmHWM; ``mode="tracemalloc"``: trace allocations (Python and numpy) during the run only.
    """
    # Calendar days from 1700 so that 10 x the default bars still fit pandas' timestamp range.
    data, _ = synthetic_data(symbols, bars, SEED, start="1700-01-01", freq="D", source=source)
    orch = StrategyOrchestrator(together(), 100_000, CONFIG)
    gc.collect()
    if mode == "tracemalloc":
        tracemalloc.start()
        orch.run(data)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"peak_mib": peak / 2**20}
    with open("/proc/self/clear_refs", "w", encoding="utf-8") as f:
        f.write("5")  # reset the peak resident set size to the current one
    baseline = _rss_kib("VmRSS")
    orch.run(data)
    return {"peak_mib": (_rss_kib("VmHWM") - baseline) / 1024, "baseline_mib": baseline / 1024}


def _measure(symbols: int, bars: int, mode: str, source: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", mode]
    cmd += ["--symbols", str(symbols), "--bars", str(bars), "--data", source]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory subprocess failed ({' '.join(cmd)}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_memory(symbols: int, small: int, source: str, modes: Sequence[str]) -> None:
    large = small * 10
    print(
        f"(c) NFR-002: peak memory of one run (4 strategies) above the baseline after data "
        f"creation, {symbols} x {small:,} vs {symbols} x {large:,} bars (fresh subprocess each)"
    )
    for mode in modes:
        lo = _measure(symbols, small, mode, source)["peak_mib"]
        hi = _measure(symbols, large, mode, source)["peak_mib"]
        label = "peak RSS" if mode == "rss" else "tracemalloc peak"
        ratio = f"{hi / lo:.1f}x" if lo > 0 else "n/a"
        per_step = hi * 2**20 / (4 * symbols * large)
        print(
            f"    {label:<17} {lo:7.1f} MiB at {small:>7,} bars, {hi:7.1f} MiB at {large:>7,} "
            f"bars ({per_step:.0f} B per step): ratio {ratio}   target within ~12x"
        )


def memory_modes(quick: bool, with_tracemalloc: bool) -> list[str]:
    """Peak RSS where Linux lets us reset it; tracemalloc (slow: ~70 s at 10 x 200,000 bars)
    on request, in --quick mode (its sizes are too small for RSS pages to tell) or elsewhere."""
    rss = Path("/proc/self/clear_refs").exists()
    if quick or not rss:
        return ["tracemalloc"]
    return ["rss", "tracemalloc"] if with_tracemalloc else ["rss"]


# ---- profile ----------------------------------------------------------------------------------


def profile(data: Data, top: int = 14) -> None:
    """Print cProfile's top functions by own time for the do-nothing and prepared-SMA runs."""
    for label, make in (("do-nothing", DoNothing), ("SMA prepared", SmaCrossover)):
        orch = StrategyOrchestrator(alone(make)(), 100_000, CONFIG)
        prof = cProfile.Profile()
        prof.runcall(orch.run, data)
        print(f"--- cProfile, {label} (times inflated by profiling) ---")
        pstats.Stats(prof).sort_stats("tottime").print_stats(top)


# ---- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bars", type=int, default=None, help="bars per symbol (default 50,000)")
    parser.add_argument("--symbols", type=int, default=10, help="number of symbols (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case, best kept")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (< 15 s)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top costs")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure memory with tracemalloc (adds about 80 s at the default sizes)",
    )
    parser.add_argument(
        "--data",
        choices=["project", "local"],
        default="project",
        help="synthetic data from orchestrator.data.generator (default) or from "
        "bench/_common.py's local_synthetic",
    )
    parser.add_argument("--memory-child", choices=["rss", "tracemalloc"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.symbols < 1 or args.repeats < 1 or (args.bars is not None and args.bars < 100):
        parser.error(
            f"need --symbols >= 1, --repeats >= 1 and --bars >= 100 (the SMA needs 50 bars of "
            f"warm-up); found --symbols {args.symbols}, --repeats {args.repeats}, "
            f"--bars {args.bars}"
        )
    if args.memory_child:
        print(json.dumps(memory_child(args.symbols, args.bars, args.memory_child, args.data)))
        return
    bars = args.bars or (5_000 if args.quick else 50_000)
    repeats = 1 if args.quick else args.repeats
    memory_bars = 1_000 if args.quick else 20_000
    started = time.perf_counter()
    data, source = synthetic_data(args.symbols, bars, SEED, source=args.data)
    print(f"bench_engine {date.today().isoformat()}: {machine()}")
    print(f"data: {args.symbols} symbols x {bars:,} daily bars, seed {SEED}, from {source}")
    bench_throughput(data, repeats)
    print(f"    [section took {time.perf_counter() - started:.1f} s]")
    mark = time.perf_counter()
    bench_overhead(data, repeats)
    print(f"    [section took {time.perf_counter() - mark:.1f} s]")
    mark = time.perf_counter()
    bench_memory(args.symbols, memory_bars, args.data, memory_modes(args.quick, args.tracemalloc))
    print(f"    [section took {time.perf_counter() - mark:.1f} s]")
    if args.profile:
        profile(data)
    print(f"total wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
