"""The checks every symbol's bars pass before a run (one home for the rule, see
:func:`validate_ohlcv`); :mod:`orchestrator.core.market` and the loaders call it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from orchestrator.errors import DataError

__all__ = ["OHLCV_COLUMNS", "PRICE_COLUMNS", "validate_ohlcv", "where_of"]

PRICE_COLUMNS = ("open", "high", "low", "close")
OHLCV_COLUMNS = (*PRICE_COLUMNS, "volume")


def where_of(name: str, source: str | None) -> str:
    """How a message names the symbol (and its file or upload, when known)."""
    return f"{source}, symbol {name!r}" if source else f"symbol {name!r}"


def validate_ohlcv(
    name: str,
    times: np.ndarray,
    columns: Mapping[str, np.ndarray],
    *,
    source: str | None = None,
) -> None:
    """Raise DataError unless the bars of one symbol are usable, naming the first bad row.

    ``times`` are int64 nanoseconds (already sorted); ``columns`` maps open/high/low/close and
    optionally volume to float arrays of the same length. Checks, in order: not empty,
    strictly increasing timestamps, finite prices > 0, high >= max(open, close),
    low <= min(open, close), volume finite and >= 0.
    """
    where = where_of(name, source)
    n = len(times)
    if n == 0:
        raise DataError(f"{where}: no bars; expected at least one row of OHLC data")
    if _all_good(times, columns):
        return

    def stamp(i: int) -> str:
        return pd.Timestamp(int(times[i])).isoformat()

    if n > 1:
        step = np.diff(times)
        bad = np.flatnonzero(step <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            problem = "duplicate timestamp" if step[bad[0]] == 0 else "timestamps out of order"
            raise DataError(
                f"{where}, row {i} ({stamp(i)}): {problem}; expected one bar per timestamp in "
                f"increasing order (drop duplicates, e.g. df[~df.index.duplicated()])"
            )
    for col in PRICE_COLUMNS:
        values = columns[col]
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{where}, row {i} ({stamp(i)}): {col} is {float(values[i])!r}; expected a finite "
                f"price (drop or fill the missing rows, e.g. df.dropna())"
            )
        bad = np.flatnonzero(values <= 0)
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{where}, row {i} ({stamp(i)}): {col} is {float(values[i])!r}; expected a "
                f"price > 0"
            )
    o, h, lo, c = (columns[k] for k in PRICE_COLUMNS)
    # A relative tolerance of a few ulps keeps rounding noise in vendor data from failing.
    top = np.maximum(o, c)
    bad = np.flatnonzero(h < top * (1 - 1e-12))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{where}, row {i} ({stamp(i)}): high {float(h[i])!r} is below max(open, close) "
            f"{float(top[i])!r}; expected high >= open and high >= close (check the column order)"
        )
    bottom = np.minimum(o, c)
    bad = np.flatnonzero(lo > bottom * (1 + 1e-12))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{where}, row {i} ({stamp(i)}): low {float(lo[i])!r} is above min(open, close) "
            f"{float(bottom[i])!r}; expected low <= open and low <= close (check the column order)"
        )
    volume = columns.get("volume")
    if volume is not None:
        bad = np.flatnonzero(~np.isfinite(volume) | (volume < 0))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{where}, row {i} ({stamp(i)}): volume is {float(volume[i])!r}; expected a finite "
                f"number >= 0 (leave the column out if there is no volume)"
            )


def _all_good(times: np.ndarray, columns: Mapping[str, np.ndarray]) -> bool:
    """True when every check of :func:`validate_ohlcv` passes: the same predicates, reduced
    with ``any``/``all`` (no index of a first bad row to find), so valid data pay one pass each."""
    if len(times) > 1 and not bool((times[1:] > times[:-1]).all()):
        return False
    for col in PRICE_COLUMNS:
        # A NaN fails ``> 0`` too; an infinity passes it, hence the finite check.
        values = columns[col]
        if not bool((values > 0).all()) or not bool(np.isfinite(values).all()):
            return False
    o, h, lo, c = (columns[k] for k in PRICE_COLUMNS)
    if bool((h < np.maximum(o, c) * (1 - 1e-12)).any()):
        return False
    if bool((lo > np.minimum(o, c) * (1 + 1e-12)).any()):
        return False
    volume = columns.get("volume")
    return volume is None or bool((np.isfinite(volume) & (volume >= 0)).all())
