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
A trim that closes a whole position (a target of 0) is that position's round trip, so its row
carries the entry's costs too, and attribution counts them with the rebalancing costs; the
transfers' ``costs`` are always this rebalance's own commission and slippage.

Trade statistics (win rate, trade count...) leave the rebalance rows out
(:func:`signal_trades`): they describe the strategy, not the allocator.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orchestrator.core.allocation import Rebalance, drift_exceeded, schedule_mask
from orchestrator.core.execution import CostModel, Sizing
from orchestrator.core.flows import FUNDED_EPS
from orchestrator.core.market import SymbolData
from orchestrator.core.metrics import infer_periods_per_year
from orchestrator.core.models import MONEY_EPS, OrchestratorConfig
from orchestrator.core.rebalance_ledger import RebalanceLedger, signal_trades
from orchestrator.core.rules import target_weights, warmup_warning
from orchestrator.core.sleeve_returns import SleeveReturns

if TYPE_CHECKING:
    from orchestrator.core.accounts import Account
    from orchestrator.core.loop import Run
    from orchestrator.core.state import StrategyState

__all__ = ["Rebalancer", "signal_trades"]

# A move smaller than this (currency units) is no move: nothing is traded for it.
_MOVE_EPS = 1e-6


def _residue(amount: float) -> float:
    """A shortfall, with float residue below :data:`_MOVE_EPS` as 0."""
    return amount if amount > _MOVE_EPS else 0.0


class Rebalancer(RebalanceLedger):
    """The rebalance step of one run: its stops, its hook, its ledger of transfers.

    Built before the loop (``stops`` go to the :class:`Run`), then :meth:`bind` gives it the
    accounts; :meth:`on_stop` is the loop's hook. After the run, :attr:`rows` holds the
    transfers, :meth:`pool_curve` the unallocated cash at each timestamp and :meth:`flows`
    each sleeve's flows and values before them, for its time-weighted metrics (those
    readers are :class:`~orchestrator.core.rebalance_ledger.RebalanceLedger`'s).
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
        self.target_list = self.targets.tolist()
        # The drift screen's band: a little inside the real one (drift_exceeded decides).
        self.screen = (rebalance.drift - 1e-6) if rebalance.drift is not None else math.inf
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
        # Per sleeve: {timeline index: (flow, value before it)}.
        self.moves: list[dict[int, tuple[float, float]]] = []
        self.names: list[str] = []
        self.inputs = SleeveReturns(n, len(self.fixed)) if self.computed else None

    @classmethod
    def for_run(
        cls,
        config: OrchestratorConfig,
        timeline: np.ndarray,
        weights: Sequence[float],
        pool: float,
        costs: CostModel,
    ) -> Rebalancer | None:
        """The run's rebalance step, or None when ``config.rebalance`` never rebalances."""
        rebalance = config.rebalance
        if not rebalance.enabled:
            return None
        rf = 0.0
        if rebalance.rule == "max_sharpe" and config.risk_free_rate:
            index = pd.DatetimeIndex(np.asarray(timeline).view("datetime64[ns]"))
            rf = config.risk_free_rate / (config.periods_per_year or infer_periods_per_year(index))
        return cls(
            rebalance,
            timeline,
            pool=pool,
            fixed=np.asarray(weights, dtype=np.float64),
            at_open=config.fill == "next_open",
            costs=costs,
            fractional=config.fractional,
            risk_free_per_bar=rf,
        )

    @property
    def computed(self) -> bool:
        """Whether the targets come from a rule on returns (not the fixed sliders)."""
        return self.config.rule != "fixed"

    def bind(self, accounts: Sequence[Account], data: list[SymbolData], run: Run) -> list[str]:
        """Give the rebalancer the run's accounts (in strategy order, one per weight of
        ``fixed``), symbols and loop; return the warm-up warning of a computed rule, if any."""
        self.accounts = list(accounts)
        self.data = data
        self.run = run
        self.moves = [{} for _ in self.accounts]
        self.names = [acc.strategy_id for acc in self.accounts]
        for st in run.sparse:
            self.sparse.setdefault((id(st.account), st.si), []).append(st)
        if self.inputs is not None:
            self.inputs.bind(self.accounts)
        # Per symbol, its bar at each timeline index (-1: none), for the trades.
        self.bar_at: list[list[int]] = []
        for sd in data:
            at = np.full(self.n, -1, dtype=np.int64)
            at[sd.positions] = np.arange(len(sd.positions))
            self.bar_at.append(at.tolist())
        if not self.computed:
            return []
        index = pd.DatetimeIndex(np.asarray(self.timeline).view("datetime64[ns]"))
        note = warmup_warning(self.config.rule, self.config.lookback, index)
        return [] if note is None else [note]
        for st in run.sparse:
            self.sparse.setdefault((id(st.account), st.si), []).append(st)

    # ---- the hook -----------------------------------------------------------------------------

    def on_stop(self, ti: int) -> None:
        """Phase 1 at ``ti``, after the due fills: rebalance if the schedule or the band says so."""
        mark = ti - 1 if self.at_open else ti
        listed = [acc.equity(mark) for acc in self.accounts]
        due = bool(self.due[ti])
        if not due:
            # The drift check, at every timestamp: a plain-float screen first (a slightly
            # narrower band, so it never misses), then the one rule, drift_exceeded.
            equity = self.pool + sum(listed)
            if not equity > 0:
                return
            screen = self.screen
            scale = 1.0 / equity
            if all(
                abs(v * scale - t) <= screen for v, t in zip(listed, self.target_list, strict=True)
            ):
                return
        values = np.array(listed, dtype=np.float64)
        equity = self.pool + float(values.sum())
        if not equity > 0:
            return
        if due:
            reason = "schedule"
        elif self.config.drift is not None and drift_exceeded(
            values / equity, self.targets, self.config.drift
        ):
            reason = "drift"
        else:
            return
        self.targets = self._targets(ti)
        self.target_list = self.targets.tolist()
        self._execute(ti, values, equity, reason)

    def _targets(self, ti: int) -> np.ndarray:
        if not self.computed:
            return self.fixed
        assert self.inputs is not None
        window = self.inputs.window(ti, self.config.lookback)
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

    # ---- the moves ----------------------------------------------------------------------------

    def _tradable(self, si: int, ti: int) -> int:
        """The symbol's bar at ``ti``, or -1 when it has none (its market is closed now)."""
        bar: int = self.bar_at[si][ti]
        return bar

    def _price(self, si: int, bar: int) -> float:
        sd = self.data[si]
        return float(sd.open[bar] if self.at_open else sd.close[bar])

    def _quantity(self, q: float, factor: float) -> float:
        new = q * factor
        return new if self.fractional else float(math.floor(new + 1e-9))

    def _execute(self, ti: int, values: np.ndarray, equity: float, reason: str) -> None:
        target_array = self.targets * equity
        pool_target = equity - float(target_array.sum())
        targets, worth = target_array.tolist(), values.tolist()  # plain floats from here on
        scale = self.config.mode == "scale"
        n_k = len(self.accounts)
        amounts, costs, short = [0.0] * n_k, [0.0] * n_k, [0.0] * n_k
        wants = [0.0] * n_k
        for k, acc in enumerate(self.accounts):
            want = worth[k] - targets[k]
            if want <= _MOVE_EPS:
                if -want > _MOVE_EPS:
                    wants[k] = -want
                continue
            if scale and worth[k] > FUNDED_EPS:
                costs[k] += self._trim(acc, ti, max(targets[k], 0.0) / worth[k])
            give = min(want, acc.allocation.available_capital)
            if give > 0:
                acc.transfer(ti, -give)
                self.pool += give
                amounts[k] = -give
            short[k] = _residue(want - give)
        need = sum(wants)
        if need > 0:
            spare = max(self.pool - pool_target, 0.0)
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
                if scale and worth[k] > FUNDED_EPS and get > 0:
                    costs[k] += self._top_up(acc, ti, (worth[k] + get) / worth[k])
        self.pool_ti.append(ti)
        self.pool_value.append(self.pool)
        self.events += 1
        for k, acc in enumerate(self.accounts):
            self.rows.append((ti, acc.strategy_id, amounts[k], reason, costs[k], short[k]))
            if amounts[k] != 0:
                self.moves[k][ti] = (amounts[k], worth[k])
                if self.inputs is not None:
                    self.inputs.flow(ti, k, amounts[k], worth[k])

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
