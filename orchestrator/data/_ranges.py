"""Date ranges of loaded data: slicing, symbols that stop early, histories too short to warm up.

Both work on the standard frames every loader of :mod:`orchestrator.data` returns (which
re-exports them): a naive, sorted ``DatetimeIndex`` per symbol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.errors import ConfigError, DataError

__all__ = ["STALE_DAYS", "data_end_warnings", "slice_dates", "warn_short"]


def _bound(value: Any, what: str) -> tuple[pd.Timestamp, bool]:
    """Return (timestamp, whole_day): a date without a time of day covers that whole day."""
    if isinstance(value, str):
        text = value.strip()
        whole_day = len(text) <= 10 and ":" not in text
    else:
        whole_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(
            f"{what} date {value!r} could not be read ({exc}); expected a date such as 2020-01-31"
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"{what} date {value!r} is not a date; expected e.g. 2020-01-31")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp, whole_day


def slice_dates(
    data: Mapping[str, pd.DataFrame],
    start: Any = None,
    end: Any = None,
    *,
    drop_empty: bool = False,
) -> dict[str, pd.DataFrame]:
    """Keep the bars from ``start`` to ``end``, both inclusive (None = open-ended).

    Dates may be ISO strings, ``date``, ``datetime`` or ``Timestamp``; a date without a time
    of day includes all of that day's bars. A symbol left without bars raises DataError
    giving the range and the symbol's actual range, unless ``drop_empty`` (then it is left
    out, and only a result without any bars raises).
    """
    lo, _ = _bound(start, "start") if start is not None else (None, False)
    hi, hi_day = _bound(end, "end") if end is not None else (None, False)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"start {start} is after end {end}; expected start <= end")
    out: dict[str, pd.DataFrame] = {}
    empty: list[str] = []
    for sym, frame in data.items():
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is not None:
            raise DataError(
                f"symbol {sym!r}: expected a frame with a naive DatetimeIndex (as the loaders "
                f"return); found {type(index).__name__} {index.dtype}"
            )
        if not index.is_monotonic_increasing:
            raise DataError(f"symbol {sym!r}: timestamps are not sorted; sort with sort_index()")
        i = 0 if lo is None else int(index.searchsorted(lo, side="left"))
        if hi is None:
            j = len(index)
        elif hi_day:
            j = int(index.searchsorted(hi.normalize() + pd.Timedelta(days=1), side="left"))
        else:
            j = int(index.searchsorted(hi, side="right"))
        if j > i:
            out[sym] = frame.iloc[i:j]
        else:
            empty.append(sym)
    if empty and (not drop_empty or not out):
        ranges = "; ".join(_range_of(s, data[s]) for s in empty)
        raise DataError(
            f"no bars between {_show(start, 'the beginning')} and {_show(end, 'the end')} for "
            f"{', '.join(empty)}: {ranges}; "
            f"choose dates inside the data's range or leave those symbols out"
        )
    return out


def _show(value: Any, default: str) -> str:
    return default if value is None else str(value)


def _range_of(sym: str, frame: pd.DataFrame) -> str:
    if len(frame) == 0:
        return f"{sym} has no bars"
    first, last = frame.index[0], frame.index[-1]
    return f"{sym} has {first.date()} to {last.date()}"


def warn_short(
    data: Mapping[str, pd.DataFrame], warmup: int, *, strategy: str | None = None
) -> list[str]:
    """Return one message per symbol with fewer bars than ``warmup`` (never raises on data).

    Such a symbol cannot be traded by a strategy needing ``warmup`` bars before its first
    decision; the engine and the dashboard show these messages.
    """
    if isinstance(warmup, bool) or not isinstance(warmup, int | np.integer) or warmup < 0:
        raise ConfigError(f"warmup must be an int >= 0; found {warmup!r}")
    who = f"{strategy} needs" if strategy else "the strategy needs"
    return [
        f"{sym} has {len(frame)} bars, fewer than the {int(warmup)} {who} to warm up, so it "
        f"cannot trade {sym} (choose an earlier start date or shorter look-back)"
        for sym, frame in data.items()
        if len(frame) < warmup
    ]


def _span(days: int) -> str:
    """A gap in calendar days, in the unit a reader would use: days, months or years."""
    if days < 60:
        return f"{days} days"
    if days < 365:
        return f"{round(days / 30.44)} months"
    years = round(days / 365.25, 1)
    return f"{years:g} year{'s' if years != 1 else ''}"


# A symbol whose last bar is more than this many calendar days before the run's last bar is
# reported: a long weekend, a holiday or crypto trading on Sundays is not worth a warning.
STALE_DAYS = 10


def data_end_warnings(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """One warning per symbol whose data stop well before the run's end (the last bar of
    any symbol in ``frames``, the date-sliced frames a run uses).

    The engine keeps marking such a symbol at its last close, so a position in it is held
    flat to the end: its return and risk figures after that date are not real.
    """
    ends = {name: frame.index[-1] for name, frame in frames.items() if len(frame)}
    if not ends:
        return []
    run_end = max(ends.values())
    notes = []
    for name, end in ends.items():
        days = (run_end - end).days
        if days > STALE_DAYS:
            last = end.date() if end == end.normalize() else end
            notes.append(
                f"{name}: data ends {last}, {_span(days)} before the run's end; "
                "open positions are marked at its last close"
            )
    return notes
