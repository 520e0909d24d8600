"""Shared helpers for the benchmarks: seeded synthetic data, timing, step counting, printing.

The benchmarks are scripts (``python bench/<name>.py``), so this module is imported as
``_common`` from the script's own folder.
"""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "best_of",
    "local_synthetic",
    "machine",
    "rate",
    "steps_of",
    "synthetic_data",
]


def _ar1(shocks: np.ndarray, phi: float, block: int = 1024) -> np.ndarray:
    """Return ``x[t] = phi * x[t-1] + shocks[t]`` (``x[-1] = 0``), vectorised per block.

    Within a block, ``x[s + j] = phi**(j+1) * x[s-1] + phi**j * cumsum(shocks * phi**-k)``;
    blocks of 1,024 keep ``phi**-k`` small, so no precision is lost.
    """
    out = np.empty_like(shocks)
    k = np.arange(block, dtype=np.float64)
    up, down, carry = phi**-k, phi**k, phi ** (k + 1)
    prev = 0.0
    for s in range(0, len(shocks), block):
        e = shocks[s : s + block]
        m = len(e)
        out[s : s + m] = down[:m] * np.cumsum(e * up[:m]) + carry[:m] * prev
        prev = float(out[s + m - 1])
    return out


def local_synthetic(
    symbols: int | Sequence[str] = 5,
    bars: int = 1000,
    seed: int = 0,
    *,
    start: str = "2000-01-03",
    freq: str = "B",
) -> dict[str, pd.DataFrame]:
    """Return seeded OHLCV frames, one per symbol, with valid OHLC. Same arguments, same frames.

    The log close is a slowly mean-reverting random walk: ``x[t] = 0.9995 * x[t-1] + e[t]``,
    ``e ~ N(0, 0.012)`` around a start price in [20, 200]. Day to day it moves like a geometric
    random walk (1.2 % daily volatility), yet even over 200,000 bars prices stay within about
    x0.2 to x6 of the start price, so strategies stay able to trade however long the history
    (a plain random walk drifts to prices no slot can afford, and the run degenerates into
    dropped orders). The open gaps from the previous
    close by ``N(0, 0.003)``; high and low extend beyond max/min(open, close) by a half-normal
    amount, so high >= max(open, close) and low <= min(open, close) always hold.
    """
    names = [f"S{k:02d}" for k in range(symbols)] if isinstance(symbols, int) else list(symbols)
    index = pd.date_range(start, periods=bars, freq=freq, name="timestamp")
    rng = np.random.default_rng(seed)
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        start_price = 20.0 + 180.0 * rng.random()
        close = start_price * np.exp(_ar1(rng.normal(0.0, 0.012, bars), 0.9995))
        prev = np.concatenate(([start_price], close[:-1]))
        open_ = prev * np.exp(rng.normal(0.0, 0.003, bars))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.004, bars)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.004, bars)))
        volume = np.round(rng.lognormal(13.0, 0.5, bars))
        out[name] = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
            index=index,
        )
    return out


def synthetic_data(
    symbols: int,
    bars: int,
    seed: int,
    *,
    start: str = "2000-01-03",
    freq: str = "B",
    source: str = "project",
) -> tuple[dict[str, pd.DataFrame], str]:
    """Return (frames, name of the generator used).

    ``source="project"`` (default): ``orchestrator.data.generator`` (correlated regime-switching
    walks, pulled back towards their start so long histories stay tradeable); ``"local"``:
    :func:`local_synthetic`, a dependency-free stand-in; ``"auto"``: the project's when
    ``orchestrator.data`` is importable, else the local one.
    """
    if source not in ("auto", "project", "local"):
        raise ValueError(f"source must be 'auto', 'project' or 'local'; found {source!r}")
    if source != "local":
        try:
            from orchestrator.data import synthetic
        except ImportError:
            if source == "project":
                raise
        else:
            frames = synthetic(symbols, bars, seed, start=start, freq=freq)
            return frames, "orchestrator.data.generator"
    return local_synthetic(symbols, bars, seed, start=start, freq=freq), "bench._common"


def steps_of(strategies: Sequence[object], data: Mapping[str, Any]) -> int:
    """Count decisions as the engine does: over strategies, the bars of the symbols each trades
    (``strategy.symbols``, default all)."""
    total = 0
    for strategy in strategies:
        wanted = getattr(strategy, "symbols", None)
        names = list(data) if wanted is None else [wanted] if isinstance(wanted, str) else wanted
        total += sum(len(data[name]) for name in names)
    return total


def best_of(setup: Callable[[], Callable[[], object]], repeats: int) -> float:
    """Return the fastest wall time, in seconds, of ``repeats`` runs.

    Each repeat calls ``setup()`` untimed (build fresh strategies and an orchestrator there),
    collects garbage, then times only the callable it returned (e.g. ``orch.run`` bound to the
    data), so neither construction nor the previous run's garbage is charged.
    """
    best = float("inf")
    for _ in range(max(repeats, 1)):
        fn = setup()
        gc.collect()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def rate(steps: int, seconds: float) -> str:
    """Format a throughput such as ``1,234,567 steps/s``."""
    return f"{steps / seconds:,.0f} steps/s" if seconds > 0 else "inf steps/s"


def machine() -> str:
    """One line describing where the figures were measured (the load average shows whether
    other work shared the CPU)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{cpu} x {cores} cores, {platform.system()}{load}"
    )
