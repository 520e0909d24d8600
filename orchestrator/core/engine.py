"""StrategyOrchestrator: validate, allocate, and run every strategy on one timeline.

The chronological loop and its three phases (fills due now, decisions, close fills) live in
:mod:`orchestrator.core.loop`; this module validates the strategies and weights, builds the
run (one account per strategy, one :class:`~orchestrator.core.state.StrategyState` per strategy
x symbol), and turns the accounts into results, column-wise, once.

Entries are sized with equal slots, a budget of equity / max_positions, unless the strategy
asks for a fraction of its equity with ``entry_size``; either budget is capped by the
strategy's own cash (an order cut or dropped for want of cash is recorded in a breach episode,
see :class:`~orchestrator.core.models.CapitalBreach`).

Rebalancing (``config.rebalance``) is the :class:`~orchestrator.core.rebalancing.Rebalancer`:
its timestamps are forced stops of the loop, its hook runs in phase 1 after the due fills, and
its ledger adds the unallocated cash curve, the transfers and the sleeves' time-weighted
metrics to the results. Without it (the default) nothing of it runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from orchestrator.core.build import _Built
from orchestrator.core.loop import ProgressCallback
from orchestrator.core.market import Market
from orchestrator.core.models import (
    OrchestratorConfig,
    StrategyAllocation,
    to_capital,
    to_decimal,
)
from orchestrator.core.protocol import default_strategy_id, unique_ids
from orchestrator.core.results import PORTFOLIO, OrchestratorResult
from orchestrator.core.weights import check_weights
from orchestrator.errors import ConfigError, DataError

__all__ = ["ProgressCallback", "StrategyOrchestrator"]

logger = logging.getLogger("orchestrator")


def _validate_strategy(strategy: object, position: int) -> None:
    for method in ("should_enter", "should_exit"):
        if not callable(getattr(strategy, method, None)):
            raise ConfigError(
                f"strategy #{position} ({type(strategy).__name__}) has no callable {method}"
                f"(bars, state); expected an object with should_enter and should_exit"
            )
    size = getattr(strategy, "entry_size", None)
    if size is not None and not callable(size):
        raise ConfigError(
            f"strategy #{position} ({type(strategy).__name__}): entry_size must be a method "
            f"entry_size(bars, state) -> fraction of equity in (0, 1]; found {size!r}"
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
        capital = to_capital(initial_capital)
        self.initial_capital = capital
        weights = [to_decimal(w, f"weight of strategy #{i + 1}") for i, (_, w) in enumerate(pairs)]
        for i, w in enumerate(weights):
            if not 0 <= w <= 1:
                raise ConfigError(f"weight of strategy #{i + 1} must be between 0 and 1; found {w}")
        check = check_weights(weights)  # the one weight-total rule (exact decimals)
        if not check.ok:
            raise ConfigError(
                f"Total weight {check.total} exceeds 1.0 by {check.excess}; lower the weights "
                f"so that they sum to at most 1.0 (the rest stays as cash)"
            )
        self.strategies: list[object] = [s for s, _ in pairs]
        self.strategy_ids = unique_ids([default_strategy_id(s) for s in self.strategies])
        for position, sid in enumerate(self.strategy_ids, 1):
            if sid.casefold() == PORTFOLIO.casefold():
                raise ConfigError(
                    f"strategy #{position} is named {sid!r}, which is reserved for the "
                    f"portfolio's own row and curve in the results; give it another name "
                    f"(e.g. name='{sid}_strategy')"
                )
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
        per_bar: bool = False,
    ) -> OrchestratorResult:
        """Run every strategy over ``historical_data`` and return the results.

        ``historical_data`` is ``{symbol: DataFrame}`` (DatetimeIndex; open/high/low/close and
        optional volume columns) or ``{symbol: [HistoricalDataBar, ...]}``. ``progress`` is
        called now and then with (timestamps done, timestamps in all). ``per_bar=True`` asks
        every strategy at every bar, also those that declare their signals (which are
        otherwise visited only where their signal is true); the results are the same.
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
        total = float(sum((a.weight for a in self.allocations.values()), Decimal(0)))
        self.config.rebalance.check_run(total, len(self.strategy_ids), len(market.timeline))
        built = _Built(self, market, symbols_of, per_bar=per_bar)
        built.run.loop(progress)
        if self.config.close_at_end:
            built.close_all()
        result = built.result()
        logger.info(
            "ran %d strategies over %d symbols and %d timestamps (%d decisions, %d states on "
            "the sparse path) in %.3f s",
            len(self.strategies),
            len(market.symbols),
            len(market.timeline),
            built.steps,
            len(built.run.sparse),
            time.perf_counter() - started,
        )
        return result
