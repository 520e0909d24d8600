"""One ledger per strategy: its cash (a :class:`StrategyAllocation`), positions, trades, breaches.

Only the engine changes an account; a strategy reads its own through :class:`StrategyState`.
Cash and position changes are recorded as events (timeline index, value) rather than written at
every bar, so the hot loop pays nothing for bookkeeping; the curves are rebuilt with numpy after
the run (see :meth:`Account.curves`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.execution import CostModel
from orchestrator.core.market import BarWindow, SymbolData
from orchestrator.core.models import MONEY_EPS, CapitalBreach, StrategyAllocation, Trade

__all__ = ["Account", "Clock", "Position", "StrategyState"]

logger = logging.getLogger("orchestrator")
_LOGGED_BREACHES = 20  # per strategy; the rest are recorded but not logged


class Clock:
    """The engine's current position on the global timeline, shared with the states."""

    __slots__ = ("ti",)

    def __init__(self) -> None:
        self.ti = 0


@dataclass(slots=True)
class Position:
    """An open long position of one strategy in one symbol."""

    quantity: float
    entry_price: float  # fill price, slippage included
    entry_cost: float  # cash paid: quantity * entry_price + commission
    commission: float
    slippage: float
    entry_time: int  # ns
    entry_bar: int  # bar index within the symbol's own history


class StrategyState:
    """What a strategy may know about itself when asked about one symbol (read-only).

    Attributes are properties: ``symbol``, ``strategy_id``, ``position`` (quantity held, 0.0
    when flat), ``entry_price`` and ``entry_time`` (None when flat), ``cash`` (its available
    capital), ``equity`` (cash plus positions marked at their latest close) and ``timestamp``
    (the current bar's).
    """

    __slots__ = ("_account", "_enter", "_exit", "_pos", "_si", "_window")

    def __init__(
        self,
        account: Account,
        si: int,
        window: BarWindow,
        enter: Callable[[BarWindow, StrategyState], Any],
        exit_: Callable[[BarWindow, StrategyState], Any],
    ) -> None:
        self._account = account
        self._si = si
        self._window = window
        self._enter = enter
        self._exit = exit_
        self._pos: Position | None = None

    @property
    def symbol(self) -> str:
        return self._window.symbol

    @property
    def strategy_id(self) -> str:
        return self._account.strategy_id

    @property
    def position(self) -> float:
        return self._pos.quantity if self._pos is not None else 0.0

    @property
    def entry_price(self) -> float | None:
        return self._pos.entry_price if self._pos is not None else None

    @property
    def entry_time(self) -> pd.Timestamp | None:
        return pd.Timestamp(self._pos.entry_time) if self._pos is not None else None

    @property
    def cash(self) -> float:
        return self._account.allocation.available_capital

    @property
    def equity(self) -> float:
        return self._account.equity(self._account.clock.ti)

    @property
    def timestamp(self) -> pd.Timestamp:
        w = self._window
        return pd.Timestamp(int(w._data.time[w._end - 1]))

    def __repr__(self) -> str:
        return (
            f"StrategyState(strategy_id={self.strategy_id!r}, symbol={self.symbol!r}, "
            f"position={self.position}, cash={self.cash:.2f})"
        )


class Account:
    """The ledger of one strategy in one run."""

    def __init__(
        self,
        strategy_id: str,
        allocation: StrategyAllocation,
        symbols: Sequence[SymbolData],
        marks: Sequence[np.ndarray],
        clock: Clock,
        costs: CostModel,
    ) -> None:
        self.strategy_id = strategy_id
        self.allocation = allocation
        self.symbols = list(symbols)
        self.marks = marks  # per symbol index: latest close on the timeline
        self.clock = clock
        self.costs = costs
        self.positions: dict[int, Position] = {}
        self.cash_events: list[tuple[int, float]] = []
        self.qty_events: dict[int, list[tuple[int, float]]] = {}
        self.trades: list[Trade] = []
        self.breaches: list[CapitalBreach] = []

    def equity(self, ti: int) -> float:
        """Cash plus open positions marked at their latest close at timeline index ``ti``."""
        total = self.allocation.available_capital
        for si, pos in self.positions.items():
            total += pos.quantity * float(self.marks[si][ti])
        return total

    def breach(self, time: int, si: int, requested: float, allowed: float, dropped: bool) -> None:
        """Record (and log) an order that wanted more capital than this strategy had."""
        record = CapitalBreach(
            timestamp=pd.Timestamp(time),
            strategy_id=self.strategy_id,
            symbol=self.symbols[si].symbol,
            requested=requested,
            allowed=allowed,
            action="dropped" if dropped else "reduced",
        )
        self.breaches.append(record)
        n = len(self.breaches)
        if n <= _LOGGED_BREACHES:
            logger.warning(
                "capital breach: %s wanted %.2f for %s at %s but %.2f was allowed; order %s",
                self.strategy_id,
                requested,
                record.symbol,
                record.timestamp.isoformat(),
                allowed,
                record.action,
            )
            if n == _LOGGED_BREACHES:
                logger.warning(
                    "%s: further capital breaches are recorded in the results, not logged",
                    self.strategy_id,
                )

    def buy(
        self, si: int, ti: int, bar: int, price: float, quantity: float, state: StrategyState
    ) -> None:
        """Open a position of ``quantity`` at raw ``price`` (slippage and commission added)."""
        c = self.costs
        fill = c.buy_price(price)
        commission = c.commission(quantity, fill)
        cost = quantity * fill + commission
        self.allocation.allocate(cost)
        sd = self.symbols[si]
        pos = Position(
            quantity=quantity,
            entry_price=fill,
            entry_cost=cost,
            commission=commission,
            slippage=quantity * (fill - price),
            entry_time=int(sd.time[bar]),
            entry_bar=bar,
        )
        self.positions[si] = pos
        state._pos = pos
        self.cash_events.append((ti, self.allocation.available_capital))
        self.qty_events.setdefault(si, []).append((ti, quantity))

    def sell(
        self,
        si: int,
        ti: int,
        bar: int,
        price: float,
        state: StrategyState,
        bars_held: int,
    ) -> None:
        """Close the position in symbol ``si`` at raw ``price`` (slippage and commission taken)."""
        pos = self.positions.pop(si)
        state._pos = None
        c = self.costs
        fill = c.sell_price(price)
        gross = pos.quantity * fill
        # A minimum commission larger than the sale would push cash below zero; cap it.
        commission = min(c.commission(pos.quantity, fill), gross)
        proceeds = gross - commission
        self.allocation.release(proceeds)
        self.cash_events.append((ti, self.allocation.available_capital))
        self.qty_events[si].append((ti, -pos.quantity))
        self.trades.append(
            self._trade(
                pos,
                si,
                int(self.symbols[si].time[bar]),
                fill,
                proceeds,
                bars_held,
                commission=pos.commission + commission,
                slippage=pos.slippage + pos.quantity * (price - fill),
            )
        )

    def open_trades(self, last_time: dict[int, int], bars_held: dict[int, int]) -> list[Trade]:
        """Return the positions still open, marked at each symbol's last close, as trades."""
        out = []
        for si, pos in sorted(self.positions.items()):
            sd = self.symbols[si]
            mark = float(sd.close[-1])
            out.append(
                self._trade(
                    pos,
                    si,
                    last_time[si],
                    mark,
                    pos.quantity * mark,
                    bars_held[si],
                    commission=pos.commission,
                    slippage=pos.slippage,
                    is_open=True,
                )
            )
        return out

    def _trade(
        self,
        pos: Position,
        si: int,
        exit_time: int,
        exit_price: float,
        proceeds: float,
        bars_held: int,
        *,
        commission: float,
        slippage: float,
        is_open: bool = False,
    ) -> Trade:
        pnl = proceeds - pos.entry_cost
        return Trade(
            strategy_id=self.strategy_id,
            symbol=self.symbols[si].symbol,
            entry_time=pd.Timestamp(pos.entry_time),
            entry_price=pos.entry_price,
            exit_time=pd.Timestamp(exit_time),
            exit_price=exit_price,
            quantity=pos.quantity,
            pnl=pnl,
            return_pct=pnl / pos.entry_cost if pos.entry_cost > MONEY_EPS else float("nan"),
            commission=commission,
            slippage=slippage,
            bars_held=bars_held,
            is_open=is_open,
        )

    def curves(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rebuild (equity, cash, positions value) on a timeline of ``n`` points from events.

        The value at index ``ti`` is the state after every fill at ``ti``; positions are marked
        at their latest close on the timeline.
        """
        initial = self.allocation.allocated_capital
        if self.cash_events:
            ev_ti = np.fromiter((t for t, _ in self.cash_events), np.int64, len(self.cash_events))
            ev_cash = np.fromiter((c for _, c in self.cash_events), float, len(self.cash_events))
            # Index of the last event at or before each timeline point (-1: none yet).
            k = np.searchsorted(ev_ti, np.arange(n), side="right") - 1
            cash = np.where(k >= 0, ev_cash[np.maximum(k, 0)], initial)
        else:
            cash = np.full(n, initial)
        value = np.zeros(n)
        for si, events in self.qty_events.items():
            delta = np.zeros(n)
            for t, q in events:
                delta[t] += q
            qty = np.cumsum(delta)
            held = qty != 0
            value[held] += qty[held] * self.marks[si][held]
        return cash + value, cash, value
