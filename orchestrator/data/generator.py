"""Seeded synthetic market data: correlated regime-switching random walks as OHLCV bars.

:func:`synthetic` gives the same frames for the same seed, in the standard form every loader
of :mod:`orchestrator.data` returns (which re-exports it), for tests, examples and
benchmarks of any length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.market import OHLCV_COLUMNS
from orchestrator.errors import ConfigError

__all__ = ["synthetic"]

# Two volatility/drift regimes (annualised): calm and turbulent, with mean stays in days.
_REGIME_DRIFT = np.array([0.10, -0.18])
_REGIME_VOL = np.array([0.14, 0.34])
_REGIME_DAYS = np.array([100.0, 20.0])
_DAYS_PER_YEAR = 365.25
# Half-life, in days, of the pull of the log price back towards its start: weak enough to be
# invisible over a few years, strong enough that prices stay tradeable over centuries of bars
# (a pure random walk with drift ends at prices no position size can afford).
_REVERSION_HALF_LIFE_DAYS = 5 * _DAYS_PER_YEAR


def _ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    """Return ``x[t] = phi * x[t-1] + shocks[t]`` (x[-1] = 0), vectorised in blocks.

    Within a block ``x[s+j] = phi**j * (phi * x[s-1] + cumsum(shocks * phi**-i)[j])``; blocks
    are short enough (phi**-m <= e**4) that the scaled sums keep full precision.
    """
    n = len(shocks)
    if phi >= 1.0:
        return np.cumsum(shocks)
    block = int(min(n, max(1.0, 4.0 / -np.log(phi))))
    powers = phi ** np.arange(block, dtype=np.float64)
    inverse = 1.0 / powers
    out = np.empty(n)
    previous = 0.0
    for s in range(0, n, block):
        part = shocks[s : s + block]
        k = len(part)
        out[s : s + k] = powers[:k] * (phi * previous + np.cumsum(part * inverse[:k]))
        previous = float(out[s + k - 1])
    return out


def _regimes(rng: np.random.Generator, bars: int, days_per_bar: float) -> np.ndarray:
    """A two-state Markov chain of length ``bars`` (0 = calm, 1 = turbulent), from calm.

    Drawn as alternating geometric run lengths (the same chain, in O(number of runs)).
    """
    stay = np.maximum(_REGIME_DAYS / days_per_bar, 1.0)  # mean stay in bars
    leave = 1.0 / stay
    pairs = int(bars / stay.sum()) + 16
    runs: list[np.ndarray] = []
    total = 0
    while total < bars:
        chunk = np.column_stack([rng.geometric(leave[0], pairs), rng.geometric(leave[1], pairs)])
        runs.append(chunk.ravel())
        total += int(chunk.sum())
    lengths = np.concatenate(runs)
    states = np.resize(np.array([0, 1], dtype=np.int8), len(lengths))
    return np.repeat(states, lengths)[:bars]


def synthetic(
    symbols: int | Sequence[str] = 5,
    bars: int = 1000,
    seed: int = 0,
    *,
    start: Any = "2000-01-03",
    freq: str = "B",
) -> dict[str, pd.DataFrame]:
    """Return deterministic, seeded OHLCV bars for several correlated symbols.

    Model: a shared two-state Markov regime (calm: +10%/yr drift, 14%/yr vol, mean stay 100
    days; turbulent: -18%/yr, 34%/yr, 20 days) drives geometric random walks whose shocks
    load on a common market factor (betas 0.4-0.85, so pairwise correlations of about
    0.15-0.7), with a per-symbol volatility scale (0.7-1.6) and drift tilt. The log price is
    pulled back towards its start with a half-life of five years, so over a few years it is a
    random walk, yet over centuries of bars prices stay within about x0.1 to x10 of the
    start and strategies can still afford them. Each bar opens at
    the previous close times a small gap, high/low reach beyond max/min(open, close), and
    volume (whole units, >= 1) rises with the size of the move and in the turbulent regime.
    Rates are scaled to the bars' mean spacing in calendar time, so minute bars move like
    minutes and daily bars like days.

    ``symbols`` is a count (names SYN00, SYN01, ...) or a list of names. The same seed gives
    identical frames, and symbol ``i`` does not depend on how many symbols are asked for.
    Timestamps are ``pd.date_range(start, periods=bars, freq=freq)``: more than about 68,000
    business days from 2000 pass pandas' last date (2262), so use ``freq="min"`` or ``"h"``
    for long benchmarks (10 x 500,000 minute bars take one to two seconds).
    """
    names = _synthetic_names(symbols)
    if isinstance(bars, bool) or not isinstance(bars, int | np.integer) or bars < 1:
        raise ConfigError(f"bars must be an int >= 1; found {bars!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be an int >= 0; found {seed!r}")
    bars, seed = int(bars), int(seed)
    index = _synthetic_index(start, bars, freq)
    span = int(index.asi8[-1]) - int(index.asi8[0]) if bars > 1 else 0
    days_per_bar = span / (bars - 1) / 86_400e9 if span > 0 else 1.4  # 1.4: business days
    years_per_bar = days_per_bar / _DAYS_PER_YEAR
    phi = float(np.exp(-np.log(2.0) * days_per_bar / _REVERSION_HALF_LIFE_DAYS))
    common = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    state = _regimes(common, bars, days_per_bar)
    market = common.standard_normal(bars)
    drift = _REGIME_DRIFT[state] * years_per_bar
    vol = _REGIME_VOL[state] * np.sqrt(years_per_bar)
    out: dict[str, pd.DataFrame] = {}
    for i, name in enumerate(names):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, i)))
        beta = rng.uniform(0.4, 0.85)
        scale = rng.uniform(0.7, 1.6)
        tilt = rng.normal(0.0, 0.03) * years_per_bar
        price0 = float(np.exp(rng.uniform(np.log(10.0), np.log(500.0))))
        volume0 = float(10.0 ** rng.uniform(4.5, 7.0)) * min(days_per_bar, 1.0)
        sigma = vol * scale
        shock = beta * market + np.sqrt(1.0 - beta * beta) * rng.standard_normal(bars)
        log_move = drift + tilt - 0.5 * sigma * sigma + sigma * shock
        close = price0 * np.exp(_ar1(log_move, phi))
        previous = np.concatenate(([price0], close[:-1]))
        open_ = previous * np.exp(0.25 * sigma * rng.standard_normal(bars))
        high = np.maximum(open_, close) * np.exp(np.abs(0.5 * sigma * rng.standard_normal(bars)))
        low = np.minimum(open_, close) * np.exp(-np.abs(0.5 * sigma * rng.standard_normal(bars)))
        noise = 0.3 * rng.standard_normal(bars) + 0.8 * np.abs(shock) + 0.5 * state
        volume = np.maximum(np.rint(volume0 * np.exp(noise)), 1.0)
        out[name] = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
            index=index,
            columns=list(OHLCV_COLUMNS),
        )
    return out


def _synthetic_index(start: Any, bars: int, freq: str) -> pd.DatetimeIndex:
    try:
        index = pd.date_range(start=start, periods=bars, freq=freq, name="timestamp")
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return index.as_unit("ns")
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(
            f"cannot make {bars} timestamps from {start!r} at freq {freq!r} ({exc}); "
            f"use fewer bars, an earlier start or a finer freq such as 'h' or 'min'"
        ) from None


def _synthetic_names(symbols: int | Sequence[str]) -> list[str]:
    if isinstance(symbols, bool):
        raise ConfigError(f"symbols must be a count or a list of names; found {symbols!r}")
    if isinstance(symbols, int | np.integer):
        if symbols < 1:
            raise ConfigError(f"symbols must be >= 1; found {symbols}")
        width = max(2, len(str(int(symbols) - 1)))
        return [f"SYN{i:0{width}d}" for i in range(int(symbols))]
    if isinstance(symbols, str):
        symbols = [symbols]
    names = [str(s).strip() for s in symbols]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise ConfigError(
            f"symbols must be a count or a list of distinct non-empty names; found {symbols!r}"
        )
    return names
