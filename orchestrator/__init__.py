"""Strategy Orchestrator: backtest several strategies side by side, each on its own capital.

>>> from orchestrator import StrategyOrchestrator, OrchestratorConfig
>>> orch = StrategyOrchestrator([(strategy_a, 0.6), (strategy_b, 0.4)], 100_000)  # doctest: +SKIP
>>> result = orch.run(historical_data)  # doctest: +SKIP
>>> print(result.comparison_table)  # doctest: +SKIP
"""

from orchestrator.accounts import StrategyState
from orchestrator.engine import StrategyOrchestrator
from orchestrator.errors import ConfigError, DataError, OrchestratorError, StrategyError
from orchestrator.lookahead import LookaheadReport, check_lookahead
from orchestrator.market import BarWindow
from orchestrator.metrics import PerformanceMetrics
from orchestrator.models import (
    CapitalBreach,
    HistoricalDataBar,
    OrchestratorConfig,
    StrategyAllocation,
    Trade,
)
from orchestrator.protocol import Strategy
from orchestrator.results import OrchestratorResult, StrategyResult

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
    "Strategy",
    "StrategyAllocation",
    "StrategyError",
    "StrategyOrchestrator",
    "StrategyResult",
    "StrategyState",
    "Trade",
    "check_lookahead",
]

__version__ = "0.1.0"
