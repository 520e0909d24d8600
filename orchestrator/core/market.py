"""Aligned market data as numpy arrays, and the look-ahead-safe :class:`BarWindow` view.

A :class:`Market` holds, per symbol, contiguous read-only float64 arrays (open, high, low,
close, volume) and int64 nanosecond timestamps, plus one global timeline: the sorted union of
every symbol's timestamps. Symbols keep their own calendars (stocks and crypto mix); each
symbol knows where its bars sit on the timeline.

A strategy sees a :class:`BarWindow`: an O(1) view that ends at the current bar. It never
copies or filters the history, so a run stays linear in the number of bars; and nothing a
window offers (its length, indices, slices, iteration, arrays) reaches past the current bar.

What a window cannot do is hide memory: its arrays are views of the symbol's whole history, so
numpy internals (``bars.close.base``, ``np.lib.stride_tricks.as_strided``) or private fields
(``bars._data``) still reach later bars. No Python object can prevent that;
:func:`orchestrator.check_lookahead` catches a strategy that does it by what it decides. What
is enforced is that nobody writes: every array lives in an immutable ``bytes`` buffer, so
``flags.writeable = True`` fails on the array, on its ``.base`` and on every view of it. The
buffers carry a few NaN (floats) or zero (integers) elements past their end, so a strided read
one past the end of a truncated history reads NaN, not whatever memory follows.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

import numpy as np
import pandas as pd

from orchestrator.core.models import HistoricalDataBar
from orchestrator.core.validation import OHLCV_COLUMNS, PRICE_COLUMNS, validate_ohlcv, where_of
from orchestrator.errors import DataError

__all__ = ["OHLCV_COLUMNS", "PRICE_COLUMNS", "BarWindow", "Market", "SymbolData", "validate_ohlcv"]


# Elements after the end of every buffer (see the module docstring): reads past the data by a
# few strides, as a peeking strategy does on a truncated history, find NaN or 0.
_PAD = 8


def _readonly(array: np.ndarray) -> np.ndarray:
    """Return a 1-D copy of ``array`` on an immutable ``bytes`` buffer, padded after its end.

    ``flags.writeable`` of the result (and of its views) cannot be set to True again, because
    numpy refuses to make writeable an array whose memory belongs to a read-only object.
    """
    array = np.ascontiguousarray(array).reshape(-1)
    pad = np.full(_PAD, np.nan if array.dtype.kind == "f" else 0, dtype=array.dtype)
    buffer = array.tobytes() + pad.tobytes()
    return np.frombuffer(buffer, dtype=array.dtype, count=len(array))


def to_ns(index: Any, name: str, source: str | None = None) -> np.ndarray:
    """Return timestamps as int64 nanoseconds; tz-aware ones are converted to naive UTC."""
    try:
        dt = pd.DatetimeIndex(index)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{where_of(name, source)}: timestamps could not be read as dates ({exc}); expected "
            f"a DatetimeIndex or ISO dates"
        ) from None
    if dt.tz is not None:
        dt = dt.tz_convert("UTC").tz_localize(None)
    if dt.hasnans:
        i = int(np.flatnonzero(dt.isna())[0])
        raise DataError(f"{where_of(name, source)}, row {i}: missing timestamp (NaT)")
    return np.asarray(dt.as_unit("ns").asi8, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SymbolData:
    """The bars of one symbol as read-only arrays, and their positions on the timeline."""

    symbol: str
    time: np.ndarray  # int64 ns
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    positions: np.ndarray  # int64: index of each bar on the global timeline

    def __len__(self) -> int:
        return len(self.time)

    def window(self, end: int | None = None) -> BarWindow:
        """Return a window over bars ``[0, end)`` (the whole history by default)."""
        return BarWindow(self, len(self.time) if end is None else end)


def _frame_arrays(symbol: str, frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in PRICE_COLUMNS if c not in lower]
    if missing:
        raise DataError(
            f"symbol {symbol!r}: missing column(s) {missing}; expected open, high, low, close "
            f"(volume optional); found {list(frame.columns)}"
        )
    if pd.api.types.is_numeric_dtype(frame.index.dtype) and len(frame.index):
        # pd.DatetimeIndex would read 0, 1, 2... as nanoseconds after 1970: refuse instead.
        raise DataError(
            f"symbol {symbol!r}: the index holds numbers ({type(frame.index).__name__}, e.g. "
            f"{frame.index[0]}); expected a DatetimeIndex of bar timestamps (set one with "
            f"df.set_index('timestamp') or pd.to_datetime)"
        )
    times = to_ns(frame.index, symbol)
    columns: dict[str, np.ndarray] = {}
    labels = list(frame.columns)
    if len(set(labels)) == len(labels) and all(d == np.float64 for d in frame.dtypes.tolist()):
        # Every column float64 (the loaders' and generators' frames): one array for all of
        # them, a column per view; pd.to_numeric would return each column unchanged.
        block = frame.to_numpy(dtype=np.float64, copy=False)
        where = {label: k for k, label in enumerate(labels)}
        for col in OHLCV_COLUMNS:
            columns[col] = block[:, where[lower[col]]] if col in lower else np.zeros(len(frame))
        return times, columns
    for col in OHLCV_COLUMNS:
        if col not in lower:
            columns[col] = np.zeros(len(frame))
            continue
        try:
            columns[col] = pd.to_numeric(frame[lower[col]]).to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"symbol {symbol!r}: column {col!r} is not numeric ({exc})") from None
    return times, columns


def _bar_arrays(symbol: str, bars: Sequence[Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    stamps: list[datetime] = []
    rows: list[tuple[float, float, float, float, float]] = []
    for i, bar in enumerate(bars):
        try:
            bar_symbol = getattr(bar, "symbol", symbol)
            if bar_symbol != symbol:
                raise DataError(
                    f"symbol {symbol!r}, row {i}: bar belongs to {bar_symbol!r}; expected "
                    f"every bar in data[{symbol!r}] to have symbol {symbol!r}"
                )
            stamps.append(bar.timestamp)
            rows.append(
                (
                    float(bar.open),
                    float(bar.high),
                    float(bar.low),
                    float(bar.close),
                    float(getattr(bar, "volume", 0.0) or 0.0),
                )
            )
        except DataError:
            raise
        except AttributeError as exc:
            raise DataError(
                f"symbol {symbol!r}, row {i}: {type(bar).__name__} is not a bar ({exc}); "
                f"expected HistoricalDataBar(symbol, timestamp, open, high, low, close, volume)"
            ) from None
        except (TypeError, ValueError) as exc:
            raise DataError(f"symbol {symbol!r}, row {i}: unreadable price ({exc})") from None
    times = to_ns(_stamps(symbol, stamps), symbol)
    table = np.array(rows, dtype=np.float64).reshape(len(rows), 5)
    return times, {col: table[:, k].copy() for k, col in enumerate(OHLCV_COLUMNS)}


def _stamps(symbol: str, stamps: list[Any]) -> pd.DatetimeIndex:
    """Bar timestamps as one index: tz-aware ones in UTC (made naive later by to_ns)."""
    aware = [getattr(t, "tzinfo", None) is not None for t in stamps]
    if any(aware) and not all(aware):
        i = aware.index(not aware[0])
        raise DataError(
            f"symbol {symbol!r}, row {i} ({stamps[i]}): timestamps mix time zones and naive "
            f"times; expected all naive or all time-zone aware"
        )
    try:
        return pd.DatetimeIndex(pd.to_datetime(stamps, utc=any(aware)))
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"symbol {symbol!r}: timestamps could not be read as dates ({exc}); expected "
            f"datetime or pandas Timestamp values"
        ) from None


def _union(stamps: list[np.ndarray]) -> np.ndarray:
    """The sorted union of sorted, duplicate-free timestamp arrays."""
    first = stamps[0]
    if all(len(t) == len(first) and np.array_equal(t, first) for t in stamps[1:]):
        return first  # one calendar for every symbol
    # A sort plus a neighbour mask, not np.unique: numpy 2 takes a hash path for int64 there
    # that is ten times slower on long histories.
    times = np.sort(np.concatenate(stamps), kind="stable")
    keep = np.empty(len(times), dtype=bool)
    keep[:1] = True
    np.not_equal(times[1:], times[:-1], out=keep[1:])
    return times[keep]


class Market:
    """Validated, aligned market data for one run."""

    def __init__(self, symbols: dict[str, SymbolData], timeline: np.ndarray) -> None:
        self.symbols = symbols
        self.timeline = timeline
        self.index = pd.DatetimeIndex(timeline.view("datetime64[ns]"))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], symbols: Sequence[str] | None = None) -> Market:
        """Build a market from ``{symbol: DataFrame | list[HistoricalDataBar]}``.

        Rows are sorted by timestamp; the data are then validated (see :func:`validate_ohlcv`).
        Only ``symbols`` are kept when given (in sorted order).
        """
        if not isinstance(data, Mapping) or not data:
            raise DataError(
                "historical_data must be a non-empty dict {symbol: DataFrame or list of "
                f"HistoricalDataBar}}; found {type(data).__name__} "
                f"{'(empty)' if isinstance(data, Mapping) else ''}".rstrip()
            )
        names = sorted(str(s) for s in (symbols if symbols is not None else data))
        raw: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        for name in names:
            value = data[name]
            if isinstance(value, pd.DataFrame):
                times, cols = _frame_arrays(name, value)
            elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
                times, cols = _bar_arrays(name, value)
            else:
                raise DataError(
                    f"symbol {name!r}: expected a pandas DataFrame or a list of "
                    f"HistoricalDataBar; found {type(value).__name__}"
                )
            if len(times) > 1 and not bool((times[1:] >= times[:-1]).all()):
                order = np.argsort(times, kind="stable")
                times = times[order]
                cols = {k: v[order] for k, v in cols.items()}
            validate_ohlcv(name, times, cols)
            raw[name] = (times, cols)
        timeline = _union([t for t, _ in raw.values()])
        shared = _readonly(timeline)
        # Symbols on the whole timeline (one calendar for all, the common case) share its
        # arrays: positions 0..n-1, found without a search.
        everywhere = _readonly(np.arange(len(timeline), dtype=np.int64))
        out: dict[str, SymbolData] = {}
        for name, (times, cols) in raw.items():
            full = len(times) == len(timeline) and np.array_equal(times, timeline)
            out[name] = SymbolData(
                symbol=name,
                time=shared if full else _readonly(times),
                positions=everywhere if full else _readonly(np.searchsorted(timeline, times)),
                **{k: _readonly(v) for k, v in cols.items()},
            )
        return cls(out, shared)

    def close_on_timeline(self, symbol: str) -> np.ndarray:
        """Return the symbol's latest close at each timeline point (NaN before its first bar)."""
        sd = self.symbols[symbol]
        n = len(self.timeline)
        if len(sd) == n:  # on the whole timeline: the closes themselves
            return np.array(sd.close)
        # Forward fill: each point takes the close of the latest bar at or before it.
        latest = np.full(n, -1, dtype=np.int64)
        latest[sd.positions] = np.arange(len(sd))
        np.maximum.accumulate(latest, out=latest)
        out = np.where(latest >= 0, sd.close[np.maximum(latest, 0)], np.nan)
        return out

    def frame(self, symbol: str) -> pd.DataFrame:
        """Return one symbol's bars as a DataFrame (a copy, for the edges of the system)."""
        sd = self.symbols[symbol]
        return pd.DataFrame(
            {k: np.array(getattr(sd, k)) for k in OHLCV_COLUMNS},
            index=pd.DatetimeIndex(sd.time.view("datetime64[ns]"), name="timestamp"),
        )


class BarWindow:
    """A read-only view of one symbol's bars, ending at the current bar.

    ``len(bars)`` is the number of bars seen so far; ``bars[-1]`` is the current bar as a
    :class:`HistoricalDataBar`; slicing gives a narrower window; ``bars.open``, ``.high``,
    ``.low``, ``.close``, ``.volume`` and ``.timestamp`` are read-only numpy arrays ending at
    the current bar (use these in hot code: they are views, not copies). Any index past the
    current bar raises IndexError: the future is not in the window's API (see the module
    docstring for what numpy internals can still reach, and how that is caught).

    A window never changes once a strategy could see it again: its fields are private and only
    the constructor writes them, except that the engine's per-bar loop moves ``_end`` of a
    window nothing else references (checked with ``sys.getrefcount``; a window has no weak
    references), so a strategy may keep one, or the arrays it gave, and find the same bars
    there later.
    """

    __slots__ = ("_data", "_end", "_start", "symbol")

    def __init__(self, data: SymbolData, end: int, start: int = 0) -> None:
        self._data = data
        self._start = start
        self._end = end
        self.symbol = data.symbol

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def open(self) -> np.ndarray:
        return self._data.open[self._start : self._end]

    @property
    def high(self) -> np.ndarray:
        return self._data.high[self._start : self._end]

    @property
    def low(self) -> np.ndarray:
        return self._data.low[self._start : self._end]

    @property
    def close(self) -> np.ndarray:
        return self._data.close[self._start : self._end]

    @property
    def volume(self) -> np.ndarray:
        return self._data.volume[self._start : self._end]

    @property
    def timestamp(self) -> np.ndarray:
        """Bar timestamps as a read-only ``datetime64[ns]`` array."""
        return self._data.time[self._start : self._end].view("datetime64[ns]")

    @property
    def index(self) -> int:
        """Position of the current bar in the symbol's full history (0-based)."""
        return self._end - 1

    @overload
    def __getitem__(self, key: int) -> HistoricalDataBar: ...

    @overload
    def __getitem__(self, key: slice) -> BarWindow: ...

    def __getitem__(self, key: int | slice) -> HistoricalDataBar | BarWindow:
        n = self._end - self._start
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise IndexError("BarWindow slices take no step; use the numpy arrays instead")
            stop = max(start, stop)
            return BarWindow(self._data, self._start + stop, self._start + start)
        i = operator.index(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(
                f"bar index {key} is outside this window of {n} bars for {self.symbol!r}; "
                f"the window ends at the current bar (bars[-1]) and shows no future bars"
            )
        j = self._start + i
        d = self._data
        return HistoricalDataBar(
            symbol=d.symbol,
            timestamp=pd.Timestamp(int(d.time[j])),
            open=float(d.open[j]),
            high=float(d.high[j]),
            low=float(d.low[j]),
            close=float(d.close[j]),
            volume=float(d.volume[j]),
        )

    def __iter__(self) -> Iterator[HistoricalDataBar]:
        for i in range(self._end - self._start):
            yield self[i]

    def __repr__(self) -> str:
        return f"BarWindow({self.symbol!r}, bars={len(self)})"
