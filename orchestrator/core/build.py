"""One run set up and turned into results: the accounts, the states and the loop of a
:class:`~orchestrator.core.engine.StrategyOrchestrator` run, then its results, column-wise, once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestrator.core.accounts import Account
from orchestrator.core.execution import CostModel
from orchestrator.core.loop import Run, StopHook
from orchestrator.core.market import Market
from orchestrator.core.metrics import compute_metrics, infer_periods_per_year
from orchestrator.core.models import MONEY_EPS, StrategyAllocation
from orchestrator.core.protocol import declared_arrays
from orchestrator.core.rebalancing import Rebalancer, signal_trades
from orchestrator.core.results import PORTFOLIO, OrchestratorResult, StrategyResult, empty_frame
from orchestrator.core.state import Clock, StrategyState
from orchestrator.core.tables import trade_columns
from orchestrator.errors import ConfigError, StrategyError

if TYPE_CHECKING:
    from orchestrator.core.engine import StrategyOrchestrator

logger = logging.getLogger("orchestrator")


class _Built:
    """One run set up: accounts, states and the loop; used once, then discarded.

    ``stops`` and ``on_stop`` are for allocation (rebalancing points are visits too): the loop
    stops at those timeline indices, after their due fills, and calls ``on_stop(ti)``.
    """

    def __init__(
        self,
        orch: StrategyOrchestrator,
        market: Market,
        symbols_of: dict[str, list[str]],
        *,
        per_bar: bool = False,
        stops: Iterable[int] = (),
        on_stop: StopHook | None = None,
    ) -> None:
        self.orch = orch
        self.config = config = orch.config
        self.market = market
        self.symbols_of = symbols_of
        names = list(market.symbols)  # sorted
        self.data = data = [market.symbols[n] for n in names]
        marks = [market.close_on_timeline(n) for n in names]
        self.clock = clock = Clock(market.timeline)
        costs = CostModel.from_config(config)
        self.at_open = config.fill == "next_open"
        self.rebalancer = rebalancer = Rebalancer.for_run(
            config,
            market.timeline,
            [float(orch.allocations[sid].weight) for sid in orch.strategy_ids],
            orch.unallocated_cash,
            costs,
        )
        if rebalancer is not None:
            stops, on_stop = rebalancer.stops.tolist(), rebalancer.on_stop
        self.run = run = Run(
            data,
            clock,
            costs,
            fractional=config.fractional,
            at_open=self.at_open,
            stops=stops,
            on_stop=on_stop,
        )
        self.warnings: list[str] = []
        self.accounts: dict[str, Account] = {}
        self.steps = 0
        index_of = {n: i for i, n in enumerate(names)}
        for k, (strategy, sid) in enumerate(zip(orch.strategies, orch.strategy_ids, strict=True)):
            template = orch.allocations[sid]
            alloc = StrategyAllocation(sid, template.weight, template.allocated_capital)
            acc = Account(sid, alloc, data, marks, clock, costs)
            self.accounts[sid] = acc
            syms = symbols_of[sid]
            own = getattr(strategy, "max_positions", None)
            if own is not None and (isinstance(own, bool) or not isinstance(own, int) or own < 1):
                raise ConfigError(
                    f"strategy {sid!r}: max_positions must be a whole number >= 1 or None; "
                    f"found {own!r}"
                )
            slots = own or config.max_positions
            run.slots[acc] = int(slots) if slots else len(syms)
            if rebalancer is not None and rebalancer.inputs is not None:
                rebalancer.inputs.set_nominal(k, [index_of[name] for name in syms], marks)
            if alloc.allocated_capital <= 0 and (rebalancer is None or not rebalancer.computed):
                continue  # a strategy with no capital can do nothing: it is not asked
            prepare = getattr(strategy, "prepare", None)
            warmup = getattr(strategy, "warmup", 0)
            size = getattr(strategy, "entry_size", None)
            for name in syms:
                si = index_of[name]
                sd = data[si]
                if isinstance(warmup, int) and len(sd) < warmup:
                    note = (
                        f"{sid}: {name} has {_bars(len(sd))}, fewer than the {warmup} "
                        f"it needs to warm up, so it cannot trade {name}"
                    )
                    self.warnings.append(note)
                    logger.warning(note)
                if callable(prepare):
                    _guard(sid, name, "in prepare()", prepare, sd.window())
                entries = exits = None
                if not per_bar:
                    declared = _guard(
                        sid, name, "in declared_signals()", declared_arrays, strategy, name, len(sd)
                    )
                    if declared is not None:
                        entries, exits = (np.flatnonzero(a).tolist() for a in declared)
                state = StrategyState(
                    acc,
                    si,
                    strategy.should_enter,  # type: ignore[attr-defined]
                    strategy.should_exit,  # type: ignore[attr-defined]
                    rank=k * len(names) + si,
                    size=size,
                    entries=entries,
                    exits=exits,
                )
                run.add(state)
                self.steps += len(sd)
        if rebalancer is not None:
            self.warnings += rebalancer.bind(list(self.accounts.values()), data, run)

    def held_to_end(self, acc: Account, si: int) -> int:
        """Bars a position still open is held to the symbol's last close: an entry at a bar's
        open holds that bar too, an entry at its close does not."""
        entry = acc.positions[si].entry_bar
        return len(self.data[si]) - 1 - entry + (1 if self.at_open else 0)

    def close_all(self) -> None:
        """``close_at_end``: sell every open position at its symbol's last close, on the run's
        last timestamp."""
        ti = len(self.market.timeline) - 1
        self.clock.ti = ti
        for acc in self.accounts.values():
            for si in sorted(acc.positions):
                sd = self.data[si]
                last = len(sd) - 1
                acc.sell(si, ti, last, float(sd.close[last]), self.held_to_end(acc, si), "end")

    # ---- results ------------------------------------------------------------------------------

    def result(self) -> OrchestratorResult:
        """Turn the accounts into results: curves, trades and breach tables built column-wise
        once, metrics on each strategy's own calendar."""
        orch, market, config = self.orch, self.market, self.config
        n = len(market.timeline)
        index = market.index
        ppy = config.periods_per_year or infer_periods_per_year(index)
        rf = config.risk_free_rate
        results: dict[str, StrategyResult] = {}
        rebalancer = self.rebalancer
        # The unallocated cash at each bar: constant, or moved by the transfers.
        total = np.full(n, orch.unallocated_cash) if rebalancer is None else rebalancer.pool_curve()
        held_any = np.zeros(n, dtype=bool)
        accounts = list(self.accounts.values())
        # Every sleeve's trades as one column table; a sleeve's frame is a slice of it.
        table = trade_columns(
            accounts, [{si: self.held_to_end(a, si) for si in a.positions} for a in accounts]
        )
        calendars: dict[tuple[str, ...], tuple[np.ndarray, float]] = {}
        for k, (sid, acc) in enumerate(self.accounts.items()):
            equity, cash, value = acc.curves(n)
            total += equity
            held = value > 0
            held_any |= held
            trades = table.frame(k)
            initial = acc.allocation.allocated_capital
            # Metrics on the strategy's own calendar (the points where one of its symbols has a
            # bar): elsewhere its equity cannot move, and counting those points would make its
            # figures depend on the calendars of the other strategies' symbols. Strategies on
            # the same symbols share one calendar, computed once.
            key = tuple(self.symbols_of[sid])
            if key not in calendars:
                own = np.zeros(n, dtype=bool)
                for name in key:
                    own[market.symbols[name].positions] = True
                if config.close_at_end and n:
                    own[-1] = True  # the closing fills land on the run's last timestamp
                own_ppy = config.periods_per_year or (
                    ppy if own.all() else infer_periods_per_year(index[own])
                )
                calendars[key] = (own, own_ppy)
            own, own_ppy = calendars[key]
            results[sid] = StrategyResult(
                strategy_id=sid,
                weight=acc.allocation.weight,
                allocated_capital=initial,
                symbols=key,
                equity_curve=pd.Series(equity, index=index, name=sid),
                cash_curve=pd.Series(cash, index=index, name=sid),
                trades=trades,
                breaches=acc.breach_table(),
                metrics=compute_metrics(
                    _from_start(
                        equity[own]
                        if rebalancer is None
                        else rebalancer.metric_curve(k, equity)[own],
                        initial,
                    ),
                    signal_trades(table.columns(k)),
                    float(held[own].mean()) if own.any() else 0.0,
                    own_ppy,
                    rf,
                ),
                periods_per_year=own_ppy,
            )
        portfolio = pd.Series(total, index=index, name=PORTFOLIO)
        capital = float(orch.initial_capital)
        return OrchestratorResult(
            strategy_results=results,
            portfolio_equity=portfolio,
            initial_capital=capital,
            unallocated_cash=orch.unallocated_cash,
            aggregate_metrics=compute_metrics(
                _from_start(total, capital),
                signal_trades(table.whole),
                float(held_any.mean()) if n else 0.0,
                ppy,
                rf,
            ),
            periods_per_year=ppy,
            config=config,
            warnings=tuple(self.warnings) + (rebalancer.warnings() if rebalancer else ()),
            transfers=empty_frame("transfers") if rebalancer is None else rebalancer.table(),
        )


def _guard(sid: str, symbol: str, where: str, fn: Any, *args: Any) -> Any:
    """Call strategy code before the run; wrap anything it raises (a DataError or ConfigError
    too) as a StrategyError naming the strategy and symbol."""
    try:
        return fn(*args)
    except StrategyError:
        raise
    except Exception as exc:
        raise StrategyError(
            f"strategy {sid!r} raised {type(exc).__name__} on symbol {symbol!r} {where}: {exc}",
            strategy_id=sid,
            symbol=symbol,
            timestamp=None,
        ) from exc


def _bars(n: int) -> str:
    return f"{n} bar" if n == 1 else f"{n} bars"


def _from_start(equity: np.ndarray, initial: float) -> np.ndarray:
    """The curve for metrics: prefixed with the starting capital when the first bar's fills
    (``fill="close"``) already moved it, so their costs count."""
    # Relative tolerance: summing the strategies' float capitals is off by a few ulps, which
    # exceeds an absolute 1e-9 from about 10 million on and would add a spurious bar.
    if len(equity) and abs(equity[0] - initial) > max(MONEY_EPS, 1e-12 * abs(initial)):
        return np.concatenate(([initial], equity))
    return equity
