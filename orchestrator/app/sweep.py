"""Sweeps: many runs of one RunSpec differing in a few settings, on Dask distributed.

>>> from orchestrator import sweep
>>> grid = {"sma_crossover.fast": [5, 10, 20], "weights": {"step": 0.25}}
>>> table = sweep(spec, grid)  # doctest: +SKIP

The grid (see :mod:`orchestrator.app.grid`) is validated in full before any work is sent.
Execution is Dask distributed, imported only here and only when a sweep runs: a
``LocalCluster`` (one single-threaded worker process per core, a memory limit per worker)
that is started and closed around the sweep, or an existing cluster given as a ``Client``, a
``scheduler`` address or the ``ORCHESTRATOR_DASK_SCHEDULER`` environment variable. The market
data is loaded once here and broadcast to every worker once; combinations travel in batches
(20 to 100 per task for large sweeps) as small RunSpecs; each batch's rows come back as soon
as it finishes. Each row is ``RunSpec.run`` of its combination on the same frames, so it is
the single run's figures bit for bit.

The table has one row per combination: ``combination`` (its number in the full grid), the
settings columns, ``error`` (None, or the error text of a failed combination, whose metrics are
NaN) and ``<strategy id>.<figure>`` for every figure of the comparison table (allocated
capital, final equity and every metric) of every strategy and of ``Portfolio``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orchestrator.app.grid import Grid
from orchestrator.app.sweep_plan import MAX_COMBINATIONS, SweepPlan, _check_count, plan_sweep
from orchestrator.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.app.spec import RunSpec

__all__ = [
    "MAX_COMBINATIONS",
    "SCHEDULER_ENV",
    "SweepInterrupted",
    "SweepPlan",
    "batch_size",
    "plan_sweep",
    "run_batch",
    "sweep",
]

#: Environment variable naming the scheduler of an existing Dask cluster.
SCHEDULER_ENV = "ORCHESTRATOR_DASK_SCHEDULER"
_SKIPPED = ("weight",)  # comparison-table columns that are inputs (the settings), not results
logger = logging.getLogger("orchestrator.sweep")

Progress = Callable[[int, int], None]
Row = dict[str, Any]


class SweepInterrupted(KeyboardInterrupt):
    """Raised when a sweep is interrupted (Ctrl-C): ``table`` holds the rows already finished,
    in combination order; the unfinished work was cancelled and a local cluster closed."""

    def __init__(self, table: pd.DataFrame, total: int) -> None:
        super().__init__(f"sweep interrupted after {len(table)} of {total} combinations")
        self.table = table
        self.total = total


# ---- work on a worker ---------------------------------------------------------------------------


def run_batch(frames: Mapping[str, pd.DataFrame], batch: list[tuple[int, RunSpec]]) -> list[Row]:
    """Run a batch of combinations on ``frames``; each row holds ``combination``, ``error`` and
    the figures, and one failing combination never stops the others."""
    rows: list[Row] = []
    for index, spec in batch:
        try:
            rows.append({"combination": index, "error": None, **_figures(spec, frames)})
        except Exception as exc:  # any failure of one run is that row's error text
            rows.append({"combination": index, "error": _error_text(exc)})
    return rows


def _figures(spec: RunSpec, frames: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """The comparison table of one run as ``{"<id>.<figure>": value}`` (exact floats)."""
    table = spec.run(frames, logging_level="ERROR").comparison_table
    out: dict[str, float] = {}
    columns = [c for c in table.columns if c not in _SKIPPED]
    for sid, row in zip(table.index, table[columns].to_numpy(dtype=float), strict=True):
        out.update({f"{sid}.{c}": float(v) for c, v in zip(columns, row, strict=True)})
    return out


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---- the cluster --------------------------------------------------------------------------------


def _distributed() -> Any:
    """Dask distributed, imported on first use (``import orchestrator`` must stay light)."""
    import importlib

    return importlib.import_module("distributed")


@contextlib.contextmanager
def _connect(
    client: Any, scheduler: str | None, workers: int | None, memory_limit: str | float | None,
    timeout: float,
) -> Iterator[Any]:  # fmt: skip
    """Yield a Dask client: the one given, one connected to ``scheduler`` (or to the address in
    ORCHESTRATOR_DASK_SCHEDULER), or one on a new LocalCluster that is closed afterwards."""
    if client is not None:
        yield client
        return
    dist = _distributed()
    Client, LocalCluster = dist.Client, dist.LocalCluster  # noqa: N806

    # The environment names a cluster for when the caller asks for none in particular.
    address = scheduler or (os.environ.get(SCHEDULER_ENV) if workers is None else None) or None
    if address is not None:
        where = "scheduler" if scheduler else f"${SCHEDULER_ENV}"
        try:
            remote = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler {address!r} ({where}) within {timeout:g} s: "
                f"{' '.join(str(exc).split())[:160]}; check the address and that `dask "
                "scheduler` runs there, or leave it out to use a local cluster"
            ) from None
        try:
            yield remote
        finally:
            remote.close(timeout=10)
        return
    count = workers if workers is not None else (os.cpu_count() or 1)
    _check_count("workers", count)
    with _workers_ignore_ctrl_c():
        cluster = LocalCluster(
            n_workers=count,
            threads_per_worker=1,  # the engine is pure Python: one run per process at a time
            processes=True,
            memory_limit=memory_limit if memory_limit is not None else "auto",
            dashboard_address=":0",  # a free port: several clusters may run side by side
            silence_logs=logging.ERROR,
        )
    try:
        local = Client(cluster, set_as_default=False)
        try:
            yield local
        finally:
            local.close(timeout=10)
    finally:
        cluster.close(timeout=10)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT while the local worker processes start, so that they inherit "ignore".

    Ctrl-C in a terminal reaches the whole process group; this process handles it (cancels,
    keeps the finished rows, closes the cluster), and the workers, which would otherwise each
    print a KeyboardInterrupt traceback, are stopped by the cluster's close. A Ctrl-C during
    the few seconds of start-up is therefore not seen; the next one is.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; nothing to change elsewhere
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def batch_size(count: int, workers: int) -> int:
    """Combinations per task: about eight tasks per worker, 20 to 100 each for large sweeps
    (so scheduling is a small share of the time), fewer when a sweep is too small to keep every
    worker busy otherwise."""
    per_worker = math.ceil(count / max(workers, 1))
    return max(1, min(100, max(min(20, per_worker), math.ceil(count / (8 * max(workers, 1))))))


class _TerminalProgress:
    """``sweep 120/1,000`` redrawn on stderr when it is a terminal (silent otherwise)."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.on:
            text = f"sweep {done:,}/{total:,} combinations"
            sys.stderr.write("\r" + text.ljust(self.shown))
            sys.stderr.flush()
            self.shown = len(text)

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * self.shown + "\r")
            sys.stderr.flush()


def sweep(
    spec: RunSpec,
    grid: Mapping[str, Any] | Grid | SweepPlan,
    *,
    data: Mapping[str, pd.DataFrame] | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    progress: bool | Progress = True,
    max_combinations: int = MAX_COMBINATIONS,
    batch: int | None = None,
    memory_limit: str | float | None = "auto",
    connect_timeout: float = 5.0,
) -> pd.DataFrame:
    """Run every combination of ``grid`` over ``spec`` and return one row per combination.

    ``grid`` is a grid table (see :mod:`orchestrator.app.grid`), a parsed Grid, or the
    :class:`SweepPlan` of :func:`plan_sweep` (then ``sample``, ``seed`` and
    ``max_combinations`` were applied by the plan).

    ``data`` are already loaded frames (default: the spec's data, loaded once here).
    ``client`` (a ``distributed.Client``), ``scheduler`` (``"tcp://host:8786"``) or the
    ``ORCHESTRATOR_DASK_SCHEDULER`` environment variable (unless ``workers`` is given) use an
    existing cluster; otherwise a LocalCluster of ``workers`` processes (default: one per
    core) runs the sweep and is closed.
    ``progress`` is True (a counter on a terminal's stderr), False, or a ``progress(done,
    total)`` callback called as batches finish. ``batch`` overrides the combinations per task;
    ``memory_limit`` is each local worker's (default "auto": the machine's memory shared out);
    ``connect_timeout`` (seconds) bounds the wait for a scheduler.

    Raises ConfigError for a bad grid or an unreachable scheduler, before any work is sent;
    :class:`SweepInterrupted` (a KeyboardInterrupt) holding the finished rows on Ctrl-C.
    """
    if isinstance(grid, SweepPlan):  # planned already (the CLI checks before it connects)
        plan = grid
    else:
        plan = plan_sweep(spec, grid, sample=sample, seed=seed, max_combinations=max_combinations)
    frames = spec.load_data() if data is None else dict(data)
    spec.select(frames)  # the data must serve the base run (symbols, dates) before any work
    if batch is not None:
        _check_count("batch", batch)
    report: Progress | None
    closer: Callable[[], None] | None = None
    if progress is True:
        bar = _TerminalProgress()
        report, closer = bar, bar.close
    else:
        report = progress or None
    rows: dict[int, Row] = {i: {"combination": i, "error": e} for i, e in plan.invalid.items()}
    try:
        with _connect(client, scheduler, workers, memory_limit, connect_timeout) as dask:
            _execute(dask, plan, frames, batch, rows, report)
    except KeyboardInterrupt:
        table = _table(plan, rows)
        raise SweepInterrupted(table, plan.count) from None
    finally:
        if closer is not None:
            closer()
    return _table(plan, rows)


def _execute(
    dask: Any,
    plan: SweepPlan,
    frames: Mapping[str, pd.DataFrame],
    batch: int | None,
    rows: dict[int, Row],
    report: Progress | None,
) -> None:
    """Scatter the data once, submit the batches, and collect rows as batches finish."""
    as_completed = _distributed().as_completed

    todo = [(i, plan.specs[i]) for i in plan.indices if i in plan.specs]
    workers = len(dask.scheduler_info().get("workers", {}))
    if not workers:  # an adaptive cluster may add workers later; Ctrl-C still stops the wait
        logger.warning("the Dask cluster has no workers yet; the sweep waits for one to join")
        workers = 1
    size = batch or batch_size(len(todo), workers)
    # One object (a list of one) so the frames travel as one piece, to every worker once.
    shared = dask.scatter([dict(frames)], broadcast=True, hash=False)[0]
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    futures: list[Any] = []
    try:
        futures = [dask.submit(run_batch, shared, chunk, pure=False) for chunk in chunks]
        owner = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        if report is not None:
            report(len(rows), plan.count)
        try:
            for future in as_completed(futures, loop=dask.loop):
                _collect(future, owner[future.key], rows)
                if report is not None:
                    report(len(rows), plan.count)
        except KeyboardInterrupt:
            for future in futures:  # keep what finished meanwhile; the rest is cancelled below
                if future.status == "finished" and future.key in owner:
                    _collect(future, owner[future.key], rows)
            raise
    finally:
        # Release the tasks and the data on the cluster (an existing one outlives the sweep).
        dask.cancel([*futures, shared], force=True)


def _collect(future: Any, chunk: list[tuple[int, RunSpec]], rows: dict[int, Row]) -> None:
    """Store a finished batch's rows (or, if the whole task failed, its error on each row)."""
    try:
        result = future.result()
    except Exception as exc:  # e.g. a worker died: every combination of the batch failed
        text = _error_text(exc)
        result = [{"combination": i, "error": text} for i, _ in chunk]
    for row in result:
        rows[row["combination"]] = row


def _table(plan: SweepPlan, rows: Mapping[int, Row]) -> pd.DataFrame:
    """The rows in grid order: combination, settings, error, then every figure."""
    import pandas as pd

    order = [i for i in plan.indices if i in rows]
    metrics: list[str] = []
    for i in order:
        if rows[i].get("error") is None and len(rows[i]) > 2:
            metrics = [k for k in rows[i] if k not in ("combination", "error")]
            break
    settings = list(plan.grid.columns)
    records = []
    for i in order:
        row = rows[i]
        record: Row = {"combination": i, **plan.grid.settings(i), "error": row.get("error")}
        record.update({m: row.get(m, math.nan) for m in metrics})
        records.append(record)
    columns = ["combination", *settings, "error", *metrics]
    table = pd.DataFrame.from_records(records, columns=columns)
    for m in metrics:
        table[m] = table[m].astype("float64")
    table["combination"] = table["combination"].astype("int64")
    errors = table["error"].astype(object)
    table["error"] = errors.where(errors.notna(), None)
    table.attrs["sweep"] = {
        "settings": settings,
        "metrics": metrics,
        "strategies": list(plan.strategy_ids),
        "grid_size": plan.grid.size,
        "combinations": plan.count,
    }
    return table
