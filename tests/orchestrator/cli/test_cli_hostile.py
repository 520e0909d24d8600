"""The command line on hostile or careless input (issue 9 items 6, 16, 17, 18): links that name
files, numbers as dates, an empty --symbols, a strategy's symbol missing from the data."""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path

import pytest

from orchestrator import cli

_BASE = """
[data]
source = "demo"
symbols = ["AAPL", "MSFT"]
start = 2012-01-01
end = "2012-12-31"

[[strategies]]
name = "buy_and_hold"
weight = 0.5
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert re.match(r"^orchestrator( [a-z-]+)?: error: ", lines[0]), lines[0]
    return lines[0]


def _write(folder: Path, text: str) -> Path:
    path = folder / "run.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_export_config_query_drops_plugin_and_data_paths_with_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    link = "?data=/etc/passwd&plugins=/tmp/evil&s1=macd;w=0.5;plugin=/tmp/evil/x.py:Evil"
    status, out, err = _run(capsys, "export-config", "--query", link)
    assert status == 0, err
    config = tomllib.loads(out)
    assert config["data"]["source"] == "demo"
    assert "plugin_dir" not in config["portfolio"]
    assert config["strategies"] == [{"name": "macd", "weight": 0.5}]
    assert "/tmp/evil" not in out
    assert "/etc" not in out
    warnings = err.splitlines()
    assert len(warnings) == 3
    assert all(w.startswith("orchestrator: warning: --query: ") for w in warnings)
    assert "a link never names files" in warnings[0]
    assert "'/etc/passwd'" in warnings[0]
    assert "'/tmp/evil'" in warnings[1]
    assert "'/tmp/evil/x.py:Evil'" in warnings[2]


def test_export_config_query_with_explicit_paths_keeps_the_users_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(
        capsys, "export-config", "--query", "?plugins=/tmp/evil&s1=macd;w=1",
        "--plugins", tmp_path,
    )  # fmt: skip
    assert status == 0
    assert tomllib.loads(out)["portfolio"]["plugin_dir"] == str(tmp_path.resolve())


def test_run_toml_integer_start_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace("start = 2012-01-01", "start = 20120101"))
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    line = _error_line(err)
    assert f"{path}: start must be a date" in line
    assert "found 20120101 of type int" in line


def test_run_toml_date_value_runs_over_that_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "run", _write(tmp_path, _BASE))
    assert status == 0, err
    assert "2012-01-03 to 2012-12-31" in out.splitlines()[-1]


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_run_empty_symbols_option_is_a_usage_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "run", _write(tmp_path, _BASE), "--symbols", value)
    assert status == 2
    line = _error_line(err)
    assert "--symbols" in line
    assert "expected comma-separated symbols such as AAPL,MSFT" in line


def test_check_lookahead_empty_symbols_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _run(capsys, "check-lookahead", "buy_and_hold", "--symbols", "")
    assert status == 2
    assert "expected comma-separated symbols" in _error_line(err)


def test_run_strategy_symbol_missing_from_data_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE + 'symbols = ["MSFTT"]\n')
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    line = _error_line(err)
    assert "strategy 'buy_and_hold' trades 'MSFTT' not in the data" in line
    assert "did you mean 'MSFT'" in line


def test_export_config_query_beyond_the_strategy_cap_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    link = "?" + "&".join(f"s{i}=buy_and_hold;w=0.01" for i in range(1, 22))
    status, _, err = _run(capsys, "export-config", "--query", link)
    assert status == 2
    assert "the link names 21 strategies; expected at most 20" in _error_line(err)


def test_run_capital_1e308_in_toml_or_option_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE + "\n[portfolio]\ninitial_capital = 1e308\n")
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    assert "initial_capital must be at most 1,000,000,000,000" in _error_line(err)
    status, _, err = _run(capsys, "run", _write(tmp_path, _BASE), "--capital", "1e308")
    assert status == 2
    assert "initial_capital must be at most" in _error_line(err)
