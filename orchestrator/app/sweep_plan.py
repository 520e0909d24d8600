"""The plan of a sweep: its grid validated in full and its combinations listed (sampled when
asked), before any work is sent; :mod:`orchestrator.app.sweep` runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrator.app.grid import Grid, parse_grid, strategy_ids
from orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from orchestrator.app.spec import RunSpec

__all__ = ["MAX_COMBINATIONS", "SweepPlan", "plan_sweep"]

#: Default guard on the number of combinations one sweep may run.
MAX_COMBINATIONS = 10_000


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the grid, the combinations to run (numbers in the full grid), the
    RunSpec of each and the error text of those that cannot run (a rule across settings, such
    as fast < slow or a weight total over 1.0, broken by that combination alone)."""

    spec: RunSpec
    grid: Grid
    indices: tuple[int, ...]
    specs: dict[int, RunSpec]
    invalid: dict[int, str]
    strategy_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        """The number of combinations this plan runs (or reports invalid)."""
        return len(self.indices)


def plan_sweep(
    spec: RunSpec,
    grid: Mapping[str, Any] | Grid,
    *,
    sample: int | None = None,
    seed: int = 0,
    max_combinations: int = MAX_COMBINATIONS,
) -> SweepPlan:
    """Validate a sweep and list its combinations; raise ConfigError before any work is sent.

    ``sample=N`` draws N distinct combinations of the grid at random (the same ``seed``, the
    same draw), run in grid order; N at or above the grid's size runs them all.
    """
    if not spec.strategies:
        raise ConfigError("the sweep's run has no strategy; add at least one with a weight")
    parsed = grid if isinstance(grid, Grid) else parse_grid(spec, grid)
    indices = _choose(parsed.size, sample, seed)
    _check_count("max_combinations", max_combinations)
    if len(indices) > max_combinations:
        raise ConfigError(
            f"the sweep has {len(indices):,} combinations, more than the limit of "
            f"{max_combinations:,}; use sample = N, fewer values, or raise the limit (--max)"
        )
    specs: dict[int, RunSpec] = {}
    invalid: dict[int, str] = {}
    classes = [type(s) for s, _ in spec.build_strategies()]
    for index in indices:
        try:
            one = parsed.apply(spec, parsed.settings(index))
            _check_combination(one, classes)
        except (ConfigError, TypeError, ValueError) as exc:
            invalid[index] = f"invalid: {exc}"
        else:
            specs[index] = one
    if not specs:
        first = next(iter(invalid.values()))
        raise ConfigError(f"no combination of the sweep grid can run ({first})")
    return SweepPlan(spec, parsed, tuple(indices), specs, invalid, tuple(strategy_ids(spec)))


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1; found {value!r}")


def _choose(size: int, sample: int | None, seed: int) -> list[int]:
    """All combinations, or ``sample`` of them drawn without replacement (Floyd's method, so
    a huge grid is never enumerated), in grid order."""
    if sample is None or sample >= size:
        if sample is not None:
            _check_count("sample", sample)
        return list(range(size))
    _check_count("sample", sample)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0; found {seed!r}")
    if size > 2**62:
        raise ConfigError(f"the sweep grid has {size:.3g} combinations; that is too many to sample")
    import numpy as np

    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for j in range(size - sample, size):
        t = int(rng.integers(0, j + 1))
        chosen.add(j if t in chosen else t)
    return sorted(chosen)


def _check_combination(spec: RunSpec, classes: list[type]) -> None:
    """Raise ConfigError when this combination breaks a rule across settings."""
    from orchestrator.core.weights import check_weights

    check = check_weights([s.weight for s in spec.strategies])
    if check.message is not None:
        raise ConfigError(check.message)
    for s, cls in zip(spec.strategies, classes, strict=True):
        validate = getattr(cls, "validate", None)
        if callable(validate) and hasattr(cls, "param_specs"):
            validate(None, dict(s.params))
