"""StrategyOrchestrator: validate, allocate, and run every strategy bar by bar on one timeline.

The loop, per timestamp of the global timeline (the sorted union of the symbols' timestamps):

1. fill the orders due now: with ``fill="next_open"`` a signal taken at a symbol's bar t fills
   at that symbol's next bar's open; exits first (they free cash), then entries, in strategy
   then symbol order;
2. ask each strategy about each of its symbols that has a bar now (symbols in sorted order,
   strategies in the order given): ``should_exit`` while it holds the symbol, else
   ``should_enter``. The strategy sees a :class:`~orchestrator.core.market.BarWindow` ending at the
   current bar, so it cannot see the future;
3. with ``fill="close"``, fill this timestamp's signals at the bar's close.

Entries are sized with equal slots: a budget of equity / max_positions, capped by the
strategy's own cash (an order cut or dropped for want of cash is a :class:`CapitalBreach`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.accounts import Account, Clock, StrategyState
from orchestrator.core.execution import CostModel, Sizing
from orchestrator.core.market import BarWindow, Market
from orchestrator.core.metrics import compute_metrics, infer_periods_per_year
from orchestrator.core.models import MONEY_EPS, OrchestratorConfig, StrategyAllocation, to_decimal
from orchestrator.core.protocol import default_strategy_id, unique_ids
from orchestrator.core.results import (
    PORTFOLIO,
    OrchestratorResult,
    StrategyResult,
    breaches_frame,
    trades_frame,
)
from orchestrator.errors import ConfigError, DataError, OrchestratorError, StrategyError

__all__ = ["ProgressCallback", "StrategyOrchestrator"]

logger = logging.getLogger("orchestrator")
ProgressCallback = Callable[[int, int], None]
# One queued order: (state of the strategy x symbol, is an entry, bar index it fills on).
_Order = tuple[StrategyState, bool, int]


def _validate_strategy(strategy: object, position: int) -> None:
    for method in ("should_enter", "should_exit"):
        if not callable(getattr(strategy, method, None)):
            raise ConfigError(
                f"strategy #{position} ({type(strategy).__name__}) has no callable {method}"
                f"(bars, state); expected an object with should_enter and should_exit"
            )


class StrategyOrchestrator:
    """Run several strategies side by side, each on its own share of the capital.

    Args:
        strategies_with_weights: ``[(strategy, weight), ...]``; each weight in [0, 1], their
            total at most 1 (checked exactly); the rest of the capital stays as cash.
        initial_capital: the portfolio's starting capital (> 0).
        config: execution, cost and reporting options.
    """

    def __init__(
        self,
        strategies_with_weights: Iterable[tuple[object, Decimal | float | int | str]],
        initial_capital: Decimal | float | int | str,
        config: OrchestratorConfig | None = None,
    ) -> None:
        self.config = config if config is not None else OrchestratorConfig()
        if not isinstance(self.config, OrchestratorConfig):
            raise ConfigError(
                f"config must be an OrchestratorConfig; found {type(self.config).__name__}"
            )
        logger.setLevel(self.config.logging_level)
        pairs = self._pairs(strategies_with_weights)
        capital = to_decimal(initial_capital, "initial_capital")
        if capital <= 0:
            raise ConfigError(f"initial_capital must be > 0; found {initial_capital!r}")
        self.initial_capital = capital
        weights = [to_decimal(w, f"weight of strategy #{i + 1}") for i, (_, w) in enumerate(pairs)]
        for i, w in enumerate(weights):
            if not 0 <= w <= 1:
                raise ConfigError(f"weight of strategy #{i + 1} must be between 0 and 1; found {w}")
        total = sum(weights, Decimal(0))
        if total > 1:
            raise ConfigError(
                f"Total weight {total} exceeds 1.0 by {total - 1}; lower the weights so that "
                f"they sum to at most 1.0 (the rest stays as cash)"
            )
        self.strategies: list[object] = [s for s, _ in pairs]
        self.strategy_ids = unique_ids([default_strategy_id(s) for s in self.strategies])
        self.allocations: dict[str, StrategyAllocation] = {
            sid: StrategyAllocation(sid, w, float(capital * w))
            for sid, w in zip(self.strategy_ids, weights, strict=True)
        }
        self.unallocated_cash = float(capital - sum((capital * w for w in weights), Decimal(0)))

    @staticmethod
    def _pairs(items: Iterable[tuple[object, Any]]) -> list[tuple[object, Any]]:
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            raise ConfigError(
                "strategies_with_weights must be a list of (strategy, weight) pairs; found "
                f"{type(items).__name__}"
            )
        pairs = list(items)
        if not pairs:
            raise ConfigError(
                "strategies_with_weights is empty; expected at least one (strategy, weight) pair"
            )
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ConfigError(
                    f"strategies_with_weights[{i}] must be a (strategy, weight) pair; "
                    f"found {pair!r}"
                )
            _validate_strategy(pair[0], i + 1)
        return [(p[0], p[1]) for p in pairs]

    # ---- the run ------------------------------------------------------------------------------

    def _symbols_of(self, strategy: object, sid: str, available: Sequence[str]) -> list[str]:
        wanted = getattr(strategy, "symbols", None)
        if wanted is None:
            return sorted(available)
        if isinstance(wanted, str):
            wanted = [wanted]
        chosen = sorted({str(s) for s in wanted})
        missing = [s for s in chosen if s not in available]
        if missing or not chosen:
            raise DataError(
                f"strategy {sid!r} trades {missing or 'no symbols'}, which the data does not "
                f"have; symbols in the data: {', '.join(sorted(available))}"
            )
        return chosen

    def run(
        self,
        historical_data: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
    ) -> OrchestratorResult:
        """Run every strategy over ``historical_data`` and return the results.

        ``historical_data`` is ``{symbol: DataFrame}`` (DatetimeIndex; open/high/low/close and
        optional volume columns) or ``{symbol: [HistoricalDataBar, ...]}``. ``progress`` is
        called now and then with (timestamps done, timestamps in all).
        """
        started = time.perf_counter()
        if not isinstance(historical_data, Mapping) or not historical_data:
            raise DataError(
                "historical_data must be a non-empty dict {symbol: DataFrame or list of "
                f"HistoricalDataBar}}; found {type(historical_data).__name__}"
            )
        available = [str(s) for s in historical_data]
        symbols_of = {
            sid: self._symbols_of(s, sid, available)
            for s, sid in zip(self.strategies, self.strategy_ids, strict=True)
        }
        traded = sorted({s for syms in symbols_of.values() for s in syms})
        market = Market.from_data(historical_data, traded)
        run = _Run(self, market, symbols_of)
        run.loop(progress)
        result = run.result()
        elapsed = time.perf_counter() - started
        logger.info(
            "ran %d strategies over %d symbols and %d timestamps (%d decisions) in %.3f s",
            len(self.strategies),
            len(market.symbols),
            len(market.timeline),
            run.steps,
            elapsed,
        )
        return result


class _Run:
    """The state of one run: accounts, windows, queued orders. Used once, then discarded."""

    def __init__(
        self,
        orch: StrategyOrchestrator,
        market: Market,
        symbols_of: dict[str, list[str]],
    ) -> None:
        self.orch = orch
        self.config = orch.config
        self.market = market
        self.names = list(market.symbols)  # sorted
        self.data = [market.symbols[n] for n in self.names]
        self.marks = [market.close_on_timeline(n) for n in self.names]
        self.clock = Clock()
        self.costs = CostModel.from_config(self.config)
        self.sizing = Sizing(self.costs, self.config.fractional)
        self.at_open = self.config.fill == "next_open"
        self.symbols_of = symbols_of
        self.steps = 0
        self.warnings: list[str] = []
        index_of = {n: i for i, n in enumerate(self.names)}
        self.accounts: dict[str, Account] = {}
        self.slots: dict[str, int] = {}
        self.order_of: dict[str, int] = {}
        self.states: list[list[StrategyState]] = [[] for _ in self.names]
        for k, (strategy, sid) in enumerate(zip(orch.strategies, orch.strategy_ids, strict=True)):
            alloc = StrategyAllocation(
                sid, orch.allocations[sid].weight, orch.allocations[sid].allocated_capital
            )
            acc = Account(sid, alloc, self.data, self.marks, self.clock, self.costs)
            self.accounts[sid] = acc
            self.order_of[sid] = k
            syms = symbols_of[sid]
            own = getattr(strategy, "max_positions", None)
            if own is not None and (isinstance(own, bool) or not isinstance(own, int) or own < 1):
                raise ConfigError(
                    f"strategy {sid!r}: max_positions must be a whole number >= 1 or None; "
                    f"found {own!r}"
                )
            slots = own or self.config.max_positions
            self.slots[sid] = int(slots) if slots else len(syms)
            if alloc.allocated_capital <= 0:
                continue  # a strategy with no capital can do nothing: it is not asked
            prepare = getattr(strategy, "prepare", None)
            warmup = getattr(strategy, "warmup", 0)
            for name in syms:
                si = index_of[name]
                if isinstance(warmup, int) and len(self.data[si]) < warmup:
                    note = (
                        f"{sid}: {name} has {_bars(len(self.data[si]))}, fewer than the {warmup} "
                        f"it needs to warm up, so it cannot trade {name}"
                    )
                    self.warnings.append(note)
                    logger.warning(note)
                if callable(prepare):
                    self._guard(sid, name, None, prepare, self.data[si].window())
                window = BarWindow(self.data[si], 0)
                state = StrategyState(acc, si, window, strategy.should_enter, strategy.should_exit)  # type: ignore[attr-defined]
                self.states[si].append(state)

    @staticmethod
    def _guard(sid: str, symbol: str, when: Any, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except OrchestratorError:
            raise
        except Exception as exc:
            at = f"at {pd.Timestamp(when).isoformat()}" if when is not None else "in prepare()"
            raise StrategyError(
                f"strategy {sid!r} raised {type(exc).__name__} on symbol {symbol!r} {at}: {exc}",
                strategy_id=sid,
                symbol=symbol,
                timestamp=when,
            ) from exc

    def _events(self, chunk: int = 8192) -> Iterator[tuple[list[int], list[int], list[int]]]:
        """Every (timeline index, symbol index, bars seen), in time then symbol order.

        Yielded in chunks of ``chunk`` timestamps, so the Python lists stay small however long
        the history is.
        """
        n_t = len(self.market.timeline)
        for a in range(0, n_t, chunk):
            b = min(a + chunk, n_t)
            ti_parts, si_parts, end_parts = [], [], []
            for k, d in enumerate(self.data):
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

    def loop(self, progress: ProgressCallback | None) -> None:
        states = self.states
        data = self.data
        clock = self.clock
        at_open = self.at_open
        pending: dict[int, list[_Order]] = {}
        now: list[_Order] = []
        n_t = len(self.market.timeline)
        report_every = max(n_t // 200, 1)
        next_report = 0
        prev = -1
        # Each symbol has one event per bar: count the decisions once, not per event.
        steps = sum(len(s) * len(d) for s, d in zip(states, data, strict=True))
        for ev_ti, ev_si, ev_end in self._events():
            for ti, si, end in zip(ev_ti, ev_si, ev_end, strict=True):
                if ti != prev:
                    if now:
                        self._execute(now, prev, at_open=False)
                        now = []
                    clock.ti = ti
                    if pending:
                        due = pending.pop(ti, None)
                        if due:
                            self._execute(due, ti, at_open=True)
                    if progress is not None and ti >= next_report:
                        progress(ti, n_t)
                        next_report = ti + report_every
                    prev = ti
                st = None
                try:
                    for st in states[si]:
                        w = st._window
                        w._end = end
                        if st._pos is None:
                            if not st._enter(w, st):
                                continue
                            entry = True
                        elif st._exit(w, st):
                            entry = False
                        else:
                            continue
                        if end >= len(data[si]):
                            continue  # a signal on the symbol's last bar never fills (either rule)
                        if at_open:
                            fill_ti = int(data[si].positions[end])
                            pending.setdefault(fill_ti, []).append((st, entry, end))
                        else:
                            now.append((st, entry, end - 1))
                except OrchestratorError:
                    raise
                except Exception as exc:
                    raise _strategy_error(st, exc) from exc
        if now:
            self._execute(now, prev, at_open=False)
        self.steps = steps
        if self.config.close_at_end:
            self._close_all(n_t - 1)
        if progress is not None:
            progress(n_t, n_t)

    def _execute(self, orders: list[_Order], ti: int, *, at_open: bool) -> None:
        """Fill a batch of orders at timeline index ``ti``: exits first, then entries."""

        def key(order: _Order) -> tuple[int, int]:
            return self.order_of[order[0]._account.strategy_id], order[0]._si

        if len(orders) > 1:
            orders.sort(key=key)
        for st, entry, bar in orders:
            if not entry:
                sd = self.data[st._si]
                price = float(sd.open[bar] if at_open else sd.close[bar])
                pos = st._pos
                assert pos is not None  # exits are only queued for held symbols
                st._account.sell(st._si, ti, bar, price, st, bar - pos.entry_bar)
        equity: dict[str, float] = {}
        mark_ti = ti - 1 if at_open else ti  # at the open, the latest known prices are closes
        for st, entry, bar in orders:
            if entry:
                acc = st._account
                sid = acc.strategy_id
                if sid not in equity:
                    equity[sid] = acc.equity(mark_ti)
                sd = self.data[st._si]
                self._enter(
                    acc,
                    st,
                    ti,
                    bar,
                    float(sd.open[bar] if at_open else sd.close[bar]),
                    equity[sid] / self.slots[sid],
                )

    def _enter(
        self, acc: Account, st: StrategyState, ti: int, bar: int, price: float, budget: float
    ) -> None:
        cash = acc.allocation.available_capital
        fill = self.costs.buy_price(price)
        time_ns = int(self.data[st._si].time[bar])
        short = budget > cash + MONEY_EPS
        quantity = self.sizing.quantity(min(budget, cash), fill)
        if quantity <= 0:
            # What the smallest order would cost: one share, or (fractional) the minimum
            # commission, which is what leaves nothing to buy with.
            smallest = (
                self.costs.minimum if self.config.fractional else self.costs.buy_cost(1.0, fill)
            )
            need = max(budget, smallest) if not short else budget
            acc.breach(time_ns, st._si, need, min(budget, cash), dropped=True)
            return
        if short:
            acc.breach(time_ns, st._si, budget, cash, dropped=False)
        acc.buy(st._si, ti, bar, price, quantity, st)

    def _held_to_end(self, acc: Account, si: int) -> int:
        """Bars a position still open is held to the symbol's last close: an entry at a bar's
        open holds that bar too, an entry at its close does not."""
        entry = acc.positions[si].entry_bar
        return len(self.data[si]) - 1 - entry + (1 if self.at_open else 0)

    def _close_all(self, ti: int) -> None:
        for acc in self.accounts.values():
            for si in sorted(acc.positions):
                sd = self.data[si]
                last = len(sd) - 1
                state = next(s for s in self.states[si] if s._account is acc)
                acc.sell(si, ti, last, float(sd.close[last]), state, self._held_to_end(acc, si))

    # ---- results ------------------------------------------------------------------------------

    def result(self) -> OrchestratorResult:
        orch, market, config = self.orch, self.market, self.config
        n = len(market.timeline)
        index = market.index
        ppy = config.periods_per_year or infer_periods_per_year(index)
        rf = config.risk_free_rate
        results: dict[str, StrategyResult] = {}
        total = np.full(n, orch.unallocated_cash)
        held_any = np.zeros(n, dtype=bool)
        all_trades = []
        last_time = {si: int(d.time[-1]) for si, d in enumerate(self.data)}
        for sid, acc in self.accounts.items():
            equity, cash, value = acc.curves(n)
            total += equity
            held = value > 0
            held_any |= held
            open_held = {si: self._held_to_end(acc, si) for si in acc.positions}
            trades = trades_frame([*acc.trades, *acc.open_trades(last_time, open_held)])
            all_trades.append(trades)
            initial = acc.allocation.allocated_capital
            # Metrics on the strategy's own calendar (the points where one of its symbols has a
            # bar): elsewhere its equity cannot move, and counting those points would make its
            # figures depend on the calendars of the other strategies' symbols.
            own = np.zeros(n, dtype=bool)
            for name in self.symbols_of[sid]:
                own[market.symbols[name].positions] = True
            if config.close_at_end and n:
                own[-1] = True  # the closing fills land on the run's last timestamp
            own_ppy = config.periods_per_year or infer_periods_per_year(index[own])
            results[sid] = StrategyResult(
                strategy_id=sid,
                weight=acc.allocation.weight,
                allocated_capital=initial,
                symbols=tuple(self.symbols_of[sid]),
                equity_curve=pd.Series(equity, index=index, name=sid),
                cash_curve=pd.Series(cash, index=index, name=sid),
                trades=trades,
                breaches=breaches_frame(acc.breaches),
                metrics=compute_metrics(
                    _from_start(equity[own], initial),
                    trades,
                    float(held[own].mean()) if own.any() else 0.0,
                    own_ppy,
                    rf,
                ),
                periods_per_year=own_ppy,
            )
        portfolio = pd.Series(total, index=index, name=PORTFOLIO)
        capital = float(orch.initial_capital)
        combined = pd.concat(all_trades, ignore_index=True) if all_trades else trades_frame([])
        return OrchestratorResult(
            strategy_results=results,
            portfolio_equity=portfolio,
            initial_capital=capital,
            unallocated_cash=orch.unallocated_cash,
            aggregate_metrics=compute_metrics(
                _from_start(total, capital),
                combined,
                float(held_any.mean()) if n else 0.0,
                ppy,
                rf,
            ),
            periods_per_year=ppy,
            config=config,
            warnings=tuple(self.warnings),
        )


def _bars(n: int) -> str:
    return f"{n} bar" if n == 1 else f"{n} bars"


def _strategy_error(st: StrategyState | None, exc: Exception) -> StrategyError:
    """Wrap what a strategy raised, naming the strategy, the symbol and the bar."""
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


def _from_start(equity: np.ndarray, initial: float) -> np.ndarray:
    """The curve for metrics: prefixed with the starting capital when the first bar's fills
    (``fill="close"``) already moved it, so their costs count."""
    # Relative tolerance: summing the strategies' float capitals is off by a few ulps, which
    # exceeds an absolute 1e-9 from about 10 million on and would add a spurious bar.
    if len(equity) and abs(equity[0] - initial) > max(MONEY_EPS, 1e-12 * abs(initial)):
        return np.concatenate(([initial], equity))
    return equity
