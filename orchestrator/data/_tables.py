"""Raw tables into validated per-symbol frames (private; see orchestrator.data).

A table (one parsed file or DataFrame) goes through one path: find the columns by name (case,
spaces and punctuation ignored, usual aliases accepted), parse the timestamps, convert the
prices, split long tables by their ticker column, sort each symbol's rows by time and validate
them with :func:`orchestrator.core.market.validate_ohlcv`. Every problem becomes a DataError that
names the file, the symbol, the line or timestamp, what was wrong and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.market import OHLCV_COLUMNS, validate_ohlcv
from orchestrator.data._bars import check_bars
from orchestrator.data._cells import cell, parse_numbers, parse_times, short
from orchestrator.errors import DataError

__all__ = [
    "EXPECTED",
    "MAX_SYMBOL_LENGTH",
    "check_roles",
    "frames_from_table",
    "is_text_column",
    "short",
]

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
#: The longest symbol name a file may give (by its name or a ticker cell).
MAX_SYMBOL_LENGTH = 100
# The columns a file needs, as error messages name them.
EXPECTED = "date, open, high, low, close, optional volume and, for several symbols, ticker"


def _key(column: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def is_text_column(column: object) -> bool:
    """Whether a column holds dates or tickers, which a reader keeps as text for this module
    to parse (rather than the reader's own guesses)."""
    return _key(column) in _ALIASES["time"] + _ALIASES["ticker"]


def check_roles(columns: list[Any], label: str) -> None:
    """Raise DataError when two columns claim one role, naming both: names equal but for case
    or punctuation (``Close`` and ``close``), or two aliases of one role (``Ticker`` and
    ``Symbol``, ``Close`` and ``Last``). Two date columns (``Date`` and ``Datetime``) are
    allowed here and must agree (:func:`frames_from_table` compares them)."""
    by_role: dict[str, Any] = {}
    for column in columns:
        key = _key(column)
        role = next((r for r, names in _ALIASES.items() if key in names), None)
        if role is None or role == "time":
            continue
        other = by_role.get(role)
        if other is not None:
            same = "the same column" if key == _key(other) else f"both {role} columns"
            raise DataError(
                f"{label}: columns {_show_column(other)} and {_show_column(column)} are {same}; "
                f"expected one {role} column (rename or drop one)"
            )
        by_role[role] = column


def _time_columns(table: pd.DataFrame) -> list[Any]:
    """Every column that is a date column by name, best alias first."""
    ranked = [c for alias in _ALIASES["time"] for c in table.columns if _key(c) == alias]
    return list(dict.fromkeys(ranked))


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
    check_roles(list(table.columns), label)
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
        _check_symbol(name, label)
        codes, names = np.zeros(len(table), dtype=np.intp), [name]

    def where(i: int) -> str:
        return f"{label}, symbol {cell(names[codes[i]])}, {row_name(i)}"

    times = parse_times(table[cols["time"]], label, where)
    for other in _time_columns(table):
        if other != cols["time"]:
            _check_agree(table, cols["time"], other, times, label, where)
    prices = {
        role: parse_numbers(table[cols[role]], role, times, where)
        for role in ("open", "high", "low", "close")
    }
    prices["volume"] = (
        parse_numbers(table[cols["volume"]], "volume", times, where)
        if "volume" in cols
        else np.zeros(len(table))
    )
    chosen = symbol if "ticker" in cols else None
    return _split(codes, names, chosen, times, prices, label, where)


def _check_agree(
    table: pd.DataFrame,
    main: Any,
    other: Any,
    times: np.ndarray,
    label: str,
    where: Callable[[int], str],
) -> None:
    """Raise DataError unless a second date column holds the same timestamps as the first."""
    advice = (
        f"expected one date column, or date columns that agree (drop or rename "
        f"{_show_column(other)}, or combine a separate time-of-day column into the dates)"
    )
    try:
        theirs = parse_times(table[other], label, where)
    except DataError:
        raise DataError(
            f"{label}: columns {_show_column(main)} and {_show_column(other)} both name the "
            f"dates, and {_show_column(other)} could not be read as dates; {advice}"
        ) from None
    differ = np.flatnonzero(theirs != times)
    if differ.size:
        i = int(differ[0])
        raise DataError(
            f"{where(i)}: columns {_show_column(main)} and {_show_column(other)} disagree "
            f"({cell(table[main].iloc[i])} and {cell(table[other].iloc[i])}); {advice}"
        )


def _check_symbol(name: str, label: str) -> None:
    if len(name) > MAX_SYMBOL_LENGTH:
        raise DataError(
            f"{label}: symbol {cell(name)} is {len(name):,} characters long; expected at most "
            f"{MAX_SYMBOL_LENGTH} (rename the file or the ticker)"
        )


def _show_column(column: object) -> str:
    text = repr(str(column))
    return text if len(text) <= 40 else text[:37] + "...'"


def _tickers(
    values: pd.Series, label: str, row_name: Callable[[int], str]
) -> tuple[np.ndarray, list[str]]:
    """Return (code of each row, sorted distinct names), names stripped of spaces.

    Only the distinct values are turned into text, so a long file costs one factorize.
    ``NA``, ``None`` or ``null`` are tickers like any other (readers keep them as text); a
    truly empty cell is a missing ticker.
    """
    raw_codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    stripped = [str(u).strip() for u in uniques]
    names = sorted(set(stripped) - {""})
    for name in names:
        _check_symbol(name, label)
    position = {n: k for k, n in enumerate(names)}
    lookup = np.array([position.get(n, -1) for n in stripped] + [-1], dtype=np.intp)
    codes = lookup[raw_codes]  # a missing value's code -1 picks the trailing -1
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        raise DataError(
            f"{label}, {row_name(int(bad[0]))}: missing ticker; expected every row of a "
            f"long-format file to name its symbol in the {cell(str(values.name))} column (fill "
            f"or drop the row)"
        )
    return codes, names


def _split(
    codes: np.ndarray,
    names: list[str],
    symbol: str | None,
    times: np.ndarray,
    prices: dict[str, np.ndarray],
    label: str,
    where: Callable[[int], str],
) -> dict[str, pd.DataFrame]:
    """Group rows by ticker code (``symbol`` keeps just that one) into validated frames."""
    if symbol is not None and symbol not in names:
        raise DataError(
            f"{label}: symbol {cell(symbol)} is not in the ticker column; found "
            f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''}"
        )
    if len(names) == 1:
        rows = np.arange(len(times))
        return {names[0]: _frame(names[0], rows, times, prices, label, where)}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    out: dict[str, pd.DataFrame] = {}
    for code, name in enumerate(names):
        if symbol is None or name == symbol:
            rows = order[bounds[code] : bounds[code + 1]]
            picked = {k: v[rows] for k, v in prices.items()}
            out[name] = _frame(name, rows, times[rows], picked, label, where)
    return out


def _frame(
    name: str,
    rows: np.ndarray,
    times: np.ndarray,
    prices: dict[str, np.ndarray],
    label: str,
    where: Callable[[int], str],
) -> pd.DataFrame:
    """One symbol's bars, checked in file order (messages name lines), then sorted."""
    check_bars(rows, times, prices, where)
    order = np.argsort(times, kind="stable")
    times = times[order]
    columns = {k: np.ascontiguousarray(prices[k][order], dtype=np.float64) for k in OHLCV_COLUMNS}
    validate_ohlcv(name, times, columns, source=label)  # a last guard; check_bars ran first
    index = pd.DatetimeIndex(times.view("datetime64[ns]"), name="timestamp")
    return pd.DataFrame(columns, index=index, copy=False)
