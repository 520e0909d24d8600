"""Tests of orchestrator.sweep on in-process Dask clusters: rows equal single runs bit for bit,
1 and 2 workers give the same table, failures stay in their row, Ctrl-C keeps finished rows."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed import Client, LocalCluster

import orchestrator
from orchestrator import ConfigError
from orchestrator.app import sweep as sweep_module
from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.app.sweep import SCHEDULER_ENV, SweepInterrupted, batch_size, sweep
from orchestrator.data import synthetic

FRAMES = synthetic(3, 300, seed=3)
SYMBOLS = tuple(FRAMES)
SPEC = RunSpec(
    strategies=(
        StrategySpec("sma_crossover", "0.5", {"fast": 5, "slow": 20}),
        StrategySpec("buy_and_hold", "0.3"),
    ),
    symbols=SYMBOLS,
    commission_rate=0.001,
)
GRID = {"sma_crossover.fast": [3, 5, 8], "weights": {"step": 0.5}}


def _cluster(workers: int) -> tuple[LocalCluster, Client]:
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    return cluster, Client(cluster, set_as_default=False)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster, dask = _cluster(2)
    yield dask
    dask.close()
    cluster.close()


def _same(a: float, b: float) -> bool:
    """Bit for bit: the same float, or both NaN."""
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


def _assert_row_is_single_run(row: pd.Series, spec: RunSpec) -> None:
    table = spec.run(FRAMES).comparison_table
    for sid, figures in table.iterrows():
        for name, value in figures.items():
            if name == "weight":
                continue
            assert _same(float(row[f"{sid}.{name}"]), float(value)), (sid, name)


def test_sweep_rows_equal_single_runs_bit_for_bit(client: Client) -> None:
    table = sweep(SPEC, GRID, data=FRAMES, client=client, progress=False)
    assert len(table) == 18  # 3 fast values x 6 weight pairs
    assert list(table.columns[:5]) == [
        "combination",
        "sma_crossover.fast",
        "sma_crossover.weight",
        "buy_and_hold.weight",
        "error",
    ]
    assert table["error"].isna().all()
    assert "Portfolio.sharpe_ratio" in table
    assert "sma_crossover.weight" not in table.columns[5:]  # settings are not repeated
    # Hand-built single runs, not through the grid code: three rows of the table.
    for fast, w_sma, w_bh in [(3, 0.5, 0.5), (5, 1.0, 0.0), (8, 0.0, 0.5)]:
        row = table[
            (table["sma_crossover.fast"] == fast)
            & (table["sma_crossover.weight"] == w_sma)
            & (table["buy_and_hold.weight"] == w_bh)
        ]
        assert len(row) == 1
        spec = RunSpec(
            strategies=(
                StrategySpec("sma_crossover", str(w_sma), {"fast": fast, "slow": 20}),
                StrategySpec("buy_and_hold", str(w_bh)),
            ),
            symbols=SYMBOLS,
            commission_rate=0.001,
        )
        _assert_row_is_single_run(row.iloc[0], spec)


def test_sweep_hand_computed_buy_and_hold_equity_to_the_cent(client: Client) -> None:
    # One symbol, one bar apart: buy-and-hold of 0.5 x 100,000 fills at the second open.
    index = pd.date_range("2020-01-01", periods=3, freq="D")
    frame = pd.DataFrame(
        {"open": [10.0, 20.0, 25.0], "high": [10.0, 20.0, 25.0], "low": [10.0, 20.0, 25.0],
         "close": [10.0, 20.0, 25.0], "volume": [1.0, 1.0, 1.0]},
        index=index,
    )  # fmt: skip
    frame.index.name = "timestamp"
    spec = RunSpec(strategies=(StrategySpec("buy_and_hold", "0.5"),), symbols=("X",))
    table = sweep(spec, {"buy_and_hold.weight": [0.5, 0.2]}, data={"X": frame}, client=client,
                  progress=False)  # fmt: skip
    # 0.5: 50,000 buys 2,500 shares at 20 -> 62,500 at 25; portfolio 112,500
    # 0.2: 20,000 buys 1,000 shares at 20 -> 25,000 at 25; portfolio 105,000
    assert table["buy_and_hold.final_equity"].tolist() == [62_500.0, 25_000.0]
    assert table["Portfolio.final_equity"].tolist() == [112_500.0, 105_000.0]


def test_sweep_one_and_two_workers_same_table() -> None:
    tables = []
    for workers in (1, 2):
        cluster, dask = _cluster(workers)
        try:
            tables.append(sweep(SPEC, GRID, data=FRAMES, client=dask, progress=False, batch=2))
        finally:
            dask.close()
            cluster.close()
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def test_sweep_progress_callback_counts_to_total(client: Client) -> None:
    calls: list[tuple[int, int]] = []
    sweep(SPEC, GRID, data=FRAMES, client=client, progress=lambda d, t: calls.append((d, t)),
          batch=4)  # fmt: skip
    assert calls[0] == (0, 18)
    assert calls[-1] == (18, 18)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) == 1 + 5  # the start, then one call per batch of 4 (4+4+4+4+2)


_BOOM = textwrap.dedent(
    '''
    class Boom:
        """Raises while deciding when ``fail`` is set; otherwise never trades."""

        name = "boom"

        def __init__(self, fail=0):
            self.fail = fail

        def should_enter(self, bars, state):
            if self.fail:
                raise RuntimeError("boom at bar %d" % bars.index)
            return False

        def should_exit(self, bars, state):
            return False
    '''
)


def test_sweep_failing_combination_keeps_its_row_others_finish(
    client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "sweep_raiser.py"  # not "boom": a plug-in test checks that name
    path.write_text(_BOOM, encoding="utf-8")
    spec = RunSpec(
        strategies=(
            StrategySpec("sma_crossover", "0.5", {"fast": 5, "slow": 20}),
            StrategySpec("boom", "0.2", plugin=f"{path}:Boom"),
        ),
        symbols=SYMBOLS,
    )
    grid = {"boom.fail": [0, 1], "sma_crossover.fast": [3, 20]}
    table = sweep(spec, grid, data=FRAMES, client=client, progress=False, batch=1)
    assert table["combination"].tolist() == [0, 1, 2, 3]
    errors = table["error"].tolist()
    assert errors[0] is None
    assert errors[1] == "invalid: sma_crossover: fast (20) must be < slow (20)"
    assert errors[2].startswith("StrategyError: ")
    assert "boom at bar" in errors[2]
    assert errors[3] == errors[1]
    assert math.isnan(table.loc[2, "Portfolio.sharpe_ratio"])
    ok = replace_fast(spec, 3)
    _assert_row_is_single_run(table.iloc[0], ok)


def replace_fast(spec: RunSpec, fast: int) -> RunSpec:
    from dataclasses import replace

    first = replace(spec.strategies[0], params={"fast": fast, "slow": 20})
    return replace(spec, strategies=(first, *spec.strategies[1:]))


def test_sweep_ctrl_c_cancels_and_keeps_finished_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    real = sweep_module._figures

    def gated(spec: RunSpec, frames: Any) -> dict[str, float]:
        if spec.strategies[0].params["fast"] != 3:  # all but the first wait for the gate
            gate.wait(30)
        return real(spec, frames)

    def interrupt(done: int, total: int) -> None:
        if done >= 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "_figures", gated)
    cluster, dask = _cluster(1)
    try:
        with pytest.raises(SweepInterrupted) as caught:
            sweep(SPEC, {"sma_crossover.fast": [3, 4, 5, 6]}, data=FRAMES, client=dask,
                  progress=interrupt, batch=1)  # fmt: skip
        gate.set()
        table = caught.value.table
        assert caught.value.total == 4
        assert table["combination"].tolist() == [0]
        assert isinstance(caught.value, KeyboardInterrupt)
        _assert_row_is_single_run(table.iloc[0], replace_fast(SPEC, 3))
        # The cancelled tasks leave the scheduler (a bounded wait, not a timing assertion).
        left = -1
        for _ in range(100):
            left = dask.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
            if left == 0:
                break
            threading.Event().wait(0.1)
        assert left == 0
    finally:
        gate.set()
        dask.close()
        cluster.close()


def test_sweep_ctrl_c_closes_its_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    import distributed

    made: list[LocalCluster] = []
    real = distributed.LocalCluster

    def local(**kwargs: Any) -> LocalCluster:
        assert kwargs["n_workers"] == 1
        assert kwargs["threads_per_worker"] == 1
        kwargs["processes"] = False  # in-process here; the default path starts processes
        made.append(real(**kwargs))
        return made[-1]

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "LocalCluster", local)
    with pytest.raises(SweepInterrupted):
        sweep(SPEC, GRID, data=FRAMES, workers=1, progress=interrupt)
    assert len(made) == 1
    assert made[0].status.name == "closed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sweep_unreachable_scheduler_is_config_error_before_work() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ConfigError, match=r"cannot reach the Dask scheduler 'tcp://127\.0\.0\.1"):
        sweep(SPEC, GRID, data=FRAMES, scheduler=address, connect_timeout=1, progress=False)


def test_sweep_bad_grid_fails_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cluster(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a cluster was started for a bad grid")

    monkeypatch.setattr(sweep_module, "_connect", no_cluster)
    with pytest.raises(ConfigError, match="did you mean 'fast'"):
        sweep(SPEC, {"sma_crossover.fats": [1]}, data=FRAMES)


def test_sweep_scheduler_from_environment_variable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, client.scheduler.address)
    table = sweep(SPEC, {"sma_crossover.fast": [3, 5]}, data=FRAMES, progress=False)
    assert table["error"].isna().all()
    _assert_row_is_single_run(table.iloc[1], replace_fast(SPEC, 5))


def test_sweep_public_name_is_lazy_and_import_stays_light() -> None:
    assert orchestrator.sweep is sweep
    assert "sweep" in orchestrator.__all__
    code = "import json, sys, orchestrator\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    heavy = [m for m in json.loads(out.stdout) if m.split(".")[0] in {"dask", "distributed"}]
    assert heavy == []


@pytest.mark.parametrize(
    ("count", "workers", "expected"),
    [(1000, 2, 63), (1000, 1, 100), (18, 2, 9), (5000, 2, 100), (40, 2, 20), (1, 4, 1)],
)
def test_batch_size_keeps_tasks_large_but_workers_busy(
    count: int, workers: int, expected: int
) -> None:
    assert batch_size(count, workers) == expected


def test_sweep_workers_given_ignores_scheduler_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import distributed

    real = distributed.LocalCluster
    monkeypatch.setattr(
        distributed, "LocalCluster", lambda **kw: real(**{**kw, "processes": False})
    )
    monkeypatch.setenv(SCHEDULER_ENV, f"tcp://127.0.0.1:{_free_port()}")  # nobody listens
    table = sweep(SPEC, {"sma_crossover.fast": [3]}, data=FRAMES, workers=1, progress=False)
    _assert_row_is_single_run(table.iloc[0], replace_fast(SPEC, 3))


def test_sweep_data_sent_once_every_batch_sees_a_worker_copy(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sweep_module.run_batch

    def spy(frames: Any, batch: list[Any]) -> list[dict[str, Any]]:
        # The task runs pickled on a worker: report the frames' identity through the rows.
        return [{**row, "frames_id": float(id(frames))} for row in real(frames, batch)]

    monkeypatch.setattr(sweep_module, "run_batch", spy)
    table = sweep(SPEC, GRID, data=FRAMES, client=client, progress=False, batch=2)
    assert len(table) == 18  # in 9 tasks of 2 combinations
    assert table["frames_id"].nunique() <= 2  # one copy of the frames per worker, not per task
