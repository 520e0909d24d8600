"""The run's trades as one column table for every sleeve at once.

A pandas frame has a fixed construction cost (about 0.5 ms, whatever its length), so building
one per sleeve dominates short runs with many sleeves. :func:`trade_columns` turns every
account's trade rows into numpy columns in one pass, in account order, and builds the one
frame of the whole run from them; each sleeve's table is then a slice of it
(:meth:`TradeColumns.frame`), and its metrics read slices of the columns
(:meth:`TradeColumns.columns`), so no frame is filtered per sleeve either.

The columns, their order and dtypes are those of
:meth:`orchestrator.core.accounts.Account.trade_table`: the same rows give equal tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.accounts import _TRADE_FIELDS, Account
from orchestrator.core.models import TRADE_COLUMNS
from orchestrator.core.results import empty_frame, frame_from_columns

__all__ = ["TradeColumns", "trade_columns"]

_TIMES = {"entry_time", "exit_time"}
_INTS = {"bars_held"}
_BOOLS = {"is_open"}


class TradeColumns:
    """Every sleeve's trades as numpy columns and one frame; ``bounds[k]`` is sleeve k's
    row range."""

    def __init__(self, data: dict[str, np.ndarray], bounds: list[tuple[int, int]]) -> None:
        self.data = data
        self.bounds = bounds
        self.whole = frame_from_columns(data) if bounds and bounds[-1][1] else empty_frame("trades")

    def frame(self, k: int) -> pd.DataFrame:
        """Sleeve ``k``'s trades table (its rows of :attr:`whole`, indexed from 0)."""
        a, b = self.bounds[k]
        if a == b:
            return empty_frame("trades")
        if a == 0 and b == len(self.whole):
            return self.whole
        return self.whole.iloc[a:b].reset_index(drop=True)

    def columns(self, k: int) -> Mapping[str, np.ndarray]:
        """Sleeve ``k``'s columns as array views (for :func:`~orchestrator.core.metrics.
        compute_metrics`)."""
        a, b = self.bounds[k]
        return {name: values[a:b] for name, values in self.data.items()}


def _column(name: str, values: tuple[Any, ...]) -> np.ndarray:
    if name in _TIMES:
        return np.array(values, dtype=np.int64).view("datetime64[ns]")
    if name in _INTS:
        return np.array(values, dtype=np.int64)
    if name in _BOOLS:
        return np.array(values, dtype=bool)
    if values and isinstance(values[0], str):
        return np.array(values, dtype=object)
    return np.array(values, dtype=np.float64)


def trade_columns(
    accounts: Sequence[Account], bars_held: Sequence[Mapping[int, int]]
) -> TradeColumns:
    """Build the trades of ``accounts`` (each one's closed trades, then its open positions
    with ``bars_held[k]`` bars held) as one :class:`TradeColumns`."""
    rows: list[Any] = []
    bounds: list[tuple[int, int]] = []
    sids: list[str] = []
    for acc, held in zip(accounts, bars_held, strict=True):
        start = len(rows)
        rows += acc.trade_rows
        if acc.positions:
            rows += acc.open_rows(held)
        bounds.append((start, len(rows)))
        sids.append(acc.strategy_id)
    n = len(rows)
    data: dict[str, np.ndarray] = {}
    if not n:
        return TradeColumns(data, bounds)
    raw = dict(zip(_TRADE_FIELDS, zip(*rows, strict=True), strict=True))
    names = np.array([sd.symbol for sd in accounts[0].symbols] or [""], dtype=object)
    counts = [b - a for a, b in bounds]
    data["strategy_id"] = np.repeat(np.array(sids, dtype=object), counts)
    data["symbol"] = names[np.array(raw.pop("si"), dtype=np.int64)]
    for name in TRADE_COLUMNS:
        if name in raw:
            data[name] = _column(name, raw[name])
    return TradeColumns(data, bounds)
