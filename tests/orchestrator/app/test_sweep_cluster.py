"""A real Dask cluster: ``dask scheduler`` and ``dask worker`` as separate processes on
127.0.0.1 (free ports chosen by the scheduler), a sweep connected by address, the same table as
an in-process cluster's; the processes are always stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.app.sweep import sweep
from orchestrator.data import synthetic

ROOT = Path(__file__).resolve().parents[3]
FRAMES = synthetic(2, 250, seed=11)
SPEC = RunSpec(
    strategies=(
        StrategySpec("sma_crossover", "0.4", {"fast": 5, "slow": 30}),
        StrategySpec("rsi_reversion", "0.4"),
    ),
    symbols=tuple(FRAMES),
    slippage_bps=2.0,
)
GRID = {"sma_crossover.fast": [3, 8, 13], "fill": ["next_open", "close"]}
_DASK = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture
def scheduler_address(tmp_path: Path) -> Iterator[str]:
    """Start a scheduler and one worker process; yield the scheduler's address."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    info = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("wb")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(subprocess.Popen(
            [_DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        ))  # fmt: skip
        found = threading.Event()
        for _ in range(600):  # up to 60 s on a busy machine
            if info.exists() and info.stat().st_size:
                found.set()
                break
            if procs[0].poll() is not None:
                break
            threading.Event().wait(0.1)
        assert found.is_set(), (tmp_path / "dask.log").read_text(errors="replace")
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            [_DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
             "--host", "127.0.0.1", "--memory-limit", "1GiB"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        ))  # fmt: skip
        with Client(address, timeout="30s", set_as_default=False) as probe:
            probe.wait_for_workers(1, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        log.close()


def test_sweep_on_separate_scheduler_and_worker_processes_equals_in_process(
    scheduler_address: str,
) -> None:
    remote = sweep(SPEC, GRID, data=FRAMES, scheduler=scheduler_address, progress=False, batch=2)
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    try:
        with Client(cluster, set_as_default=False) as dask:
            local = sweep(SPEC, GRID, data=FRAMES, client=dask, progress=False)
    finally:
        cluster.close()
    assert len(remote) == 6
    assert remote["error"].isna().all()
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    # and equal to a single run in this process, figure for figure
    row = remote[(remote["sma_crossover.fast"] == 8) & (remote["fill"] == "next_open")].iloc[0]
    first = replace(SPEC.strategies[0], params={"fast": 8, "slow": 30})
    single = replace(SPEC, strategies=(first, SPEC.strategies[1])).run(FRAMES).comparison_table
    for sid, figures in single.iterrows():
        for name, value in figures.drop("weight").items():
            got = float(row[f"{sid}.{name}"])
            assert got == float(value) or (got != got and value != value), (sid, name)
