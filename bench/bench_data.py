"""Benchmark the data layer: the demo dataset, CSV/Parquet loading and synthetic data.

Run ``python bench/bench_data.py [--quick]``. It prints figures and never fails on time.

(a) ``load_demo()``: the first call of a process (read + parse + validate the bundled Parquet,
    51,730 rows) and later calls (served from the in-process cache as fresh copies).
(b) ``load_csv`` / ``load_parquet`` of one long-format file of 10 symbols x N daily bars, from
    a path (rows per second, including validation).
(c) ``synthetic(10, 500_000, freq="min")``, the size the memory benchmark uses.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _common import best_of, machine

from orchestrator import data
from orchestrator.data import demo


def _cold_demo() -> float:
    demo._demo_frames.cache_clear()
    started = time.perf_counter()
    data.load_demo()
    return time.perf_counter() - started


def _long_frame(symbols: int, bars: int) -> pd.DataFrame:
    frames = data.synthetic(symbols, bars, seed=1)
    return pd.concat(
        [f.reset_index().assign(ticker=name) for name, f in frames.items()], ignore_index=True
    )


def _loader(
    load: Callable[[Path], dict[str, pd.DataFrame]], path: Path
) -> Callable[[], Callable[[], object]]:
    return lambda: lambda: load(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    bars = 5_000 if args.quick else 50_000
    synthetic_bars = 50_000 if args.quick else 500_000
    print(machine())

    cold = min(_cold_demo() for _ in range(repeats))
    warm = best_of(lambda: data.load_demo, repeats)
    print(f"load_demo(): first call {cold * 1e3:.0f} ms, cached calls {warm * 1e3:.1f} ms")

    long = _long_frame(10, bars)
    rows = len(long)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "long.csv"
        parquet_path = Path(tmp) / "long.parquet"
        long.to_csv(csv_path, index=False)
        long.to_parquet(parquet_path, index=False)
        for label, path, load in (
            ("load_csv", csv_path, data.load_csv),
            ("load_parquet", parquet_path, data.load_parquet),
        ):
            seconds = best_of(_loader(load, path), repeats)
            print(
                f"{label}: 10 symbols x {bars:,} bars ({rows:,} rows, "
                f"{path.stat().st_size / 1e6:.1f} MB) in {seconds:.2f} s, "
                f"{rows / seconds:,.0f} rows/s"
            )

    seconds = best_of(
        lambda: lambda: data.synthetic(10, synthetic_bars, seed=0, freq="min"), repeats
    )
    print(f"synthetic(10, {synthetic_bars:,}, freq='min'): {seconds:.2f} s")


if __name__ == "__main__":
    main()
