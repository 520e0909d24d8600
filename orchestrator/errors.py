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

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataError",
    "OrchestratorError",
    "StrategyError",
    "closest_match",
    "did_you_mean",
]


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


def closest_match(word: str, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``word`` (case aside; difflib ratio >= 0.6), or None.

    The one "did you mean" rule of the project: parameter names, strategy names, TOML keys,
    symbols and plug-in classes are all suggested through it.
    """
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.lower(), choice)
    close = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` if none is close."""
    match = closest_match(word, choices)
    return f"; did you mean {match!r}?" if match is not None else ""
