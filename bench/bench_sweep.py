"""Benchmark sweeps on Dask: runs per second with 1 and 2 local workers, the speed-up, the share
of time outside the runs (scheduling and transfer), and the peak memory per worker.

Run ``python bench/bench_sweep.py [--quick] [--workers 1,2] [--symbols N] [--bars N]``. It
prints figures and never fails on time. By default: a 1,000-combination SMA crossover grid
(fast 1..25 x slow 30..225 step 5) on 10 seeded synthetic symbols x 5,000 daily bars
(``orchestrator.data.synthetic``), weight 1.0. ``--quick``: 60 combinations on 3 x 1,000.

For each worker count a ``LocalCluster`` of single-threaded worker processes is started (its
start-up and the workers' first imports are timed apart), and ``orchestrator.sweep`` runs on
it, timed from the call to the table. The task stream gives each task's compute time;
"outside runs" is ``1 - compute / (workers x wall)``: scheduling, the one broadcast of the
data, the batches' transfer and the idle tail. Peak memory is each worker process's maximum
resident set size afterwards. "Had the CPU" is the workers' CPU time over ``workers x wall``:
on a machine shared with other work it falls below 100 % and the speed-up with it. A
single-process baseline (plain ``RunSpec.run`` calls) shows what Dask adds.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from typing import Any

from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.app.sweep import plan_sweep, sweep
from orchestrator.data import synthetic


def _peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> None:
    """Import the engine and the strategies on a worker (a one-off, kept out of the timing)."""
    import orchestrator.app.sweep  # noqa: F401
    import strategies  # noqa: F401


def _grid(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "sma_crossover.fast": {"start": 2, "stop": 20, "step": 2},
            "sma_crossover.slow": {"start": 30, "stop": 80, "step": 10},
        }
    return {
        "sma_crossover.fast": {"start": 1, "stop": 25, "step": 1},
        "sma_crossover.slow": {"start": 30, "stop": 225, "step": 5},
    }


def _baseline(spec: RunSpec, grid: dict[str, Any], frames: Any, count: int) -> float:
    """Runs per second of plain in-process runs of ``count`` combinations spread evenly over
    the grid (the first ones alone would all be the cheapest, short windows)."""
    plan = plan_sweep(spec, grid)
    every = max(1, plan.count // count)
    specs = [plan.specs[i] for i in plan.indices[::every][:count]]
    started = time.perf_counter()
    for one in specs:
        one.run(frames, logging_level="ERROR")
    return len(specs) / (time.perf_counter() - started)


def _one(spec: RunSpec, grid: dict[str, Any], frames: Any, workers: int) -> dict[str, float]:
    import importlib

    dist: Any = importlib.import_module("distributed")  # untyped: Any for mypy --strict
    Client, LocalCluster, get_task_stream = (  # noqa: N806
        dist.Client,
        dist.LocalCluster,
        dist.get_task_stream,
    )
    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
    )
    client = Client(cluster, set_as_default=False)
    client.run(_warm)
    startup = time.perf_counter() - started
    try:
        cpu_before = client.run(time.process_time)
        with get_task_stream(client=client) as stream:
            begun = time.perf_counter()
            table = sweep(spec, grid, data=frames, client=client, progress=False)
            wall = time.perf_counter() - begun
        cpu = sum(client.run(time.process_time).values()) - sum(cpu_before.values())
        compute = 0.0
        for task in stream.data:
            for part in task.get("startstops", ()):
                if part["action"] == "compute":
                    compute += part["stop"] - part["start"]
        peaks = client.run(_peak_rss_mib)
    finally:
        client.close()
        cluster.close()
    failed = int(table["error"].notna().sum())
    return {
        "runs": float(len(table)),
        "failed": float(failed),
        "startup": startup,
        "wall": wall,
        "rate": len(table) / wall,
        "outside": 1.0 - compute / (workers * wall),
        "peak": max(peaks.values()),
        "cpu_share": cpu / (workers * wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 combinations on 3 x 1,000")
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument("--symbols", type=int, help="symbols (default 10; 3 with --quick)")
    parser.add_argument("--bars", type=int, help="bars per symbol (default 5,000; 1,000 quick)")
    args = parser.parse_args()
    symbols = args.symbols or (3 if args.quick else 10)
    bars = args.bars or (1_000 if args.quick else 5_000)
    frames = synthetic(symbols, bars, seed=42)
    spec = RunSpec(
        strategies=(StrategySpec("sma_crossover", "1.0", {"fast": 10, "slow": 50}),),
        symbols=tuple(frames),
    )
    grid = _grid(args.quick)
    count = plan_sweep(spec, grid).count
    print(
        f"sweep benchmark: {count:,} SMA combinations on {symbols} symbols x {bars:,} bars; "
        f"{platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    base = _baseline(spec, grid, frames, 10 if args.quick else 20)
    print(f"single process, no Dask:  {base:8.1f} runs/s")
    rates: dict[int, float] = {}
    for workers in (int(w) for w in args.workers.split(",")):
        r = _one(spec, grid, frames, workers)
        rates[workers] = r["rate"]
        print(
            f"{workers} local worker(s):      {r['rate']:8.1f} runs/s  "
            f"({r['runs']:,.0f} runs in {r['wall']:.1f} s, {r['failed']:.0f} failed; cluster "
            f"start {r['startup']:.1f} s; outside runs {100 * r['outside']:.1f} %; peak "
            f"memory per worker {r['peak']:.0f} MiB; the workers had the CPU "
            f"{100 * r['cpu_share']:.0f} % of the time)"
        )
    if 1 in rates and 2 in rates:
        print(f"speed-up 2 vs 1 workers:  {rates[2] / rates[1]:8.2f}x")


if __name__ == "__main__":  # worker processes are spawned: import this module without running
    main()
