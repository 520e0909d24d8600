"""Typed trades, breaches and transfers tables: one dtype per known column, so equal tables
compare equal, and the empty tables built once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.models import BREACH_COLUMNS, TRADE_COLUMNS, CapitalBreach, Trade

__all__ = [
    "TRANSFER_COLUMNS",
    "breaches_frame",
    "empty_frame",
    "frame_from_columns",
    "trades_frame",
    "transfers_frame",
]

#: One row per sleeve per rebalance: the transfer (+ into the sleeve, - out of it, to the
#: unallocated cash pool), why (``schedule`` or ``drift``), the commission + slippage of the
#: trades it caused in that sleeve, and the part of the wanted move that could not be made.
TRANSFER_COLUMNS = ["timestamp", "strategy_id", "amount", "reason", "costs", "shortfall"]
_TIME_COLUMNS = {"entry_time", "exit_time", "timestamp", "last_timestamp"}
_INT_COLUMNS = {"bars_held", "bars"}
_BOOL_COLUMNS = {"is_open"}
_STR_COLUMNS = {"strategy_id", "symbol", "action", "reason"}


def _retype(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every known column its one dtype, so equal tables compare equal."""
    for col in frame.columns:
        if col in _TIME_COLUMNS:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif col in _INT_COLUMNS:
            frame[col] = frame[col].astype(np.int64)
        elif col in _BOOL_COLUMNS:
            frame[col] = frame[col].astype(bool)
        elif col in _STR_COLUMNS:
            frame[col] = frame[col].astype(object)
        else:
            frame[col] = frame[col].astype(np.float64)
    return frame


def frame_from_columns(columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Build a trades or breaches table from whole columns (numpy arrays of the final dtypes:
    datetime64[ns], int64, bool, float64, object), typed as :func:`trades_frame` and
    :func:`breaches_frame` type theirs: the engine's column-wise path, with no per-row work."""
    data: dict[str, Any] = dict(columns)
    for col in _STR_COLUMNS.intersection(data):
        # An explicit object Series: pandas 3 would otherwise infer its string dtype.
        data[col] = pd.Series(data[col], dtype=object, copy=False)
    return pd.DataFrame(data, copy=False)


def _typed_frame(items: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    """Build a table column by column from records (mappings) or dataclass instances."""
    rows = list(items)
    data = {c: [r[c] if isinstance(r, Mapping) else getattr(r, c) for r in rows] for c in columns}
    return _retype(pd.DataFrame(data, columns=columns))


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(kind: str) -> pd.DataFrame:
    """An empty trades (``kind="trades"``) or breaches table with every column typed: a copy
    of one built once, so that results for many sleeves pay no construction cost for it."""
    if kind not in _EMPTY:
        if kind == "trades":
            _EMPTY[kind] = trades_frame([])
        elif kind == "transfers":
            _EMPTY[kind] = transfers_frame([])
        else:
            _EMPTY[kind] = breaches_frame([])
    # A shallow copy: pandas copies on write, so a change to one never reaches the others.
    return _EMPTY[kind].copy(deep=False)


def trades_frame(trades: Iterable[Trade | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per trade, columns as :class:`~orchestrator.core.models.Trade`'s fields (a
    record without ``reason``, from before trades had one, is a ``"signal"`` trade)."""
    rows = [
        {**r, "reason": "signal"} if isinstance(r, Mapping) and "reason" not in r else r
        for r in trades
    ]
    return _typed_frame(rows, TRADE_COLUMNS)


def transfers_frame(transfers: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per sleeve per rebalance, columns :data:`TRANSFER_COLUMNS` (``shortfall``
    0 when a record has none)."""
    rows = [{"shortfall": 0.0, **r} for r in transfers]
    return _typed_frame(rows, TRANSFER_COLUMNS)


def breaches_frame(breaches: Iterable[CapitalBreach | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per breach episode, columns as :class:`~orchestrator.core.models.CapitalBreach`'s.

    A record without ``last_timestamp`` (or with None) ends on its first bar; one without
    ``bars`` lasted one bar (the form of single-bar breaches before episodes).
    """
    rows = []
    for r in breaches:
        row = dict(r) if isinstance(r, Mapping) else {c: getattr(r, c) for c in BREACH_COLUMNS}
        last = row.get("last_timestamp")
        if last is None or last is pd.NaT:
            row["last_timestamp"] = row["timestamp"]
        row.setdefault("bars", 1)
        rows.append(row)
    return _typed_frame(rows, BREACH_COLUMNS)


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return _retype(pd.concat(frames, ignore_index=True)) if frames else empty
