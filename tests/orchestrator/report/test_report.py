"""Tests of orchestrator.report: terminal table, summary line, CSV/JSON/HTML exports."""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestrator import OrchestratorResult, StrategyOrchestrator, report
from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.core.results import PORTFOLIO
from orchestrator.report import outputs
from orchestrator.report.comparison import COLUMNS
from tests.conftest import random_walk

# ---- tiny local fixtures --------------------------------------------------------------------


class _Every:
    """Enter every ``period`` bars, exit half a period later."""

    def __init__(self, name: str, period: int, max_positions: int | None = None) -> None:
        self.name = name
        self.period = period
        if max_positions is not None:
            self.max_positions = max_positions

    def should_enter(self, bars: object, state: object) -> bool:
        return len(bars) % self.period == 0  # type: ignore[arg-type]

    def should_exit(self, bars: object, state: object) -> bool:
        return len(bars) % self.period == self.period // 2  # type: ignore[arg-type]


class _Never:
    name = "idle"

    def should_enter(self, bars: object, state: object) -> bool:
        return False

    def should_exit(self, bars: object, state: object) -> bool:
        return False


def _data(bars: int = 120) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    return {
        symbol: random_walk(
            rng, bars, start_price=50.0, vol=0.012, volume=1e5, start="2021-01-04", freq="B"
        )
        for symbol in ("AAA", "BBB")
    }


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    # "crowded" holds one slot for two symbols that signal on the same bar: capital breaches.
    strategies = [
        (_Every("fast", 6), "0.4"),
        (_Every("crowded", 10, max_positions=1), "0.3"),
        (_Never(), "0.2"),
    ]
    return StrategyOrchestrator(strategies, 100_000).run(_data())


@pytest.fixture(scope="module")
def spec() -> RunSpec:
    return RunSpec(
        strategies=(StrategySpec("sma_crossover", "0.4", {"fast": 5, "slow": 20}),),
        symbols=("AAPL",),
        start="2010-01-01",
        end="2011-01-01",
    )


@pytest.fixture(scope="module")
def page(result: OrchestratorResult, spec: RunSpec) -> str:
    return report.html_report(result, spec)


# ---- format_value / format_table / format_summary --------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.1234, "pct", "12.34%"),
        (-0.05, "pct", "-5.00%"),
        (1234567.891, "money", "1,234,567.89"),
        (1.23456, "ratio", "1.23"),
        (1234, "int", "1,234"),
        (math.nan, "pct", "n/a"),
        (None, "money", "n/a"),
        (math.inf, "ratio", "inf"),
        (-math.inf, "ratio", "-inf"),
    ],
)
def test_format_value_each_kind_formats_for_reading(
    value: object, kind: str, expected: str
) -> None:
    assert report.format_value(value, kind) == expected


def test_format_value_unknown_kind_raises_value_error() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        report.format_value(1.0, "percent")


def test_format_table_default_columns_aligned_with_percentages(result: OrchestratorResult) -> None:
    text = report.format_table(result.comparison_table)
    lines = text.splitlines()
    header, rule, *rows = lines
    assert header.split()[:3] == ["Strategy", "Weight", "Final"]
    assert set(rule.replace(" ", "")) == {"-"}
    # every figure is right-aligned: all data lines end at the same column as the header
    data_lines = [ln for ln in rows if not set(ln) <= {"-", " "}]
    assert {len(ln) for ln in data_lines} == {len(header)}
    names = [ln.split()[0] for ln in data_lines]
    assert names == ["fast", "crowded", "idle", PORTFOLIO]
    # a rule separates the Portfolio row from the strategies
    assert set(lines[-2].replace(" ", "")) == {"-"}
    table = result.comparison_table
    fast = data_lines[0]
    assert "40.00%" in fast
    assert f"{table.at['fast', 'total_return'] * 100:.2f}%" in fast
    assert f"{table.at[PORTFOLIO, 'final_equity']:,.2f}" in data_lines[-1]


def test_format_table_no_trades_strategy_shows_na(result: OrchestratorResult) -> None:
    idle = next(
        ln for ln in report.format_table(result.comparison_table).splitlines()
        if ln.startswith("idle")
    )  # fmt: skip
    assert "n/a" in idle  # win rate of a strategy without trades has no honest value


def test_format_table_chosen_columns_in_given_order(result: OrchestratorResult) -> None:
    text = report.format_table(result.comparison_table, ["sharpe_ratio", "total_costs"])
    assert text.splitlines()[0].split() == ["Strategy", "Sharpe", "Costs"]
    wide = report.format_table(result.comparison_table, report.ALL_COLUMNS)
    assert len(wide.splitlines()[0].split()) > len(report.ALL_COLUMNS)


def test_format_table_unknown_column_raises_value_error(result: OrchestratorResult) -> None:
    with pytest.raises(ValueError, match="unknown column"):
        report.format_table(result.comparison_table, ["sharpe"])


def test_format_summary_one_line_names_the_headline_figures(result: OrchestratorResult) -> None:
    line = report.format_summary(result)
    m = result.aggregate_metrics
    assert "\n" not in line
    assert line.startswith("Portfolio: 100,000.00 -> ")
    assert f"({m.total_return * 100:.2f}%)" in line
    assert f"Sharpe {m.sharpe_ratio:.2f}" in line
    assert report.trade_counts(result)[0] == m.num_trades
    assert f", trades ({report.trades_text(result)}), " in line
    assert f"{len(result.breaches)} capital breaches" in line
    assert "2021-01-04 to " in line


# ---- CSV / JSON ---------------------------------------------------------------------------------


def test_comparison_csv_rows_strategies_plus_portfolio_exact(result: OrchestratorResult) -> None:
    frame = pd.read_csv(io.StringIO(report.comparison_csv(result)), index_col="strategy_id")
    assert list(frame.index) == [*result.strategy_ids, PORTFOLIO]
    pd.testing.assert_frame_equal(frame, result.comparison_table, check_dtype=False)


def test_equity_csv_one_column_per_strategy_and_portfolio(result: OrchestratorResult) -> None:
    frame = pd.read_csv(
        io.StringIO(report.equity_csv(result)), index_col="timestamp", parse_dates=True
    )
    assert list(frame.columns) == [*result.strategy_ids, PORTFOLIO]
    np.testing.assert_array_equal(frame.to_numpy(), result.equity_curves.to_numpy())
    assert (frame.index == result.portfolio_equity.index).all()


def test_trades_csv_one_row_per_trade_with_strategy_id(result: OrchestratorResult) -> None:
    frame = pd.read_csv(io.StringIO(report.trades_csv(result)))
    assert len(frame) == len(result.trades) > 0
    assert list(frame.columns) == list(result.trades.columns)
    assert set(frame["strategy_id"]) == {"fast", "crowded"}


def test_result_json_round_trips_into_equal_result(
    result: OrchestratorResult, spec: RunSpec
) -> None:
    data = json.loads(report.result_json(result, spec))
    assert OrchestratorResult.from_dict(data) == result
    assert RunSpec.from_dict(data["spec"]) == spec
    assert "spec" not in json.loads(report.result_json(result))


def test_write_all_writes_every_export(
    result: OrchestratorResult, spec: RunSpec, tmp_path: Path
) -> None:
    written = report.write_all(result, spec, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == sorted([
        "comparison.csv", "trades.csv", "breaches.csv", "equity.csv", "config.toml",
        "result.json", "report.html", "transfers.csv", "weights.csv", "attribution.csv",
    ])  # fmt: skip
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert RunSpec.from_toml(tmp_path / "out" / "config.toml") == spec
    breaches = pd.read_csv(tmp_path / "out" / "breaches.csv")
    assert len(breaches) == len(result.breaches) > 0


def test_write_csvs_without_spec_writes_no_config(
    result: OrchestratorResult, tmp_path: Path
) -> None:
    written = report.write_csvs(result, None, tmp_path)
    assert "config.toml" not in {p.name for p in written}
    assert not (tmp_path / "config.toml").exists()


# ---- HTML -------------------------------------------------------------------------------------

_NETWORK = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I
)


def test_html_report_embeds_plotly_and_fetches_nothing(page: str) -> None:
    assert _NETWORK.search(page) is None
    assert "<script src" not in page.lower()
    # plotly.js itself is inline (it is a few megabytes), once
    assert len(page) > 1_000_000
    assert page.count("plotly.js v") >= 1
    assert page.count("Plotly.newPlot") == 6  # four run charts, the weights and the waterfall


def test_html_report_has_every_strategy_trace(page: str, result: OrchestratorResult) -> None:
    for name in [*result.strategy_ids, PORTFOLIO]:
        assert f'"name":"{name}"' in page


def test_html_report_has_tables_and_configuration(
    page: str, result: OrchestratorResult, spec: RunSpec
) -> None:
    for heading in ("Equity curves", "Drawdown", "Correlation", "Comparison",
                    f"Trades ({report.trades_text(result)})",
                    f"Capital breaches ({len(result.breaches):,})", "Configuration"):  # fmt: skip
        assert f"<h2>{heading}" in page
    assert 'class="portfolio"' in page
    assert "sma_crossover" in page  # the TOML of the spec
    assert "[[strategies]]" in page
    assert "dropped" in page or "reduced" in page  # the breach log's actions
    table = result.comparison_table
    assert f"{table.at[PORTFOLIO, 'final_equity']:,.2f}" in page


def test_html_report_without_spec_shows_engine_configuration(result: OrchestratorResult) -> None:
    page = report.html_report(result)
    assert "no run specification was given" in page
    assert 'fill = "next_open"' in page


def test_html_report_many_trades_truncated_with_note(
    result: OrchestratorResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "MAX_HTML_TRADES", 3)
    page = report.html_report(result)
    assert f"The first 3 of {len(result.trades):,} trades" in page
    trades_part = page.split("<h2>Trades")[1].split("<h2>")[0]
    assert trades_part.count("<tr>") == 1 + 3  # header + 3 rows


def test_html_report_hostile_strategy_id_escaped() -> None:
    hostile = "</script><img src=x onerror=alert(1)>"
    strategy = _Every("x", 4)
    strategy.name = hostile
    result = StrategyOrchestrator([(strategy, 1)], 10_000).run(_data(40))
    page = report.html_report(result)
    assert hostile not in page
    assert "&lt;/script&gt;&lt;img" in page


# ---- shared labels, exports, trades on screen ----------------------------------------------------


def test_format_table_headers_are_the_columns_terminal_labels(result: OrchestratorResult) -> None:
    header = report.format_table(result.comparison_table, report.ALL_COLUMNS).splitlines()[0]
    for key, column in COLUMNS.items():
        assert column.terminal_label in header, key
    assert "Return" in header
    assert "Max DD" in header
    assert "Total return" not in header  # the short label keeps the terminal table narrow


def test_exports_offer_every_file_made_when_asked(
    result: OrchestratorResult, spec: RunSpec
) -> None:
    files = report.exports(result, spec)
    assert [f.name for f in files] == [
        "comparison.csv", "trades.csv", "equity.csv", "breaches.csv", "transfers.csv",
        "weights.csv", "attribution.csv", "result.json", "config.toml", "report.html",
    ]  # fmt: skip
    by_name = {f.name: f for f in files}
    assert by_name["trades.csv"].make() == report.trades_csv(result)
    assert by_name["config.toml"].make() == spec.to_toml()
    assert by_name["result.json"].mime == "application/json"
    assert by_name["report.html"].label == "HTML report"
    assert [f.name for f in report.exports(result, None, html=False)][-1] == "result.json"


def test_select_trades_by_strategy_and_symbol_in_entry_order(result: OrchestratorResult) -> None:
    trades = result.trades
    assert len(report.select_trades(trades)) == len(trades)
    chosen = report.select_trades(trades, ["fast"], ["BBB"])
    assert len(chosen) > 0
    assert set(chosen["strategy_id"]) == {"fast"}
    assert set(chosen["symbol"]) == {"BBB"}
    assert chosen["entry_time"].is_monotonic_increasing
    expected = trades[(trades["strategy_id"] == "fast") & (trades["symbol"] == "BBB")]
    assert len(chosen) == len(expected)


# ---- review fixes: trade counts, alignment, signed zeros, dates, data ending early --------------


class _Hold:
    """Enters at once and never exits: a position still open at the end."""

    name = "hold"

    def should_enter(self, bars: object, state: object) -> bool:
        return True

    def should_exit(self, bars: object, state: object) -> bool:
        return False


@pytest.fixture(scope="module")
def held() -> OrchestratorResult:
    return StrategyOrchestrator([(_Every("fast", 6), "0.5"), (_Hold(), "0.5")], 100_000).run(
        _data(60)
    )


def test_trade_counts_closed_and_open_agree_everywhere(held: OrchestratorResult) -> None:
    closed, still_open = report.trade_counts(held)
    assert still_open == 2  # hold keeps AAA and BBB
    assert closed + still_open == len(held.trades)
    assert closed == held.aggregate_metrics.num_trades
    text = report.trades_text(held)
    assert text == f"{closed} closed, 2 open"
    assert f"trades ({text})" in report.format_summary(held)
    page = report.html_report(held)
    assert f"<h2>Trades ({text})</h2>" in page
    assert f'<div class="v">{closed}</div><div class="s">closed, 2 open</div>' in page


def test_trades_text_without_open_positions_says_closed_only() -> None:
    result = StrategyOrchestrator([(_Every("fast", 6), "1")], 10_000).run(_data(60))
    closed, still_open = report.trade_counts(result)
    if still_open:  # the last entry may still be open; close_at_end makes sure it is not
        from orchestrator.core.models import OrchestratorConfig

        config = OrchestratorConfig(close_at_end=True)
        result = StrategyOrchestrator([(_Every("fast", 6), "1")], 10_000, config).run(_data(60))
        closed, still_open = report.trade_counts(result)
    assert still_open == 0
    assert report.trades_text(result) == f"{closed} closed"


def _headers(page: str, heading: str) -> list[tuple[str, str]]:
    """(class attribute, label) of each header cell of the table under ``heading``."""
    part = page.split(f"<h2>{heading}")[1].split("<h2>")[0]
    head = part.split("<thead>")[1].split("</thead>")[0]
    return re.findall(r"<th(?: class=\"(\w+)\")?>([^<]*)</th>", head)


def test_html_headers_aligned_like_their_columns(page: str) -> None:
    css = page.split("<style>")[1].split("</style>")[0]
    assert "th.t, td.t { text-align: left; }" in css
    assert "th:first-child" not in css  # no header aligned apart from its column
    text = {"Strategy", "Symbol", "Entry", "Exit", "Open", "Time", "Until", "Action", "Reason"}
    for heading in ("Comparison", "Trades", "Capital breaches"):
        headers = _headers(page, heading)
        assert headers, heading
        for cls, label in headers:
            assert (cls == "t") == (label in text), (heading, label)
    # and the cells under a text header are text cells too
    trades = page.split("<h2>Trades")[1].split("</tbody>")[0]
    first_row = trades.split("<tbody><tr>")[1].split("</tr>")[0]
    classes = re.findall(r"<td(?: class=\"([\w ]+)\")?>", first_row)
    labels = [label for _, label in _headers(page, "Trades")]
    for label, cls in zip(labels, classes, strict=True):
        assert (cls == "t") == (label in text), label


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-0.00", "0.00"), ("-0.00%", "0.00%"), ("-0", "0"), ("-0.01", "-0.01"),
     ("-10.00%", "-10.00%"), ("0.00", "0.00"), ("-inf", "-inf"), ("n/a", "n/a")],
)  # fmt: skip
def test_tidy_drops_the_sign_of_zero_only(text: str, expected: str) -> None:
    assert report.tidy(text) == expected


def test_negative_zero_figures_read_as_zero(result: OrchestratorResult) -> None:
    table = result.comparison_table.copy()
    table.loc[:, "calmar_ratio"] = -0.001
    table.loc[:, "cagr"] = -0.00001
    text = report.format_table(table, ("cagr", "calmar_ratio"))
    assert "-0.00" not in text
    assert "0.00%" in text
    shown = replace(result)  # a fresh copy whose comparison table is the one above
    shown.__dict__["comparison_table"] = table
    comparison = report.html_report(shown).split("<h2>Comparison")[1].split("<h2>")[0]
    assert "-0.00" not in comparison
    assert "<td>0.00%</td>" in comparison  # not red either: it reads as zero
    assert "<td>0.00</td>" in comparison


def test_html_correlation_cells_never_show_minus_zero(
    result: OrchestratorResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.report import charts

    ids = list(result.strategy_ids)
    corr = pd.DataFrame(np.eye(len(ids)), index=ids, columns=ids)
    corr.iloc[0, 1] = corr.iloc[1, 0] = -0.001  # all but uncorrelated, a hair below zero
    monkeypatch.setattr(charts, "returns_correlation", lambda _: corr)
    page = report.html_report(result)
    assert '"-0.00"' not in page
    assert '"text":[["1.00","0.00"' in page


def test_html_daily_dates_without_midnight_and_intraday_times_kept(
    result: OrchestratorResult,
) -> None:
    page = report.html_report(result)
    tables = page.split("<h2>Comparison")[1]
    assert "00:00:00" not in tables
    assert re.search(r"<td class=\"t\">2021-0\d-\d\d</td>", tables)
    # intraday bars: the time of day is shown, midnight included, for every cell alike
    index = pd.date_range("2021-01-04 00:00", periods=80, freq="30min", name="timestamp")
    frames = {s: f.set_axis(index) for s, f in _data(80).items()}
    intraday = StrategyOrchestrator([(_Every("fast", 6), "1")], 10_000).run(frames)
    tables = report.html_report(intraday).split("<h2>Trades")[1]
    assert re.search(r">2021-01-04 0\d:\d\d:00<", tables)


def test_data_end_warnings_name_symbols_that_stop_early() -> None:
    frames = _data(400)
    frames["BBB"] = frames["BBB"].iloc[:100]  # ends ~300 business days before AAA
    frames["CCC"] = frames["AAA"].iloc[:-5]  # a week short: not worth a warning
    notes = report.data_end_warnings(frames)
    end = frames["BBB"].index[-1].date()
    assert notes == [
        f"BBB: data ends {end}, 1.1 years before the run's end; open positions are marked "
        "at its last close"
    ]
    assert report.data_end_warnings({}) == []
    assert report.data_end_warnings({"AAA": frames["AAA"]}) == []


@pytest.mark.parametrize(
    ("days", "expected"), [(20, "20 days"), (90, "3 months"), (382, "1 year"), (600, "1.6 years")]
)
def test_data_end_warnings_say_the_gap_in_days_months_or_years(days: int, expected: str) -> None:
    frames = _data(5)
    late = frames["AAA"].copy()
    late.index = late.index + pd.Timedelta(days=days)
    notes = report.data_end_warnings({"AAA": late, "BBB": frames["BBB"]})
    assert notes == [
        f"BBB: data ends {frames['BBB'].index[-1].date()}, {expected} before the run's end; "
        "open positions are marked at its last close"
    ]


def test_html_report_shows_the_runs_warnings(held: OrchestratorResult) -> None:
    note = "BBB: data ends 2021-02-01, 1 year before the run's end"
    page = report.html_report(replace(held, warnings=(note,)))
    assert "<h2>Warnings</h2>" in page
    assert f"<li>{note}</li>" in page.replace("&#x27;", "'")
