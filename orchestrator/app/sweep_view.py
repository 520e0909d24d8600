"""The dashboard's sweep view as plain data: the grid its controls ask for, the cap on what one
page may run, the estimate of the time before starting, which settings a chart shows, where
the run on screen sits in the grid, and the identity of a sweep for caching.

No Streamlit here (the view is :mod:`orchestrator.ui.sweep`); the sweep itself is
:func:`orchestrator.app.sweep.sweep`. A dashboard is shared, so it runs at most
:data:`DASHBOARD_MAX_COMBINATIONS` combinations per sweep: bigger grids belong to the
``orchestrator sweep`` command on a cluster.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from orchestrator.app.grid import Grid, parse_grid, strategy_ids
from orchestrator.app.spec import RunSpec
from orchestrator.app.sweep import SCHEDULER_ENV, SweepPlan, plan_sweep
from orchestrator.errors import ConfigError

__all__ = [
    "CLUSTER_ENV",
    "DASHBOARD_MAX_COMBINATIONS",
    "STARTUP_SECONDS",
    "check_count",
    "current_settings",
    "default_range",
    "estimate_seconds",
    "estimate_text",
    "local_client",
    "param_grid",
    "plan_dashboard_sweep",
    "plot_axes",
    "startup_seconds",
    "sweep_key",
    "weight_grid",
    "worker_count",
]

#: Most combinations one sweep started from the dashboard (or a link) may run.
DASHBOARD_MAX_COMBINATIONS = 2_000
#: Environment variable choosing the dashboard's local cluster: "processes" (default: one
#: single-threaded worker process per core) or "threads" (one in-process worker; for tests).
CLUSTER_ENV = "ORCHESTRATOR_SWEEP_CLUSTER"
#: A rough cost of starting a local cluster of worker processes, added to the first estimate.
STARTUP_SECONDS = 5.0
#: Values a default range spans on each side of the current value.
_DEFAULT_SIDE = 3

ParamSpecs = Callable[[str], Sequence[Any]]


def _step_of(p: Any) -> Decimal:
    if p.step:
        return Decimal(str(p.step))
    return Decimal(1) if p.kind is int else Decimal("0.1")


def default_range(p: Any, current: float) -> tuple[float, float, float]:
    """A first range of a declared numeric parameter (``strategies.ParamSpec``): about seven
    values around ``current`` a quarter of it apart (on multiples of the declared step), within
    the declared min and max. Returns ``(start, stop, step)`` (ints for an int parameter)."""
    unit = _step_of(p)
    value = Decimal(str(current))
    wide = (abs(value) / 4 / unit).to_integral_value() * unit
    step = max(unit, wide)
    low, high = value - _DEFAULT_SIDE * step, value + _DEFAULT_SIDE * step
    if p.min is not None:
        low = max(low, Decimal(str(p.min)))
    if p.max is not None:
        high = min(high, Decimal(str(p.max)))
    cast: Callable[[Decimal], float] = int if p.kind is int else float
    return cast(low), cast(high), cast(step)


def param_grid(
    strategy_id: str, ranges: Mapping[str, tuple[float, float, float]]
) -> dict[str, Any]:
    """The sweep grid of one strategy's parameters, each an inclusive ``(start, stop, step)``."""
    if not ranges:
        raise ConfigError("choose at least one parameter to sweep")
    return {
        f"{strategy_id}.{name}": {"start": start, "stop": stop, "step": step}
        for name, (start, stop, step) in ranges.items()
    }


def weight_grid(
    spec: RunSpec, chosen: Sequence[str], step: float, keep_total: bool
) -> dict[str, Any]:
    """The weight grid of two or three of ``spec``'s strategies (by id) on multiples of
    ``step``; with ``keep_total`` their weights always add up to what they add up to now (the
    rest of the portfolio unchanged), else to anything up to the budget the others leave."""
    ids = strategy_ids(spec)
    unknown = [c for c in chosen if c not in ids]
    if unknown:
        raise ConfigError(f"no strategy {', '.join(unknown)} in the run (strategies: {ids})")
    if not 2 <= len(chosen) <= 3:
        raise ConfigError(f"choose two or three strategies to weigh; found {len(chosen)}")
    table: dict[str, Any] = {"step": step, "strategies": list(chosen)}
    if keep_total:
        weights = {sid: Decimal(s.weight) for sid, s in zip(ids, spec.strategies, strict=True)}
        total = sum((weights[c] for c in chosen), Decimal(0))
        if total % Decimal(str(step)) != 0:
            raise ConfigError(
                f"the weights of {', '.join(chosen)} add up to {total}, which is not a multiple "
                f"of the step {step}; choose a step that divides it, or let the total vary"
            )
        table["total"] = float(total)
    return {"weights": table}


def check_count(size: int, limit: int = DASHBOARD_MAX_COMBINATIONS) -> None:
    """Raise ConfigError when a grid of ``size`` combinations is over the dashboard's cap."""
    if size > limit:
        raise ConfigError(
            f"the sweep has {size:,} combinations; the dashboard runs at most {limit:,}: use "
            f"fewer values or a larger step (bigger grids: `orchestrator sweep FILE.toml` on a "
            f"cluster)"
        )


def plan_dashboard_sweep(
    spec: RunSpec, grid: Mapping[str, Any], limit: int = DASHBOARD_MAX_COMBINATIONS
) -> SweepPlan:
    """Validate ``grid`` over ``spec`` and plan it within the dashboard's cap (ConfigError)."""
    parsed = parse_grid(spec, grid)
    check_count(parsed.size, limit)
    return plan_sweep(spec, parsed, max_combinations=limit)


def estimate_seconds(
    count: int, run_seconds: float, workers: int, started: bool, startup: float = STARTUP_SECONDS
) -> float:
    """A rough time for ``count`` runs: the measured time of the run on screen x ``count`` /
    ``workers``, plus ``startup`` when the local cluster is not running yet."""
    per_run = max(float(run_seconds), 0.001)
    busy = count * per_run / max(int(workers), 1)
    return busy + (0.0 if started else startup)


def startup_seconds() -> float:
    """What starting the dashboard's cluster costs: worker processes take seconds, an
    in-process worker (``ORCHESTRATOR_SWEEP_CLUSTER=threads``) or a remote scheduler little."""
    if os.environ.get(SCHEDULER_ENV) or os.environ.get(CLUSTER_ENV) == "threads":
        return 0.5
    return STARTUP_SECONDS


def estimate_text(seconds: float) -> str:
    """``about 12 s`` / ``about 3 min``; never more precise than an estimate can be."""
    if seconds < 1.5:
        return "about 1 s"
    if seconds < 90:
        return f"about {math.ceil(seconds):,} s"
    return f"about {math.ceil(seconds / 60):,} min"


def plot_axes(plan: SweepPlan) -> list[str]:
    """The settings a chart of the sweep shows: each varying column, less the last weight of a
    weight axis whose total is fixed (it is the total minus the others)."""
    out: list[str] = []
    for axis in plan.grid.axes:
        columns = list(axis.columns)
        if axis.key == "weights" and len({sum(v) for v in _rounded(axis.values)}) == 1:
            columns = columns[:-1]
        out += [
            c
            for j, c in enumerate(columns)
            if len({v[j] for v in axis.values}) > 1  # a constant column has nothing to show
        ]
    return out


def _rounded(values: Sequence[tuple[Any, ...]]) -> list[tuple[Decimal, ...]]:
    return [tuple(Decimal(str(x)) for x in v) for v in values]


def current_settings(spec: RunSpec, grid: Grid, param_specs: ParamSpecs) -> dict[str, Any]:
    """Where ``spec`` (the run on screen) sits in the grid: the value of each settings column."""
    out: dict[str, Any] = {}
    for axis in grid.axes:
        for column, target in zip(axis.columns, axis.targets, strict=True):
            if target.kind == "run":
                out[column] = getattr(spec, target.name)
                continue
            s = spec.strategies[target.strategy]
            if target.kind == "weight":
                out[column] = float(Decimal(s.weight))
            elif target.name in s.params:
                out[column] = s.params[target.name]
            else:
                declared = {p.name: p for p in param_specs(s.name)}
                p = declared.get(target.name)
                out[column] = p.kind(p.default) if p is not None else None
    return out


def sweep_key(plan: SweepPlan, data_key: str) -> str:
    """The identity of a sweep's results: the grid, and the run with the swept settings at the
    grid's first combination (so applying a cell to the main run keeps the same sweep)."""
    base = plan.grid.apply(plan.spec, plan.grid.settings(0))
    grid = [[a.key, list(a.columns), [list(v) for v in a.values]] for a in plan.grid.axes]
    return json.dumps(
        {"spec": base.to_query(), "grid": grid, "indices": len(plan.indices), "data": data_key},
        sort_keys=True,
        default=str,
    )


def local_client(mode: str | None = None) -> Any:
    """A Dask client for the dashboard's sweeps, kept for the server's life by the caller.

    The cluster named by ORCHESTRATOR_DASK_SCHEDULER when set; else a LocalCluster: worker
    processes (one per core, one thread each) or, with ``mode="threads"`` (or the environment
    variable ORCHESTRATOR_SWEEP_CLUSTER=threads), one in-process worker with two threads,
    which starts at once (tests).
    """
    import importlib

    dist: Any = importlib.import_module("distributed")  # lazily: only a sweep pays for Dask
    Client, LocalCluster = dist.Client, dist.LocalCluster  # noqa: N806
    address = os.environ.get(SCHEDULER_ENV)
    if address:
        return Client(address, timeout="5s", set_as_default=False)
    chosen = mode or os.environ.get(CLUSTER_ENV, "processes")
    if chosen not in ("processes", "threads"):
        raise ConfigError(f"{CLUSTER_ENV} must be 'processes' or 'threads'; found {chosen!r}")
    if chosen == "threads":
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    else:
        with _plain_main():
            cluster = LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                memory_limit="auto",
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
    return Client(cluster, set_as_default=False)


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Hide the script being run as ``__main__`` while worker processes start.

    Dask starts its workers with multiprocessing's "spawn", which imports the parent's
    ``__main__`` again from its file in every child; under ``streamlit run`` that module is
    the dashboard script, which would then run (load the data, backtest) once per worker.
    A bare stand-in module has no file to import, so the workers start clean.
    """
    main = sys.modules.get("__main__")
    if main is None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def worker_count(client: Any | None) -> int:
    """The workers of a running client, else how many a local cluster would start."""
    if client is not None:
        try:
            return max(1, len(client.scheduler_info().get("workers", {})))
        except Exception:  # a client that lost its scheduler: estimate as for a new one
            return 1
    mode = os.environ.get(CLUSTER_ENV, "processes")
    return 1 if mode == "threads" else os.cpu_count() or 1
