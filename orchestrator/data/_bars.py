"""The checks on one symbol's bars as the file holds them (private; see orchestrator.data).

They run before the bars are sorted, so every message names the line (or row) of the file, as
a spreadsheet user counts it, rather than a position in sorted order. Prices must be finite
and between :data:`MIN_PRICE` and :data:`MAX_PRICE`: a price near 1e-310 or 1e300 is a broken
file, and it would make position sizing overflow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from orchestrator.errors import DataError

__all__ = ["MAX_PRICE", "MIN_PRICE", "check_bars"]

#: The smallest price accepted (micro-priced tokens trade around 1e-6).
MIN_PRICE = 1e-8
#: The largest price accepted.
MAX_PRICE = 1e12
_PRICES = ("open", "high", "low", "close")


def _stamp(ns: int | np.integer) -> str:
    return pd.Timestamp(int(ns)).isoformat()


def check_bars(
    rows: np.ndarray,
    times: np.ndarray,
    columns: Mapping[str, np.ndarray],
    where: Callable[[int], str],
) -> None:
    """Raise DataError for the first unusable bar, naming its line: non-finite or out-of-range
    prices, high below or low above the open and close, negative or non-finite volume, and
    duplicate timestamps (naming both lines).

    ``rows`` are the table rows of these bars (for ``where``), ``times`` their int64 ns and
    ``columns`` their open/high/low/close/volume arrays, all in file order.
    """

    def fail(k: int, text: str) -> DataError:
        return DataError(f"{where(int(rows[k]))} ({_stamp(times[k])}): {text}")

    for col in _PRICES:
        values = columns[col]
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            k = int(bad[0])
            raise fail(
                k,
                f"{col} is {float(values[k])!r}; expected a finite price (drop or fill the "
                f"missing rows, e.g. df.dropna())",
            )
        bad = np.flatnonzero(values <= 0)
        if bad.size:
            k = int(bad[0])
            raise fail(k, f"{col} is {float(values[k])!r}; expected a price > 0")
        bad = np.flatnonzero((values < MIN_PRICE) | (values > MAX_PRICE))
        if bad.size:
            k = int(bad[0])
            raise fail(
                k,
                f"{col} is {float(values[k])!r}; expected a price between {MIN_PRICE:g} and "
                f"{MAX_PRICE:g} (check the column's units or scale)",
            )
    o, h, lo, c = (columns[k] for k in _PRICES)
    # A relative tolerance of a few ulps keeps rounding noise in vendor data from failing.
    top = np.maximum(o, c)
    bad = np.flatnonzero(h < top * (1 - 1e-12))
    if bad.size:
        k = int(bad[0])
        raise fail(
            k,
            f"high {float(h[k])!r} is below max(open, close) {float(top[k])!r}; expected high "
            f">= open and high >= close (check the column order)",
        )
    bottom = np.minimum(o, c)
    bad = np.flatnonzero(lo > bottom * (1 + 1e-12))
    if bad.size:
        k = int(bad[0])
        raise fail(
            k,
            f"low {float(lo[k])!r} is above min(open, close) {float(bottom[k])!r}; expected low "
            f"<= open and low <= close (check the column order)",
        )
    volume = columns["volume"]
    bad = np.flatnonzero(~np.isfinite(volume) | (volume < 0))
    if bad.size:
        k = int(bad[0])
        raise fail(k, f"volume is {float(volume[k])!r}; expected a finite number >= 0")
    if len(times) > 1:
        order = np.argsort(times, kind="stable")
        same = np.flatnonzero(np.diff(times[order]) == 0)
        if same.size:
            first, second = int(order[same[0]]), int(order[same[0] + 1])
            other = where(int(rows[first])).rsplit(", ", 1)[-1]
            raise fail(
                second,
                f"duplicate timestamp, also on {other}; expected one bar per timestamp (drop "
                f"duplicates, e.g. df[~df.index.duplicated()])",
            )
