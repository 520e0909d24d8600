"""The command line with rebalancing: the count and cost printed, the files --out adds, the
flags, and bad settings as one line with exit status 2."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from orchestrator import OrchestratorResult, Rebalance, cli
from orchestrator.app.spec import RunSpec

CONFIG = """\
[data]
source = "demo"
symbols = ["AAPL", "MSFT"]
start = "2013-01-01"
end = "2015-12-31"

[costs]
commission_rate = 0.001

[rebalance]
{table}

[[strategies]]
name = "sma_crossover"
weight = 0.5
params = {{ fast = 10, slow = 40 }}

[[strategies]]
name = "rsi_reversion"
weight = 0.4
"""


def _config(tmp_path: Path, table: str = 'schedule = "monthly"') -> Path:
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(table=table), encoding="utf-8")
    return path


def test_cli_run_prints_rebalance_count_and_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    assert cli.main(["run", str(path), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("Portfolio: ")
    found = re.fullmatch(
        r"Rebalancing \(monthly, fixed weights, scaling positions\): (\d+) rebalances, "
        r"costs ([\d,]+\.\d\d)",
        lines[-2],
    )
    assert found, lines[-2]
    result = RunSpec.from_toml(path).run()
    assert int(found.group(1)) == result.rebalances > 30  # 36 months, the first is the start
    assert found.group(2) == f"{result.rebalance_costs:,.2f}"


def test_cli_run_without_rebalancing_prints_no_rebalance_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, 'schedule = "none"')
    assert cli.main(["run", str(path), "--quiet"]) == 0
    assert "Rebalancing" not in capsys.readouterr().out


def test_cli_out_writes_transfers_weights_attribution_and_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = _config(tmp_path, 'schedule = "quarterly"\ndrift = 0.05'), tmp_path / "out"
    assert cli.main(["run", str(path), "--out", str(out)]) == 0  # --quiet logs at ERROR
    capsys.readouterr()
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    result = OrchestratorResult.from_dict(data)
    spec = RunSpec.from_toml(path)
    assert result == spec.run()
    assert RunSpec.from_dict(data["spec"]).rebalance == Rebalance(schedule="quarterly", drift=0.05)

    transfers = pd.read_csv(out / "transfers.csv", parse_dates=["timestamp"])
    assert list(transfers.columns)[:5] == ["timestamp", "strategy_id", "amount", "reason", "costs"]
    assert len(transfers) == len(result.transfers) > 0
    assert set(transfers["reason"]) <= {"schedule", "drift"}
    assert transfers["timestamp"].nunique() == result.rebalances

    weights = pd.read_csv(out / "weights.csv", index_col="timestamp", parse_dates=True)
    assert list(weights.columns) == ["sma_crossover", "rsi_reversion", "Cash"]
    assert len(weights) == len(result.portfolio_equity)
    assert (weights.sum(axis=1) - 1).abs().max() < 1e-9

    attribution = pd.read_csv(out / "attribution.csv")
    assert list(attribution.columns) == ["component", "kind", "pnl"]
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert attribution["pnl"].sum() == pytest.approx(pnl, abs=0.01)

    config = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))
    assert config["rebalance"]["schedule"] == "quarterly"


def test_cli_rebalance_and_rule_flags_override_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, 'schedule = "none"')
    args = ["export-config", str(path), "--rebalance", "weekly", "--rule", "equal"]
    assert cli.main(args) == 0
    table = tomllib.loads(capsys.readouterr().out)["rebalance"]
    assert table["schedule"] == "weekly"
    assert table["rule"] == "equal"


@pytest.mark.parametrize(
    ("table", "flags", "expected"),
    [
        ('schedule = "montly"', [], "found 'montly'; did you mean 'monthly'?"),
        ('shedule = "monthly"', [], "unknown key 'shedule' in [rebalance]; did you mean"),
        ('schedule = "monthly"\ndrift = 1.2', [], "rebalance drift must be between 0 and 1"),
        ('schedule = "monthly"\nlookback = 1', [], "rebalance lookback must be >= 2"),
        (
            'schedule = "monthly"\nrule = "equal"\nmin_weight = 0.6\nmax_weight = 0.3',
            [],
            "min_weight (0.6) is above max_weight (0.3)",
        ),
        (
            'schedule = "monthly"\nrule = "equal"\nmin_weight = 0.5',
            [],
            "min_weight=0.5 with 2 strategies needs a total weight of at least 1",
        ),
        (
            'schedule = "monthly"\nrule = "equal"\nlookback = 5000',
            [],
            "rebalance lookback=5000 bars is longer than the data allows",
        ),
        ('schedule = "none"', ["--rebalance", "quartely"], "--rebalance 'quartely': "),
        ('schedule = "monthly"', ["--rule", "hrpp"], "--rule 'hrpp': "),
    ],
)
def test_cli_bad_rebalance_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    table: str,
    flags: list[str],
    expected: str,
) -> None:
    path = _config(tmp_path, table)
    assert cli.main(["run", str(path), *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("orchestrator: error: ")
    assert expected in captured.err
