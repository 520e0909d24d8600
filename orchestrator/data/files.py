"""Market data from files: CSV and Parquet paths, bytes and uploads, and in-memory frames.

Every loader returns ``{symbol: DataFrame}`` in one standard form: a ``DatetimeIndex``
(``datetime64[ns]``, naive, named "timestamp", sorted, one bar per timestamp) and float64
columns ``open, high, low, close, volume``. Validation happens here, once, with
:func:`orchestrator.core.market.validate_ohlcv`; problems raise :class:`~orchestrator.DataError`
naming the file, the symbol, the row or timestamp, the problem and the fix.

Files hold one symbol (named by the file, e.g. ``AAPL.csv``, or by ``symbol=``) or several
in long format (a ``ticker``/``symbol`` column). Column names are matched ignoring case, spaces
and punctuation, with the usual aliases: Date/Datetime/Timestamp/Time, Open, High, Low, Close,
Adj Close, Volume (see ``_tables._ALIASES``). ``Close`` is used when present, so open, high,
low and close come from one price series; a file with only ``Adj Close`` uses it as the close.
Volume is optional (zeros). Dates may be text (ISO 8601 preferred; other formats are inferred
once per column, month-first before day-first), YYYYMMDD numbers or Unix epoch numbers (s, ms,
us or ns, told apart by size). Timezone-aware timestamps are converted to UTC and made naive;
naive ones are taken as they are; a column mixing both is refused. Prices must be finite and
within MIN_PRICE to MAX_PRICE (1e-8 to 1e12); a load holds at most MAX_ROWS rows (5 million).

Seeded synthetic data is :mod:`orchestrator.data.generator`; date ranges and short-history
warnings are ``orchestrator.data._ranges``; all three are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from orchestrator.data._readers import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    RowCapError,
    Source,
    file_kind,
    open_source,
    read_csv_table,
    read_parquet_table,
    row_cap,
    source_label,
    symbol_from_name,
)
from orchestrator.data._tables import frames_from_table
from orchestrator.errors import DataError

# --- files ----------------------------------------------------------------------------------


def _table_row(i: int) -> str:
    return f"row {i + 1}"  # the first data row is row 1, as a spreadsheet user counts


def load_csv(
    source: Source,
    *,
    symbol: str | None = None,
    name: str | None = None,
    max_rows: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Load bars from a CSV file: a path, bytes or a file-like object (e.g. an upload).

    One symbol per file (named by ``symbol`` or the file name's stem, so ``name`` matters for
    file-likes) or long format with a ticker column (``symbol`` then selects one ticker).
    Comma, semicolon and tab separators are recognised; .gz/.bz2/.zip/.xz are decompressed.
    The file must be UTF-8 text. Messages name lines as an editor counts them (the header is
    line 1). A file of more than ``max_rows`` rows (default: 5 million, or the
    ORCHESTRATOR_MAX_ROWS environment variable) is refused without reading the rest.
    """
    label, data = open_source(source, name)
    table, lines = read_csv_table(data, label, max_rows)

    def line(i: int) -> str:
        return f"line {int(lines[i])}"

    return frames_from_table(
        table, label=label, symbol=symbol, default_symbol=_stem(label), row_name=line
    )


def load_parquet(
    source: Source,
    *,
    symbol: str | None = None,
    name: str | None = None,
    max_rows: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Load bars from a Parquet file (path, bytes or file-like); formats as :func:`load_csv`.

    A DatetimeIndex saved with the frame (``df.to_parquet()``) serves as the date column.
    Messages name rows counting the first data row as row 1. The row count is read from the
    file's metadata first: a file of more than ``max_rows`` rows is refused unread.
    """
    label, data = open_source(source, name)
    table = read_parquet_table(data, label, max_rows)
    return frames_from_table(
        table, label=label, symbol=symbol, default_symbol=_stem(label), row_name=_table_row
    )


def from_frame(
    frame: pd.DataFrame, *, symbol: str | None = None, source: str = "DataFrame"
) -> dict[str, pd.DataFrame]:
    """Validate an in-memory DataFrame (per-symbol or long format) into standard frames.

    A per-symbol frame needs ``symbol``; ``source`` names the frame in error messages, which
    count rows from 1 (the first row of the frame is row 1).
    """
    return frames_from_table(
        frame, label=source, symbol=symbol, default_symbol=None, row_name=_table_row
    )


def _stem(label: str) -> str | None:
    return None if label.startswith("<") else (symbol_from_name(label) or None)


def load_file(
    source: Source,
    *,
    name: str | None = None,
    symbol: str | None = None,
    max_rows: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Load a CSV or Parquet file, choosing the reader by the file name's extension.

    ``name`` is the file name of a file-like object or bytes (defaults to its ``.name``). A
    name without a known extension is read as Parquet if the content starts with Parquet's
    magic bytes, else as CSV. A folder loads every CSV/Parquet file in it (:func:`load_files`).
    ``max_rows`` caps the rows (see :func:`load_csv`).
    """
    if isinstance(source, str | Path) and Path(source).is_dir():
        if symbol is not None:
            raise DataError(f"{source}: symbol= applies to one file, not to a folder")
        return load_files([source], max_rows=max_rows)
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
    return reader(data, symbol=symbol, name=label, max_rows=max_rows)


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


def load_files(sources: Iterable[Any], *, max_rows: int | None = None) -> dict[str, pd.DataFrame]:
    """Load several files (paths, folders, file-likes with ``.name``, or (name, file) pairs).

    Per-symbol and long-format files may be mixed. A symbol found in two files raises
    DataError naming both, since silently preferring one would hide a mistake. ``max_rows``
    caps the rows of all files together (default: 5 million, see :func:`load_csv`).
    """
    budget = row_cap(max_rows)
    if isinstance(sources, str | Path | bytes):
        sources = [sources]
    out: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    items = _expand(sources)
    if not items:
        raise DataError("no files given; expected at least one CSV or Parquet file")
    cap = budget
    for source, name in items:
        label = source_label(source, name)
        try:
            if budget < 1:
                raise RowCapError(label)
            loaded = load_file(source, name=name, max_rows=budget)
        except RowCapError:
            if budget == cap:
                raise
            raise RowCapError(
                f"{label}: with the {cap - budget:,} rows of the files before it, more than the "
                f"{cap:,} rows a load may hold; expected fewer or smaller files (or raise the "
                f"cap with max_rows= or ORCHESTRATOR_MAX_ROWS)"
            ) from None
        budget -= sum(len(f) for f in loaded.values())
        for sym, frame in loaded.items():
            if sym in out:
                raise DataError(
                    f"symbol {sym!r} is in both {origin[sym]} and {label}; expected each symbol "
                    f"in one file only (remove one file or rename the symbol)"
                )
            out[sym] = frame
            origin[sym] = label
    return dict(sorted(out.items()))
