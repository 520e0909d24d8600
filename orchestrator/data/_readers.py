"""Reading CSV and Parquet files (paths, bytes, uploads) into raw tables (private; see
orchestrator.data).

A raw table is whatever the file holds, dates and tickers kept as text; turning it into
validated per-symbol frames is ``orchestrator.data._tables``. Every problem becomes a DataError that
names the file, what was wrong and what was expected.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow.parquet as pq

from orchestrator.data._tables import EXPECTED, is_text_column, short
from orchestrator.errors import DataError

__all__ = [
    "CSV_SUFFIXES",
    "PARQUET_SUFFIXES",
    "Source",
    "file_kind",
    "open_source",
    "read_csv_table",
    "read_parquet_table",
    "source_label",
    "symbol_from_name",
]

Source = str | os.PathLike[str] | IO[bytes] | IO[str] | bytes | bytearray | memoryview

CSV_SUFFIXES = tuple(
    base + comp for base in (".csv", ".txt", ".tsv") for comp in ("", ".gz", ".bz2", ".zip", ".xz")
)
PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz"}


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


def read_csv_table(data: Path | bytes, label: str) -> pd.DataFrame:
    """Parse CSV (comma, semicolon or tab separated) with dates and tickers kept as text."""
    if isinstance(data, bytes) and not data.strip():
        raise DataError(f"{label}: the file is empty; expected a header row with {EXPECTED}")
    compression = next((c for s, c in _COMPRESSION.items() if label.lower().endswith(s)), None)
    options: dict[str, Any] = {
        "skipinitialspace": True,
        "encoding": "utf-8",
        "encoding_errors": "replace",
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
        text_columns = {c: str for c in header.columns if is_text_column(c)}
        table = read(sep=sep, dtype=text_columns, on_bad_lines="error")
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{label}: the file is empty; expected a header row with {EXPECTED}"
        ) from None
    except Exception as exc:  # the parser's errors for garbage input are many and unspecified
        raise DataError(
            f"{label}: could not be read as CSV ({type(exc).__name__}: {short(exc)}); expected "
            f"a text file with a header row with {EXPECTED}"
        ) from None
    return table


def read_parquet_table(data: Path | bytes, label: str) -> pd.DataFrame:
    """Parse a Parquet file with pyarrow."""
    if isinstance(data, bytes) and not data:
        raise DataError(f"{label}: the file is empty; expected a Parquet file")
    try:
        table = pq.read_table(io.BytesIO(data) if isinstance(data, bytes) else data)
        # Check everything now (e.g. UTF-8 of strings), or a corrupt file fails later, lazily.
        table.validate(full=True)
        frame: pd.DataFrame = table.to_pandas()
        return frame
    except Exception as exc:  # pyarrow raises many error types for corrupt files
        raise DataError(
            f"{label}: could not be read as Parquet ({type(exc).__name__}: {short(exc)}); "
            f"expected a Parquet file with columns {EXPECTED}"
        ) from None
