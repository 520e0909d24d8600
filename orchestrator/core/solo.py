"""Sleeves that trade alone: one declared-signal state per account, run straight through.

On the sparse path a state is visited where its relevant signal is true, and each visit
becomes an order that fills at the next open (or at this close). An account whose only state
is such a state, with no ``entry_size`` to ask and no forced stops in the run, shares nothing
with any other account: its orders are sized on its own equity only, the fills touch its own
ledger only, and nothing it does changes when another account's orders fill. Its round trips
are then the same whether they are interleaved with the other accounts' on one timeline or
run one after the other, so :func:`run_solo` runs them first, state by state, without the
heap and the agenda: the same visits, the same :meth:`~orchestrator.core.loop.Run.enter` and
:meth:`~orchestrator.core.accounts.Account.sell` calls with the same arguments, in the same
order within the account, hence the same ledger bit for bit (the equivalence property of
``tests/orchestrator/core/test_engine_sparse.py`` holds it against the per-bar path). Only the
order of log lines across accounts (breach warnings) differs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrator.core.loop import Run
    from orchestrator.core.state import StrategyState

__all__ = ["run_solo", "solo_states"]


def solo_states(run: Run) -> list[StrategyState]:
    """The sparse states that trade alone (see the module docstring), in registration order;
    none when the run has forced stops."""
    if run.stops or run.on_stop is not None:
        return []
    count: dict[int, int] = {}
    for states in run.per_bar:
        for st in states:
            count[id(st.account)] = count.get(id(st.account), 0) + 2  # never alone
    for st in run.sparse:
        count[id(st.account)] = count.get(id(st.account), 0) + 1
    return [st for st in run.sparse if st.size is None and count[id(st.account)] == 1]


def run_solo(run: Run, progress: Callable[[int, int], None] | None = None) -> int:
    """Run every solo state's round trips to the end of its history and take those states
    off the agenda; return how many there were. ``progress`` hears of them in steps."""
    solo = solo_states(run)
    if not solo:
        return 0
    taken = {id(st) for st in solo}
    for ti in list(run.agenda):
        left = [st for st in run.agenda[ti] if id(st) not in taken]
        if left:
            run.agenda[ti] = left
        else:
            del run.agenda[ti]
    run.heap[:] = sorted(set(run.agenda) | set(run.pending))  # a sorted list is a heap
    n_t = len(run.clock.timeline)
    every = max(len(solo) // 100, 1)
    for done, st in enumerate(solo, 1):
        _trade(run, st)
        if progress is not None and done % every == 0:
            progress(n_t * done // (len(solo) + 1), n_t)
    return len(solo)


def _trade(run: Run, st: StrategyState) -> None:
    """One solo state's visits and fills, as :meth:`Run.visit` and :meth:`Run.fill` make them
    for a batch of one order (which is what every batch is for this account)."""
    si = st.si
    sd = run.data[si]
    length = run.lengths[si]
    acc = st.account
    held = st.positions
    slots = run.slots[acc]
    at_open = run.at_open
    entries, exits = st.entries, st.exits
    assert entries is not None  # sparse states only
    assert exits is not None
    later = 0 if at_open else 1  # the bar the next decision may come on, after a fill
    bar = 0
    while True:
        idx = exits if si in held else entries
        k = bisect_left(idx, bar)
        if k == len(idx):
            break
        at = idx[k]  # a visit: the relevant signal is true at this bar
        if at + 1 >= length:
            break  # a signal on the symbol's last bar never fills (either rule)
        if at_open:
            bar = at + 1
            ti = int(sd.positions[bar])
            price = float(sd.open[bar])
            mark_ti = ti - 1
        else:
            bar = at
            ti = int(sd.positions[bar])
            price = float(sd.close[bar])
            mark_ti = ti
        if si in held:
            acc.sell(si, ti, bar, price, bar - held[si].entry_bar)
        else:
            run.enter(acc, si, ti, bar, price, acc.equity(mark_ti) / slots)
        bar += later
    st.cursor = -1
