"""The strategy protocol: what the engine asks of a strategy, and nothing more.

A strategy is any object with::

    should_enter(bars: BarWindow, state: StrategyState) -> bool   # asked while flat
    should_exit(bars: BarWindow, state: StrategyState) -> bool    # asked while holding

Each answer must be ``True`` or ``False`` (a ``bool`` or a ``numpy.bool_``); anything else (a
string, a number, NaN, a list, a method not called) is a :class:`StrategyError`, because its
truthiness would enter positions nobody meant.

Optional attributes:

- ``name``: the strategy id (default the class name in snake_case, less ``Strategy``); the
  name ``Portfolio`` is reserved for the portfolio's row;
- ``symbols``: the symbols it trades (default all);
- ``max_positions``: slots for equal-slot sizing (default the run's setting);
- ``prepare(bars)``: called once per symbol before the run with a window over that symbol's
  whole history, to precompute indicators with numpy. ``prepare`` sees the future by design,
  so whatever it computes must be causal: check it with :func:`orchestrator.check_lookahead`;
- ``entry_size(bars, state) -> float``: asked with each entry signal, the fraction of the
  strategy's equity to put into that entry, in (0, 1] (without it: equal slots, equity /
  max_positions). Anything else is a :class:`StrategyError`;
- ``declared_signals(symbol) -> (entry, exit) | None``: called after ``prepare``, two boolean
  numpy arrays over the symbol's whole history whose values at bar t are exactly what
  ``should_enter`` / ``should_exit`` would answer at bar t, whatever the state. The engine then
  visits the symbol only at the bars where the relevant array is true (the sparse path) and
  does not call the two methods; ``None`` keeps the per-bar protocol for that symbol.
  :class:`strategies.base.SignalStrategy` declares its ``signals`` this way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from orchestrator.core.market import BarWindow
from orchestrator.core.state import StrategyState
from orchestrator.errors import ConfigError

__all__ = ["Strategy", "declared_arrays", "default_strategy_id", "snake_name", "unique_ids"]


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


def declared_arrays(
    strategy: object, symbol: str, bars: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the strategy's declared (entry, exit) signals for ``symbol``, checked, or None.

    None when the strategy has no ``declared_signals`` or declares nothing for this symbol;
    a ConfigError when what it declares is not two boolean arrays of the symbol's ``bars``.
    """
    declare = getattr(strategy, "declared_signals", None)
    if not callable(declare):
        return None
    declared = declare(symbol)
    if declared is None:
        return None
    name = default_strategy_id(strategy)
    if not isinstance(declared, tuple) or len(declared) != 2:
        raise ConfigError(
            f"strategy {name!r}: declared_signals({symbol!r}) returned "
            f"{type(declared).__name__}; expected None or a pair (entry, exit) of boolean arrays"
        )
    arrays = []
    for label, values in zip(("entry", "exit"), declared, strict=True):
        ok = isinstance(values, np.ndarray) and values.dtype == np.bool_
        if not ok or values.shape != (bars,):
            shape = getattr(values, "shape", None)
            dtype = getattr(values, "dtype", type(values).__name__)
            raise ConfigError(
                f"strategy {name!r}: declared_signals({symbol!r}) gave a {label} array of "
                f"dtype {dtype} and shape {shape}; expected a numpy bool array of shape "
                f"({bars},), one value per bar of {symbol!r}"
            )
        arrays.append(values)
    return arrays[0], arrays[1]
