"""An account's records read after the run: its trades and breach episodes as frames built
column-wise, and its equity, cash and positions value on the timeline.

:class:`AccountTables` is the base of :class:`~orchestrator.core.accounts.Account`, which
fills these records during the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orchestrator.core.market import SymbolData
from orchestrator.core.models import MONEY_EPS, CapitalBreach, StrategyAllocation, Trade
from orchestrator.core.results import empty_frame, frame_from_columns

if TYPE_CHECKING:
    from orchestrator.core.accounts import Position

__all__ = ["AccountTables"]

# The numeric fields of one trade row, in order (strategy_id and symbol are added per table).
_TRADE_FIELDS = (
    "si",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "quantity",
    "pnl",
    "return_pct",
    "commission",
    "slippage",
    "bars_held",
    "is_open",
    "reason",
)
# One trade row: the fields above, as plain Python numbers (and the reason's string).
_TradeRow = tuple[int, int, float, int, float, float, float, float, float, float, int, bool, str]


class AccountTables:
    """The after-run readers of an account (its records are set in ``Account.__init__``)."""

    strategy_id: str
    allocation: StrategyAllocation
    symbols: list[SymbolData]
    marks: Sequence[np.ndarray]
    positions: dict[int, Position]
    cash_ti: list[int]
    cash_value: list[float]
    qty_ti: list[int]
    qty_si: list[int]
    qty_change: list[float]
    trade_rows: list[_TradeRow]
    episodes: list[list[float]]

    def open_rows(self, bars_held: Mapping[int, int]) -> list[_TradeRow]:
        """The positions still open, marked at each symbol's last close, as trade rows."""
        rows: list[_TradeRow] = []
        for si, pos in sorted(self.positions.items()):
            sd = self.symbols[si]
            mark = float(sd.close[-1])
            pnl = pos.quantity * mark - pos.entry_cost
            rows.append(
                (
                    si,
                    pos.entry_time,
                    pos.entry_price,
                    int(sd.time[-1]),
                    mark,
                    pos.quantity,
                    pnl,
                    pnl / pos.entry_cost if pos.entry_cost > MONEY_EPS else float("nan"),
                    pos.commission,
                    pos.slippage,
                    bars_held[si],
                    True,
                    "signal",
                )
            )
        return rows

    # ---- tables and curves (after the run) ----------------------------------------------------

    def trade_table(self, bars_held: Mapping[int, int] | None = None) -> pd.DataFrame:
        """Every trade as one frame built column-wise, the open positions last (``is_open``)
        when ``bars_held`` gives each open position's bars held."""
        rows = self.trade_rows + (self.open_rows(bars_held) if bars_held is not None else [])
        n = len(rows)
        if not n:
            return empty_frame("trades")
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(_TRADE_FIELDS)
        raw = dict(zip(_TRADE_FIELDS, cols, strict=True))
        names = np.array([sd.symbol for sd in self.symbols] or [""], dtype=object)
        si = np.array(raw["si"], dtype=np.int64)
        data = {
            "strategy_id": np.full(n, self.strategy_id, dtype=object),
            "symbol": names[si] if n else np.array([], dtype=object),
            "entry_time": np.array(raw["entry_time"], dtype=np.int64).view("datetime64[ns]"),
            "entry_price": np.array(raw["entry_price"], dtype=np.float64),
            "exit_time": np.array(raw["exit_time"], dtype=np.int64).view("datetime64[ns]"),
        }
        for name in ("exit_price", "quantity", "pnl", "return_pct", "commission", "slippage"):
            data[name] = np.array(raw[name], dtype=np.float64)
        data["bars_held"] = np.array(raw["bars_held"], dtype=np.int64)
        data["is_open"] = np.array(raw["is_open"], dtype=bool)
        data["reason"] = np.array(raw["reason"], dtype=object)
        return frame_from_columns(data)

    @property
    def trades(self) -> list[Trade]:
        """The closed trades as :class:`Trade` records (for tests and small scripts)."""
        frame = self.trade_table()
        return [Trade(**{str(k): v for k, v in row.items()}) for row in frame.to_dict("records")]

    def breach_table(self) -> pd.DataFrame:
        """The breach episodes as one frame (columns of :class:`CapitalBreach`), in time order."""
        eps = self.episodes
        n = len(eps)
        if not n:
            return empty_frame("breaches")
        si = np.fromiter((int(e[2]) for e in eps), np.int64, n)
        first = np.fromiter((int(e[0]) for e in eps), np.int64, n)
        last = np.fromiter((int(e[1]) for e in eps), np.int64, n)
        times = [sd.time for sd in self.symbols]
        start = np.fromiter((times[s][b] for s, b in zip(si, first, strict=True)), np.int64, n)
        end = np.fromiter((times[s][b] for s, b in zip(si, last, strict=True)), np.int64, n)
        names = np.array([sd.symbol for sd in self.symbols] or [""], dtype=object)
        frame = frame_from_columns(
            {
                "timestamp": start.view("datetime64[ns]"),
                "strategy_id": np.full(n, self.strategy_id, dtype=object),
                "symbol": names[si] if n else np.array([], dtype=object),
                "requested": np.fromiter((e[3] for e in eps), np.float64, n),
                "allowed": np.fromiter((e[4] for e in eps), np.float64, n),
                "action": np.array(["dropped" if e[5] else "reduced" for e in eps], dtype=object),
                "last_timestamp": end.view("datetime64[ns]"),
                "bars": np.fromiter((int(e[6]) for e in eps), np.int64, n),
            }
        )
        if n > 1:
            frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
        return frame

    @property
    def breaches(self) -> list[CapitalBreach]:
        """The breach episodes as :class:`CapitalBreach` records (for tests and small scripts)."""
        rows = self.breach_table().to_dict("records")
        return [CapitalBreach(**{str(k): v for k, v in row.items()}) for row in rows]

    def curves(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rebuild (equity, cash, positions value) on a timeline of ``n`` points from events.

        The value at index ``ti`` is the state after every fill at ``ti``; positions are marked
        at their latest close on the timeline.
        """
        initial = self.allocation.allocated_capital
        if self.cash_ti:
            ev_ti = np.array(self.cash_ti, dtype=np.int64)
            ev_cash = np.array(self.cash_value, dtype=np.float64)
            # Index of the last event at or before each timeline point (-1: none yet): the
            # events up to each point, counted (the events are in time order).
            k = np.cumsum(np.bincount(ev_ti, minlength=n)) - 1
            cash = np.where(k >= 0, ev_cash[np.maximum(k, 0)], initial)
        else:
            cash = np.full(n, initial)
        value = np.zeros(n)
        if self.qty_ti:
            q_ti = np.array(self.qty_ti, dtype=np.int64)
            q_si = np.array(self.qty_si, dtype=np.int64)
            q_dq = np.array(self.qty_change, dtype=np.float64)
            # Symbols in the order first traded, so the value sums in a fixed order.
            for si in dict.fromkeys(self.qty_si):
                mine = q_si == si
                # Sequential sums in event order from 0.0, as the per-event loop added them.
                delta = np.bincount(q_ti[mine], weights=q_dq[mine], minlength=n)
                qty = np.cumsum(delta)
                held = qty != 0
                value[held] += qty[held] * self.marks[si][held]
        return cash + value, cash, value
