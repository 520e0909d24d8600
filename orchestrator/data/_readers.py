"""Reading CSV and Parquet files (paths, bytes, uploads) into raw tables (private; see
orchestrator.data).

A raw table is whatever the file holds, dates and tickers kept as text; turning it into
validated per-symbol frames is ``orchestrator.data._tables``. Every problem becomes a DataError that
names the file, what was wrong and what was expected.
"""

from __future__ import annotations

import codecs
import io
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from orchestrator.data._cells import short
from orchestrator.data._tables import EXPECTED, check_roles, is_text_column
from orchestrator.errors import ConfigError, DataError

__all__ = [
    "CSV_SUFFIXES",
    "MAX_ROWS",
    "MAX_ROWS_ENV",
    "PARQUET_SUFFIXES",
    "RowCapError",
    "Source",
    "file_kind",
    "open_source",
    "read_csv_table",
    "read_parquet_table",
    "row_cap",
    "source_label",
    "symbol_from_name",
]

Source = str | os.PathLike[str] | IO[bytes] | IO[str] | bytes | bytearray | memoryview

CSV_SUFFIXES = tuple(
    base + comp for base in (".csv", ".txt", ".tsv") for comp in ("", ".gz", ".bz2", ".zip", ".xz")
)
PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz"}
#: The most rows one load may hold (all files of a load together), unless told otherwise.
MAX_ROWS = 5_000_000
MAX_ROWS_ENV = "ORCHESTRATOR_MAX_ROWS"
# A Parquet file may unpack to at most this many bytes per allowed row (OHLCV is ~48).
_BYTES_PER_ROW = 200
# What a non-ticker cell may say to mean "missing" (pandas' defaults).
_NA_TEXT = sorted(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip


def file_kind(name: str) -> str | None:
    """Return "csv" or "parquet" from a file name's suffix, or None if it is neither."""
    lower = name.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def symbol_from_name(name: str) -> str:
    """Return a file name's stem without its data suffixes ("data/BTC-USD.csv.gz" -> "BTC-USD")."""
    base = Path(name).name
    lower = base.lower()
    for suffix in sorted((*CSV_SUFFIXES, *PARQUET_SUFFIXES), key=len, reverse=True):
        if lower.endswith(suffix):
            return base[: -len(suffix)].strip()
    return Path(base).stem.strip()


def source_label(source: Any, name: str | None = None) -> str:
    """How messages name a source: ``name`` if given, a path as given, a file-like object by
    its ``.name`` (without folders), else "<upload>"."""
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return str(source)
    return Path(str(getattr(source, "name", "") or "<upload>")).name


def open_source(source: Source, name: str | None) -> tuple[str, Path | bytes]:
    """Return (label for messages, path or the whole content) for a path, bytes or file-like.

    A file-like object is read whole from its start (uploads may already have been read once).
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = source_label(source, name)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise DataError(f"{label}: file {what}; expected a .csv or .parquet file")
        return label, path
    if isinstance(source, bytes | bytearray | memoryview):
        return name or "<bytes>", bytes(source)
    read = getattr(source, "read", None)
    if not callable(read):
        raise DataError(
            f"expected a file path, bytes or a file-like object with read(); found "
            f"{type(source).__name__}"
        )
    label = source_label(source, name)
    try:
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        content = read()
    except (OSError, ValueError) as exc:
        raise DataError(f"{label}: could not be read ({exc})") from None
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not isinstance(content, bytes | bytearray | memoryview):
        raise DataError(f"{label}: read() returned {type(content).__name__}; expected bytes")
    return label, bytes(content)


def row_cap(limit: int | None = None) -> int:
    """The row cap of one load: ``limit`` if given, else the ORCHESTRATOR_MAX_ROWS environment
    variable, else :data:`MAX_ROWS`."""
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"max_rows must be a whole number >= 1; found {limit!r}")
        return limit
    text = os.environ.get(MAX_ROWS_ENV)
    if text is None:
        return MAX_ROWS
    try:
        rows = int(text.strip().replace("_", ""))
    except ValueError:
        rows = 0
    if rows < 1:
        raise ConfigError(
            f"{MAX_ROWS_ENV}={text[:40]!r}: expected a whole number of rows >= 1, e.g. 5000000"
        )
    return rows


class RowCapError(DataError):
    """A file holds more rows than a load may (see :func:`row_cap`); raised before the rows
    are read, so a file of millions of rows costs nothing."""


def _too_many(label: str, rows: str, limit: int) -> RowCapError:
    return RowCapError(
        f"{label}: the file has {rows} rows, more than the {limit:,} a load may hold; expected "
        f"a smaller file (cut the date range or the symbols, or raise the cap with max_rows= or "
        f"{MAX_ROWS_ENV})"
    )


def _check_text(data: Path | bytes, label: str) -> None:
    """Refuse UTF-16/UTF-32 and binary content before parsing, saying what the file is."""
    if label.lower().endswith(tuple(_COMPRESSION)):
        return  # compressed: the parser's strict decoding checks it once decompressed
    if isinstance(data, Path):
        with data.open("rb") as handle:
            head = handle.read(4096)
    else:
        head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        b"\x00" in head and head.count(b"\x00") * 4 >= len(head)
    ):
        raise DataError(
            f"{label}: the file is UTF-16 (or UTF-32) text, not UTF-8; expected a CSV file "
            f"saved as UTF-8 (e.g. 'CSV UTF-8' in Excel's Save As)"
        )
    if b"\x00" in head:
        raise DataError(
            f"{label}: the file holds NUL bytes, so it is not a text file; expected a CSV file "
            f"saved as UTF-8 text"
        )


def _first_bad_utf8(data: Path | bytes) -> tuple[int, int, str] | None:
    """(byte offset, line, the byte in hex) of the first byte that is not UTF-8, or None.

    Decodes in chunks, so a large file costs no more memory than one chunk.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with io.BytesIO(data) if isinstance(data, bytes) else data.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # The decoder may hold back up to 3 bytes of an unfinished character.
                start = max(exc.start - len(exc.object) + len(chunk), 0)
                at = offset + start
                return at, lines + chunk[:start].count(b"\n"), chunk[start : start + 1].hex()
            offset += len(chunk)
            lines += chunk.count(b"\n")
        pending = decoder.getstate()[0]  # an unfinished character at the very end
        if pending:
            return offset - len(pending), lines, pending[:1].hex()
    return None


def _undecodable(data: Path | bytes, label: str, exc: UnicodeDecodeError) -> DataError:
    found = None if label.lower().endswith(tuple(_COMPRESSION)) else _first_bad_utf8(data)
    where = f"line {found[1]} (byte {found[0]:,}) holds 0x{found[2]}, which" if found else "it"
    return DataError(
        f"{label}: the file is not UTF-8 text: {where} is not UTF-8; expected a CSV file "
        f"saved as UTF-8 (re-save it as UTF-8, e.g. 'CSV UTF-8' in Excel; the decoder said: "
        f"{short(exc, 120)})"
    )


def _raw_header(read: Any, label: str) -> list[str]:
    """The header cells exactly as written (pandas renames a repeated name to ``name.1``)."""
    raw = read(header=None, nrows=1, dtype=str, keep_default_na=False)
    cells = [str(c).strip() for c in raw.iloc[0]] if len(raw) else []
    seen: dict[str, int] = {}
    for position, name in enumerate(cells, start=1):
        if name and name in seen:
            raise DataError(
                f"{label}: column {name[:40]!r} appears twice in the header (columns "
                f"{seen[name]} and {position}); expected each column once (rename or drop one)"
            )
        seen.setdefault(name, position)
    check_roles(cells, label)
    return cells


def read_csv_table(
    data: Path | bytes, label: str, limit: int | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse CSV (comma, semicolon or tab separated) with dates and tickers kept as text.

    Returns the table and the line of each of its rows in the file (the header is line 1;
    blank lines are skipped but still counted). At most ``limit`` rows (see :func:`row_cap`)
    are read: a longer file is refused without reading the rest.
    """
    if isinstance(data, bytes) and not data.strip():
        raise DataError(f"{label}: the file is empty; expected a header row with {EXPECTED}")
    cap = row_cap(limit)
    _check_text(data, label)
    compression = next((c for s, c in _COMPRESSION.items() if label.lower().endswith(s)), None)
    options: dict[str, Any] = {
        "skipinitialspace": True,
        "encoding": "utf-8",
        "encoding_errors": "strict",
        "compression": compression if isinstance(data, bytes) else "infer",
    }

    def read(**more: Any) -> pd.DataFrame:
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        table: pd.DataFrame = pd.read_csv(src, **options, **more)
        return table

    try:
        sep = "\t" if label.lower().split(".")[-1] == "tsv" else ","
        header = read(sep=sep, nrows=0)
        if len(header.columns) == 1:
            # A lone column whose name holds ';' or a tab is a file with another separator.
            only = str(header.columns[0])
            sep = next((s for s in (";", "\t", "|") if s in only), sep)
            header = read(sep=sep, nrows=0)
        _raw_header(lambda **more: read(sep=sep, **more), label)
        # Tickers keep "NA", "None", "null" as text; other columns read them as missing.
        text_columns = [c for c in header.columns if is_text_column(c)]
        missing = {c: _NA_TEXT for c in header.columns if c not in text_columns}
        table = read(
            sep=sep,
            dtype=dict.fromkeys(text_columns, str),
            on_bad_lines="error",
            keep_default_na=False,
            na_values=missing,
            skip_blank_lines=False,
            nrows=cap + 1,
        )
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise _undecodable(data, label, exc) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{label}: the file is empty; expected a header row with {EXPECTED}"
        ) from None
    except Exception as exc:  # the parser's errors for garbage input are many and unspecified
        raise DataError(
            f"{label}: could not be read as CSV; expected a text file with a header row with "
            f"{EXPECTED} and the same number of cells on every line (the parser said: "
            f"{type(exc).__name__}: {short(exc)})"
        ) from None
    if len(table) > cap:
        raise _too_many(label, f"more than {cap:,}", cap)
    blank = np.ones(len(table), dtype=bool)
    for column in table.columns:
        values = table[column]
        empty = values.isna().to_numpy()
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            empty = empty | values.astype(str).str.strip().eq("").to_numpy()
        blank &= empty
    lines = np.flatnonzero(~blank) + 2  # the header is line 1
    if blank.any():
        table = table.loc[~blank].reset_index(drop=True)
    return table, lines


def read_parquet_table(data: Path | bytes, label: str, limit: int | None = None) -> pd.DataFrame:
    """Parse a Parquet file with pyarrow, refusing one of more than ``limit`` rows (see
    :func:`max_rows`) from its metadata, before any of it is read."""
    if isinstance(data, bytes) and not data:
        raise DataError(f"{label}: the file is empty; expected a Parquet file")
    cap = row_cap(limit)
    try:
        handle = pq.ParquetFile(io.BytesIO(data) if isinstance(data, bytes) else data)
        meta = handle.metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # pyarrow raises many error types for corrupt files
        raise _not_parquet(label, exc) from None
    if meta.num_rows > cap:
        raise _too_many(label, f"{meta.num_rows:,}", cap)
    if size > cap * _BYTES_PER_ROW:
        raise DataError(
            f"{label}: the file unpacks to {size:,} bytes, more than a load of {cap:,} rows may "
            f"hold; expected a file of price columns (drop large text columns)"
        )
    try:
        table = handle.read()
        # Check everything now (e.g. UTF-8 of strings), or a corrupt file fails later, lazily.
        table.validate(full=True)
        frame: pd.DataFrame = table.to_pandas()
        return frame
    except Exception as exc:  # pyarrow raises many error types for corrupt files
        raise _not_parquet(label, exc) from None


def _not_parquet(label: str, exc: Exception) -> DataError:
    return DataError(
        f"{label}: could not be read as Parquet; expected a Parquet file with columns "
        f"{EXPECTED} (the reader said: {type(exc).__name__}: {short(exc)})"
    )
