"""One ledger per strategy: its cash (a :class:`StrategyAllocation`), positions, trades, breaches.

Only the engine changes an account; a strategy reads its own through
:class:`~orchestrator.core.state.StrategyState`. Everything the hot loop records goes into
plain lists (cash and position changes as (timeline index, value) events, trades as one tuple
of numbers each, breach episodes as small lists), and is turned into numpy arrays and frames
once, column by column, after the run (:meth:`Account.curves`, :meth:`Account.trade_table`,
:meth:`Account.breach_table`). No pandas object is made per fill.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# _TRADE_FIELDS is re-exported for orchestrator.core.tables.
from orchestrator.core.account_tables import _TRADE_FIELDS as _TRADE_FIELDS
from orchestrator.core.account_tables import AccountTables, _TradeRow
from orchestrator.core.execution import CostModel
from orchestrator.core.market import SymbolData
from orchestrator.core.models import MONEY_EPS, StrategyAllocation
from orchestrator.core.state import Clock, StrategyState

# Clock and StrategyState live in orchestrator.core.state; re-exported for older imports.
__all__ = ["Account", "Clock", "Position", "StrategyState"]

logger = logging.getLogger("orchestrator")
_LOGGED_BREACHES = 20  # episodes per strategy; the rest are recorded but not logged


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


class Account(AccountTables):
    """The ledger of one strategy in one run.

    ``positions`` maps a symbol index to its open :class:`Position` (the one place a position
    is stored). A capital breach is recorded as an *episode*: the consecutive bars of one
    symbol on which the same kind of unaffordable entry (reduced or dropped) was retried.
    The tables and curves after the run are
    :class:`~orchestrator.core.account_tables.AccountTables`'.
    """

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
        self._charges = costs.charges_commission  # read once: no commission call per fill
        self.positions: dict[int, Position] = {}
        # Events, as parallel lists: cash after each fill, and each change of a quantity.
        self.cash_ti: list[int] = []
        self.cash_value: list[float] = []
        self.qty_ti: list[int] = []
        self.qty_si: list[int] = []
        self.qty_change: list[float] = []
        self.trade_rows: list[_TradeRow] = []
        # Breach episodes: [first bar, last bar, si, requested, allowed, dropped, bars].
        self.episodes: list[list[float]] = []
        self._open_episode: dict[int, list[float]] = {}  # si -> its latest episode

    def equity(self, ti: int) -> float:
        """Cash plus open positions marked at their latest close at timeline index ``ti``."""
        total = self.allocation.available_capital
        marks = self.marks
        for si, pos in self.positions.items():
            total += pos.quantity * float(marks[si][ti])
        return total

    # ---- fills --------------------------------------------------------------------------------

    def breach(self, bar: int, si: int, requested: float, allowed: float, dropped: bool) -> None:
        """Record an entry that wanted more capital than this strategy had at ``bar``.

        The same kind of breach on the symbol's next bar extends the episode (its last bar and
        bar count); anything else starts a new one, which is logged (the first
        ``_LOGGED_BREACHES`` per strategy).
        """
        last = self._open_episode.get(si)
        if last is not None and last[1] == bar - 1 and bool(last[5]) is dropped:
            last[1] = bar
            last[6] += 1
            return
        episode = [bar, bar, si, requested, allowed, dropped, 1]
        self._open_episode[si] = episode
        self.episodes.append(episode)
        n = len(self.episodes)
        if n <= _LOGGED_BREACHES:
            logger.warning(
                "capital breach: %s wanted %.2f for %s at %s but %.2f was allowed; order %s",
                self.strategy_id,
                requested,
                self.symbols[si].symbol,
                pd.Timestamp(int(self.symbols[si].time[bar])).isoformat(),
                allowed,
                "dropped" if dropped else "reduced",
            )
            if n == _LOGGED_BREACHES:
                logger.warning(
                    "%s: further capital breaches are recorded in the results, not logged",
                    self.strategy_id,
                )

    def buy(self, si: int, ti: int, bar: int, price: float, quantity: float) -> None:
        """Open a position of ``quantity`` at raw ``price`` (slippage and commission added)."""
        c = self.costs
        fill = c.buy_price(price)
        commission = c.commission(quantity, fill) if self._charges else 0.0
        cost = quantity * fill + commission
        allocation = self.allocation
        allocation.allocate(cost)
        self.positions[si] = Position(
            quantity,
            fill,
            cost,
            commission,
            quantity * (fill - price),
            int(self.symbols[si].time[bar]),
            bar,
        )
        self.cash_ti.append(ti)
        self.cash_value.append(allocation.available_capital)
        self.qty_ti.append(ti)
        self.qty_si.append(si)
        self.qty_change.append(quantity)

    def sell(
        self, si: int, ti: int, bar: int, price: float, bars_held: int, reason: str = "signal"
    ) -> None:
        """Close the position in symbol ``si`` at raw ``price`` (slippage and commission taken);
        ``reason`` tags the trade row (``signal``, ``end`` or ``rebalance``)."""
        pos = self.positions.pop(si)
        c = self.costs
        fill = c.sell_price(price)
        q = pos.quantity
        gross = q * fill
        # A minimum commission larger than the sale would push cash below zero; cap it.
        commission = min(c.commission(q, fill), gross) if self._charges else 0.0
        proceeds = gross - commission
        allocation = self.allocation
        allocation.release(proceeds)
        self.cash_ti.append(ti)
        self.cash_value.append(allocation.available_capital)
        self.qty_ti.append(ti)
        self.qty_si.append(si)
        self.qty_change.append(-q)
        pnl = proceeds - pos.entry_cost
        self.trade_rows.append(
            (
                si,
                pos.entry_time,
                pos.entry_price,
                int(self.symbols[si].time[bar]),
                fill,
                q,
                pnl,
                pnl / pos.entry_cost if pos.entry_cost > MONEY_EPS else float("nan"),
                pos.commission + commission,
                pos.slippage + q * (price - fill),
                bars_held,
                False,
                reason,
            )
        )

    # ---- rebalancing (see orchestrator.core.rebalancing) --------------------------------------

    def transfer(self, ti: int, amount: float) -> None:
        """Move ``amount`` of cash into this sleeve (+) or out of it to the pool (-) at ``ti``."""
        allocation = self.allocation
        if amount >= 0:
            allocation.release(amount)
        else:
            allocation.allocate(-amount)
        self.cash_ti.append(ti)
        self.cash_value.append(allocation.available_capital)

    def trim(self, si: int, ti: int, bar: int, price: float, quantity: float, held: int) -> float:
        """Sell ``quantity`` of the position in ``si`` at raw ``price`` for a rebalance; return
        the costs paid (commission + slippage).

        The whole position closes through :meth:`sell` (its row carries the entry's costs, as
        every round trip does); part of it is a round trip of those shares against the pro-rata
        entry cost, with only this sale's costs in its row (the entry's stay with the position).
        """
        pos = self.positions[si]
        c = self.costs
        fill = c.sell_price(price)
        if quantity >= pos.quantity:
            q = pos.quantity
            commission = min(c.commission(q, fill), q * fill) if self._charges else 0.0
            self.sell(si, ti, bar, price, held, "rebalance")
            return commission + q * (price - fill)
        q = quantity
        gross = q * fill
        commission = min(c.commission(q, fill), gross) if self._charges else 0.0
        proceeds = gross - commission
        share_cost = pos.entry_cost * (q / pos.quantity)
        self.allocation.release(proceeds)
        pos.quantity -= q
        pos.entry_cost -= share_cost
        self._record(si, ti, -q)
        pnl = proceeds - share_cost
        slippage = q * (price - fill)
        self.trade_rows.append(
            (
                si,
                pos.entry_time,
                pos.entry_price,
                int(self.symbols[si].time[bar]),
                fill,
                q,
                pnl,
                pnl / share_cost if share_cost > MONEY_EPS else float("nan"),
                commission,
                slippage,
                held,
                False,
                "rebalance",
            )
        )
        return commission + slippage

    def top_up(self, si: int, ti: int, bar: int, price: float, quantity: float) -> float:
        """Buy ``quantity`` more of the position in ``si`` at raw ``price`` for a rebalance;
        return the costs paid (commission + slippage).

        The shares join the position at the raw price (its entry price becomes the quantity-
        weighted average); the costs go into a row of their own (``reason="rebalance"``, bought
        and valued at this bar, ``pnl`` = minus the costs), so every cost is in one row.
        """
        pos = self.positions[si]
        c = self.costs
        fill = c.buy_price(price)
        commission = c.commission(quantity, fill) if self._charges else 0.0
        cost = quantity * fill + commission
        self.allocation.allocate(cost)
        total = pos.quantity + quantity
        pos.entry_price = (pos.entry_price * pos.quantity + price * quantity) / total
        pos.quantity = total
        pos.entry_cost += quantity * price
        self._record(si, ti, quantity)
        slippage = quantity * (fill - price)
        now = int(self.symbols[si].time[bar])
        costs = commission + slippage
        self.trade_rows.append(
            (
                si,
                now,
                fill,
                now,
                price,
                quantity,
                -costs,
                -costs / cost if cost > MONEY_EPS else float("nan"),
                commission,
                slippage,
                0,
                False,
                "rebalance",
            )
        )
        return costs

    def _record(self, si: int, ti: int, change: float) -> None:
        self.cash_ti.append(ti)
        self.cash_value.append(self.allocation.available_capital)
        self.qty_ti.append(ti)
        self.qty_si.append(si)
        self.qty_change.append(change)
