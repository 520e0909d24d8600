"""Tests of ``orchestrator sweep`` (in-process through ``main([...])``): outputs, errors that are
one line and exit 2 before any work is sent, and the example sweep."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from orchestrator import cli
from orchestrator.app import sweep as sweep_module
from orchestrator.app.spec import RunSpec
from orchestrator.cli.sweep import read_sweep_toml

ROOT = Path(__file__).resolve().parents[3]
_NETWORK = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I
)

_RUN = """
[data]
source = "demo"
symbols = ["AAPL", "MSFT"]
start = "2012-01-01"
end = "2013-06-30"

[portfolio]
initial_capital = 100000

[[strategies]]
name = "sma_crossover"
weight = 0.5
params = { fast = 5, slow = 20 }

[[strategies]]
name = "buy_and_hold"
weight = 0.3
"""


def _write(tmp_path: Path, sweep: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(_RUN + textwrap.dedent(sweep), encoding="utf-8")
    return path


_GRID = """
[sweep]
metric = "total_return"

[sweep.grid]
"sma_crossover.fast" = [3, 8]
weights = { step = 0.5 }
"""


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any cluster is started or contacted."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("work was sent for a bad input")

    monkeypatch.setattr(sweep_module, "_connect", refuse)


def test_cli_sweep_writes_parquet_config_and_html_rows_equal_single_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _GRID)
    out = tmp_path / "out"
    status = cli.main(["sweep", str(path), "--workers", "2", "--out", str(out), "--top", "3"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Best 3 of 12 combinations by Portfolio.total_return:" in captured.out
    assert "Spread of Portfolio.total_return: min " in captured.out
    assert "Neighbours: best cell #" in captured.out
    assert "in-sample result" in captured.out

    table = pd.read_parquet(out / "sweep.parquet")
    assert len(table) == 12
    assert table["error"].isna().all()
    # local worker processes: each row is the single run in this process, bit for bit
    spec, _ = read_sweep_toml(path)
    for _, row in table.iloc[[1, 6, 10]].iterrows():
        strategies = (
            replace(spec.strategies[0], weight=str(row["sma_crossover.weight"]),
                    params={"fast": int(row["sma_crossover.fast"]), "slow": 20}),
            replace(spec.strategies[1], weight=str(row["buy_and_hold.weight"])),
        )  # fmt: skip
        single = replace(spec, strategies=strategies).run().comparison_table
        for sid, figures in single.iterrows():
            for name, value in figures.drop("weight").items():
                got = float(row[f"{sid}.{name}"])
                assert got == float(value) or (got != got and value != value), (sid, name)

    again, options = read_sweep_toml(out / "config.toml")
    assert again == spec
    assert options["grid"] == {"sma_crossover.fast": [3, 8], "weights": {"step": 0.5}}
    assert options["metric"] == "total_return"
    assert options["workers"] == 2

    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert '"type":"heatmap"' in page
    assert "in-sample result" in page
    assert _NETWORK.search(page) is None  # opens offline


def test_cli_sweep_sample_and_metric_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    def in_process(**kwargs: Any) -> LocalCluster:
        return LocalCluster(**{**kwargs, "processes": False})

    import distributed

    monkeypatch.setattr(distributed, "LocalCluster", in_process)
    path = _write(tmp_path, _GRID)
    argv = ["sweep", str(path), "--sample", "4", "--seed", "3", "--metric", "sma_crossover.cagr"]
    assert cli.main([*argv, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Best 4 of 4 combinations by sma_crossover.cagr:" in captured.out


@pytest.mark.parametrize(
    ("sweep", "extra", "message"),
    [
        ('[sweep.grid]\n"sma_crossover.fsat" = [3, 8]\n', [],
         "sma_crossover has no parameter 'fsat'; did you mean 'fast'?"),
        ('[sweep.grid]\n"sma_crossover.fast" = [0, 8]\n', [],
         "0 is outside the declared range of fast (from 1 to 500)"),
        ("[sweep.grid]\n", [], "the sweep grid is empty"),
        ('[sweep.grid]\n"sma_crossover.fast" = []\n', [], "has no values"),
        ('[sweep.grid]\n"sma_crossover.fast" = { start = 1, stop = 19, step = 1 }\n',
         ["--max", "5"], "19 combinations, more than the limit of 5"),
        ('[sweep.grid]\n"sma_crossover.fast" = [3]\n', ["--metric", "sharp"],
         "unknown metric 'sharp'; did you mean 'sharpe_ratio'?"),
        ('[sweep]\nmetrc = "cagr"\n[sweep.grid]\n"sma_crossover.fast" = [3]\n', [],
         "unknown key 'metrc' in [sweep]; did you mean 'metric'?"),
        ('[sweep.grid]\n"sma_crossover.fast" = [3]\n', ["--workers", "2", "--scheduler", "x:1"],
         "give --workers (a local cluster) or --scheduler (an existing one), not both"),
        ("", [], "no [sweep] table"),
    ],
)  # fmt: skip
def test_cli_sweep_bad_input_one_line_exit_2_before_any_work(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_cluster: None,
    sweep: str,
    extra: list[str],
    message: str,
) -> None:
    path = _write(tmp_path, sweep)
    assert cli.main(["sweep", str(path), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("orchestrator: error: ")
    assert message in captured.err


def test_cli_sweep_unreachable_scheduler_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = _write(tmp_path, '[sweep.grid]\n"sma_crossover.fast" = [3]\n')
    monkey_timeout = ["--scheduler", f"tcp://127.0.0.1:{port}"]
    assert cli.main(["sweep", str(path), *monkey_timeout]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"cannot reach the Dask scheduler 'tcp://127.0.0.1:{port}'" in err


def test_cli_sweep_ctrl_c_writes_finished_rows_exit_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    finished = pd.DataFrame({"combination": [0], "sma_crossover.fast": [3], "error": [None],
                             "Portfolio.sharpe_ratio": [0.5]})  # fmt: skip
    finished.attrs["sweep"] = {"settings": ["sma_crossover.fast"],
                               "metrics": ["Portfolio.sharpe_ratio"]}  # fmt: skip

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise sweep_module.SweepInterrupted(finished, 2)

    monkeypatch.setattr(sweep_module, "sweep", interrupted)
    path = _write(tmp_path, '[sweep.grid]\n"sma_crossover.fast" = [3, 4]\n')
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err
    assert "1 of 2 finished rows written to" in err
    assert err.rstrip().endswith("orchestrator: interrupted")
    kept = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert kept["combination"].tolist() == [0]
    assert (tmp_path / "out" / "config.toml").exists()


def test_cli_sweep_example_file_plans_and_reads() -> None:
    spec, options = read_sweep_toml(ROOT / "examples" / "sweeps" / "sma_grid.toml")
    assert isinstance(spec, RunSpec)
    plan = sweep_module.plan_sweep(spec, options["grid"], max_combinations=options["max"])
    assert plan.count == 18
    assert not plan.invalid


def test_cli_sweep_toml_dates_in_grid_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import distributed

    real = distributed.LocalCluster
    monkeypatch.setattr(
        distributed, "LocalCluster", lambda **kw: real(**{**kw, "processes": False})
    )
    path = _write(tmp_path, "[sweep.grid]\nstart = [2012-01-01, 2012-07-02]\n")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--quiet", "--out", str(out)]) == 0
    table = pd.read_parquet(out / "sweep.parquet")
    assert [str(d) for d in table["start"]] == ["2012-01-01", "2012-07-02"]
    spec, options = read_sweep_toml(out / "config.toml")
    assert [d.isoformat() for d in options["grid"]["start"]] == ["2012-01-01", "2012-07-02"]
    later = replace(spec, start="2012-07-02").run().comparison_table
    assert float(table.loc[1, "Portfolio.final_equity"]) == float(
        later.loc["Portfolio", "final_equity"]
    )
    assert capsys.readouterr().err == ""
