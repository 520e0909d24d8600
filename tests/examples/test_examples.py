"""Every configuration in examples/ runs through the command line and writes sound files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orchestrator import OrchestratorResult, cli
from orchestrator.app.spec import RunSpec
from orchestrator.core.results import PORTFOLIO

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
_NETWORK = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I
)


def _ids(spec: RunSpec) -> list[str]:
    """Strategy ids as the engine names them: label or name, ``#2``... for repeats."""
    seen: dict[str, int] = {}
    ids = []
    for s in spec.strategies:
        base = s.label or s.name
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


def test_examples_folder_has_two_to_four_configurations() -> None:
    assert 2 <= len(EXAMPLES) <= 4
    assert ROOT / "examples" / "demo_portfolio.toml" in EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_and_writes_sound_files(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["run", str(path), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    spec = RunSpec.from_toml(path)
    ids = _ids(spec)
    assert stdout.splitlines()[-1].startswith("Portfolio: ")
    for sid in ids:
        assert sid in stdout

    # result.json round-trips into a result equal to running the same spec in-process
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    result = OrchestratorResult.from_dict(data)
    assert result == spec.run()
    assert RunSpec.from_dict(data["spec"]) == spec
    assert list(result.strategy_results) == ids

    comparison = pd.read_csv(out / "comparison.csv", index_col="strategy_id")
    assert list(comparison.index) == [*ids, PORTFOLIO]
    pd.testing.assert_frame_equal(comparison, result.comparison_table, check_dtype=False)

    equity = pd.read_csv(out / "equity.csv", index_col="timestamp", parse_dates=True)
    assert list(equity.columns) == [*ids, PORTFOLIO]
    assert len(equity) == len(result.portfolio_equity)

    trades = pd.read_csv(out / "trades.csv")
    assert len(trades) == len(result.trades)
    assert set(trades["strategy_id"]) <= set(ids)

    page = (out / "report.html").read_text(encoding="utf-8")
    for sid in [*ids, PORTFOLIO]:
        assert f'"name":"{sid}"' in page  # a trace per strategy and the portfolio
    assert _NETWORK.search(page) is None  # opens offline: nothing fetched from the network
    assert RunSpec.from_toml(out / "config.toml") == spec


def test_demo_example_through_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", str(ROOT / "examples" /
         "demo_portfolio.toml"), "--out", str(tmp_path), "--end", "2011-12-31"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Portfolio: 100,000.00 -> " in proc.stdout
    assert "sma_crossover" in proc.stdout
    assert (tmp_path / "report.html").stat().st_size > 1_000_000
    assert RunSpec.from_toml(tmp_path / "config.toml").end == "2011-12-31"


def test_error_through_python_dash_m_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", str(tmp_path / "missing.toml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("orchestrator: error: ")


def test_crypto_example_warns_that_nasdaq_data_end_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ROOT / "examples" / "crypto_and_indices.toml"
    assert cli.main(["run", str(path), "--out", str(tmp_path)]) == 0
    note = (
        "^IXIC: data ends 2018-12-31, 1 year before the run's end; open positions are marked "
        "at its last close"
    )
    assert capsys.readouterr().err.splitlines()[0] == f"orchestrator: warning: {note}"
    data = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert data["warnings"] == [note]
    assert "^IXIC: data ends 2018-12-31" in (tmp_path / "report.html").read_text(encoding="utf-8")
