"""The grid of a sweep: which settings of a :class:`~orchestrator.app.spec.RunSpec` vary, and how.

A grid maps names to values. A name is one of:

- a run setting, by its RunSpec field name (``commission_rate``, ``slippage_bps``, ``fill``,
  ``fractional``, ``close_at_end``, ``risk_free_rate``, ``initial_capital``, ``start``,
  ``end``) or its short link name (``commission``, ``slippage``, ``capital``, ``rf``). Any
  plain field RunSpec gains later is a grid key by its name with no change here; only the
  data, symbols, plug-in folder and strategies themselves are not;
- ``"rebalance.<option>"``: one option of the run's :class:`~orchestrator.Rebalance`
  (``rebalance.schedule = ["none", "monthly"]``, ``rebalance.rule``, ``rebalance.lookback``,
  ``rebalance.drift``, ...), each value checked by ``Rebalance`` itself;
- ``"<strategy>.<parameter>"``: a declared parameter of one strategy, by the strategy's id
  (its label, else its name; ``name#2`` for a repeat) or by its name when only one strategy
  has it. A TOML table per strategy (``[sweep.grid.sma_crossover] fast = [5, 10]``) works too;
- ``"<strategy>.weight"``: that strategy's weight;
- ``"weights"``: a simplex grid ``{step = 0.1, min = 0, total = 1.0, strategies = [...]}``:
  every set of weights on multiples of ``step`` (each at least ``min``) whose total is at
  most 1.0 less the fixed weights of the strategies left out (or exactly ``total``).

Values are a list, one value, or an inclusive range ``{start = 10, stop = 50, step = 10}``
(computed in exact decimals, so 0.1 steps do not drift). A parameter's values are checked
against its declared type, min and max, and a range's step must be a multiple of the declared
step. Every problem raises :class:`~orchestrator.ConfigError` naming the key, the value, the
rule and the fix, before any work is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.app.simplex import WEIGHTS_KEYS, grid_number, simplex_points
from orchestrator.core.protocol import unique_ids
from orchestrator.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from orchestrator.app.spec import RunSpec

__all__ = ["ALIASES", "MAX_AXIS_VALUES", "Axis", "Grid", "Target", "parse_grid", "strategy_ids"]

#: Short names of run settings (the dashboard link's names), accepted as grid keys.
ALIASES = {
    "commission": "commission_rate",
    "per_share": "commission_per_share",
    "min_commission": "commission_min",
    "slippage": "slippage_bps",
    "capital": "initial_capital",
    "rf": "risk_free_rate",
}
# RunSpec fields a sweep cannot vary: they change the data or the strategies themselves.
_NOT_SWEPT = ("strategies", "data", "symbols", "plugin_dir", "rebalance")
_REBALANCE = "rebalance."
_RANGE_KEYS = ("start", "stop", "step")
#: Most values one axis may have (a range or a simplex), so a typo cannot enumerate billions.
MAX_AXIS_VALUES = 100_000

Value = Any  # int | float | bool | str, as the setting takes it


@dataclass(frozen=True)
class Target:
    """Where one column of the table goes in a RunSpec: a run field, or a strategy's
    parameter or weight (``strategy`` is its position in ``spec.strategies``)."""

    kind: Literal["run", "param", "weight", "rebalance"]
    name: str
    strategy: int = -1


@dataclass(frozen=True)
class Axis:
    """One dimension of the grid: its key, the table columns it fills and their targets, and
    its values (one tuple per point, one entry per column)."""

    key: str
    columns: tuple[str, ...]
    targets: tuple[Target, ...]
    values: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True)
class Grid:
    """The validated grid: its axes, in the order given; combinations are their Cartesian
    product, numbered like :func:`itertools.product` (the last axis varies fastest)."""

    axes: tuple[Axis, ...]

    @property
    def size(self) -> int:
        """The number of combinations."""
        return math.prod(len(a.values) for a in self.axes)

    @property
    def columns(self) -> tuple[str, ...]:
        """The settings columns of the sweep table, in axis order."""
        return tuple(c for a in self.axes for c in a.columns)

    def settings(self, index: int) -> dict[str, Value]:
        """The column values of combination ``index`` (0 <= index < size)."""
        if not 0 <= index < self.size:
            raise IndexError(f"combination {index} is outside the grid of {self.size}")
        out: dict[str, Value] = {}
        radix = self.size
        for axis in self.axes:
            radix //= len(axis.values)
            point, index = divmod(index, radix)
            out.update(zip(axis.columns, axis.values[point], strict=True))
        return out

    def apply(self, spec: RunSpec, settings: Mapping[str, Value]) -> RunSpec:
        """Return ``spec`` with the settings of one combination."""
        run: dict[str, Value] = {}
        rebalance: dict[str, Value] = {}
        strategies = list(spec.strategies)
        for axis in self.axes:
            for column, target in zip(axis.columns, axis.targets, strict=True):
                value = settings[column]
                if target.kind == "run":
                    run[target.name] = value
                    continue
                if target.kind == "rebalance":
                    rebalance[target.name] = value
                    continue
                s = strategies[target.strategy]
                if target.kind == "weight":
                    strategies[target.strategy] = replace(s, weight=value)
                else:
                    strategies[target.strategy] = replace(
                        s, params={**s.params, target.name: value}
                    )
        if rebalance:
            run["rebalance"] = replace(spec.rebalance, **rebalance)
        return replace(spec, strategies=tuple(strategies), **run)


def strategy_ids(spec: RunSpec) -> list[str]:
    """The id of each strategy of ``spec`` as grid keys name it: label or name, ``#2``..."""
    return unique_ids([s.label or s.name for s in spec.strategies])


def parse_grid(spec: RunSpec, grid: Mapping[str, Any]) -> Grid:
    """Validate ``grid`` against ``spec`` (see the module docstring) and return the Grid."""
    if not isinstance(grid, Mapping):
        raise ConfigError(f"the sweep grid must be a table of settings; found {grid!r}")
    ids = strategy_ids(spec)
    classes = _classes(spec)
    axes: list[Axis] = []
    for key, value in _flatten(grid, ids, spec).items():
        axes.append(_axis(spec, ids, classes, key, value))
    if not axes:
        raise ConfigError(
            "the sweep grid is empty; name at least one setting to vary, e.g. "
            '"sma_crossover.fast" = [10, 20, 30] or weights = { step = 0.25 }'
        )
    columns = [c for a in axes for c in a.columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ConfigError(
            f"the sweep grid sets {', '.join(repeated)} twice (e.g. weights and "
            "<strategy>.weight); keep one of them"
        )
    return Grid(tuple(axes))


# ---- keys ---------------------------------------------------------------------------------------


def _flatten(grid: Mapping[str, Any], ids: Sequence[str], spec: RunSpec) -> dict[str, Any]:
    """Turn ``{"sma_crossover": {"fast": [...]}}`` (a TOML table per strategy) into dotted keys."""
    names = {s.name for s in spec.strategies}
    out: dict[str, Any] = {}
    for key, value in grid.items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"sweep grid keys must be setting names; found {key!r}")
        nested = isinstance(value, Mapping) and not set(value) <= {*_RANGE_KEYS}
        if (key in ids or key in names) and nested:
            for sub, inner in value.items():
                out[f"{key}.{sub}"] = inner
        else:
            out[key] = value
    return out


def _run_fields(spec: RunSpec) -> dict[str, Any]:
    """The RunSpec fields a grid may vary, with their current values."""
    return {f.name: getattr(spec, f.name) for f in fields(spec) if f.name not in _NOT_SWEPT}


def _known_keys(spec: RunSpec, ids: Sequence[str], classes: Sequence[type | None]) -> list[str]:
    keys = [*_run_fields(spec), *ALIASES, "weights"]
    keys += [_REBALANCE + f.name for f in fields(spec.rebalance)]
    for sid, cls in zip(ids, classes, strict=True):
        keys.append(f"{sid}.weight")
        keys += [f"{sid}.{p.name}" for p in _param_specs(cls)]
    return keys


def _strategy(spec: RunSpec, ids: Sequence[str], ref: str, key: str) -> int:
    """The position of the strategy ``ref`` names (an id, or a name only one strategy has)."""
    if ref in ids:
        return list(ids).index(ref)
    matches = [i for i, s in enumerate(spec.strategies) if s.name == ref]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(
            f"sweep grid key {key!r}: {len(matches)} strategies are named {ref!r}; name one by "
            f"its id ({', '.join(ids[i] for i in matches)})"
        )
    raise ConfigError(
        f"sweep grid key {key!r}: no strategy {ref!r} in the run{did_you_mean(ref, ids)} "
        f"(strategies: {', '.join(ids) or 'none'})"
    )


def _axis(
    spec: RunSpec, ids: Sequence[str], classes: Sequence[type | None], key: str, value: Any
) -> Axis:
    run = _run_fields(spec)
    if key == "weights":
        return _simplex(spec, ids, value)
    if key.startswith(_REBALANCE):
        return _rebalance_axis(spec, ids, classes, key, value)
    name = ALIASES.get(key, key)
    if name in run:
        values = [_run_value(spec, name, v, key) for v in _values(key, value, _numeric(run[name]))]
        return Axis(
            name, (name,), (Target("run", name),), tuple((v,) for v in _unique(key, values))
        )
    ref, dot, param = key.rpartition(".")
    if not dot or not ref:
        known = _known_keys(spec, ids, classes)
        raise ConfigError(
            f"unknown sweep grid key {key!r}{did_you_mean(key, known)}; a key is a run setting "
            f'({", ".join(run)}), "weights", or "<strategy>.<parameter>"'
        )
    index = _strategy(spec, ids, ref, key)
    column = f"{ids[index]}.{param}"
    if param == "weight":
        weights = [_weight(v, key) for v in _values(key, value, True)]
        return Axis(column, (column,), (Target("weight", "weight", index),),
                    tuple((float(w),) for w in _unique(key, weights)))  # fmt: skip
    declared = {p.name: p for p in _param_specs(classes[index])}
    if classes[index] is not None and param not in declared:
        raise ConfigError(
            f"sweep grid key {key!r}: {spec.strategies[index].name} has no parameter {param!r}"
            f"{did_you_mean(param, list(declared))} (parameters: "
            f"{', '.join(declared) or 'none'}, or weight)"
        )
    p = declared.get(param)
    raw = _values(key, value, p is None or p.kind is not bool, p)
    checked = [_param_value(key, p, v) for v in raw] if p is not None else list(raw)
    return Axis(column, (column,), (Target("param", param, index),),
                tuple((v,) for v in _unique(key, checked)))  # fmt: skip


def _rebalance_axis(
    spec: RunSpec, ids: Sequence[str], classes: Sequence[type | None], key: str, value: Any
) -> Axis:
    """An axis over one option of the run's Rebalance; each value is checked by Rebalance."""
    option = key[len(_REBALANCE) :]
    options = {f.name: getattr(spec.rebalance, f.name) for f in fields(spec.rebalance)}
    if option not in options:
        raise ConfigError(
            f"unknown sweep grid key {key!r}{did_you_mean(key, _known_keys(spec, ids, classes))}"
            f"; rebalance options: {', '.join(options)}"
        )
    checked = []
    for v in _values(key, value, _numeric(options[option]) or options[option] is None):
        try:
            replace(spec.rebalance, **{option: v})
        except ConfigError as exc:
            raise ConfigError(f"sweep grid key {key!r}: {exc}") from None
        checked.append(float(v) if isinstance(v, Decimal) else v)
    return Axis(key, (key,), (Target("rebalance", option),),
                tuple((v,) for v in _unique(key, checked)))  # fmt: skip


# ---- values -------------------------------------------------------------------------------------


def _numeric(current: Any) -> bool:
    return isinstance(current, int | float) and not isinstance(current, bool)


def _values(key: str, value: Any, rangeable: bool, declared: Any = None) -> list[Value]:
    """The values a grid entry lists: a list, one value, or an inclusive range."""
    if isinstance(value, Mapping):
        if not rangeable:
            raise ConfigError(
                f"sweep grid key {key!r}: a range needs a numeric setting; list the values"
            )
        return _range(key, value, declared)
    if isinstance(value, list | tuple):
        if not value:
            raise ConfigError(f"sweep grid key {key!r} has no values; list at least one")
        return list(value)
    return [value]


def _range(key: str, table: Mapping[str, Any], declared: Any) -> list[Value]:
    for k in table:
        if k not in _RANGE_KEYS:
            raise ConfigError(
                f"sweep grid key {key!r}: unknown range key {k!r}{did_you_mean(k, _RANGE_KEYS)} "
                "(a range is { start = 10, stop = 50, step = 10 }, stop included)"
            )
    missing = [k for k in _RANGE_KEYS if k not in table]
    if missing:
        raise ConfigError(
            f"sweep grid key {key!r}: the range needs {', '.join(missing)} "
            "(e.g. { start = 10, stop = 50, step = 10 }, stop included)"
        )
    start, stop, step = (grid_number(table[k], key, k) for k in _RANGE_KEYS)
    if step <= 0:
        raise ConfigError(f"sweep grid key {key!r}: step must be > 0; found {table['step']!r}")
    if stop < start:
        raise ConfigError(
            f"sweep grid key {key!r}: stop ({table['stop']!r}) is below start "
            f"({table['start']!r}), so the range is empty; swap them"
        )
    if declared is not None and declared.step is not None:
        unit = Decimal(str(declared.step))
        if step % unit != 0:
            raise ConfigError(
                f"sweep grid key {key!r}: step {table['step']!r} is not a multiple of the "
                f"parameter's declared step {declared.step!r}; use a multiple of it"
            )
    count = int((stop - start) / step) + 1
    if count > MAX_AXIS_VALUES:
        raise ConfigError(
            f"sweep grid key {key!r}: the range has {count:,} values, more than "
            f"{MAX_AXIS_VALUES:,}; use a larger step"
        )
    whole = all(isinstance(table[k], int) for k in _RANGE_KEYS)
    points = [start + i * step for i in range(count)]
    return [int(x) if whole else float(x) for x in points]


def _unique(key: str, values: list[Value]) -> list[Value]:
    seen: list[Value] = []
    for v in values:
        if any(type(v) is type(s) and v == s for s in seen):
            raise ConfigError(f"sweep grid key {key!r} lists {v!r} twice; list each value once")
        seen.append(v)
    return seen


def _run_value(spec: RunSpec, name: str, value: Any, key: str) -> Value:
    """Check one value of a run setting by building the spec with it."""
    if isinstance(value, Mapping | list | tuple):
        raise ConfigError(f"sweep grid key {key!r}: {value!r} is not a single value")
    try:
        spec.with_overrides(**{name: value})
    except (ConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"sweep grid key {key!r}: value {value!r}: {exc}") from None
    current = getattr(spec, name)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _weight(value: Any, key: str) -> Decimal:
    w = grid_number(value, key, "a weight")
    if not 0 <= w <= 1:
        raise ConfigError(f"sweep grid key {key!r}: a weight must be between 0 and 1; found {w}")
    return w


def _param_specs(cls: type | None) -> tuple[Any, ...]:
    specs = getattr(cls, "param_specs", None)
    return tuple(specs()) if callable(specs) else ()


def _param_value(key: str, p: Any, value: Any) -> Value:
    """Check one value against a declared parameter (type, min, max); return it coerced."""
    where = f"sweep grid key {key!r}"
    if p.kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: values must be true or false; found {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: values must be numbers; found {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: values must be finite; found {value!r}")
    if p.kind is int:
        if not float(value).is_integer():
            raise ConfigError(f"{where}: values must be whole numbers; found {value!r}")
        value = int(value)
    else:
        value = float(value)
    bounds = (
        f"from {p.min if p.min is not None else '-inf'} to {p.max if p.max is not None else 'inf'}"
    )
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise ConfigError(
            f"{where}: {value!r} is outside the declared range of {p.name} ({bounds}); choose "
            f"values {bounds}"
        )
    return value


# ---- weights ------------------------------------------------------------------------------------


def _simplex(spec: RunSpec, ids: Sequence[str], table: Any) -> Axis:
    """Every set of weights on the step grid within the budget (see the module docstring)."""
    key = "weights"
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"sweep grid key 'weights' must be a table like {{ step = 0.1 }}; found {table!r}"
        )
    for k in table:
        if k not in WEIGHTS_KEYS:
            raise ConfigError(
                f"sweep grid key 'weights': unknown option {k!r}{did_you_mean(k, WEIGHTS_KEYS)} "
                f"(options: {', '.join(WEIGHTS_KEYS)})"
            )
    chosen = table.get("strategies", list(ids))
    if not isinstance(chosen, list) or not chosen or not all(isinstance(c, str) for c in chosen):
        raise ConfigError(
            f"sweep grid key 'weights': strategies must be a list of strategy ids; found {chosen!r}"
        )
    members = [_strategy(spec, ids, ref, key) for ref in chosen]
    if len(set(members)) != len(members):
        raise ConfigError("sweep grid key 'weights': strategies lists a strategy twice")
    fixed = sum(
        (Decimal(s.weight) for i, s in enumerate(spec.strategies) if i not in members), Decimal(0)
    )
    points = simplex_points(table, len(members), Decimal(1) - fixed, MAX_AXIS_VALUES)
    return Axis(
        key,
        tuple(f"{ids[i]}.weight" for i in members),
        tuple(Target("weight", "weight", i) for i in members),
        points,
    )


def _classes(spec: RunSpec) -> list[type | None]:
    """The class of each strategy (None for a plain class without declared parameters); the
    base spec is built here once, so an unknown strategy fails before any work is sent."""
    out: list[type | None] = []
    for instance, _ in spec.build_strategies():
        cls = type(instance)
        out.append(cls if hasattr(cls, "param_specs") else None)
    return out
