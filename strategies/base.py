"""The building blocks of a strategy: declared parameters, validation, and the fast signal path.

A strategy's parameters are a frozen dataclass whose fields are declared with :func:`param`
(default, range, step, help). That one declaration validates a configuration, builds the
dashboard's controls and checks the CLI's TOML::

    class MyStrategy(BaseStrategy):
        name = "my_strategy"
        description = "Buy after three down closes; sell after a 5 % gain"

        @dataclass(frozen=True)
        class Params:
            downs: int = param(3, min=1, max=10, step=1, help="Down closes in a row")

        def should_enter(self, bars, state): ...
        def should_exit(self, bars, state): ...

:class:`SignalStrategy` is the fast path the built-ins use: write ``signals(bars)`` once with
numpy over a whole history; ``prepare`` runs it once per symbol before the run, and each
decision is then a list lookup.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from orchestrator import BarWindow, StrategyState, snake_name
from orchestrator.errors import ConfigError, did_you_mean

__all__ = ["BaseStrategy", "ParamSpec", "SignalStrategy", "did_you_mean", "param", "snake_name"]

_META_KEY = "strategy_param"


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: its name, type, default, range, UI step and help text."""

    name: str
    kind: type  # int | float | bool
    default: int | float | bool
    min: float | None
    max: float | None
    step: float | None
    help: str


def param(
    default: int | float | bool,
    *,
    min: float | None = None,
    max: float | None = None,
    step: float | None = None,
    help: str,
) -> Any:
    """Declare one field of a strategy's ``Params`` dataclass.

    The type is the default's: write ``2.0`` for a float parameter, ``2`` for an int one.
    ``min``/``max`` are inclusive bounds; ``step`` is the increment of the dashboard's control.
    """
    if isinstance(default, bool):
        kind: type = bool
    elif isinstance(default, numbers.Integral):
        kind, default = int, int(default)
    elif isinstance(default, numbers.Real):
        kind, default = float, float(default)
    else:
        raise TypeError(f"param default must be an int, float or bool; found {default!r}")
    meta = {"kind": kind, "min": min, "max": max, "step": step, "help": help}
    return dataclasses.field(default=default, metadata={_META_KEY: meta})


@dataclasses.dataclass(frozen=True)
class _NoParams:
    """The parameters of a strategy that declares none."""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class BaseStrategy(ABC):
    """A strategy with declared, validated parameters.

    Subclasses set ``name`` (the registry key; default: the class name in snake case without
    "Strategy"), a one-line ``description``, a frozen ``Params`` dataclass declared with
    :func:`param`, and implement ``should_enter`` / ``should_exit``. Override ``warmup`` (bars
    needed before the first decision) and :meth:`check_params` (rules across fields).

    ``Strategy(fast=5)``, ``Strategy(Strategy.Params(fast=5))`` and ``Strategy(params,
    slow=50)`` are all valid; ``symbols`` restricts the symbols it trades and ``name`` sets the
    strategy id shown in results (default: the class's ``name``).
    """

    name: str = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type] = _NoParams
    #: True when decisions depend only on the bars (never on ``state`` or earlier calls), so
    #: the look-ahead checker may ask both questions at every bar.
    stateless: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = snake_name(cls.__name__)
        params = cls.__dict__.get("Params", cls.Params)
        if not (dataclasses.is_dataclass(params) and isinstance(params, type)):
            raise TypeError(f"{cls.__name__}.Params must be a frozen dataclass")
        if not params.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__}.Params must be frozen: @dataclass(frozen=True)")
        for f in dataclasses.fields(params):
            if _META_KEY not in f.metadata:
                raise TypeError(
                    f"{cls.__name__}.Params.{f.name} must be declared with param(default, "
                    f"min=..., max=..., step=..., help=...)"
                )

    def __init__(
        self,
        params: Any = None,
        /,
        *,
        symbols: Sequence[str] | str | None = None,
        name: str | None = None,
        **values: Any,
    ) -> None:
        self.params: Any = self.validate(params, values)
        self.symbols: tuple[str, ...] | None = self._symbols(symbols)
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(
                    f"{type(self).name}: name must be a non-empty string; found {name!r}"
                )
            self.name = name.strip()

    # ---- parameters -----------------------------------------------------------------------

    @classmethod
    def param_specs(cls) -> tuple[ParamSpec, ...]:
        """The declared parameters, in declaration order."""
        specs = []
        for f in dataclasses.fields(cls.Params):
            meta = f.metadata[_META_KEY]
            specs.append(
                ParamSpec(
                    name=f.name,
                    kind=meta["kind"],
                    default=f.default,  # type: ignore[arg-type]
                    min=meta["min"],
                    max=meta["max"],
                    step=meta["step"],
                    help=meta["help"],
                )
            )
        return tuple(specs)

    @classmethod
    def validate(cls, params: Any = None, values: dict[str, Any] | None = None) -> Any:
        """Return a validated ``Params`` from an optional ``Params`` and keyword overrides.

        Raises ConfigError naming the strategy, the parameter, the value and the rule broken;
        an unknown name gets "did you mean ...".
        """
        values = dict(values or {})
        specs = {s.name: s for s in cls.param_specs()}
        for key in values:
            if key not in specs:
                known = ", ".join(specs) if specs else "none"
                raise ConfigError(
                    f"{cls.name}: unknown parameter {key!r}{did_you_mean(key, list(specs))} "
                    f"(parameters: {known})"
                )
        if params is not None:
            if not isinstance(params, cls.Params):
                raise ConfigError(
                    f"{cls.name}: params must be a {cls.__name__}.Params; found "
                    f"{type(params).__name__}"
                )
            values = {**{k: getattr(params, k) for k in specs}, **values}
        coerced = {k: cls._coerce(specs[k], v) for k, v in values.items()}
        result = cls.Params(**coerced)
        for spec in specs.values():
            value = getattr(result, spec.name)
            if spec.kind is not bool:
                cls._check_range(spec, value)
        cls.check_params(result)
        return result

    @classmethod
    def _coerce(cls, spec: ParamSpec, value: Any) -> int | float | bool:
        where = f"{cls.name}: {spec.name}"
        if spec.kind is bool:
            if isinstance(value, bool | np.bool_):
                return bool(value)
            raise ConfigError(f"{where} must be true or false; found {value!r}")
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ConfigError(
                f"{where} must be a{'n int' if spec.kind is int else ' number'}; found "
                f"{value!r} ({type(value).__name__})"
            )
        if not math.isfinite(float(value)):
            raise ConfigError(f"{where} must be a finite number; found {value!r}")
        if spec.kind is int:
            if isinstance(value, numbers.Integral):
                return int(value)
            if float(value).is_integer():
                return int(float(value))
            raise ConfigError(f"{where} must be a whole number; found {value!r}")
        return float(value)

    @classmethod
    def _check_range(cls, spec: ParamSpec, value: float) -> None:
        if spec.min is not None and value < spec.min:
            raise ConfigError(
                f"{cls.name}: {spec.name} ({_number(value)}) must be >= {_number(spec.min)}"
            )
        if spec.max is not None and value > spec.max:
            raise ConfigError(
                f"{cls.name}: {spec.name} ({_number(value)}) must be <= {_number(spec.max)}"
            )

    @classmethod
    def check_params(cls, params: Any) -> None:
        """Check rules across fields (e.g. fast < slow); raise ConfigError if one is broken.

        The default has no such rule.
        """
        return None

    @classmethod
    def fail(cls, message: str) -> ConfigError:
        """A ConfigError prefixed with the strategy's name, for :meth:`check_params`."""
        return ConfigError(f"{cls.name}: {message}")

    def param_values(self) -> dict[str, int | float | bool]:
        """The parameter values as a plain dict, in declaration order."""
        return {s.name: getattr(self.params, s.name) for s in self.param_specs()}

    def _symbols(self, symbols: Sequence[str] | str | None) -> tuple[str, ...] | None:
        if symbols is None:
            return None
        items = [symbols] if isinstance(symbols, str) else list(symbols)
        bad = [s for s in items if not isinstance(s, str) or not s.strip()]
        if bad or not items:
            raise ConfigError(
                f"{type(self).name}: symbols must be a non-empty list of symbol names; found "
                f"{symbols!r}"
            )
        return tuple(dict.fromkeys(s.strip() for s in items))

    # ---- decisions ------------------------------------------------------------------------

    @property
    def warmup(self) -> int:
        """Bars needed before the first decision: the first bar index that can signal."""
        return 0

    @abstractmethod
    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        """Asked while flat in ``bars.symbol``: enter at this bar?"""

    @abstractmethod
    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        """Asked while holding ``bars.symbol``: exit at this bar?"""

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self.param_values().items()]
        if self.symbols is not None:
            parts.append(f"symbols={list(self.symbols)!r}")
        if self.name != type(self).name:
            parts.append(f"name={self.name!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class SignalStrategy(BaseStrategy):
    """A strategy whose decisions are two boolean arrays computed from a history with numpy.

    Implement :meth:`signals`. The engine calls :meth:`prepare` once per symbol before the
    run, which computes the signals over the whole history; each decision is then an O(1)
    lookup at the current bar. Asked about a bar that ``prepare`` has not covered (no
    ``prepare`` for that symbol, or a bar past the prepared history), a decision is computed from
    the window: from its last :attr:`decision_window` bars when that is set, else
    from the whole window. ``signals`` must be causal (entry ``t`` may use bars ``<= t``
    only); :func:`orchestrator.check_lookahead` verifies it.
    """

    stateless = True

    def __init__(
        self,
        params: Any = None,
        /,
        *,
        symbols: Sequence[str] | str | None = None,
        name: str | None = None,
        **values: Any,
    ) -> None:
        super().__init__(params, symbols=symbols, name=name, **values)
        # symbol -> signals by bar index (None before the prepared history starts)
        self._enter_at: dict[str, list[bool | None]] = {}
        self._exit_at: dict[str, list[bool | None]] = {}
        # symbol -> (entry, exit) arrays, for histories prepared from their first bar
        self._declared: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # symbol -> (bars before the prepared history, entry, exit): made into the lists
        # above on the first per-bar decision only (the sparse path never needs them)
        self._prepared: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}

    @abstractmethod
    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        """Return (enter, exit): boolean arrays of ``len(bars)``, True where a flat position
        should be entered / a held one exited at that bar."""

    @property
    def decision_window(self) -> int | None:
        """Bars the latest decision depends on (``None``: the whole history, e.g. an EMA)."""
        return None

    def prepare(self, bars: BarWindow) -> None:
        """Compute this symbol's signals over ``bars`` (its whole history) once."""
        enter, exit_ = self._checked(bars)
        pad = bars.index - len(bars) + 1  # 0 for a window from bar 0
        self._prepared[bars.symbol] = (pad, enter, exit_)
        self._enter_at.pop(bars.symbol, None)
        self._exit_at.pop(bars.symbol, None)
        if pad:
            self._declared.pop(bars.symbol, None)
        else:
            self._declared[bars.symbol] = (enter, exit_)

    def declared_signals(self, symbol: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The prepared (entry, exit) arrays of ``symbol``, for the engine's sparse path.

        None (ask at every bar) when ``prepare`` has not covered the symbol from its first bar,
        or when a subclass overrides ``should_enter`` or ``should_exit``: its answers may then
        differ from the arrays.
        """
        cls = type(self)
        if (
            cls.should_enter is not SignalStrategy.should_enter
            or cls.should_exit is not SignalStrategy.should_exit
        ):
            return None
        return self._declared.get(symbol)

    def _checked(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        enter, exit_ = self.signals(bars)
        enter = np.asarray(enter, dtype=bool)
        exit_ = np.asarray(exit_, dtype=bool)
        if enter.shape != (len(bars),) or exit_.shape != (len(bars),):
            raise ValueError(
                f"{type(self).__name__}.signals returned arrays of shape {enter.shape} and "
                f"{exit_.shape}; expected two boolean arrays of length {len(bars)}"
            )
        return enter, exit_

    def _latest(self, bars: BarWindow) -> tuple[bool, bool]:
        n = self.decision_window
        window = bars if n is None or len(bars) <= n else bars[len(bars) - n :]
        enter, exit_ = self._checked(window)
        return bool(enter[-1]), bool(exit_[-1])

    def _decide(self, table: dict[str, list[bool | None]], bars: BarWindow, which: int) -> bool:
        """One decision: the prepared signal at the current bar (a dict lookup and a list
        index, with the bounds check left to IndexError), else computed from the window."""
        signals = table.get(bars.symbol)
        if signals is None and bars.symbol in self._prepared:
            pad, enter, exit_ = self._prepared[bars.symbol]
            none: list[bool | None] = [None] * pad
            self._enter_at[bars.symbol] = none + enter.tolist()
            self._exit_at[bars.symbol] = none + exit_.tolist()
            signals = table[bars.symbol]
        if signals is not None:
            try:
                value = signals[bars.index]
            except IndexError:
                value = None
            if value is not None:
                return value
        return self._latest(bars)[which]

    # The engine's sparse path does not call these two for prepared symbols (it reads the
    # declared arrays); they serve the per-bar path, the look-ahead checker and direct calls.
    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._decide(self._enter_at, bars, 0)

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return self._decide(self._exit_at, bars, 1)
