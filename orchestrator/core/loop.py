"""The chronological loop of one run: three named phases per timestamp, two ways to visit.

Per timestamp of the global timeline (the sorted union of the symbols' timestamps):

1. :meth:`Run.fills_due`: fill the orders due now (``fill="next_open"``: a signal taken at a
   symbol's bar t fills at that symbol's next bar's open); exits first (they free cash), then
   entries, in strategy then symbol order. A forced stop (a rebalancing point) runs here too,
   after the fills;
2. decisions: ask each strategy about each of its symbols that has a bar now:
   ``should_exit`` while it holds the symbol, else ``should_enter``, with a
   :class:`~orchestrator.core.market.BarWindow` ending at the current bar;
3. :meth:`Run.close_fills`: with ``fill="close"``, fill this timestamp's signals at the bar's
   close, in the same order as in phase 1.

Two paths make the decisions, with the same results bit for bit. The **per-bar path** asks the
strategy at every bar (the protocol). The **sparse path** serves a strategy that declares its
decisions as two boolean arrays (``declared_signals``, see :mod:`orchestrator.core.protocol`):
for each strategy x symbol a cursor jumps to the next bar where the relevant array is true (the
entry array while flat, the exit array while holding), so the loop visits only those bars and
the timestamps where something is due. A state's holding changes only through its own fills,
so the next visit is known as soon as its last fill (or dropped entry) is.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from sys import getrefcount
from typing import Any

import numpy as np

from orchestrator.core.accounts import Account
from orchestrator.core.execution import CostModel, Sizing
from orchestrator.core.market import BarWindow, SymbolData
from orchestrator.core.models import MONEY_EPS
from orchestrator.core.solo import run_solo
from orchestrator.core.state import Clock, StrategyState
from orchestrator.errors import StrategyError

__all__ = ["Order", "ProgressCallback", "Run", "StopHook"]

ProgressCallback = Callable[[int, int], None]
#: Called at each forced stop with the timeline index, after that timestamp's due fills.
StopHook = Callable[[int], None]
# One order: (fill rank, state, is an entry, bar index it fills on, fraction of equity or None).
Order = tuple[int, StrategyState, bool, int, float | None]
_RANK = itemgetter(0)


class Run:
    """The mutable state of one run's loop: accounts, states, queued orders, the agenda.

    ``per_bar[si]`` lists the states asked at every bar of symbol ``si`` (in strategy order);
    ``sparse`` the states on the sparse path. ``stops`` are timeline indices where the loop
    must stop even if nothing is due (e.g. rebalancing points), calling ``on_stop``. A hook
    that opens or closes a position itself (not through :meth:`fill`) must call
    :meth:`schedule` for that sparse state afterwards, from the symbol's next bar: its next
    visit depends on whether it holds.
    """

    def __init__(
        self,
        data: list[SymbolData],
        clock: Clock,
        costs: CostModel,
        *,
        fractional: bool,
        at_open: bool,
        stops: Iterable[int] = (),
        on_stop: StopHook | None = None,
    ) -> None:
        self.data = data
        self.lengths = [len(d) for d in data]
        self.clock = clock
        self.costs = costs
        self.sizing = Sizing(costs, fractional)
        self.fractional = fractional
        self.at_open = at_open
        self.per_bar: list[list[StrategyState]] = [[] for _ in data]
        self.sparse: list[StrategyState] = []
        self.slots: dict[Account, int] = {}
        self.pending: dict[int, list[Order]] = {}  # timeline index -> orders filling there
        self.agenda: dict[int, list[StrategyState]] = {}  # timeline index -> sparse visits
        self.heap: list[int] = []  # timeline indices with something in pending/agenda/stops
        self.stops = frozenset(int(t) for t in stops)
        self.on_stop = on_stop
        self.heap.extend(sorted(self.stops))
        self.report_every = 1  # progress: timestamps between two calls (set by loop)
        self.next_report = 0

    # ---- set-up -------------------------------------------------------------------------------

    def add(self, state: StrategyState) -> None:
        """Register one strategy x symbol: on the sparse path when it declares signals."""
        if state.entries is not None:
            self.sparse.append(state)
            self.schedule(state, 0)
        else:
            self.per_bar[state.si].append(state)

    def schedule(self, st: StrategyState, bar: int) -> None:
        """Put the sparse state's next visit on the agenda: the first bar >= ``bar`` where its
        relevant signal (exit while holding, else entry) is true."""
        idx = st.exits if st.si in st.positions else st.entries
        assert idx is not None  # only sparse states are scheduled
        k = bisect_left(idx, bar)
        if k == len(idx):
            st.cursor = -1
            return
        at = idx[k]
        st.cursor = at
        ti = int(self.data[st.si].positions[at])
        visits = self.agenda.get(ti)
        if visits is None:
            self.agenda[ti] = [st]
            heapq.heappush(self.heap, ti)
        else:
            visits.append(st)

    def _queue(self, ti: int, order: Order) -> None:
        due = self.pending.get(ti)
        if due is None:
            self.pending[ti] = [order]
            heapq.heappush(self.heap, ti)
        else:
            due.append(order)

    # ---- the loop -----------------------------------------------------------------------------

    def events(self, chunk: int = 8192) -> Iterator[tuple[list[int], list[int], list[int]]]:
        """Every (timeline index, symbol index, bars seen) of the symbols with per-bar states,
        in time then symbol order, in chunks of ``chunk`` timestamps (small Python lists)."""
        symbols = [k for k, states in enumerate(self.per_bar) if states]
        if not symbols:
            return
        n_t = len(self.clock.timeline)
        for a in range(0, n_t, chunk):
            b = min(a + chunk, n_t)
            ti_parts, si_parts, end_parts = [], [], []
            for k in symbols:
                d = self.data[k]
                lo, hi = (int(x) for x in np.searchsorted(d.positions, (a, b)))
                if hi > lo:
                    ti_parts.append(d.positions[lo:hi])
                    si_parts.append(np.full(hi - lo, k, np.int64))
                    end_parts.append(np.arange(lo + 1, hi + 1, dtype=np.int64))
            if not ti_parts:
                continue
            ti, si, end = (np.concatenate(p) for p in (ti_parts, si_parts, end_parts))
            order = np.lexsort((si, ti))
            yield ti[order].tolist(), si[order].tolist(), end[order].tolist()

    def loop(self, progress: ProgressCallback | None = None) -> None:
        """Run every timestamp that has something to do, in order, through the three phases."""
        clock = self.clock
        heap = self.heap
        per_bar = self.per_bar
        data = self.data
        lengths = self.lengths
        at_open = self.at_open
        n_t = len(clock.timeline)
        self.report_every = max(n_t // 200, 1)
        self.next_report = 0
        run_solo(self, progress)  # sleeves that trade alone, straight through (core/solo.py)
        now: list[Order] = []
        prev = -1
        st: StrategyState | None = None
        spare: list[BarWindow | None] = [None] * len(data)  # per symbol: its latest window
        window: BarWindow | None = None
        for ev_ti, ev_si, ev_end in self.events():
            for ti, si, end in zip(ev_ti, ev_si, ev_end, strict=True):
                if ti != prev:
                    if now:
                        self.close_fills(now, prev)
                        now = []
                    if heap and heap[0] < ti:
                        self.drain(ti, progress)
                    clock.ti = ti
                    if heap and heap[0] == ti:
                        self.fills_due(ti, now)
                    if progress is not None and ti >= self.next_report:
                        progress(ti, n_t)
                        self.next_report = ti + self.report_every
                    prev = ti
                # Phase 2, per-bar path: one window per symbol and bar, shared by the
                # strategies asked about it. A window a strategy could see again never
                # changes: the symbol's last window moves on to this bar only when nothing but
                # the loop holds it (references: ``spare``, ``window`` and getrefcount's own
                # argument; BarWindow has no weak references); one a strategy kept stays as it
                # was, and the symbol gets a new window.
                window = spare[si]
                if window is not None and getrefcount(window) == 3:
                    window._end = end
                else:
                    window = spare[si] = BarWindow(data[si], end)
                try:
                    for st in per_bar[si]:
                        if st.si in st.positions:
                            answer = st.exit(window, st)
                            if answer is False or (answer is not True and not _truth(answer, st)):
                                continue
                            entry = False
                        else:
                            answer = st.enter(window, st)
                            if answer is False or (answer is not True and not _truth(answer, st)):
                                continue
                            entry = True
                        if end >= lengths[si]:
                            continue  # a signal on the symbol's last bar never fills (either rule)
                        size = _size(st, window) if entry and st.size is not None else None
                        if at_open:
                            self._queue(
                                int(data[si].positions[end]), (st.rank, st, entry, end, size)
                            )
                        else:
                            now.append((st.rank, st, entry, end - 1, size))
                except StrategyError:
                    raise
                except Exception as exc:
                    raise strategy_error(st, exc) from exc
        if now:
            self.close_fills(now, prev)
        self.drain(None, progress)
        if progress is not None:
            progress(n_t, n_t)

    def drain(self, limit: int | None, progress: ProgressCallback | None = None) -> None:
        """Run every timestamp on the heap before ``limit`` (None: all), each through the three
        phases: the timestamps only the sparse path, pending fills or stops need."""
        heap = self.heap
        clock = self.clock
        n_t = len(clock.timeline)
        while heap and (limit is None or heap[0] < limit):
            ti = heap[0]
            clock.ti = ti
            now: list[Order] = []
            self.fills_due(ti, now)
            if now:
                self.close_fills(now, ti)
            if progress is not None and ti >= self.next_report:
                progress(ti, n_t)
                self.next_report = ti + self.report_every

    def fills_due(self, ti: int, now: list[Order]) -> None:
        """Phase 1 at ``ti`` (fills at the open, then a forced stop's hook), and the sparse
        path's part of phase 2: its visits due at ``ti`` become orders."""
        heap = self.heap
        while heap and heap[0] == ti:
            heapq.heappop(heap)
        due = self.pending.pop(ti, None)
        if due:
            self.fill(due, ti, at_open=True)
        if self.on_stop is not None and ti in self.stops:
            self.on_stop(ti)
        visits = self.agenda.pop(ti, None)
        if visits:
            self.visit(visits, now)
        while heap and heap[0] == ti:  # pushed again by this timestamp's own fills
            heapq.heappop(heap)

    def visit(self, visits: list[StrategyState], now: list[Order]) -> None:
        """The sparse path's decisions at one timestamp: each visit is a true signal."""
        data = self.data
        at_open = self.at_open
        st: StrategyState | None = None
        try:
            for st in visits:
                si = st.si
                bar = st.cursor
                end = bar + 1
                if end >= self.lengths[si]:
                    st.cursor = -1
                    continue  # a signal on the symbol's last bar never fills (either rule)
                entry = si not in st.positions
                size = None
                if entry and st.size is not None:
                    size = _size(st, BarWindow(data[si], end))
                if at_open:
                    self._queue(int(data[si].positions[end]), (st.rank, st, entry, end, size))
                else:
                    now.append((st.rank, st, entry, bar, size))
        except StrategyError:
            raise
        except Exception as exc:
            raise strategy_error(st, exc) from exc

    def close_fills(self, orders: list[Order], ti: int) -> None:
        """Phase 3 at ``ti``: fill the orders taken at this timestamp at the bars' close."""
        self.fill(orders, ti, at_open=False)

    # ---- fills --------------------------------------------------------------------------------

    def fill(self, orders: list[Order], ti: int, *, at_open: bool) -> None:
        """Fill a batch of orders at timeline index ``ti``: exits first, then entries, in
        strategy then symbol order; entries are sized on each strategy's equity after the
        exits, marked at the latest closes known (the previous timestamp's at the open)."""
        data = self.data
        later = 0 if at_open else 1  # the bar a sparse state's next decision may come on
        if len(orders) == 1:  # the common case: no sorting, no equity shared between entries
            _, st, entry, bar, fraction = orders[0]
            sd = data[st.si]
            price = float(sd.open[bar] if at_open else sd.close[bar])
            acc = st.account
            if entry:
                worth = acc.equity(ti - 1 if at_open else ti)
                budget = worth / self.slots[acc] if fraction is None else worth * fraction
                self.enter(acc, st.si, ti, bar, price, budget)
            else:
                acc.sell(st.si, ti, bar, price, bar - st.positions[st.si].entry_bar)
            if st.entries is not None:
                self.schedule(st, bar + later)
            return
        orders.sort(key=_RANK)
        entries = False
        for _, st, entry, bar, _ in orders:
            if entry:
                entries = True
                continue
            sd = data[st.si]
            price = float(sd.open[bar] if at_open else sd.close[bar])
            held = st.positions[st.si]
            st.account.sell(st.si, ti, bar, price, bar - held.entry_bar)
            if st.entries is not None:
                self.schedule(st, bar + later)
        if not entries:
            return
        equity: dict[Account, float] = {}
        mark_ti = ti - 1 if at_open else ti
        for _, st, entry, bar, fraction in orders:
            if not entry:
                continue
            acc = st.account
            e = equity.get(acc)
            if e is None:
                e = equity[acc] = acc.equity(mark_ti)
            budget = e / self.slots[acc] if fraction is None else e * fraction
            sd = data[st.si]
            self.enter(
                acc, st.si, ti, bar, float(sd.open[bar] if at_open else sd.close[bar]), budget
            )
            if st.entries is not None:
                self.schedule(st, bar + later)

    def enter(self, acc: Account, si: int, ti: int, bar: int, price: float, budget: float) -> None:
        """Buy what ``budget`` affords (capped by the cash), recording a breach when short."""
        cash = acc.allocation.available_capital
        costs = self.costs
        fill = costs.buy_price(price)
        short = budget > cash + MONEY_EPS
        quantity = self.sizing.quantity(min(budget, cash), fill)
        if quantity <= 0:
            # What the smallest order would cost: one share, or (fractional) the minimum
            # commission, which is what leaves nothing to buy with.
            smallest = costs.minimum if self.fractional else costs.buy_cost(1.0, fill)
            need = max(budget, smallest) if not short else budget
            acc.breach(bar, si, need, min(budget, cash), dropped=True)
            return
        if short:
            acc.breach(bar, si, budget, cash, dropped=False)
        acc.buy(si, ti, bar, price, quantity)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _truth(answer: object, st: StrategyState) -> bool:
    """The answer as a bool when it is a ``numpy.bool_``; anything else (a string, a number,
    NaN, a list, a method not called) is a StrategyError: truthiness would enter on it."""
    if isinstance(answer, np.bool_):
        return bool(answer)
    raise StrategyError(
        f"strategy {st.strategy_id!r} answered {_describe(answer)} of type "
        f"{type(answer).__name__} on symbol {st.symbol!r} at {st.timestamp.isoformat()}; "
        f"should_enter and should_exit must return True or False (bool or numpy.bool_); "
        f"did you forget to call a method, or return a string?",
        strategy_id=st.strategy_id,
        symbol=st.symbol,
        timestamp=st.timestamp,
    )


def _size(st: StrategyState, window: BarWindow) -> float:
    """Ask ``entry_size`` and check its answer: a real number in (0, 1]."""
    assert st.size is not None
    value: Any = st.size(window, st)
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    fraction = float(value) if ok else math.nan
    if not (0.0 < fraction <= 1.0):
        raise StrategyError(
            f"strategy {st.strategy_id!r}: entry_size returned {_describe(value)} "
            f"({type(value).__name__}) on symbol {st.symbol!r} at {st.timestamp.isoformat()}; "
            f"expected the fraction of the strategy's equity for this entry, a number in "
            f"(0, 1] (0.25 = a quarter)",
            strategy_id=st.strategy_id,
            symbol=st.symbol,
            timestamp=st.timestamp,
        )
    return fraction


def strategy_error(st: StrategyState | None, exc: Exception) -> StrategyError:
    """Wrap what a strategy raised (whatever its type), naming the strategy, symbol and bar."""
    if st is None:  # pragma: no cover - the loop sets st before calling a strategy
        return StrategyError(str(exc), strategy_id="?", symbol="?", timestamp=None)
    when = st.timestamp
    return StrategyError(
        f"strategy {st.strategy_id!r} raised {type(exc).__name__} on symbol {st.symbol!r} at "
        f"{when.isoformat()}: {exc}",
        strategy_id=st.strategy_id,
        symbol=st.symbol,
        timestamp=when,
    )
