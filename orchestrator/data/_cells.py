"""Cells of a raw table into numbers and timestamps (private; see orchestrator.data).

Each parser turns one column into a numpy array or raises a DataError naming the file, the
symbol, the line (or row), the column and the cell, echoing at most :data:`ECHO` characters of
it, with the plain description first and any parser text last.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from orchestrator.core.market import to_ns
from orchestrator.errors import DataError

__all__ = ["ECHO", "cell", "parse_numbers", "parse_times", "short"]

#: The most characters of a cell (or a parser's message) that an error message echoes.
ECHO = 80
_EPOCH_UNITS: tuple[tuple[Literal["s", "ms", "us", "ns"], float], ...] = (
    ("s", 1e8),  # 1973 onwards in seconds; each unit spans two orders of magnitude
    ("ms", 1e11),
    ("us", 1e14),
    ("ns", 1e17),
)
_NS_MIN = pd.Timestamp.min
_NS_MAX = pd.Timestamp.max
# A time of day followed by a zone: "Z", "+02:00", "-0500", "+01", "UTC", "GMT".
_ZONED = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:z|utc|gmt|[+-]\d\d(?::?\d\d)?)$", re.I)

Where = Callable[[int], str]


def short(exc: BaseException | str, limit: int = 200) -> str:
    """An exception's message on one line, cut to ``limit`` characters (parsers are verbose)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cell(value: Any) -> str:
    """A cell as messages show it: its repr, cut to :data:`ECHO` characters."""
    value = value.item() if isinstance(value, np.generic) else value
    text = repr(value)
    if len(text) <= ECHO:
        return text
    quoted = text[:1] in "'\"" and text[-1:] == text[:1]
    return text[: ECHO - 4] + "..." + (text[-1] if quoted else "")


def _stamp(ns: int | np.integer) -> str:
    return pd.Timestamp(int(ns)).isoformat()


def parse_times(values: pd.Series, label: str, where: Where) -> np.ndarray:
    """Return int64 ns of naive UTC timestamps, or raise DataError naming the first bad row.

    Zone-aware timestamps are converted to UTC; a column mixing zone-aware and naive values is
    refused, since the naive ones could be in any zone.
    """
    column = cell(str(values.name))
    null = values.isna().to_numpy()
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        null = null | values.astype(str).str.strip().eq("").to_numpy()
    if null.any():
        i = int(np.flatnonzero(null)[0])
        raise DataError(
            f"{where(i)}, column {column}: missing date; expected a date on every row (fill or "
            f"drop the row)"
        )
    _check_zones(values, where, column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' format-inference chatter
        try:
            parsed = _to_datetime(values)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(
                f"{label}: the {column} column could not be read as dates; expected ISO dates "
                f"such as 2024-01-31 or 2024-01-31 15:30:00, YYYYMMDD numbers or Unix "
                f"timestamps (the parser said: {short(exc)})"
            ) from None
    parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna() | (parsed < _NS_MIN) | (parsed > _NS_MAX)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        problem = "out of range" if not pd.isna(parsed.iloc[i]) else "not a date"
        raise DataError(
            f"{where(i)}, column {column}: date {cell(values.iloc[i])} is {problem}; expected "
            f"a date between 1677-09-22 and 2262-04-11 in one format, e.g. 2024-01-31 (ISO), "
            f"or Unix seconds"
        )
    return to_ns(pd.DatetimeIndex(parsed), str(values.name), label)


def _check_zones(values: pd.Series, where: Where, column: str) -> None:
    """Raise DataError when some timestamps carry a time zone and others do not."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return  # one dtype, one zone (or none) for the whole column
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return
    objects = values.to_numpy(dtype=object)
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        # A string column: one regex pass in pyarrow (RE2), not a Python loop per cell.
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pc.utf8_trim_whitespace(pa.array(values, type=pa.string(), from_pandas=True))
        found = pc.match_substring_regex(text, _ZONED.pattern, ignore_case=True)
        zoned = found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    else:
        zoned = np.fromiter(
            (
                (_ZONED.search(v.strip()) is not None)
                if isinstance(v, str)
                else getattr(v, "tzinfo", None) is not None
                for v in objects
            ),
            dtype=bool,
            count=len(objects),
        )
    if zoned.any() and not zoned.all():
        aware, naive = int(np.flatnonzero(zoned)[0]), int(np.flatnonzero(~zoned)[0])
        raise DataError(
            f"{where(naive)}, column {column}: date {cell(objects[naive])} has no time zone but "
            f"{where(aware).rsplit(', ', 1)[-1]} has one ({cell(objects[aware])}); expected "
            f"every timestamp of a column with a zone or none without (add the zone, e.g. "
            f"+00:00, to every row)"
        )


def _to_datetime(values: pd.Series) -> pd.Series:
    """Parse dates as UTC (all naive, or all zone-aware): datetimes, numbers or text."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return pd.to_datetime(values, utc=True)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _parse_number_dates(values)
    text = values.astype(str).str.strip()
    if not text.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return _parse_text_dates(text)
    return _parse_number_dates(pd.to_numeric(text))


def _parse_text_dates(text: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(text, utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        pass
    # One format for the whole column (never per element, which would read "01/02" and
    # "13/02" in different orders); try month-first and day-first, keep the better one.
    first = pd.to_datetime(text, utc=True, errors="coerce")
    if not first.isna().any():
        return first
    second = pd.to_datetime(text, utc=True, errors="coerce", dayfirst=True)
    return second if second.isna().sum() < first.isna().sum() else first


def _parse_number_dates(numbers: pd.Series) -> pd.Series:
    """Read YYYYMMDD integers, or Unix epoch numbers in s, ms, us or ns by their magnitude."""
    arr = numbers.to_numpy(dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("the date column holds non-finite numbers")
    whole = bool(np.all(arr == np.floor(arr)))
    if whole and np.all((arr >= 1000_01_01) & (arr <= 9999_12_31)):
        return pd.to_datetime(
            pd.Series(arr.astype(np.int64)).astype(str), format="%Y%m%d", errors="coerce", utc=True
        )
    size = np.abs(arr)
    for unit, low in _EPOCH_UNITS:
        if np.all((size >= low) & (size < low * 100)):
            if not whole:
                return pd.to_datetime(pd.Series(arr), unit=unit, utc=True, errors="coerce")
            exact = numbers if pd.api.types.is_integer_dtype(numbers) else pd.Series(arr)
            return pd.to_datetime(exact.astype(np.int64), unit=unit, utc=True, errors="coerce")
    raise ValueError(
        f"numbers such as {arr[0]:.12g} are neither YYYYMMDD dates nor Unix timestamps of one "
        f"unit (seconds, ms, us or ns since 1970)"
    )


def _to_float(value: object) -> float:
    """One cell as a float: numbers as they are, text stripped of any Unicode space (a
    non-breaking space after a number is still the number); NaN for an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return np.nan
    if isinstance(value, bool | np.bool_):
        raise ValueError("a true/false value is not a price")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return np.nan
        return float(text.replace("\u2212", "-"))  # a typographic minus is a minus
    return float(value)  # type: ignore[arg-type]


def parse_numbers(values: pd.Series, role: str, times: np.ndarray, where: Where) -> np.ndarray:
    """Return a column as float64 (empty cells become NaN, which the bar checks report)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        try:
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError, OverflowError):
            pass
    objects = values.to_numpy(dtype=object)
    out = np.empty(len(objects), dtype=np.float64)
    for i, value in enumerate(objects):
        try:
            out[i] = _to_float(value)
        except OverflowError:
            raise DataError(
                f"{where(i)} ({_stamp(times[i])}), column {cell(str(values.name))}: {role} "
                f"{cell(value)} is too large for a number; expected a price below 1e12"
            ) from None
        except (TypeError, ValueError):
            raise DataError(
                f"{where(i)} ({_stamp(times[i])}), column {cell(str(values.name))}: {role} is "
                f"{cell(value)}, not a number; expected plain numbers such as 123.45 (no "
                f"thousands separators or currency signs)"
            ) from None
    return out
