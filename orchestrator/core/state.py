"""The engine-owned record per strategy x symbol, which is also what the strategy reads.

One :class:`StrategyState` exists per strategy x symbol in a run. The strategy receives it with
every question and reads its public properties (``position``, ``cash``, ``equity``...). The
slots are the engine's: :mod:`orchestrator.core.engine` sets them once when the run is built
and moves only the cursor of a declared-signal strategy afterwards; nothing else writes them.
The position itself lives once, in the account (``account.positions[si]``); the state reads it
from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from orchestrator.core.accounts import Account
    from orchestrator.core.market import BarWindow

__all__ = ["Clock", "Decision", "SizeRule", "StrategyState"]

#: ``should_enter`` / ``should_exit``: (bars, state) -> the answer (bool or numpy.bool_).
Decision = Callable[["BarWindow", "StrategyState"], Any]
#: ``entry_size``: (bars, state) -> the fraction of the strategy's equity for an entry.
SizeRule = Callable[["BarWindow", "StrategyState"], Any]


class Clock:
    """The engine's current position on the global timeline, shared by every state of a run.

    ``ti`` is the index of the timestamp being processed; ``timeline`` holds the timestamps
    (int64 nanoseconds), so a state can say when "now" is without a per-bar write.
    """

    __slots__ = ("ti", "timeline")

    def __init__(self, timeline: Any = None) -> None:
        self.ti = 0
        self.timeline = timeline


class StrategyState:
    """What a strategy may know about itself when asked about one symbol (read-only).

    Read these properties: ``symbol``, ``strategy_id``, ``position`` (quantity held, 0.0 when
    flat), ``entry_price`` and ``entry_time`` (None when flat), ``cash`` (the strategy's
    available capital), ``equity`` (cash plus positions marked at their latest close) and
    ``timestamp`` (the current bar's).

    Engine-owned slots (documented here, set by the engine only):

    - ``account``: the strategy's :class:`~orchestrator.core.accounts.Account`;
    - ``positions``: ``account.positions`` (the same dict, not a copy): held iff ``si`` is in it;
    - ``si``: the symbol's index in the run's sorted symbols;
    - ``symbol_name``: that symbol;
    - ``rank``: the fill order key, ``strategy index * symbols + si`` (strategy then symbol);
    - ``enter`` / ``exit``: the strategy's bound ``should_enter`` / ``should_exit``;
    - ``size``: its bound ``entry_size``, or None for equal slots;
    - ``entries`` / ``exits``: for a declared-signal strategy on the sparse path, the sorted bar
      indices where its entry / exit signal is true (else None: asked at every bar);
    - ``cursor``: on the sparse path, the next visit's bar index (-1: none).
    """

    __slots__ = (
        "account",
        "cursor",
        "enter",
        "entries",
        "exit",
        "exits",
        "positions",
        "rank",
        "si",
        "size",
        "symbol_name",
    )

    def __init__(
        self,
        account: Account,
        si: int,
        enter: Decision,
        exit_: Decision,
        *,
        rank: int = 0,
        size: SizeRule | None = None,
        entries: list[int] | None = None,
        exits: list[int] | None = None,
    ) -> None:
        self.account = account
        self.positions = account.positions
        self.si = si
        self.symbol_name = account.symbols[si].symbol
        self.rank = rank
        self.enter = enter
        self.exit = exit_
        self.size = size
        self.entries = entries
        self.exits = exits
        self.cursor = -1

    @property
    def sparse(self) -> bool:
        """Whether the engine visits this state only where its declared signal is true."""
        return self.entries is not None

    @property
    def symbol(self) -> str:
        return self.symbol_name

    @property
    def strategy_id(self) -> str:
        return self.account.strategy_id

    @property
    def position(self) -> float:
        pos = self.positions.get(self.si)
        return pos.quantity if pos is not None else 0.0

    @property
    def entry_price(self) -> float | None:
        pos = self.positions.get(self.si)
        return pos.entry_price if pos is not None else None

    @property
    def entry_time(self) -> pd.Timestamp | None:
        pos = self.positions.get(self.si)
        return pd.Timestamp(pos.entry_time) if pos is not None else None

    @property
    def cash(self) -> float:
        return self.account.allocation.available_capital

    @property
    def equity(self) -> float:
        return self.account.equity(self.account.clock.ti)

    @property
    def timestamp(self) -> pd.Timestamp:
        clock = self.account.clock
        return pd.Timestamp(int(clock.timeline[clock.ti]))

    def __repr__(self) -> str:
        return (
            f"StrategyState(strategy_id={self.strategy_id!r}, symbol={self.symbol!r}, "
            f"position={self.position}, cash={self.cash:.2f})"
        )
