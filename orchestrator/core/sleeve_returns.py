"""Each sleeve's time-weighted returns as the run goes: what an allocation rule sees.

A rebalance at bar ``t`` needs every sleeve's returns up to bar ``t - 1``
(:func:`~orchestrator.core.rules.trailing_window`). :class:`SleeveReturns` computes them block
by block, from one rebalance to the next, for all sleeves at once: each account's cash and
quantity events are read once in the whole run (a cursor per account), placed in a
``bars x sleeves`` grid and marked at the latest closes, and the block's returns follow the
formula of :func:`~orchestrator.core.flows.time_weighted_returns` (each transfer a flow at the
value it was decided on). A test checks them against that function on the final curves.

A de-funded bar (nothing at risk) has no return of its own; it is filled from the sleeve's
*nominal stream*, here the documented approximation of the equal-weighted close-to-close
return of the symbols the sleeve trades (its capital fully invested in them), so a rule always
sees a stream with variance and can fund the sleeve again.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from orchestrator.core.flows import FUNDED_EPS

if TYPE_CHECKING:
    from orchestrator.core.accounts import Account

__all__ = ["SleeveReturns"]


class SleeveReturns:
    """The ``bars x sleeves`` returns a rule reads, filled as the run reaches each rebalance."""

    def __init__(self, n: int, sleeves: int) -> None:
        self.n = n
        self.returns = np.full((n, sleeves), np.nan)
        if n:
            self.returns[0] = 0.0  # no return at bar 0, by convention
        self.nominal = np.zeros((n, sleeves))
        self.done = 1  # returns known for bars < done
        self.accounts: list[Account] = []
        self.unread: list[tuple[int, int, float, float]] = []  # flows not yet in returns
        # Per account, the next cash and quantity event to read, and the cash and the
        # quantities (sleeve x symbol) at the end of bar done - 1.
        self.cash_at: list[int] = []
        self.qty_at: list[int] = []
        self.carry_cash = np.zeros(0)
        self.carry_qty = np.zeros(0)
        self.marks = np.zeros((0, 0))
        self.symbols = 0

    def bind(self, accounts: Sequence[Account]) -> None:
        """Start from the accounts' initial state (before any event)."""
        self.accounts = list(accounts)
        k = len(self.accounts)
        self.cash_at, self.qty_at = [0] * k, [0] * k
        self.carry_cash = np.array([acc.allocation.allocated_capital for acc in self.accounts])
        marks = np.column_stack(list(self.accounts[0].marks))
        self.symbols = marks.shape[1]
        self.carry_qty = np.zeros(k * self.symbols)
        # Latest closes per bar x symbol, 0 before a symbol's first bar (nothing is held).
        self.marks = np.where(np.isfinite(marks), marks, 0.0)

    def flow(self, ti: int, k: int, amount: float, before: float) -> None:
        """Record a transfer of ``amount`` into sleeve ``k`` at ``ti``, decided on its value
        ``before``."""
        self.unread.append((ti, k, amount, before))

    def window(self, ti: int, lookback: int) -> np.ndarray | None:
        """The ``lookback`` returns known at a rebalance at ``ti`` (rows ``ti - lookback`` to
        ``ti - 1``), or None until that many are known."""
        if ti - lookback < 1:
            return None
        self._extend(ti)
        return self.returns[ti - lookback : ti]

    def set_nominal(self, k: int, symbols: Sequence[int], marks: Sequence[np.ndarray]) -> None:
        """Sleeve ``k``'s stand-in returns for de-funded bars: the mean close-to-close return
        of its symbols (0 where none has a return yet)."""
        if self.n < 2:
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = [m[1:] / m[:-1] - 1.0 for m in (marks[si] for si in symbols)]
        stack = np.vstack(parts) if parts else np.zeros((1, self.n - 1))
        finite = np.isfinite(stack)
        count = finite.sum(axis=0)
        mean = np.where(finite, stack, 0.0).sum(axis=0) / np.maximum(count, 1)
        self.nominal[1:, k] = mean

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
        # Divide only where something was at risk (no warning state to switch per block).
        r = np.divide(cur, prev, out=np.full(prev.shape, np.nan), where=prev > FUNDED_EPS) - 1.0
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
        n_rows, n_k, n_sym = hi - lo, len(self.accounts), self.symbols
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
