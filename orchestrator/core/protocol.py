"""The strategy protocol: what the engine asks of a strategy, and nothing more.

A strategy is any object with::

    should_enter(bars: BarWindow, state: StrategyState) -> bool   # asked while flat
    should_exit(bars: BarWindow, state: StrategyState) -> bool    # asked while holding

Optional attributes: ``name`` (the strategy id; default the class name in snake_case, less
``Strategy``),
``symbols`` (the symbols it trades; default all), ``max_positions`` (slots for sizing;
default the run's setting) and ``prepare(bars)``, called once per symbol before the run with a
window over that symbol's whole history, to precompute indicators with numpy. ``prepare`` sees
the future by design, so whatever it computes must be causal: check it with
:func:`orchestrator.check_lookahead`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from orchestrator.core.accounts import StrategyState
from orchestrator.core.market import BarWindow

__all__ = ["Strategy", "default_strategy_id", "snake_name", "unique_ids"]


@runtime_checkable
class Strategy(Protocol):
    """Structural type of a strategy (see the module docstring)."""

    def should_enter(self, bars: BarWindow, state: StrategyState) -> Any: ...

    def should_exit(self, bars: BarWindow, state: StrategyState) -> Any: ...


def snake_name(class_name: str) -> str:
    """``"DipBuyerStrategy"`` -> ``"dip_buyer"``: snake case, less a trailing "Strategy".

    The one rule for ids made from class names (built-ins, plug-ins, plain classes).
    """
    if class_name.endswith("Strategy") and len(class_name) > len("Strategy"):
        class_name = class_name[: -len("Strategy")]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", class_name).lower()


def default_strategy_id(strategy: object) -> str:
    """Return the ``name`` of a strategy (or strategy class) if it is a non-empty string, else
    its class name in snake_case without a trailing "Strategy" (so ``MomentumStrategy()`` is
    ``"momentum"``).

    >>> class MeanReversionStrategy: ...
    >>> default_strategy_id(MeanReversionStrategy())
    'mean_reversion'
    >>> default_strategy_id(MeanReversionStrategy)
    'mean_reversion'
    """
    name = getattr(strategy, "name", None)
    if isinstance(name, str) and name.strip():
        return name.strip()
    cls = strategy if isinstance(strategy, type) else type(strategy)
    return snake_name(cls.__name__)


def unique_ids(bases: Sequence[str]) -> list[str]:
    """Strategy ids for a run: each base id, with ``#2``, ``#3``... for repeats.

    >>> unique_ids(["momentum", "momentum", "macd"])
    ['momentum', 'momentum#2', 'macd']
    """
    seen: dict[str, int] = {}
    ids: list[str] = []
    taken: set[str] = set()
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        sid = base if seen[base] == 1 else f"{base}#{seen[base]}"
        # An explicit name may already be "x#2": count on until the id is free.
        while sid in taken:
            seen[base] += 1
            sid = f"{base}#{seen[base]}"
        taken.add(sid)
        ids.append(sid)
    return ids
