"""Market data in: the bundled demo dataset, CSV and Parquet files, and seeded synthetic data.

Every loader returns ``{symbol: DataFrame}`` in one standard form: a ``DatetimeIndex``
(``datetime64[ns]``, naive, named "timestamp", sorted, one bar per timestamp) and float64
columns ``open, high, low, close, volume``. Validation happens here, once, with
:func:`orchestrator.market.validate_ohlcv`; problems raise :class:`~orchestrator.DataError`
naming the file, the symbol, the row or timestamp, the problem and the fix.

Files hold one symbol (named by the file, e.g. ``AAPL.csv``, or by ``symbol=``) or several
in long format (a ``ticker``/``symbol`` column). Column names are matched ignoring case, spaces
and punctuation, with the usual aliases: Date/Datetime/Timestamp/Time, Open, High, Low, Close,
Adj Close, Volume (see ``_tables._ALIASES``). ``Close`` is used when present, so open, high,
low and close come from one price series; a file with only ``Adj Close`` uses it as the close.
Volume is optional (zeros). Dates may be text (ISO 8601 preferred; other formats are inferred
once per column, month-first before day-first), YYYYMMDD numbers or Unix epoch numbers (s, ms,
us or ns, told apart by size). Timezone-aware timestamps are converted to UTC and made naive;
naive ones are taken as they are.

Seeded synthetic data is :mod:`orchestrator.synthetic`; date ranges and short-history
warnings are ``orchestrator._ranges``; all three are re-exported here.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib.resources
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from orchestrator._ranges import data_end_warnings, slice_dates, warn_short
from orchestrator._readers import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    Source,
    file_kind,
    open_source,
    read_csv_table,
    read_parquet_table,
    source_label,
    symbol_from_name,
)
from orchestrator._tables import frames_from_table
from orchestrator.errors import DataError
from orchestrator.synthetic import synthetic

__all__ = [
    "DEMO_NOTICE",
    "DEMO_TICKERS",
    "Source",
    "data_end_warnings",
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
        label = source_label(source, name)
        for sym, frame in load_file(source, name=name).items():
            if sym in out:
                raise DataError(
                    f"symbol {sym!r} is in both {origin[sym]} and {label}; expected each symbol "
                    f"in one file only (remove one file or rename the symbol)"
                )
            out[sym] = frame
            origin[sym] = label
    return dict(sorted(out.items()))
