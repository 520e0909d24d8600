"""Strategy Orchestrator: backtest several strategies side by side, each on its own capital.

>>> from orchestrator import StrategyOrchestrator, OrchestratorConfig
>>> orch = StrategyOrchestrator([(strategy_a, 0.6), (strategy_b, 0.4)], 100_000)  # doctest: +SKIP
>>> result = orch.run(historical_data)  # doctest: +SKIP
>>> print(result.comparison_table)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from orchestrator.core.allocation import Rebalance
from orchestrator.core.engine import StrategyOrchestrator
from orchestrator.core.lookahead import LookaheadReport, check_lookahead
from orchestrator.core.market import BarWindow
from orchestrator.core.metrics import PerformanceMetrics
from orchestrator.core.models import (
    CapitalBreach,
    HistoricalDataBar,
    OrchestratorConfig,
    StrategyAllocation,
    Trade,
)
from orchestrator.core.protocol import Strategy, default_strategy_id, snake_name
from orchestrator.core.results import OrchestratorResult, StrategyResult
from orchestrator.core.state import StrategyState
from orchestrator.errors import ConfigError, DataError, OrchestratorError, StrategyError

if TYPE_CHECKING:  # the lazy names of _LAZY below, for type checkers
    from orchestrator.app.suggest import suggest_weights
    from orchestrator.app.sweep import sweep
    from orchestrator.app.walkforward import walk_forward

__all__ = [
    "BarWindow",
    "CapitalBreach",
    "ConfigError",
    "DataError",
    "HistoricalDataBar",
    "LookaheadReport",
    "OrchestratorConfig",
    "OrchestratorError",
    "OrchestratorResult",
    "PerformanceMetrics",
    "Rebalance",
    "Strategy",
    "StrategyAllocation",
    "StrategyError",
    "StrategyOrchestrator",
    "StrategyResult",
    "StrategyState",
    "Trade",
    "check_lookahead",
    "default_strategy_id",
    "snake_name",
    "suggest_weights",
    "sweep",
    "walk_forward",
]

__version__ = "0.1.0"

# Services of the app layer, public from here but imported on first use: they sit above
# `strategies` in the layers (pyproject.toml's import-linter contract), and some pull heavy
# libraries (Dask, skfolio), so `import orchestrator` must not load them. Each entry maps a
# public name to the module that defines it.
_LAZY: dict[str, str] = {
    "suggest_weights": "orchestrator.app.suggest",
    "sweep": "orchestrator.app.sweep",
    "walk_forward": "orchestrator.app.walkforward",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
