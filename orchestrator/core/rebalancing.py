"""The rebalance step of the engine loop: when it happens, what it moves, and at which price.

**When.** A rebalance is due at the first timestamp of each new period of the global timeline
(:func:`~orchestrator.core.allocation.schedule_mask`, or every ``every_bars`` bars), and, when
``drift`` is set, at any timestamp where some sleeve's share of portfolio equity is more than
``drift`` off its target. Scheduled timestamps are forced stops of the loop
(:class:`~orchestrator.core.loop.Run`'s ``stops``); with a drift band every timestamp but the
first is one, and the check there is one mark of each sleeve (cash plus positions): a few
multiplications per open position. Timestamp 0 is the initial allocation, never a rebalance.

**Where in the bar.** In phase 1, after the orders due now have filled and before any strategy
is asked (phase 2):

- ``fill="next_open"``: the decision (is it due, the drift, the targets) uses marks at the
  closes known before this timestamp's bars (the previous close of every symbol); trims and
  top-ups fill at the open of this bar of each symbol that has one now;
- ``fill="close"``: everything happens at this timestamp's close: the marks are the closes at
  this timestamp (the previous close for a symbol without a bar now), trims and top-ups fill
  at the close of this bar, before the strategies decide on it and fill at the same close.

A position in a symbol without a bar at the rebalance timestamp is not traded then (its market
is closed); its sleeve's idle cash covers its part of the move, as far as it goes. The rule's
returns are each sleeve's time-weighted returns up to the previous bar
(:func:`~orchestrator.core.rules.trailing_window`) in both cases: never the bar in progress.

**What moves.** Portfolio equity ``E`` is the unallocated pool plus every sleeve's value ``V_i``
at those marks; sleeve ``i``'s target is ``T_i = w_i x E`` (the rest of ``E`` is the pool's).

1. Sleeves above target give first. ``mode="scale"``: every tradable position is trimmed to
   ``floor(q x T_i / V_i)`` shares (``q x T_i / V_i`` when fractional), paying commission and
   slippage, so the sleeve keeps its composition; ``mode="cash"``: nothing is sold. Then the
   sleeve hands ``V_i - T_i`` to the pool, or its idle cash if that is less (the rest is its
   ``shortfall``).
2. Sleeves below target receive ``T_i - V_i`` from the pool, all scaled down by one factor when
   the pool above its own target (``E - sum T``) cannot pay them all (the rest is their
   ``shortfall``). ``mode="scale"`` then tops every tradable position up to
   ``floor(q x (V_i + received) / V_i)``, as far as the sleeve's cash pays (fill price with
   slippage plus commission); ``mode="cash"`` leaves the cash idle for the strategy's entries.

Cash never goes negative; every transfer is one amount added on one side and taken on the
other, so the sleeves' amounts plus the change in the pool are zero at each timestamp. Every
sleeve gets a row in ``result.transfers`` at each rebalance (amount 0 when nothing moved), with
the costs its trims and top-ups paid. Trims and top-ups are trade rows with
``reason="rebalance"`` (see :meth:`~orchestrator.core.accounts.Account.trim` and
:meth:`~orchestrator.core.accounts.Account.top_up`). A sparse state whose position a trim
closed is rescheduled from the current bar, as the per-bar path would ask it to enter there.

**Rules.** The targets come from :func:`~orchestrator.core.rules.target_weights` on the sleeves'
time-weighted returns (:func:`~orchestrator.core.flows.time_weighted_returns`, with each
rebalance's transfer as a flow at the value ``V_i`` it was decided on), computed once per bar
as the run goes. A de-funded sleeve (nothing at risk) has no return of its own; its bars are
filled with a documented approximation of the nominal stream: the equal-weighted close-to-close
return of the symbols it trades (its capital fully invested in them), so a rule always sees
variance and never gets stuck at zero.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from orchestrator.core.allocation import Rebalance, drift_exceeded, schedule_mask
from orchestrator.core.execution import CostModel, Sizing
from orchestrator.core.flows import FUNDED_EPS, time_weighted_returns
from orchestrator.core.market import SymbolData
from orchestrator.core.models import MONEY_EPS
from orchestrator.core.rules import fallback_warnings, target_weights

if TYPE_CHECKING:
    from orchestrator.core.accounts import Account
    from orchestrator.core.loop import Run
    from orchestrator.core.state import StrategyState

__all__ = ["Rebalancer"]

# A move smaller than this (currency units) is no move: nothing is traded for it.
_MOVE_EPS = 1e-6


def _residue(amount: float) -> float:
    """A shortfall, with float residue below :data:`_MOVE_EPS` as 0."""
    return amount if amount > _MOVE_EPS else 0.0


class Rebalancer:
    """The rebalance step of one run: its stops, its hook, its ledger of transfers.

    Built before the loop (``stops`` go to the :class:`Run`), then :meth:`bind` gives it the
    accounts; :meth:`on_stop` is the loop's hook. After the run, :attr:`rows` holds the
    transfers, :meth:`pool_curve` the unallocated cash at each timestamp and :meth:`flows`
    each sleeve's flows and values before them, for its time-weighted metrics.
    """

    def __init__(
        self,
        rebalance: Rebalance,
        timeline: np.ndarray,
        *,
        pool: float,
        fixed: np.ndarray,
        at_open: bool,
        costs: CostModel,
        fractional: bool,
        risk_free_per_bar: float = 0.0,
    ) -> None:
        self.config = rebalance
        self.timeline = timeline
        self.n = n = len(timeline)
        self.due = schedule_mask(timeline, rebalance)
        if rebalance.drift is not None:
            self.stops: np.ndarray = np.arange(1, n, dtype=np.int64)
        else:
            self.stops = np.flatnonzero(self.due).astype(np.int64)
        self.pool = float(pool)
        self.pool_start = float(pool)
        self.fixed = np.asarray(fixed, dtype=np.float64)
        self.total = float(self.fixed.sum())
        self.targets = self.fixed.copy()
        self.at_open = at_open
        self.costs = costs
        self.sizing = Sizing(costs, fractional)
        self.fractional = fractional
        self.rf = risk_free_per_bar
        self.rows: list[tuple[int, str, float, str, float, float]] = []
        self.pool_ti: list[int] = []
        self.pool_value: list[float] = []
        self.fallbacks: list[tuple[object, str]] = []
        self.events = 0
        self.accounts: list[Account] = []
        self.data: list[SymbolData] = []
        self.run: Run | None = None
        self.sparse: dict[tuple[int, int], list[StrategyState]] = {}
        # Per sleeve: {timeline index: (flow, value before it)}; the moves not yet in returns.
        self.moves: list[dict[int, tuple[float, float]]] = []
        self.unread: list[tuple[int, int, float, float]] = []
        # The running state of _equity_block: per account, the next cash and quantity event
        # to read and the cash and quantities (sleeve x symbol) at the end of bar done - 1.
        self.cash_at: list[int] = []
        self.qty_at: list[int] = []
        self.carry_cash = np.zeros(0)
        self.carry_qty = np.zeros(0)
        self.marks = np.zeros((0, 0))
        self.names: list[str] = []
        k = len(self.fixed)
        self.returns = np.full((n, k) if self.computed else (0, k), np.nan)
        if self.computed and n:
            self.returns[0] = 0.0
        self.nominal = np.zeros((n, k) if self.computed else (0, k))
        self.done = 1  # returns known for bars < done

    @property
    def computed(self) -> bool:
        """Whether the targets come from a rule on returns (not the fixed sliders)."""
        return self.config.rule != "fixed"

    def bind(self, accounts: Sequence[Account], data: list[SymbolData], run: Run) -> None:
        """Give the rebalancer the run's accounts (in strategy order, one per weight of
        ``fixed``), symbols and loop."""
        self.accounts = list(accounts)
        self.data = data
        self.run = run
        self.moves = [{} for _ in self.accounts]
        self.names = [acc.strategy_id for acc in self.accounts]
        if self.computed:
            k = len(self.accounts)
            self.cash_at, self.qty_at = [0] * k, [0] * k
            self.carry_cash = np.array([acc.allocation.allocated_capital for acc in self.accounts])
            self.carry_qty = np.zeros(k * len(data))
            # Latest closes per bar x symbol, 0 before a symbol's first bar (nothing held).
            marks = np.column_stack([acc_marks for acc_marks in self.accounts[0].marks])
            self.marks = np.where(np.isfinite(marks), marks, 0.0)
        # Per symbol, its bar at each timeline index (-1: none), for the trades.
        self.bar_at: list[np.ndarray] = []
        for sd in data:
            at = np.full(self.n, -1, dtype=np.int64)
            at[sd.positions] = np.arange(len(sd.positions))
            self.bar_at.append(at)
        for st in run.sparse:
            self.sparse.setdefault((id(st.account), st.si), []).append(st)

    def set_nominal(self, k: int, symbols: Sequence[int], marks: Sequence[np.ndarray]) -> None:
        """Sleeve ``k``'s stand-in returns for de-funded bars: the mean close-to-close return
        of its symbols (0 where none has a return yet)."""
        if not self.computed or self.n < 2:
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = [m[1:] / m[:-1] - 1.0 for m in (marks[si] for si in symbols)]
        stack = np.vstack(parts) if parts else np.zeros((1, self.n - 1))
        finite = np.isfinite(stack)
        count = finite.sum(axis=0)
        mean = np.where(finite, stack, 0.0).sum(axis=0) / np.maximum(count, 1)
        self.nominal[1:, k] = mean

    # ---- the hook -----------------------------------------------------------------------------

    def on_stop(self, ti: int) -> None:
        """Phase 1 at ``ti``, after the due fills: rebalance if the schedule or the band says so."""
        mark = ti - 1 if self.at_open else ti
        values = np.array([acc.equity(mark) for acc in self.accounts], dtype=np.float64)
        equity = self.pool + float(values.sum())
        if not equity > 0:
            return
        if self.due[ti]:
            reason = "schedule"
        elif self.config.drift is not None and drift_exceeded(
            values / equity, self.targets, self.config.drift
        ):
            reason = "drift"
        else:
            return
        self.targets = self._targets(ti)
        self._execute(ti, values, equity, reason)

    def _targets(self, ti: int) -> np.ndarray:
        if not self.computed:
            return self.fixed
        lookback = self.config.lookback
        window = None
        if ti - lookback >= 1:
            self._extend(ti)
            window = self.returns[ti - lookback : ti]
        outcome = target_weights(
            self.config.rule,
            window,
            total=self.total,
            fixed=self.fixed,
            previous=self.targets,
            when=int(self.timeline[ti]),
            min_weight=self.config.min_weight,
            max_weight=self.config.max_weight,
            risk_free_rate=self.rf,
            names=self.names,
        )
        if outcome.reason is not None:
            self.fallbacks.append((int(self.timeline[ti]), outcome.reason))
        return outcome.weights

    def _extend(self, ti: int) -> None:
        """Compute the sleeves' time-weighted returns of bars ``done .. ti - 1``, all sleeves at
        once, carrying each account's cash and quantities forward from the previous call (so a
        run reads each event once): the formula of
        :func:`~orchestrator.core.flows.time_weighted_returns`, on a block of bars."""
        lo, hi = self.done - 1, ti
        if hi <= self.done:
            return
        equity = self._equity_block(lo, hi)  # (hi - lo) x sleeves
        prev, cur = equity[:-1], equity[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(prev > FUNDED_EPS, cur / prev, np.nan) - 1.0
        for t, k, amount, before in self.unread:
            p, c = float(equity[t - lo - 1, k]), float(equity[t - lo, k])
            invested = before + amount
            if p <= FUNDED_EPS and invested <= FUNDED_EPS:
                r[t - lo - 1, k] = math.nan
                continue
            market = before / p if p > FUNDED_EPS else 1.0
            after = c / invested if invested > FUNDED_EPS else 1.0
            r[t - lo - 1, k] = market * after - 1.0
        self.unread = []
        gaps = ~np.isfinite(r)
        if gaps.any():
            r[gaps] = self.nominal[lo + 1 : hi][gaps]
        self.returns[lo + 1 : hi] = r
        self.done = hi

    def _equity_block(self, lo: int, hi: int) -> np.ndarray:
        """Every sleeve's equity at the end of bars ``lo .. hi - 1`` (``lo`` the last bar of the
        previous block, whose cash and quantities the ``carry_*`` slots hold).

        The accounts' new events (times before ``hi``) are gathered with a bisection each, then
        placed in one ``bars x sleeves`` grid: the latest cash event at or before each bar (a
        running maximum of event numbers), and the quantity changes summed forward.
        """
        n_rows, n_k, n_sym = hi - lo, len(self.accounts), len(self.data)
        c_t: list[int] = []
        c_v: list[float] = []
        c_k: list[int] = []
        q_t: list[int] = []
        q_c: list[int] = []
        q_d: list[float] = []
        for k, acc in enumerate(self.accounts):
            a = self.cash_at[k]
            b = bisect_left(acc.cash_ti, hi, a)
            if b > a:
                c_t += acc.cash_ti[a:b]
                c_v += acc.cash_value[a:b]
                c_k += [k] * (b - a)
                self.cash_at[k] = b
            a = self.qty_at[k]
            b = bisect_left(acc.qty_ti, hi, a)
            if b > a:
                q_t += acc.qty_ti[a:b]
                q_d += acc.qty_change[a:b]
                base = k * n_sym
                q_c += [base + si for si in acc.qty_si[a:b]]
                self.qty_at[k] = b
        carry = self.carry_cash
        if c_t:
            # Event numbers rise with time within an account, so a cell's largest is its latest.
            flat = (np.asarray(c_t, dtype=np.int64) - lo) * n_k + np.asarray(c_k)
            latest = np.full(n_rows * n_k, -1, dtype=np.int64)
            np.maximum.at(latest, flat, np.arange(len(c_t)))
            latest = np.maximum.accumulate(latest.reshape(n_rows, n_k), axis=0)
            values = np.asarray(c_v, dtype=np.float64)
            cash = np.where(latest >= 0, values[np.maximum(latest, 0)], carry[None, :])
        else:
            cash = np.broadcast_to(carry, (n_rows, n_k))
        self.carry_cash = np.array(cash[-1], dtype=np.float64)
        if q_t:
            width = n_k * n_sym
            flat = (np.asarray(q_t, dtype=np.int64) - lo) * width + np.asarray(q_c)
            delta = np.bincount(flat, weights=q_d, minlength=n_rows * width)
            qty = self.carry_qty + np.cumsum(delta.reshape(n_rows, width), axis=0)
            self.carry_qty = qty[-1].copy()
        else:
            qty = np.broadcast_to(self.carry_qty, (n_rows, n_k * n_sym))
        value = (qty.reshape(n_rows, n_k, n_sym) * self.marks[lo:hi, None, :]).sum(axis=2)
        return np.asarray(cash + value, dtype=np.float64)

    # ---- the moves ----------------------------------------------------------------------------

    def _tradable(self, si: int, ti: int) -> int:
        """The symbol's bar at ``ti``, or -1 when it has none (its market is closed now)."""
        return int(self.bar_at[si][ti])

    def _price(self, si: int, bar: int) -> float:
        sd = self.data[si]
        return float(sd.open[bar] if self.at_open else sd.close[bar])

    def _quantity(self, q: float, factor: float) -> float:
        new = q * factor
        return new if self.fractional else float(math.floor(new + 1e-9))

    def _execute(self, ti: int, values: np.ndarray, equity: float, reason: str) -> None:
        targets = self.targets * equity
        scale = self.config.mode == "scale"
        k_n = len(self.accounts)
        amounts = np.zeros(k_n)
        costs = np.zeros(k_n)
        short = np.zeros(k_n)
        for k, acc in enumerate(self.accounts):
            want = values[k] - targets[k]
            if want <= _MOVE_EPS:
                continue
            if scale and values[k] > FUNDED_EPS:
                costs[k] += self._trim(acc, ti, max(targets[k], 0.0) / values[k])
            give = min(want, acc.allocation.available_capital)
            if give > 0:
                acc.transfer(ti, -give)
                self.pool += give
                amounts[k] = -give
            short[k] = _residue(want - give)
        wants = np.maximum(targets - values, 0.0)
        wants[wants <= _MOVE_EPS] = 0.0
        need = float(wants.sum())
        if need > 0:
            spare = max(self.pool - (equity - float(targets.sum())), 0.0)
            ratio = min(1.0, spare / need)
            for k, acc in enumerate(self.accounts):
                if wants[k] <= 0:
                    continue
                get = wants[k] if ratio >= 1.0 else wants[k] * ratio
                get = min(get, self.pool)
                if get > 0:
                    self.pool -= get
                    acc.transfer(ti, get)
                    amounts[k] = get
                short[k] = _residue(wants[k] - get)
                if scale and values[k] > FUNDED_EPS and get > 0:
                    costs[k] += self._top_up(acc, ti, (values[k] + get) / values[k])
        self.pool_ti.append(ti)
        self.pool_value.append(self.pool)
        self.events += 1
        for k, acc in enumerate(self.accounts):
            self.rows.append(
                (ti, acc.strategy_id, float(amounts[k]), reason, float(costs[k]), float(short[k]))
            )
            if amounts[k] != 0:
                self.moves[k][ti] = (float(amounts[k]), float(values[k]))
                if self.computed:
                    self.unread.append((ti, k, float(amounts[k]), float(values[k])))

    def _trim(self, acc: Account, ti: int, factor: float) -> float:
        paid = 0.0
        for si in sorted(acc.positions):
            bar = self._tradable(si, ti)
            if bar < 0:
                continue
            pos = acc.positions[si]
            sell = pos.quantity - self._quantity(pos.quantity, factor)
            if sell <= 0:
                continue
            held = bar - pos.entry_bar
            paid += acc.trim(si, ti, bar, self._price(si, bar), sell, held)
            if si not in acc.positions:
                self._reschedule(acc, si, bar)
        return paid

    def _top_up(self, acc: Account, ti: int, factor: float) -> float:
        paid = 0.0
        for si in sorted(acc.positions):
            bar = self._tradable(si, ti)
            if bar < 0:
                continue
            pos = acc.positions[si]
            buy = self._quantity(pos.quantity, factor) - pos.quantity
            if buy <= 0:
                continue
            price = self._price(si, bar)
            fill = self.costs.buy_price(price)
            cash = acc.allocation.available_capital
            if self.costs.buy_cost(buy, fill) > cash + MONEY_EPS:
                buy = min(buy, self.sizing.quantity(cash, fill))
            if buy > 0:
                paid += acc.top_up(si, ti, bar, price, buy)
        return paid

    def _reschedule(self, acc: Account, si: int, bar: int) -> None:
        """A trim closed the position: the sparse state's next visit is an entry from ``bar``
        (this bar's decisions are still to come), and its pending exit visit is void."""
        run = self.run
        assert run is not None
        for st in self.sparse.get((id(acc), si), ()):
            if st.cursor >= 0:
                old = int(self.data[si].positions[st.cursor])
                visits = run.agenda.get(old)
                if visits is not None and st in visits:
                    visits.remove(st)
            run.schedule(st, bar)

    # ---- after the run ------------------------------------------------------------------------

    def pool_curve(self) -> np.ndarray:
        """The unallocated cash at the end of every timestamp."""
        out = np.full(self.n, self.pool_start)
        if self.pool_ti:
            ev_t = np.asarray(self.pool_ti, dtype=np.int64)
            ev_v = np.asarray(self.pool_value, dtype=np.float64)
            k = np.searchsorted(ev_t, np.arange(self.n), side="right") - 1
            out = np.where(k >= 0, ev_v[np.maximum(k, 0)], self.pool_start)
        return out

    def flows(self, k: int, equity: np.ndarray) -> np.ndarray:
        """Sleeve ``k``'s per-bar time-weighted returns over the run (NaN where de-funded)."""
        flows = np.zeros(len(equity))
        before = np.concatenate(([equity[0]], equity[:-1])) if len(equity) else equity.copy()
        for t, (amount, value) in self.moves[k].items():
            flows[t] = amount
            before[t] = value
        return time_weighted_returns(equity, flows, before_flow=before)

    def warnings(self) -> tuple[str, ...]:
        """The rule's fallbacks, folded (see :func:`~orchestrator.core.rules.fallback_warnings`)."""
        return fallback_warnings(self.config.rule, self.fallbacks, self.events)
