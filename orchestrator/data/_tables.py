"""Raw tables into validated per-symbol frames (private; see orchestrator.data).

A table (one parsed file or DataFrame) goes through one path: find the columns by name (case,
spaces and punctuation ignored, usual aliases accepted), parse the timestamps, convert the
prices, split long tables by their ticker column, sort each symbol's rows by time and validate
them with :func:`orchestrator.core.market.validate_ohlcv`. Every problem becomes a DataError that
names the file, the symbol, the line or timestamp, what was wrong and how to fix it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from orchestrator.core.market import OHLCV_COLUMNS, to_ns, validate_ohlcv
from orchestrator.errors import DataError

__all__ = ["EXPECTED", "frames_from_table", "is_text_column", "short"]

# Normalised header (lower case, letters and digits only) -> role. Earlier entries of a role
# win when a file has several candidates (e.g. "datetime" beats "date", "close" beats "adj close").
_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("datetime", "timestamp", "date", "time", "dt", "tradedate", "tradingday", "opentime"),
    "open": ("open", "o", "openprice", "opening"),
    "high": ("high", "h", "highprice", "highest"),
    "low": ("low", "l", "lowprice", "lowest"),
    "close": ("close", "c", "closeprice", "closing", "last"),
    "adjclose": ("adjclose", "adjustedclose", "adjcloseprice", "closeadj"),
    "volume": ("volume", "vol", "v"),
    "ticker": ("ticker", "symbol", "asset", "instrument", "security", "sym"),
}
# Headers pandas gives an unnamed first column (a DataFrame's index written by to_csv).
_UNNAMED = ("unnamed0", "index", "level0", "")
# The columns a file needs, as error messages name them.
EXPECTED = "date, open, high, low, close, optional volume and, for several symbols, ticker"
_EPOCH_UNITS: tuple[tuple[Literal["s", "ms", "us", "ns"], float], ...] = (
    ("s", 1e8),  # 1973 onwards in seconds; each unit spans two orders of magnitude
    ("ms", 1e11),
    ("us", 1e14),
    ("ns", 1e17),
)
_NS_MIN = pd.Timestamp.min
_NS_MAX = pd.Timestamp.max


def _key(column: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def is_text_column(column: object) -> bool:
    """Whether a column holds dates or tickers, which a reader keeps as text for this module
    to parse (rather than the reader's own guesses)."""
    return _key(column) in _ALIASES["time"] + _ALIASES["ticker"]


def short(exc: BaseException) -> str:
    """An exception's message on one line, cut to 200 characters (parsers can be verbose)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _find_columns(table: pd.DataFrame) -> dict[str, Any]:
    by_key: dict[str, Any] = {}
    for column in table.columns:
        by_key.setdefault(_key(column), column)
    found: dict[str, Any] = {}
    for role, names in _ALIASES.items():
        for alias in names:
            if alias in by_key:
                found[role] = by_key[alias]
                break
    if "time" not in found and len(table.columns) and _key(table.columns[0]) in _UNNAMED:
        found["time"] = table.columns[0]
    if "close" not in found and "adjclose" in found:
        found["close"] = found["adjclose"]
    return found


def frames_from_table(
    table: pd.DataFrame,
    *,
    label: str,
    symbol: str | None,
    default_symbol: str | None,
    row_name: Callable[[int], str],
) -> dict[str, pd.DataFrame]:
    """Turn one parsed table into validated standard frames, one per symbol.

    ``symbol`` selects one ticker of a long table, or names a per-symbol table;
    ``default_symbol`` (the file's stem) names a per-symbol table when ``symbol`` is None;
    ``row_name(i)`` says where row ``i`` of the table is in the file ("line 7", "row 5").
    """
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{label}: expected a table; found {type(table).__name__}")
    if isinstance(table.columns, pd.MultiIndex):
        table = table.set_axis([" ".join(map(str, c)) for c in table.columns], axis=1)
    if not isinstance(table.index, pd.RangeIndex):
        # A DatetimeIndex (or a (date, ticker) MultiIndex) carries data: make it columns.
        if isinstance(table.index, pd.DatetimeIndex) and table.index.name is None:
            table = table.rename_axis("timestamp")
        table = table.reset_index(allow_duplicates=True)
    duplicated = table.columns[table.columns.duplicated()]
    if len(duplicated):
        raise DataError(
            f"{label}: column {_show_column(duplicated[0])} appears more than once; expected "
            f"each column once (rename or drop the extra one)"
        )
    cols = _find_columns(table)
    missing = [r for r in ("time", "open", "high", "low", "close") if r not in cols]
    if missing:
        names = ["date" if r == "time" else r for r in missing]
        found = ", ".join(_show_column(c) for c in table.columns[:12])
        more = f" and {len(table.columns) - 12} more" if len(table.columns) > 12 else ""
        raise DataError(
            f"{label}: missing column(s) {', '.join(names)}; expected a header row with "
            f"{EXPECTED}; found {found or 'no columns'}{more} (rename the columns, e.g. "
            f"'Date' or 'timestamp' for the dates)"
        )
    if len(table) == 0:
        raise DataError(f"{label}: no data rows; expected at least one row below the header")
    if "ticker" in cols:
        codes, names = _tickers(table[cols["ticker"]], label, row_name)
    else:
        name = str(symbol if symbol is not None else (default_symbol or "")).strip()
        if not name:
            raise DataError(
                f"{label}: cannot tell which symbol these bars belong to; pass symbol=..., "
                f"name the file after the symbol (e.g. AAPL.csv) or add a ticker column"
            )
        codes, names = np.zeros(len(table), dtype=np.intp), [name]

    def where(i: int) -> str:
        return f"{label}, symbol {names[codes[i]]!r}, {row_name(i)}"

    times = _parse_times(table[cols["time"]], label, where)
    prices = {
        role: _numeric(table[cols[role]], role, times, where)
        for role in ("open", "high", "low", "close")
    }
    prices["volume"] = (
        _numeric(table[cols["volume"]], "volume", times, where)
        if "volume" in cols
        else np.zeros(len(table))
    )
    return _split(codes, names, symbol if "ticker" in cols else None, times, prices, label)


def _show_column(column: object) -> str:
    text = repr(str(column))
    return text if len(text) <= 40 else text[:37] + "...'"


def _tickers(
    values: pd.Series, label: str, row_name: Callable[[int], str]
) -> tuple[np.ndarray, list[str]]:
    """Return (code of each row, sorted distinct names), names stripped of spaces.

    Only the distinct values are turned into text, so a long file costs one factorize.
    """
    raw_codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    stripped = [str(u).strip() for u in uniques]
    names = sorted(set(stripped) - {""})
    position = {n: k for k, n in enumerate(names)}
    lookup = np.array([position.get(n, -1) for n in stripped] + [-1], dtype=np.intp)
    codes = lookup[raw_codes]  # a missing value's code -1 picks the trailing -1
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        raise DataError(
            f"{label}, {row_name(int(bad[0]))}: missing ticker; expected every row of a "
            f"long-format file to name its symbol in the {values.name!r} column (fill or drop "
            f"the row)"
        )
    return codes, names


def _split(
    codes: np.ndarray,
    names: list[str],
    symbol: str | None,
    times: np.ndarray,
    prices: dict[str, np.ndarray],
    label: str,
) -> dict[str, pd.DataFrame]:
    """Group rows by ticker code (``symbol`` keeps just that one) into validated frames."""
    if symbol is not None and symbol not in names:
        raise DataError(
            f"{label}: symbol {symbol!r} is not in the ticker column; found {', '.join(names)}"
        )
    if len(names) == 1:
        return {names[0]: _frame(names[0], times, prices, label)}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    out: dict[str, pd.DataFrame] = {}
    for code, name in enumerate(names):
        if symbol is None or name == symbol:
            rows = order[bounds[code] : bounds[code + 1]]
            out[name] = _frame(name, times[rows], {k: v[rows] for k, v in prices.items()}, label)
    return out


def _frame(name: str, times: np.ndarray, prices: dict[str, np.ndarray], label: str) -> pd.DataFrame:
    order = np.argsort(times, kind="stable")
    times = times[order]
    columns = {k: np.ascontiguousarray(prices[k][order], dtype=np.float64) for k in OHLCV_COLUMNS}
    validate_ohlcv(name, times, columns, source=label)
    index = pd.DatetimeIndex(times.view("datetime64[ns]"), name="timestamp")
    return pd.DataFrame(columns, index=index, copy=False)


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _stamp(ns: int | np.integer) -> str:
    return pd.Timestamp(int(ns)).isoformat()


def _parse_times(values: pd.Series, label: str, where: Callable[[int], str]) -> np.ndarray:
    """Return int64 ns of naive UTC timestamps, or raise DataError naming the first bad row."""
    null = values.isna().to_numpy()
    if null.any():
        i = int(np.flatnonzero(null)[0])
        raise DataError(
            f"{where(i)}: missing date; expected a date on every row (fill or drop the row)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' format-inference chatter
        try:
            parsed = _to_datetime(values)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(
                f"{label}: the {values.name!r} column could not be read as dates ({short(exc)}); "
                f"expected ISO dates such "
                f"as 2024-01-31 or 2024-01-31 15:30:00"
            ) from None
    parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna() | (parsed < _NS_MIN) | (parsed > _NS_MAX)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = _plain(values.iloc[i])
        problem = "out of range" if not pd.isna(parsed.iloc[i]) else "not a date"
        raise DataError(
            f"{where(i)}: date {raw!r} is {problem}; expected a date between "
            f"1677-09-22 and 2262-04-11 in one format, e.g. 2024-01-31 (ISO), or Unix seconds"
        )
    return to_ns(pd.DatetimeIndex(parsed), str(values.name), label)


def _to_datetime(values: pd.Series) -> pd.Series:
    """Parse dates as UTC (naive ones are taken as UTC): datetimes, numbers or text."""
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


def _numeric(
    values: pd.Series,
    role: str,
    times: np.ndarray,
    where: Callable[[int], str],
) -> np.ndarray:
    """Return a column as float64 (empty cells become NaN, which validation reports)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        try:
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError, OverflowError):
            pass
    try:
        numbers = pd.to_numeric(values.astype(object), errors="coerce")
        bad = np.flatnonzero((numbers.isna() & values.notna()).to_numpy())
        if pd.api.types.is_bool_dtype(values):
            bad = np.arange(len(values))
    except (TypeError, ValueError):
        numbers, bad = values, np.arange(len(values))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{where(i)} ({_stamp(times[i])}): {role} is {_plain(values.iloc[i])!r}, not a "
            f"number; expected plain numbers such as 123.45 (no thousands separators or "
            f"currency signs)"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)
