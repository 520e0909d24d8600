"""Market data in: the bundled demo dataset, CSV and Parquet files, and seeded synthetic data.

Every loader returns ``{symbol: DataFrame}`` in one standard form: a ``DatetimeIndex``
(``datetime64[ns]``, naive, named "timestamp", sorted, one bar per timestamp) and float64
columns ``open, high, low, close, volume``. Validation happens here, once, with
:func:`orchestrator.market.validate_ohlcv`; problems raise :class:`~orchestrator.DataError`
naming the file, the symbol, the row or timestamp, the problem and the fix.

Files hold one symbol (named by the file, e.g. ``AAPL.csv``, or by ``symbol=``) or several
in long format (a ``ticker``/``symbol`` column). Column names are matched ignoring case, spaces
and punctuation, with the usual aliases: Date/Datetime/Timestamp/Time, Open, High, Low, Close,
Adj Close, Volume (see ``_loaders._ALIASES``). ``Close`` is used when present, so open, high,
low and close come from one price series; a file with only ``Adj Close`` uses it as the close.
Volume is optional (zeros). Dates may be text (ISO 8601 preferred; other formats are inferred
once per column, month-first before day-first), YYYYMMDD numbers or Unix epoch numbers (s, ms,
us or ns, told apart by size). Timezone-aware timestamps are converted to UTC and made naive;
naive ones are taken as they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import importlib.resources
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestrator._loaders import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    Source,
    file_kind,
    frames_from_table,
    open_source,
    read_csv_table,
    read_parquet_table,
    symbol_from_name,
)
from orchestrator.errors import ConfigError, DataError
from orchestrator.market import OHLCV_COLUMNS

__all__ = [
    "DEMO_NOTICE",
    "DEMO_TICKERS",
    "Source",
    "demo_sources",
    "from_frame",
    "load_csv",
    "load_demo",
    "load_file",
    "load_files",
    "load_parquet",
    "slice_dates",
    "synthetic",
    "warn_short",
]

DEMO_TICKERS: tuple[str, ...] = (
    "AAPL",
    "MSFT",
    "AMZN",
    "NVDA",
    "IBM",
    "GOOGL",
    "^GSPC",
    "^IXIC",
    "BTC-USD",
    "ETH-USD",
)
DEMO_NOTICE = (
    "Demo data: real back-adjusted daily prices of 10 stocks, indices and cryptocurrencies; "
    "series end 2013-2026 depending on ticker (provenance in SOURCES.json)."
)
_DEMO_PACKAGE = "orchestrator.demo_data"
_DEMO_FILE = "demo_daily_ohlcv.parquet"
_SOURCES_FILE = "SOURCES.json"
_CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"


# --- the bundled demo dataset -------------------------------------------------------------


def _package_bytes(filename: str) -> bytes:
    """Read a file of the installed ``orchestrator.demo_data`` package (works from a zip too)."""
    return importlib.resources.files(_DEMO_PACKAGE).joinpath(filename).read_bytes()


def _checkout_bytes(filename: str) -> bytes:
    """Read a file of the repository's ``data/`` folder (running from a source checkout)."""
    return (_CHECKOUT_DATA / filename).read_bytes()


def _demo_bytes(filename: str) -> bytes:
    try:
        return _package_bytes(filename)
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    try:
        return _checkout_bytes(filename)
    except OSError:
        raise DataError(
            f"the demo dataset file {filename} was found neither in the installed package "
            f"{_DEMO_PACKAGE} nor in {_CHECKOUT_DATA}; reinstall the package "
            f"(pip install strategy-orchestrator) or restore data/ in the checkout"
        ) from None


@functools.lru_cache(maxsize=1)
def _demo_frames() -> dict[str, pd.DataFrame]:
    """Parse and validate the demo parquet once per process (callers get copies)."""
    table = read_parquet_table(_demo_bytes(_DEMO_FILE), _DEMO_FILE)
    return frames_from_table(
        table, label=_DEMO_FILE, symbol=None, default_symbol=None, row_name=lambda i: f"row {i}"
    )


@functools.lru_cache(maxsize=1)
def _demo_sources() -> list[dict[str, Any]]:
    sources = json.loads(_demo_bytes(_SOURCES_FILE).decode("utf-8"))
    if not isinstance(sources, list):
        raise DataError(f"{_SOURCES_FILE}: expected a JSON list of per-ticker records")
    return sources


def demo_sources() -> list[dict[str, Any]]:
    """Return the provenance of the demo data (SOURCES.json): one record per ticker."""
    return copy.deepcopy(_demo_sources())


def _unknown(kind: str, unknown: Sequence[str], available: Sequence[str]) -> str:
    folded = {a.lower(): a for a in available}
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=0.6)
        if close:
            hints.append(f"did you mean {folded[close[0]]!r} for {name!r}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (
        f"unknown {kind} {', '.join(map(repr, unknown))}{hint}; available: {', '.join(available)}"
    )


def load_demo(
    tickers: Sequence[str] | str | None = None,
    start: Any = None,
    end: Any = None,
) -> dict[str, pd.DataFrame]:
    """Return the bundled real daily bars (see DEMO_TICKERS), optionally filtered.

    ``tickers`` picks symbols (exact names; unknown ones raise DataError with the available
    list); ``start``/``end`` keep bars between the two dates inclusive (see
    :func:`slice_dates`). With ``tickers=None`` tickers with no bars in the range are left
    out; named tickers with no bars raise DataError. The file is parsed once per process and
    each call returns fresh copies, so callers may modify them.
    """
    frames = _demo_frames()
    if isinstance(tickers, str):
        tickers = [tickers]
    if tickers is None:
        names = [t for t in DEMO_TICKERS if t in frames]
    else:
        names = list(dict.fromkeys(str(t) for t in tickers))
        unknown = [t for t in names if t not in frames]
        if unknown:
            raise DataError(
                _unknown(
                    "demo ticker" if len(unknown) == 1 else "demo tickers",
                    unknown,
                    [t for t in DEMO_TICKERS if t in frames],
                )
            )
        if not names:
            raise DataError(
                f"no demo tickers requested; pick some of {', '.join(DEMO_TICKERS)} or pass "
                f"tickers=None for all"
            )
    chosen = {t: frames[t] for t in names}
    if start is not None or end is not None:
        chosen = slice_dates(chosen, start, end, drop_empty=tickers is None)
    return {t: f.copy() for t, f in chosen.items()}


# --- files ----------------------------------------------------------------------------------


def _csv_row(i: int) -> str:
    return f"line {i + 2}"  # the header is line 1


def _parquet_row(i: int) -> str:
    return f"row {i}"


def load_csv(
    source: Source, *, symbol: str | None = None, name: str | None = None
) -> dict[str, pd.DataFrame]:
    """Load bars from a CSV file: a path, bytes or a file-like object (e.g. an upload).

    One symbol per file (named by ``symbol`` or the file name's stem, so ``name`` matters for
    file-likes) or long format with a ticker column (``symbol`` then selects one ticker).
    Comma, semicolon and tab separators are recognised; .gz/.bz2/.zip/.xz are decompressed.
    """
    label, data = open_source(source, name)
    table = read_csv_table(data, label)
    return frames_from_table(
        table, label=label, symbol=symbol, default_symbol=_stem(label), row_name=_csv_row
    )


def load_parquet(
    source: Source, *, symbol: str | None = None, name: str | None = None
) -> dict[str, pd.DataFrame]:
    """Load bars from a Parquet file (path, bytes or file-like); formats as :func:`load_csv`.

    A DatetimeIndex saved with the frame (``df.to_parquet()``) serves as the date column.
    """
    label, data = open_source(source, name)
    table = read_parquet_table(data, label)
    return frames_from_table(
        table, label=label, symbol=symbol, default_symbol=_stem(label), row_name=_parquet_row
    )


def from_frame(
    frame: pd.DataFrame, *, symbol: str | None = None, source: str = "DataFrame"
) -> dict[str, pd.DataFrame]:
    """Validate an in-memory DataFrame (per-symbol or long format) into standard frames.

    A per-symbol frame needs ``symbol``; ``source`` names the frame in error messages.
    """
    return frames_from_table(
        frame, label=source, symbol=symbol, default_symbol=None, row_name=_parquet_row
    )


def _stem(label: str) -> str | None:
    return None if label.startswith("<") else (symbol_from_name(label) or None)


def load_file(
    source: Source, *, name: str | None = None, symbol: str | None = None
) -> dict[str, pd.DataFrame]:
    """Load a CSV or Parquet file, choosing the reader by the file name's extension.

    ``name`` is the file name of a file-like object or bytes (defaults to its ``.name``). A
    name without a known extension is read as Parquet if the content starts with Parquet's
    magic bytes, else as CSV. A folder loads every CSV/Parquet file in it (:func:`load_files`).
    """
    if isinstance(source, str | Path) and Path(source).is_dir():
        if symbol is not None:
            raise DataError(f"{source}: symbol= applies to one file, not to a folder")
        return load_files([source])
    label, data = open_source(source, name)
    kind = file_kind(label)
    if kind is None:
        suffix = Path(label).suffix.lower()
        if suffix:
            raise DataError(
                f"{label}: unsupported file type {suffix!r}; expected a CSV "
                f"({', '.join(CSV_SUFFIXES[:3])}) or Parquet ({', '.join(PARQUET_SUFFIXES)}) "
                f"file (export spreadsheets as CSV)"
            )
        head = data[:4] if isinstance(data, bytes) else _head(data)
        kind = "parquet" if head == b"PAR1" else "csv"
    reader = load_parquet if kind == "parquet" else load_csv
    return reader(data, symbol=symbol, name=label)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4)


def _expand(sources: Iterable[Any]) -> list[tuple[Source, str | None]]:
    items: list[tuple[Source, str | None]] = []
    for source in sources:
        if isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], str):
            items.append((source[1], source[0]))  # (name, file-like or bytes)
        elif isinstance(source, str | Path) and Path(source).is_dir():
            folder = Path(source)
            found = sorted(p for p in folder.iterdir() if p.is_file() and file_kind(p.name))
            if not found:
                raise DataError(
                    f"{folder}: no CSV or Parquet files in this folder; expected files such "
                    f"as AAPL.csv or prices.parquet"
                )
            items.extend((p, None) for p in found)
        else:
            items.append((source, None))
    return items


def load_files(sources: Iterable[Any]) -> dict[str, pd.DataFrame]:
    """Load several files (paths, folders, file-likes with ``.name``, or (name, file) pairs).

    Per-symbol and long-format files may be mixed. A symbol found in two files raises
    DataError naming both, since silently preferring one would hide a mistake.
    """
    if isinstance(sources, str | Path | bytes):
        sources = [sources]
    out: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    items = _expand(sources)
    if not items:
        raise DataError("no files given; expected at least one CSV or Parquet file")
    for source, name in items:
        label = name or _label_of(source)
        for sym, frame in load_file(source, name=name).items():
            if sym in out:
                raise DataError(
                    f"symbol {sym!r} is in both {origin[sym]} and {label}; expected each symbol "
                    f"in one file only (remove one file or rename the symbol)"
                )
            out[sym] = frame
            origin[sym] = label
    return dict(sorted(out.items()))


def _label_of(source: Any) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return Path(str(getattr(source, "name", "") or "<upload>")).name


# --- date ranges and warm-up ----------------------------------------------------------------


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


# --- synthetic data -------------------------------------------------------------------------

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
