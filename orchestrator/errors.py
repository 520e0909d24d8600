"""The exception hierarchy of the orchestrator.

::

    OrchestratorError          every error this package raises on purpose
    ├── ConfigError            bad weights, capital, options or strategy set-up (also a ValueError)
    ├── DataError              bad market data: names the symbol/file, the row and the problem
    │                          (also a ValueError)
    └── StrategyError          a strategy raised while deciding; names strategy id, symbol and
                               timestamp, with the original exception chained (also a RuntimeError)

Messages name the input, what was expected, what was found and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "OrchestratorError", "StrategyError"]


class OrchestratorError(Exception):
    """Base class of every error raised on purpose by the orchestrator."""


class ConfigError(OrchestratorError, ValueError):
    """A configuration value (weight, capital, option, strategy set-up) is invalid."""


class DataError(OrchestratorError, ValueError):
    """Market data is missing, malformed or inconsistent."""


class StrategyError(OrchestratorError, RuntimeError):
    """A strategy raised an exception while deciding on a bar."""

    def __init__(self, message: str, *, strategy_id: str, symbol: str, timestamp: object) -> None:
        super().__init__(message)
        self.strategy_id = strategy_id
        self.symbol = symbol
        self.timestamp = timestamp
