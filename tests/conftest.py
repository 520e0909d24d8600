"""The one home of the tests' market-data builders.

Every test that needs bars builds them here, so a valid OHLCV frame has one definition:

- :func:`ohlc`: bars from explicit closes (and opens, highs, lows when a test needs them);
  high and low hug the open and the close unless given, widened by ``band`` (relative) and
  ``pad`` (absolute);
- :func:`random_walk`: a seeded geometric random walk of closes, as :func:`ohlc` bars.

Import them where a builder is needed at module level (``from tests.conftest import ohlc``,
for parametrize or hypothesis), or take the fixtures of the same name (``def test_x(ohlc)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

__all__ = ["ohlc", "random_walk"]

Prices = Sequence[float] | np.ndarray


def ohlc(
    closes: Prices,
    opens: Prices | None = None,
    *,
    highs: Prices | None = None,
    lows: Prices | None = None,
    volume: float | Prices = 100.0,
    band: float = 0.0,
    pad: float | tuple[float, float] = 0.0,
    start: str = "2024-01-01",
    freq: str = "D",
    index: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Return valid OHLCV bars: ``open`` defaults to the close; ``high``/``low`` default to
    ``max/min(open, close) * (1 +/- band) +/- pad`` (``pad=(up, down)`` pads them apart);
    ``index`` defaults to ``len(closes)`` periods of ``freq`` from ``start``, named
    "timestamp"."""
    close = np.asarray(closes, dtype=float)
    open_ = close.copy() if opens is None else np.asarray(opens, dtype=float)
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    up, down = pad if isinstance(pad, tuple) else (pad, pad)
    high = top * (1 + band) + up if highs is None else np.asarray(highs, dtype=float)
    low = bottom * (1 - band) - down if lows is None else np.asarray(lows, dtype=float)
    if index is None:
        index = pd.date_range(start, periods=len(close), freq=freq, name="timestamp")
    vol = np.broadcast_to(np.asarray(volume, dtype=float), close.shape).copy()
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=index
    )


def random_walk(
    seed: int | np.random.Generator,
    n: int,
    *,
    start_price: float = 100.0,
    vol: float = 0.01,
    band: float = 0.01,
    volume: float = 1e6,
    start: str = "2020-01-01",
    freq: str = "D",
) -> pd.DataFrame:
    """Return ``n`` bars whose closes follow ``start_price * exp(cumsum(N(0, vol)))``, seeded
    (a Generator may be passed to draw several walks from one stream), with open = close and
    high/low ``band`` above and below."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    return ohlc(close, band=band, volume=volume, start=start, freq=freq)


@pytest.fixture(name="ohlc")
def ohlc_fixture() -> Callable[..., pd.DataFrame]:
    """:func:`ohlc`, as a fixture."""
    return ohlc


@pytest.fixture(name="random_walk")
def random_walk_fixture() -> Callable[..., pd.DataFrame]:
    """:func:`random_walk`, as a fixture."""
    return random_walk
