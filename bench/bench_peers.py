"""Benchmark this project against vectorbt in one process, on the same generated data.

Run ``python bench/bench_peers.py [--quick] [--repeats N]`` (needs the ``bench`` extra:
``pip install -e .[bench]``). It prints figures and ratios and never fails on time; it checks
that both engines trade the same (same entry and exit bars, same quantities, final equity
within a cent) and says so. Scenarios (issue 11.3):

1. SMA 10/30 crossover, 10 symbols x 50,000 daily bars, next-open fills, each symbol its own
   sleeve (10 sleeves of 10 %);
2. SMA 10/30 (60 %) and Donchian 20/10 breakout (40 %), 10 x 50,000, each strategy x symbol
   its own sleeve (20 sleeves);
3. SMA 10/30, 500 symbols x 5,000 bars, 500 sleeves;
4. the per-bar protocol: a naive strategy (no ``prepare``, reads ``bars.close`` every bar),
   steps per second against the 400k target (20x backtrader's 18k);
5. orchestration overhead: scenario 2 together against the sum of its two strategies run
   alone; peak memory (tracemalloc) of scenario 1 at 5,000 and 50,000 bars.

vectorbt runs its own indicators (``vbt.MA``), crossings and ``Portfolio.from_signals`` with the
signals shifted one bar and ``price=open`` (next-open fills), whole shares
(``size_granularity=1``), all the sleeve's cash per entry (``size=inf``); its numba functions
are compiled by a warm-up run first, outside the timing. This project runs ``orch.run`` whole
(market building, ``prepare``, the loop, results and metrics). Both are timed best of
``--repeats``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from _common import best_of, machine, synthetic_data

from orchestrator import BarWindow, OrchestratorConfig, StrategyOrchestrator, StrategyState
from orchestrator.core.market import Market
from strategies import DonchianBreakoutStrategy, SmaCrossoverStrategy

SEED = 42
CAPITAL = 1_000_000.0
CONFIG = OrchestratorConfig(logging_level="ERROR")
Data = dict[str, pd.DataFrame]
Pairs = list[tuple[object, float]]


# ---- this project -----------------------------------------------------------------------------


def sleeves(data: Data, makers: Sequence[tuple[Callable[..., object], float]]) -> Pairs:
    """Each strategy x symbol its own sleeve: weight ``share / symbols`` each."""
    out: Pairs = []
    for make, share in makers:
        for symbol in data:
            out.append((make(symbol), share / len(data)))
    return out


def sma(symbol: str) -> object:
    return SmaCrossoverStrategy(fast=10, slow=30, symbols=[symbol], name=f"sma_{symbol}")


def donchian(symbol: str) -> object:
    return DonchianBreakoutStrategy(entry=20, exit=10, symbols=[symbol], name=f"don_{symbol}")


class NaiveMomentum:
    """The per-bar protocol written naively: no ``prepare``; each call reads ``bars.close``.

    Long while the close is above the close 20 bars earlier.
    """

    name = "naive_momentum"

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        close = bars.close
        return len(close) > 20 and bool(close[-1] > close[-21])

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        close = bars.close
        return bool(close[-1] < close[-21])


def ours(pairs: Callable[[], Pairs], data: Data, repeats: int) -> tuple[float, Any]:
    """Best wall time of ``orch.run(data)`` and the last result (fresh strategies each run)."""
    results: list[Any] = []

    def setup() -> Callable[[], object]:
        results.clear()
        orch = StrategyOrchestrator(pairs(), CAPITAL, CONFIG)
        return lambda: results.append(orch.run(data))

    return best_of(setup, repeats), results[-1]


# ---- vectorbt ---------------------------------------------------------------------------------


def frames(data: Data) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """open, high, low, close as one column per symbol (the data share one calendar)."""
    return tuple(  # type: ignore[return-value]
        pd.DataFrame({s: f[col] for s, f in data.items()})
        for col in ("open", "high", "low", "close")
    )


def vbt_sma_signals(vbt: Any, close: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    fast = vbt.MA.run(close, 10, short_name="fast").ma
    slow = vbt.MA.run(close, 30, short_name="slow").ma
    fast.columns = slow.columns = close.columns
    return fast.vbt.crossed_above(slow), fast.vbt.crossed_below(slow)


def vbt_donchian_signals(
    high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    upper = high.rolling(20).max().shift(1)
    lower = low.rolling(10).min().shift(1)
    return close > upper, close < lower


def vbt_portfolio(
    vbt: Any,
    open_: pd.DataFrame,
    close: pd.DataFrame,
    entries: pd.DataFrame,
    exits: pd.DataFrame,
    cash: float,
) -> Any:
    """Signals at bar t's close filled at bar t+1's open, all cash per entry, whole shares."""
    return vbt.Portfolio.from_signals(
        close,
        entries.shift(1, fill_value=False),
        exits.shift(1, fill_value=False),
        price=open_,
        size=np.inf,
        size_granularity=1,
        init_cash=cash,
        freq="1D",
    )


def vbt_run(vbt: Any, data: Data, kinds: Sequence[str], cash: float) -> list[Any]:
    """vectorbt end to end: indicators, crossings, one portfolio per strategy kind."""
    open_, high, low, close = frames(data)
    out = []
    for kind in kinds:
        if kind == "sma":
            entries, exits = vbt_sma_signals(vbt, close)
        else:
            entries, exits = vbt_donchian_signals(high, low, close)
        out.append(vbt_portfolio(vbt, open_, close, entries, exits, cash))
    return out


def vbt_timed(vbt: Any, data: Data, kinds: Sequence[str], cash: float, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        pfs = vbt_run(vbt, data, kinds, cash)
        for pf in pfs:
            pf.trades.count()  # the trade records, as our run builds them
        best = min(best, time.perf_counter() - started)
    return best


# ---- checks -----------------------------------------------------------------------------------


def same_trades(vbt: Any, data: Data, result: Any, kind: str, prefix: str, cash: float) -> str:
    """Feed our declared signals to vectorbt and compare the trades bar for bar, and count the
    bars where vectorbt's own indicator signals differ from ours (float rounding at ties)."""
    open_, high, low, close = frames(data)
    ours_entries = pd.DataFrame(False, index=close.index, columns=close.columns)
    ours_exits = ours_entries.copy()
    make = sma if kind == "sma" else donchian
    for symbol in data:
        strategy = make(symbol)
        sd = Market.from_data({symbol: data[symbol]}).symbols[symbol]
        strategy.prepare(sd.window())  # type: ignore[attr-defined]
        enter, exit_ = strategy.declared_signals(symbol)  # type: ignore[attr-defined]
        ours_entries[symbol] = enter
        ours_exits[symbol] = exit_
    if kind == "sma":
        own_entries, own_exits = vbt_sma_signals(vbt, close)
    else:
        own_entries, own_exits = vbt_donchian_signals(high, low, close)
    differ = int((own_entries.to_numpy() != ours_entries.to_numpy()).sum())
    differ += int((own_exits.to_numpy() != ours_exits.to_numpy()).sum())
    pf = vbt_portfolio(vbt, open_, close, ours_entries, ours_exits, cash)
    records = pf.trades.records_readable
    mismatches = 0
    total = 0
    for symbol in data:
        mine = result.strategy_results[f"{prefix}_{symbol}"].trades
        theirs = records[records["Column"] == symbol]
        total += len(mine)
        if len(mine) != len(theirs):
            mismatches += abs(len(mine) - len(theirs)) or 1
            continue
        same = (
            np.array_equal(mine["quantity"].to_numpy(), theirs["Size"].to_numpy())
            and np.array_equal(
                pd.DatetimeIndex(mine["entry_time"]).to_numpy(),
                pd.DatetimeIndex(theirs["Entry Timestamp"]).to_numpy(),
            )
            and np.allclose(mine["pnl"].to_numpy(), theirs["PnL"].to_numpy(), atol=0.01)
        )
        mismatches += 0 if same else 1
    final_ours = sum(
        float(result.strategy_results[f"{prefix}_{s}"].equity_curve.iloc[-1]) for s in data
    )
    final_vbt = float(pf.value().iloc[-1].sum())
    return (
        f"{kind}: {total:,} trades, {mismatches} mismatched, final equity ours {final_ours:,.2f}"
        f" vs vectorbt {final_vbt:,.2f} (diff {final_ours - final_vbt:+.4f}); vectorbt's own "
        f"indicator signals differ from ours on {differ} of {2 * close.size:,} bar-signals"
    )


# ---- scenarios --------------------------------------------------------------------------------


def line(label: str, bars: int, ours_s: float, vbt_s: float | None) -> None:
    rate = f"{bars / ours_s:>12,.0f} bars/s"
    if vbt_s is None:
        print(f"    {label:<34} ours {ours_s:7.3f} s {rate}")
        return
    print(
        f"    {label:<34} ours {ours_s:7.3f} s {rate}   vectorbt {vbt_s:7.3f} s "
        f"{bars / vbt_s:>12,.0f} bars/s   ours / vectorbt speed = {vbt_s / ours_s:.2f}x"
    )


def scenario(
    vbt: Any, label: str, data: Data, kinds: Sequence[str], repeats: int, check: bool
) -> tuple[float, Any]:
    share = {"sma": 0.6, "donchian": 0.4} if len(kinds) == 2 else {"sma": 1.0}
    makers = [(sma if k == "sma" else donchian, share[k]) for k in kinds]
    bars = sum(len(f) for f in data.values()) * len(kinds)
    seconds, result = ours(lambda: sleeves(data, makers), data, repeats)
    cash = CAPITAL / len(data) * (share["sma"] if len(kinds) == 1 else 1.0)
    vbt_s = None
    if vbt is not None:
        if len(kinds) == 1:
            vbt_s = vbt_timed(vbt, data, kinds, cash, repeats)
        else:  # vectorbt's cash per column differs per strategy: time the two portfolios
            vbt_s = vbt_timed(vbt, data, ["sma"], CAPITAL * 0.6 / len(data), repeats)
            vbt_s += vbt_timed(vbt, data, ["donchian"], CAPITAL * 0.4 / len(data), repeats)
    line(label, bars, seconds, vbt_s)
    if check and vbt is not None:
        for kind in kinds:
            prefix = "sma" if kind == "sma" else "don"
            sleeve_cash = CAPITAL * share[kind] / len(data)
            print(f"      same trades? {same_trades(vbt, data, result, kind, prefix, sleeve_cash)}")
    return seconds, result


def per_bar(data: Data, repeats: int) -> None:
    steps = sum(len(f) for f in data.values())
    seconds, _ = ours(lambda: [(NaiveMomentum(), 1.0)], data, repeats)
    print(
        f"    naive per-bar strategy (no prepare)  {steps:,} steps in {seconds:.3f} s = "
        f"{steps / seconds:,.0f} steps/s   target >= 400,000 (backtrader ~18,000)"
    )


def overhead(data: Data, repeats: int) -> None:
    together, _ = ours(lambda: sleeves(data, [(sma, 0.6), (donchian, 0.4)]), data, repeats)
    alone_sma, _ = ours(lambda: sleeves(data, [(sma, 0.6)]), data, repeats)
    alone_don, _ = ours(lambda: sleeves(data, [(donchian, 0.4)]), data, repeats)
    total = alone_sma + alone_don
    print(
        f"    SMA + Donchian together {together:.3f} s vs alone {alone_sma:.3f} + "
        f"{alone_don:.3f} = {total:.3f} s: ratio {together / total:.2f}x   target <= 1.1x"
    )


def memory(symbols: int, small: int) -> None:
    peaks = []
    for bars in (small, small * 10):
        data, _ = synthetic_data(symbols, bars, SEED, start="1800-01-01", freq="D")
        pairs = sleeves(data, [(sma, 1.0)])
        orch = StrategyOrchestrator(pairs, CAPITAL, CONFIG)
        gc.collect()
        tracemalloc.start()
        orch.run(data)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    print(
        f"    tracemalloc peak of scenario 1's run: {peaks[0]:.1f} MiB at {small:,} bars, "
        f"{peaks[1]:.1f} MiB at {small * 10:,} bars: ratio {peaks[1] / peaks[0]:.1f}x "
        f"(linear: about 10x)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the bars, one repeat")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case, best kept")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; found {args.repeats}")
    logging.getLogger("orchestrator").setLevel(logging.ERROR)
    repeats = 1 if args.quick else args.repeats
    scale = 10 if args.quick else 1
    try:
        import vectorbt as vbt
    except ImportError:
        vbt = None
        print("vectorbt is not installed (pip install -e .[bench]): this project's figures only")
    started = time.perf_counter()
    print(f"bench_peers {date.today().isoformat()}: {machine()}")
    if vbt is not None:
        print(f"vectorbt {vbt.__version__}; compiling its numba functions on a warm-up run ...")
        warm, _ = synthetic_data(2, 200, SEED)
        vbt_run(vbt, warm, ["sma", "donchian"], 1000.0)
    long, _ = synthetic_data(10, 50_000 // scale, SEED, start="1800-01-01", freq="D")
    wide, _ = synthetic_data(500 // scale, 5_000, SEED)
    print(f"data: orchestrator.data.generator, seed {SEED}; times best of {repeats}")
    print("(1)-(3) throughput, bars/s (bars x strategies), and the speed ratio")
    scenario(vbt, f"SMA 10/30, 10 x {50_000 // scale:,}", long, ["sma"], repeats, True)
    scenario(vbt, f"SMA 60% + Donchian 40%, 10 x {50_000 // scale:,}", long,
             ["sma", "donchian"], repeats, True)  # fmt: skip
    scenario(vbt, f"SMA 10/30, {500 // scale} x 5,000", wide, ["sma"], repeats, True)
    print("(4) the per-bar protocol")
    per_bar(long, repeats)
    print("(5) orchestration overhead and memory")
    overhead(long, repeats)
    memory(10, 5_000 // scale)
    print(f"total wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
