"""Benchmark of rebalancing inside the engine: what monthly inverse-volatility costs a run.

The demo portfolio (every built-in strategy over every demo symbol, equal weights summing to
0.96) is run without rebalancing and with ``Rebalance(schedule="monthly",
rule="inverse_volatility")`` (and, for reference, monthly fixed weights in both modes and a
5-point drift band, which checks every timestamp). The two runs are timed interleaved (A B A B
...), so a machine busy with other work slows both alike; the figure is the ratio of the best
times. Target: at most 1.2x.

    python bench/bench_rebalance.py            # ~30 s
    python bench/bench_rebalance.py --quick    # smoke run (2021 on, fewer repeats)
"""

from __future__ import annotations

import argparse
import time

from _common import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter history")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats

    from orchestrator import OrchestratorConfig, Rebalance, StrategyOrchestrator
    from orchestrator.data.demo import load_demo
    from strategies import REGISTRY

    print(machine())
    data = load_demo(start="2021-01-01" if args.quick else None)
    weight = 0.12

    def run(rebalance: Rebalance) -> tuple[float, object]:
        config = OrchestratorConfig(logging_level="ERROR", rebalance=rebalance)
        strategies = [(cls(), weight) for cls in REGISTRY.values()]
        orch = StrategyOrchestrator(strategies, 100_000, config)
        started = time.perf_counter()
        result = orch.run(data)
        return time.perf_counter() - started, result

    variants = {
        "none": Rebalance(),
        "monthly inverse_volatility": Rebalance(schedule="monthly", rule="inverse_volatility"),
        "monthly fixed, scale": Rebalance(schedule="monthly"),
        "monthly fixed, cash": Rebalance(schedule="monthly", mode="cash"),
        "drift 0.05, fixed": Rebalance(drift=0.05),
    }
    best = {name: float("inf") for name in variants}
    results: dict[str, object] = {}
    run(variants["none"])  # warm-up: imports, caches
    for _ in range(repeats):
        for name, rebalance in variants.items():
            seconds, results[name] = run(rebalance)
            best[name] = min(best[name], seconds)
    base = best["none"]
    sample = results["none"]
    bars = len(sample.portfolio_equity)  # type: ignore[attr-defined]
    print(
        f"demo run: {len(REGISTRY)} strategies x {len(data)} symbols, {bars} bars; best of "
        f"{repeats}, interleaved"
    )
    for name, seconds in best.items():
        result = results[name]
        print(
            f"  {name:<28} {seconds * 1000:7.1f} ms  {seconds / base:5.2f}x  "
            f"{result.rebalances:4d} rebalances, costs {result.rebalance_costs:9.2f}"  # type: ignore[attr-defined]
        )
    ratio = best["monthly inverse_volatility"] / base
    verdict = "within" if ratio <= 1.2 else "OVER"
    print(f"monthly inverse_volatility / none: {ratio:.2f}x ({verdict} the 1.2x target)")


if __name__ == "__main__":
    main()
