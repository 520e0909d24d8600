"""The strategy library: eight built-ins with declared parameters, a registry, and plug-ins.

>>> from strategies import create
>>> create("sma_crossover", fast=20, slow=100)
SmaCrossoverStrategy(fast=20, slow=100)

``REGISTRY`` maps each built-in's name to its class (explicit: importing this package has no
side effects). User strategies load from local files with :mod:`strategies.plugins`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orchestrator.errors import ConfigError, did_you_mean
from strategies.base import BaseStrategy, ParamSpec, SignalStrategy, param
from strategies.crossover import EmaCrossoverStrategy, MacdStrategy, SmaCrossoverStrategy
from strategies.reversion import BollingerReversionStrategy, RsiReversionStrategy
from strategies.trend import BuyAndHoldStrategy, DonchianBreakoutStrategy, MomentumStrategy

__all__ = [
    "REGISTRY",
    "BaseStrategy",
    "BollingerReversionStrategy",
    "BuyAndHoldStrategy",
    "DonchianBreakoutStrategy",
    "EmaCrossoverStrategy",
    "MacdStrategy",
    "MomentumStrategy",
    "ParamSpec",
    "RsiReversionStrategy",
    "SignalStrategy",
    "SmaCrossoverStrategy",
    "create",
    "param",
]

REGISTRY: dict[str, type[BaseStrategy]] = {
    "buy_and_hold": BuyAndHoldStrategy,
    "sma_crossover": SmaCrossoverStrategy,
    "ema_crossover": EmaCrossoverStrategy,
    "macd": MacdStrategy,
    "rsi_reversion": RsiReversionStrategy,
    "bollinger_reversion": BollingerReversionStrategy,
    "donchian_breakout": DonchianBreakoutStrategy,
    "momentum": MomentumStrategy,
}


def create(
    name: str,
    /,
    *,
    symbols: Sequence[str] | str | None = None,
    label: str | None = None,
    **params: Any,
) -> BaseStrategy:
    """Create the built-in strategy ``name`` with ``params`` (validated).

    ``symbols`` restricts the symbols it trades (default: all); ``label`` is the strategy id
    shown in results (default: ``name``). An unknown strategy or parameter raises ConfigError
    with "did you mean ...".
    """
    cls = REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        hint = did_you_mean(name, list(REGISTRY)) if isinstance(name, str) else ""
        raise ConfigError(
            f"unknown strategy {name!r}{hint} (built-in strategies: {', '.join(REGISTRY)})"
        )
    return cls(symbols=symbols, name=label, **params)
