"""Tests of the command line (orchestrator.cli), run in-process through ``main([...])``."""

from __future__ import annotations

import io
import json
import logging
import textwrap
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import strategies as library
from orchestrator import OrchestratorResult, cli
from orchestrator.app.catalogue import PLUGINS_ENV
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec
from orchestrator.cli import listing, progress
from orchestrator.core.results import PORTFOLIO

# A small run: two demo symbols over two years, two built-ins, 20 % cash.
_BASE = """
[data]
source = "demo"
symbols = ["AAPL", "MSFT"]
start = "2012-01-01"
end = "2013-12-31"

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

_CHEAT = '''
class PeekingStrategy:
    """Enters when tomorrow's close (known thanks to prepare) is higher: look-ahead."""

    name = "peeking"

    def __init__(self):
        self.up = {}

    def prepare(self, bars):
        close = bars.close
        self.up[bars.symbol] = list(close[1:] > close[:-1]) + [False]

    def should_enter(self, bars, state):
        return bool(self.up[bars.symbol][len(bars) - 1])

    def should_exit(self, bars, state):
        return not self.up[bars.symbol][len(bars) - 1]
'''

_RAISES = """
class BrokenStrategy:
    name = "broken"

    def should_enter(self, bars, state):
        if len(bars) > 30:
            raise ZeroDivisionError("division by zero in my indicator")
        return False

    def should_exit(self, bars, state):
        return False
"""


def _write(folder: Path, text: str, name: str = "portfolio.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("orchestrator: error: ")
    return lines[0]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return _write(tmp_path, _BASE)


# ---- run ----------------------------------------------------------------------------------------


def test_main_run_prints_table_and_summary_quietly_off_tty(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "run", config)
    assert status == 0
    assert err == ""  # stderr is not a terminal: no progress bar, and nothing went wrong
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["Strategy", "Weight"]
    assert [ln.split()[0] for ln in lines[2:6] if not ln.startswith("-")] == [
        "sma_crossover", "buy_and_hold", PORTFOLIO,
    ]  # fmt: skip
    assert "50.00%" in out
    assert "80.00%" in out
    assert lines[-1].startswith("Portfolio: 100,000.00 -> ")
    assert "2012-01-03 to 2013-12-31" in lines[-1]


def test_main_run_flags_override_the_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    status, out, _ = _run(
        capsys, "run", config, "--start", "2013-01-01", "--end", "2013-06-30",
        "--capital", "250000", "--symbols", "AAPL", "--out", out_dir,
    )  # fmt: skip
    assert status == 0
    assert "Portfolio: 250,000.00 -> " in out
    data = json.loads((out_dir / "result.json").read_text())
    result = OrchestratorResult.from_dict(data)
    assert result.initial_capital == 250_000
    index = result.portfolio_equity.index
    assert index[0] >= pd.Timestamp("2013-01-01")
    assert index[-1] <= pd.Timestamp("2013-06-30")
    assert {s for sr in result.strategy_results.values() for s in sr.symbols} == {"AAPL"}
    used = RunSpec.from_toml(out_dir / "config.toml")
    assert (used.start, used.end, used.initial_capital, used.symbols) == (
        "2013-01-01", "2013-06-30", 250_000.0, ("AAPL",),
    )  # fmt: skip
    assert RunSpec.from_dict(data["spec"]) == used


def test_main_run_out_writes_every_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "deep" / "out"
    status, _, err = _run(capsys, "run", config, "--out", out_dir)
    assert status == 0
    names = {p.name for p in out_dir.iterdir()}
    assert names == {
        "comparison.csv", "trades.csv", "breaches.csv", "equity.csv", "result.json",
        "report.html", "config.toml", "transfers.csv", "weights.csv", "attribution.csv",
    }  # fmt: skip
    assert err.startswith("orchestrator: wrote comparison.csv")


def test_main_run_quiet_prints_the_results_and_nothing_on_stderr(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, loud, _ = _run(capsys, "run", config)
    # A symbol ending early gives a warning; --quiet keeps it (and the "wrote" note) off stderr.
    late = _write(tmp_path, _BASE.replace('"MSFT"]', '"MSFT", "GOOGL"]')
                  .replace('end = "2013-12-31"', 'end = "2019-06-30"'), "late.toml")  # fmt: skip
    status, out, err = _run(capsys, "run", late, "--quiet", "--out", tmp_path / "out")
    assert status == 0
    assert err == ""
    assert out.splitlines()[0].split()[:2] == ["Strategy", "Weight"]
    assert out.splitlines()[-1].startswith("Portfolio: ")
    assert (tmp_path / "out" / "report.html").is_file()
    _, quiet, err = _run(capsys, "run", config, "-q")
    assert (quiet, err) == (loud, "")  # stdout is the same with or without --quiet


def test_main_run_help_says_what_quiet_keeps(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "run", "--help")
    assert status == 0
    text = " ".join(out.split())
    assert "print only the results on stdout (the table and the summary)" in text
    assert "nothing on stderr but an error" in text


def test_main_run_summary_counts_closed_and_open_trades(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(capsys, "run", config, "--out", config.parent / "out")
    result = OrchestratorResult.from_dict(
        json.loads((config.parent / "out" / "result.json").read_text())
    )
    still_open = int(result.trades["is_open"].sum())
    closed = len(result.trades) - still_open
    assert still_open > 0  # buy_and_hold holds to the end
    assert int(result.comparison_table.at[PORTFOLIO, "num_trades"]) == closed
    assert f"trades ({closed} closed, {still_open} open)" in out.splitlines()[-1]
    page = (config.parent / "out" / "report.html").read_text()
    assert f"<h2>Trades ({closed} closed, {still_open} open)</h2>" in page


def test_main_run_prints_data_end_and_left_out_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # MSFT's demo data end 2017-11-10; the run goes on with AAPL to 2019-06-28.
    late = _write(tmp_path, _BASE.replace('start = "2012-01-01"', 'start = "2017-01-01"')
                  .replace('end = "2013-12-31"', 'end = "2019-06-30"'))  # fmt: skip
    status, out, err = _run(capsys, "run", late, "--out", tmp_path / "out")
    assert status == 0
    warning = (
        "orchestrator: warning: MSFT: data ends 2017-11-10, 1.6 years before the run's end; "
        "open positions are marked at its last close"
    )
    assert err.splitlines()[0] == warning
    assert err.count("MSFT: data ends") == 1
    assert "AAPL: data ends" not in err
    data = json.loads((tmp_path / "out" / "result.json").read_text())
    assert data["warnings"][-1] == warning.removeprefix("orchestrator: warning: ")
    assert "MSFT: data ends 2017-11-10" in (tmp_path / "out" / "report.html").read_text()
    assert out.splitlines()[-1].startswith("Portfolio: ")


def test_main_run_warnings_of_the_result_are_printed_once(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RunSpec.run

    def with_note(self: RunSpec, *args: object, **kwargs: object) -> OrchestratorResult:
        result: OrchestratorResult = real(self, *args, **kwargs)  # type: ignore[arg-type]
        logging.getLogger("orchestrator.core.engine").warning("logged by the engine")
        return replace(result, warnings=("IBM left out: no bars", "logged by the engine"))

    monkeypatch.setattr(RunSpec, "run", with_note)
    status, _, err = _run(capsys, "run", config)
    assert status == 0
    assert err.splitlines() == [
        "orchestrator: warning: logged by the engine",
        "orchestrator: warning: IBM left out: no bars",
    ]


def test_main_run_wide_prints_every_column(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(capsys, "run", config, "--wide")
    header = out.splitlines()[0]
    for label in ("Allocated", "Sortino", "Calmar", "Profit factor", "Costs"):
        assert label in header


def test_main_run_verbose_logs_info_to_stderr(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "--verbose", "run", config)
    assert status == 0
    assert "orchestrator: info: loaded 2 symbol(s)" in err
    assert "orchestrator: info: ran 2 strategies" in err
    assert "Portfolio: " in out


def test_main_run_progress_bar_drawn_on_a_terminal(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "PROGRESS_DELAY", 0.0)
    assert cli.main(["run", str(config)]) == 0
    drawn = terminal.getvalue()
    assert "\rrunning [" in drawn
    assert "100%" in drawn
    assert drawn.endswith("\r")  # the bar wipes itself before the table is printed
    capsys.readouterr()


# ---- errors: one line on stderr, exit 2 for configuration, 1 for running -------------------------


def test_main_missing_config_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "run", tmp_path / "nope.toml")
    assert status == 2
    assert out == ""
    assert "nope.toml' not found" in _one_error_line(err)


def test_main_invalid_toml_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "[data]\nsource = 'demo'\nsymbols = [AAPL]\n")
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    line = _one_error_line(err)
    assert "invalid TOML" in line
    assert "line 3" in line


def test_main_unknown_strategy_exits_2_with_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace('"sma_crossover"', '"sma_crosover"'))
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    line = _one_error_line(err)
    assert "sma_crosover" in line
    assert "did you mean 'sma_crossover'" in line


def test_main_unknown_parameter_exits_2_with_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace("fast = 5", "fats = 5"))
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    line = _one_error_line(err)
    assert "fats" in line
    assert "did you mean 'fast'" in line


def test_main_invalid_parameter_value_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace("fast = 5, slow = 20", "fast = 30, slow = 20"))
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    assert "fast" in _one_error_line(err)


def test_main_weights_over_one_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _BASE.replace("weight = 0.3", "weight = 0.65"))
    status, out, err = _run(capsys, "run", path)
    assert status == 2
    assert out == ""
    assert "Total weight 1.15 exceeds 1.0" in _one_error_line(err)


def test_main_unknown_config_key_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace("initial_capital", "initial_captal"))
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    assert "did you mean 'initial_capital'" in _one_error_line(err)


@pytest.mark.parametrize(
    ("flags", "expected", "named"),
    [
        (("--start", "2013-13-45"), 2, "start"),
        (("--capital", "lots"), 2, "initial_capital"),
        (("--capital", "-5"), 2, "initial_capital"),
        (("--start", "2014-01-01", "--end", "2013-01-01"), 2, "after end"),
        (
            ("--symbols", "AAPL,MSFTT"),
            2,
            "--symbols: unknown symbol 'MSFTT' (did you mean 'MSFT'?)",
        ),
        (("--symbols", "FOO"), 2, "unknown symbol 'FOO'; the demo data has AAPL, MSFT"),
        (("--start", "2030-01-01", "--end", "2030-02-01"), 2, "no bars between 2030-01-01"),
    ],
)
def test_main_bad_override_exits_with_one_line(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    flags: tuple[str, ...],
    expected: int,
    named: str,
) -> None:
    status, out, err = _run(capsys, "run", config, *flags)
    assert status == expected
    assert out == ""
    assert named in _one_error_line(err)


def test_main_bad_data_file_exits_1_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "XYZ.csv"
    csv.write_text(
        "date,open,high,low,close,volume\n"
        "2020-01-02,10,11,9,10.5,100\n"
        "2020-01-03,10,9,11,10.5,100\n"  # high below low
    )
    path = _write(tmp_path, _BASE.replace('source = "demo"', 'source = "XYZ.csv"')
                  .replace('symbols = ["AAPL", "MSFT"]\n', ""))  # fmt: skip
    status, out, err = _run(capsys, "run", path)
    assert status == 1
    assert out == ""
    assert "XYZ" in _one_error_line(err)


def test_main_missing_data_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _BASE.replace('source = "demo"', 'source = "missing.csv"'))
    status, _, err = _run(capsys, "run", path)
    assert status == 1
    assert "missing.csv" in _one_error_line(err)


def test_main_strategy_that_raises_exits_1_naming_strategy_and_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.py").write_text(_RAISES)
    path = _write(tmp_path, _BASE + '\n[[strategies]]\nname = "broken"\nweight = 0.1\n'
                  'plugin = "broken.py:BrokenStrategy"\n')  # fmt: skip
    status, _, err = _run(capsys, "run", path)
    assert status == 1
    line = _one_error_line(err)
    assert "'broken'" in line
    assert "ZeroDivisionError" in line
    assert "AAPL" in line


def test_main_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _BASE.replace("weight = 0.3", "weight = 0.65"))
    status, _, err = _run(capsys, "run", path, "--debug")
    assert status == 2
    assert "Traceback (most recent call last)" in err
    assert "ConfigError" in err
    assert err.splitlines()[-1].startswith("orchestrator: error: Total weight 1.15")


def test_main_unexpected_exception_exits_1_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(RunSpec, "run", boom)
    status, _, err = _run(capsys, "run", config)
    assert status == 1
    line = _one_error_line(err)
    assert "unexpected KeyError" in line
    assert "--debug" in line


@pytest.mark.parametrize("target", ["file/out", "file"])
def test_main_out_not_writable_exits_1_before_any_work(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    (tmp_path / "file").write_text("not a folder")

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the data were loaded before --out was checked")

    monkeypatch.setattr(RunSpec, "load_data", no_work)
    monkeypatch.setattr(RunSpec, "build_strategies", no_work)
    status, out, err = _run(capsys, "run", config, "--out", tmp_path / target)
    assert status == 1
    assert out == ""
    line = _one_error_line(err)
    assert f"--out '{tmp_path / target}'" in line
    assert "folder" in line


def test_main_usage_error_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "run")
    assert status == 2
    assert err == "orchestrator run: error: the following arguments are required: CONFIG\n"
    status, _, err = _run(capsys, "frobnicate")
    assert status == 2
    assert err.startswith("orchestrator: error: argument COMMAND: invalid choice: 'frobnicate'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("run", "x.toml", "--bogus"), "orchestrator run: error: unrecognized arguments: --bogus"),
        (("strategies", "--bogus", "1"), "orchestrator strategies: error: unrecognized "
         "arguments: --bogus 1"),
        (("check-lookahead", "x", "--points", "many"), "orchestrator check-lookahead: error: "
         "argument --points: expected a whole number of at least 1 or 'all'; found 'many'"),
    ],
)  # fmt: skip
def test_main_unknown_or_bad_flag_is_one_line_naming_the_command(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str
) -> None:
    status, out, err = _run(capsys, *argv)
    assert (status, out, err) == (2, "", expected + "\n")


def test_main_unknown_symbol_in_the_file_exits_2_with_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace('"MSFT"]', '"msft", "FOO"]'))
    status, out, err = _run(capsys, "run", path)
    assert status == 2
    assert out == ""
    line = _one_error_line(err)
    assert f"{path}: [data] symbols: unknown symbols 'msft' (did you mean 'MSFT'?), 'FOO';" in line
    assert "the demo data has AAPL" in line


def test_main_unknown_symbol_of_a_data_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "date,open,high,low,close,volume\n2020-01-02,10,11,9,10.5,100\n"
    (tmp_path / "XYZ.csv").write_text(rows + "2020-01-03,10.5,11,10,10.8,100\n")
    path = _write(tmp_path, _BASE.replace('source = "demo"', 'source = "."')
                  .replace('["AAPL", "MSFT"]', '["XYY"]'))  # fmt: skip
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    assert "unknown symbol 'XYY' (did you mean 'XYZ'?)" in _one_error_line(err)


def test_main_date_range_without_bars_in_the_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _BASE.replace('"2012-01-01"', '"1970-01-01"')
                  .replace('"2013-12-31"', '"1970-12-31"'))  # fmt: skip
    status, out, err = _run(capsys, "run", path)
    assert (status, out) == (2, "")
    assert "no bars between 1970-01-01 and 1970-12-31" in _one_error_line(err)


@pytest.mark.parametrize("strategies", ["", "strategies = []\n"])
def test_main_run_without_strategies_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], strategies: str
) -> None:
    path = _write(tmp_path, strategies + '[data]\nsource = "demo"\n')
    status, _, err = _run(capsys, "run", path)
    assert status == 2
    assert _one_error_line(err) == (
        f"orchestrator: error: {path}: no strategies; add at least one [[strategies]] table "
        "with a name and a weight"
    )


def test_main_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "--version")
    assert status == 0
    assert out.startswith("orchestrator ")
    status, out, _ = _run(capsys, "run", "--help")
    assert status == 0
    for flag in ("--start", "--end", "--capital", "--out", "--quiet", "--verbose", "--debug"):
        assert flag in out


# ---- strategies ---------------------------------------------------------------------------------


def test_main_strategies_lists_builtins_with_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _run(capsys, "strategies")
    assert status == 0
    assert f"Built-in strategies ({len(library.REGISTRY)}):" in out
    blocks = out.split("\n\n")[1:]  # one block per strategy after the title
    assert len(blocks) >= len(library.REGISTRY)
    for (name, cls), block in zip(library.REGISTRY.items(), blocks, strict=False):
        lines = block.strip("\n").splitlines()
        assert lines[0] == f"  {name}  -  {cls.description}"
        specs = cls.param_specs()
        if not specs:
            assert lines[1:] == ["    (no parameters)"]
            continue
        for p, line in zip(specs, lines[1:], strict=True):
            cells = line.split()
            assert cells[:4] == [p.name, p.kind.__name__, "=", listing.number_text(p.default)]
            assert f"{listing.number_text(p.min)}..{listing.number_text(p.max)}" in line
            assert line.endswith(p.help)


def test_main_strategies_json_lists_ranges_and_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cheat.py").write_text(_CHEAT)
    status, out, _ = _run(capsys, "strategies", "--json", "--plugins", tmp_path)
    assert status == 0
    entries = {e["name"]: e for e in json.loads(out)}
    assert set(library.REGISTRY) < set(entries)
    sma = {p["name"]: p for p in entries["sma_crossover"]["params"]}
    spec = {p.name: p for p in library.REGISTRY["sma_crossover"].param_specs()}
    assert {k: (v["default"], v["min"], v["max"]) for k, v in sma.items()} == {
        k: (p.default, p.min, p.max) for k, p in spec.items()
    }
    plugin = entries["peeking"]
    assert plugin["origin"] == "plug-in"
    assert plugin["params"] is None


def test_main_strategies_text_lists_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cheat.py").write_text(_CHEAT)
    _, out, _ = _run(capsys, "strategies", "--plugins", tmp_path)
    assert "Plug-in strategies (1):" in out
    assert "peeking  -  Enters when tomorrow's close" in out


def test_main_strategies_missing_plugin_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "strategies", "--plugins", tmp_path / "nowhere")
    assert status == 2
    assert "nowhere" in _one_error_line(err)


# ---- check-lookahead ----------------------------------------------------------------------------

_SHORT = ("--symbols", "AAPL", "--start", "2012-01-01", "--end", "2013-12-31", "--points", "3")


def test_main_check_lookahead_builtin_passes_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "check-lookahead", "sma_crossover", "--params", "fast=5", "slow=20", *_SHORT
    )
    assert status == 0, err
    assert "no look-ahead found" in out


def test_main_check_lookahead_cheating_plugin_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cheat.py").write_text(_CHEAT)
    status, _, err = _run(
        capsys, "check-lookahead", f"{tmp_path / 'cheat.py'}:PeekingStrategy", *_SHORT
    )
    assert status == 1
    assert "uses future data" in err.splitlines()[-1]


def test_main_check_lookahead_plugin_by_name_from_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cheat.py").write_text(_CHEAT)
    status, _, _ = _run(capsys, "check-lookahead", "peeking", "--plugins", tmp_path, *_SHORT)
    assert status == 1


def test_main_check_lookahead_bad_params_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "check-lookahead", "sma_crossover", "--params", "fats=3")
    assert status == 2
    assert "did you mean 'fast'" in _one_error_line(err)
    status, _, err = _run(capsys, "check-lookahead", "sma_crossover", "--params", "fast")
    assert status == 2
    assert "name=value" in _one_error_line(err)


# ---- export-config ------------------------------------------------------------------------------


def test_main_export_config_from_file_is_the_spec_toml(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(capsys, "export-config", config, "--capital", "5000")
    assert status == 0
    expected = RunSpec.from_toml(config).with_overrides(initial_capital="5000")
    assert out == expected.to_toml().rstrip() + "\n"


def test_main_export_config_query_round_trips(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, link, _ = _run(capsys, "export-config", config, "--format", "query")
    assert link.startswith("?")
    assert "s1=sma_crossover" in link
    status, toml_text, _ = _run(
        capsys, "export-config", "--query", "http://localhost:8501/" + link.strip()
    )
    assert status == 0
    assert toml_text == RunSpec.from_toml(config).to_toml().rstrip() + "\n"


def test_main_export_config_default_is_the_dashboard_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = _run(capsys, "export-config")
    assert out == DEFAULT_SPEC.to_toml().rstrip() + "\n"


def test_main_export_config_file_and_query_together_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "export-config", config, "--query", "s1=momentum;w=1")
    assert status == 2
    assert "not both" in _one_error_line(err)


def test_main_export_config_upload_link_warns_to_set_the_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(capsys, "export-config", "--query", "data=upload&s1=momentum;w=0.5")
    assert status == 0
    assert 'source = "upload"' in out
    assert err.startswith("orchestrator: warning: the link's data were files uploaded")


# ---- plug-ins -----------------------------------------------------------------------------------


def test_main_run_plugins_flag_finds_strategy_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "cheat.py").write_text(_CHEAT)
    path = _write(tmp_path, _BASE + '\n[[strategies]]\nname = "peeking"\nweight = 0.1\n')
    status, out, err = _run(capsys, "run", path, "--plugins", folder)
    assert status == 0, err
    assert "peeking" in out
    status, _, err = _run(capsys, "run", path)  # without the folder the name is unknown
    assert status == 2
    assert "peeking" in _one_error_line(err)


def test_main_strategies_plugins_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cheat.py").write_text(_CHEAT)
    monkeypatch.setenv(PLUGINS_ENV, str(tmp_path))
    _, out, _ = _run(capsys, "strategies")
    assert "Plug-in strategies (1):" in out
