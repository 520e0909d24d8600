"""Headless tests of dashboard.py with streamlit.testing.v1.AppTest.

Streamlit caches (results, parsed uploads, the demo data) live for the whole test process, so
the default configuration runs once for the module; each test builds its own AppTest.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from orchestrator.app.markdown import literal, unescape
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.core.results import PORTFOLIO
from orchestrator.data import synthetic
from orchestrator.report.comparison import COLUMN_LABELS, COMPACT, comparison_display

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
DEFAULT_IDS = [s.name for s in DEFAULT_SPEC.strategies]


def _app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    if query:
        at.query_params.update(query)
    return at.run()


def _ok(at: AppTest) -> None:
    """The page ran without an uncaught exception and shows no error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _values(array: Any) -> np.ndarray:
    """A plotly array from a figure's JSON: a list, or {"dtype", "bdata"} (plotly >= 6)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


def _trace_names(at: AppTest, chart: str = "equity_chart") -> list[str]:
    return [t["name"] for t in _charts(at)[chart]["data"]]


def _uids(at: AppTest) -> list[str]:
    return [row["uid"] for row in at.session_state["rows"]]


def _shown(elements: Any) -> str:
    """The texts of alerts as a reader sees them: user text is escaped for Markdown
    (orchestrator.app.markdown.literal), so compare what it renders to."""
    return "\n".join(unescape(e.value) for e in elements)


def _errors(at: AppTest) -> str:
    return _shown(at.error)


def _warnings(at: AppTest) -> str:
    return _shown(at.warning)


def _infos(at: AppTest) -> list[str]:
    return [unescape(i.value) for i in at.info]


def _metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def _table_with(at: AppTest, column: str) -> Any:
    """The first table on the page that has ``column`` (tables have no keys)."""
    return next(d for d in at.dataframe if column in d.value.columns)


def _comparison(at: AppTest) -> pd.DataFrame:
    """The full comparison table (under "All metrics"): every figure as the screen shows it."""
    return _table_with(at, COLUMN_LABELS["allocated_capital"]).value


def _compact(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def _column_config(table: Any) -> dict[str, Any]:
    return dict(json.loads(table.proto.columns))


def _assert_same_table(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Every figure of the core API's table, formatted as the screen shows it (the screen
    shows text: a missing value is "–", never "None" or "nan")."""
    pd.testing.assert_frame_equal(shown, comparison_display(expected), check_names=False)


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return _app()


# ---- default load -----------------------------------------------------------------------------


def test_dashboard_default_load_shows_results_without_errors(default_app: AppTest) -> None:
    at = default_app
    _ok(at)
    labels = [m.label for m in at.metric]
    for label in ("Total return", "CAGR", "Sharpe", "Max drawdown", "Final equity"):
        assert label in labels
    final = DEFAULT_SPEC.run().portfolio_equity.iloc[-1]
    assert _metric(at, "Final equity") == f"{final:,.0f}"
    assert set(_charts(at)) == {"equity_chart", "drawdown_chart", "correlation_chart",
                                "capital_chart"}  # fmt: skip
    assert at.button(key="run").disabled is False
    # The link of the run on screen is in the URL.
    assert (
        RunSpec.from_query(at.query_params).to_query() == at.session_state["applied"][0].to_query()
    )


def test_dashboard_equity_chart_one_trace_per_strategy_plus_portfolio(
    default_app: AppTest,
) -> None:
    assert _trace_names(default_app) == [PORTFOLIO, *DEFAULT_IDS]
    assert _trace_names(default_app, "drawdown_chart") == [PORTFOLIO, *DEFAULT_IDS]
    heat = _charts(default_app)["correlation_chart"]["data"][0]
    assert heat["x"] == DEFAULT_IDS


def test_dashboard_default_comparison_equals_core_api(default_app: AppTest) -> None:
    expected = DEFAULT_SPEC.run()
    _assert_same_table(_comparison(default_app), expected.comparison_table)
    portfolio = next(
        t for t in _charts(default_app)["equity_chart"]["data"] if t["name"] == PORTFOLIO
    )
    np.testing.assert_array_equal(_values(portfolio["y"]), expected.portfolio_equity.to_numpy())


def test_dashboard_trades_filter_by_strategy_and_symbol(default_app: AppTest) -> None:
    at = _app()
    trades = _table_with(at, "entry_time").value
    assert set(trades["strategy_id"]) == set(DEFAULT_IDS)
    at.multiselect(key="f_strategy").set_value(["rsi_reversion"]).run()
    assert set(_table_with(at, "entry_time").value["strategy_id"]) == {"rsi_reversion"}
    at.multiselect(key="f_symbol").set_value(["MSFT"]).run()
    shown = _table_with(at, "entry_time").value
    assert set(shown["symbol"]) == {"MSFT"}
    expected = trades[(trades["strategy_id"] == "rsi_reversion") & (trades["symbol"] == "MSFT")]
    assert len(shown) == len(expected) > 0
    breaches = _table_with(at, "requested").value
    assert breaches.columns[:3].tolist() == ["timestamp", "strategy_id", "symbol"]


def test_dashboard_trades_and_breaches_read_friendly(default_app: AppTest) -> None:
    trades = _column_config(_table_with(default_app, "entry_time"))
    assert trades["strategy_id"]["label"] == "Strategy"
    assert trades["pnl"] == {"label": "P&L", "type_config": {"type": "number", "format": "%,.2f"}}
    # Daily bars: dates without a time of day.
    assert trades["entry_time"]["type_config"]["format"] == "YYYY-MM-DD"
    breaches = _column_config(_table_with(default_app, "requested"))
    assert breaches["timestamp"]["label"] == "Time"
    assert breaches["requested"]["type_config"]["format"] == "%,.2f"


def test_dashboard_comparison_compact_columns_and_all_metrics(default_app: AppTest) -> None:
    compact = _compact(default_app)
    assert list(compact.columns) == [COLUMN_LABELS[c] for c in COMPACT]
    full = _comparison(default_app)
    assert list(full.columns) == list(COLUMN_LABELS.values())
    pd.testing.assert_frame_equal(compact, full[list(compact.columns)])
    assert "All metrics (19 columns)" in [e.label for e in default_app.expander]
    config = _column_config(default_app.dataframe[0])
    assert config["Sharpe"]["alignment"] == "right"


def test_dashboard_downloads_offered(default_app: AppTest) -> None:
    labels = [d.proto.label for d in default_app.get("download_button")]
    assert labels == [
        "Comparison CSV", "Trades CSV", "Equity curves CSV", "Breaches CSV", "Transfers CSV",
        "Weights CSV", "Attribution CSV", "Result JSON", "Configuration TOML",
    ]  # fmt: skip


def test_dashboard_percent_and_log_toggles_rescale_equity(default_app: AppTest) -> None:
    at = _app()
    at.radio(key="eq_mode").set_value("percent").run()
    layout = _charts(at)["equity_chart"]["layout"]
    assert layout["yaxis"]["tickformat"] == ".0%"
    at.checkbox(key="eq_log").check().run()
    _ok(at)
    assert _charts(at)["equity_chart"]["layout"]["yaxis"]["type"] == "log"


# ---- weights ----------------------------------------------------------------------------------


def test_dashboard_weights_over_one_error_and_run_disabled() -> None:
    at = _app()
    first = _uids(at)[0]
    at.slider(key=f"w_{first}").set_value(0.8).run()  # 0.8 + 0.3 + 0.2 = 1.3
    assert "Total weight 1.3 exceeds 1.0 by 0.3" in _errors(at)
    assert at.button(key="run").disabled
    assert any("fix them first (weights total more than 1.0)" in i for i in _infos(at))
    assert _metric(at, "Total weight") == "1.30"
    # Deliberately changed: the amount is part of the value, not a change-arrow delta.
    assert _metric(at, "Cash remainder") == "-0.30 (-30,000)"


def test_dashboard_normalise_sums_to_exactly_one_and_enables_run() -> None:
    at = _app()
    uids = _uids(at)
    at.slider(key=f"w_{uids[0]}").set_value(0.8).run()
    at.button(key="normalise").click().run()
    weights = [at.slider(key=f"w_{u}").value for u in uids]
    assert weights == [0.62, 0.23, 0.15]
    assert sum(Decimal(str(w)) for w in weights) == 1
    assert not at.error
    assert at.button(key="run").disabled is False


def test_dashboard_035_plus_065_counts_as_exactly_one() -> None:
    at = _app()
    uids = _uids(at)
    at.button(key=f"rm_{uids[2]}").click().run()
    at.slider(key=f"w_{uids[0]}").set_value(0.35)
    at.slider(key=f"w_{uids[1]}").set_value(0.65).run()
    _ok(at)
    assert _metric(at, "Total weight") == "1.00"
    assert _metric(at, "Cash remainder") == "0.00 (0)"
    assert at.button(key="run").disabled is False


def test_dashboard_cash_remainder_updates_as_slider_moves() -> None:
    at = _app()
    # 0.4 + 0.3 + 0.2 leaves 0.1 as cash; the amount shows plainly, not as a delta.
    assert _metric(at, "Cash remainder") == "0.10 (10,000)"
    assert not next(m for m in at.metric if m.label == "Cash remainder").proto.delta
    at.slider(key=f"w_{_uids(at)[1]}").set_value(0.1).run()
    assert _metric(at, "Total weight") == "0.70"
    assert _metric(at, "Cash remainder") == "0.30 (30,000)"


# ---- run, add, remove -------------------------------------------------------------------------


def test_dashboard_add_same_strategy_twice_and_run() -> None:
    at = _app()
    at.selectbox(key="add_name").set_value("sma_crossover")
    at.button(key="add").click().run()
    new = _uids(at)[-1]
    assert at.slider(key=f"w_{new}").value == pytest.approx(0.1)  # the cash that was left
    at.number_input(key=f"p_{new}_fast").set_value(5)
    at.number_input(key=f"p_{new}_slow").set_value(40).run()
    at.button(key="run").click().run()
    _ok(at)
    assert _trace_names(at) == [PORTFOLIO, *DEFAULT_IDS, "sma_crossover#2"]
    assert at.query_params["s4"] == "sma_crossover;w=0.1;fast=5;slow=40"
    expected = RunSpec.from_query(at.query_params).run()
    _assert_same_table(_comparison(at), expected.comparison_table)


def test_dashboard_settings_changed_note_until_run() -> None:
    at = _app()
    at.slider(key=f"w_{_uids(at)[0]}").set_value(0.5).run()
    assert any("press Run" in i for i in _infos(at))
    assert at.query_params["s1"].split(";")[1] == "w=0.4"  # the URL names the run on screen
    at.button(key="run").click().run()
    assert not any("press Run" in i for i in _infos(at))
    assert at.query_params["s1"].split(";")[1] == "w=0.5"


def test_dashboard_no_strategy_selected_disables_run_and_keeps_page() -> None:
    at = _app()
    for uid in _uids(at):
        at.button(key=f"rm_{uid}").click().run()
    assert at.session_state["rows"] == []
    assert at.button(key="run").disabled
    assert "no strategy selected" in at.button(key="run").help
    assert not at.exception
    assert _trace_names(at) == [PORTFOLIO, *DEFAULT_IDS]  # the last results stay on screen


def test_dashboard_invalid_parameters_error_names_strategy() -> None:
    at = _app()
    uid = _uids(at)[0]
    at.number_input(key=f"p_{uid}_fast").set_value(150).run()  # fast >= slow (100)
    assert "sma_crossover" in _errors(at)
    assert "fast" in _errors(at)
    assert at.button(key="run").disabled
    assert not at.exception


def test_dashboard_strategy_that_raises_names_strategy_symbol_and_bar(
    raising_plugin_dir: object,
) -> None:
    at = _app()
    at.selectbox(key="add_name").set_value("exploding")
    at.button(key="add").click().run()
    at.button(key="run").click().run()
    assert not at.exception
    message = _errors(at)
    assert "'exploding' raised ValueError on symbol" in message
    assert "boom on purpose" in message
    assert " at 20" in message  # the bar's timestamp
    assert at.button(key="run").disabled is False  # the page keeps working
    at.button(key=f"rm_{_uids(at)[-1]}").click().run()
    at.button(key="run").click().run()
    _ok(at)


def test_dashboard_date_range_without_data_shows_error() -> None:
    at = _app()
    at.multiselect(key="symbols").set_value(["IBM", "BTC-USD"]).run()  # 2000-2013, 2014-2020
    at.date_input(key="dates").set_value((pd.Timestamp("2015-01-05").date(),
                                          pd.Timestamp("2016-01-05").date())).run()  # fmt: skip
    at.button(key="run").click().run()
    assert not at.exception
    assert "no bars between 2015-01-05 and 2016-01-05 for IBM" in _errors(at)


def test_dashboard_short_range_warns_about_warm_up() -> None:
    at = _app()
    at.date_input(key="dates").set_value((pd.Timestamp("2010-01-04").date(),
                                          pd.Timestamp("2010-03-31").date())).run()  # fmt: skip
    at.button(key="run").click().run()
    _ok(at)
    notes = _warnings(at)
    assert "sma_crossover: AAPL has 61 bars, fewer than the 100 it needs to warm up" in notes
    assert _trace_names(at) == [PORTFOLIO, *DEFAULT_IDS]


# ---- shareable link ---------------------------------------------------------------------------


def test_dashboard_query_string_reopens_configuration() -> None:
    spec = RunSpec(
        strategies=(
            StrategySpec("ema_crossover", "0.35", {"fast": 8, "slow": 40}),
            StrategySpec("momentum", "0.65", symbols=("MSFT",), label="mom"),
        ),
        symbols=("AAPL", "MSFT"),
        start="2008-01-02",
        end="2012-12-31",
        initial_capital=50_000.0,
        commission_rate=0.001,
        slippage_bps=5.0,
        fill="close",
    )
    at = _app(spec.to_query())
    _ok(at)
    uids = _uids(at)
    assert [at.slider(key=f"w_{u}").value for u in uids] == [0.35, 0.65]
    assert at.number_input(key=f"p_{uids[0]}_fast").value == 8
    assert at.multiselect(key=f"sym_{uids[1]}").value == ["MSFT"]
    assert at.text_input(key=f"label_{uids[1]}").value == "mom"
    assert at.radio(key="fill").value == "close"
    assert _trace_names(at) == [PORTFOLIO, "ema_crossover", "mom"]
    _assert_same_table(_comparison(at), spec.run().comparison_table)
    assert RunSpec.from_query(at.query_params) == spec


def test_dashboard_bad_link_shows_error_and_default_portfolio() -> None:
    at = _app({"s1": "no_such_strategy;w=0.5", "s2": "macd;w=oops"})
    assert not at.exception
    assert "The link's configuration is invalid" in _errors(at)
    at = _app({"s1": "no_such_strategy;w=0.5", "s2": "macd;w=0.5;nope=3"})
    message = _errors(at)
    assert "Unknown strategy 'no_such_strategy'" in message
    assert "unknown parameter 'nope'" in message
    assert _trace_names(at) == [PORTFOLIO, "macd"]


def test_dashboard_link_with_extreme_values_fits_the_controls() -> None:
    query = {"commission": "0.5", "slippage": "5000", "rf": "-0.02", "s1": "macd;w=1.5"}
    at = _app(query)
    assert not at.exception
    assert "macd: weight 1.5 is outside 0 to 1; using 1" in _errors(at)
    assert at.slider(key=f"w_{_uids(at)[0]}").value == 1.0
    assert at.number_input(key="commission_pct").value == 50.0
    assert at.number_input(key="slippage").value == 5000.0
    assert at.number_input(key="rf_pct").value == -2.0
    assert _trace_names(at) == [PORTFOLIO, "macd"]


def test_dashboard_link_to_uploaded_data_asks_for_the_files() -> None:
    at = _app({"data": "upload", "s1": "macd;w=0.5"})
    assert not at.exception
    assert at.radio(key="source").value == "upload"
    assert any("no data: upload CSV or Parquet files" in i for i in _infos(at))
    assert any("This link was made from uploaded files" in i for i in _infos(at))
    assert any("upload them again" in i for i in _infos(at))


def test_dashboard_link_cannot_point_at_server_files() -> None:
    at = _app({"data": "/etc", "s1": "macd;w=0.5"})
    message = _errors(at)
    assert "'/etc'" in message
    assert "demo" in message
    assert at.radio(key="source").value == "demo"


def test_dashboard_link_dates_outside_the_data_refused_with_error() -> None:
    # ETH-USD's demo data run 2017-11-09 to 2020-01-17.
    query = {"symbols": "ETH-USD", "start": "2010-01-01", "end": "2012-01-01",
             "s1": "sma_crossover;w=0.5"}  # fmt: skip
    at = _app(query)
    assert not at.exception
    message = _errors(at)
    assert "No data in the date range 2010-01-01 to 2012-01-01" in message
    assert "ETH-USD has bars from 2017-11-09 to 2020-01-17" in message
    assert "was not run" in message
    assert not at.get("plotly_chart")  # nothing was run on a clamped one-bar range
    assert any("Press Run" in i for i in _infos(at))
    assert at.date_input(key="dates").value == (pd.Timestamp("2017-11-09").date(),
                                                pd.Timestamp("2020-01-17").date())  # fmt: skip
    # The rest of the page works: Run runs the whole data and the error goes.
    at.button(key="run").click().run()
    _ok(at)
    assert _trace_names(at) == [PORTFOLIO, "sma_crossover"]
    assert "start" not in at.query_params


def test_dashboard_link_start_after_the_data_refused() -> None:
    at = _app({"symbols": "ETH-USD", "start": "2030-01-01", "s1": "sma_crossover;w=0.5"})
    assert "No data in the date range 2030-01-01 to the end" in _errors(at)
    assert not at.get("plotly_chart")


def test_dashboard_link_dates_partly_outside_the_data_warn() -> None:
    query = {"symbols": "ETH-USD", "start": "2016-01-01", "end": "2018-06-29",
             "s1": "sma_crossover;w=0.5"}  # fmt: skip
    at = _app(query)
    _ok(at)
    notes = _warnings(at)
    assert (
        "The date range 2016-01-01 to 2018-06-29 was changed to 2017-11-09 to 2018-06-29 to fit "
        "the data: ETH-USD has bars from 2017-11-09 to 2020-01-17." in notes
    )
    assert _trace_names(at) == [PORTFOLIO, "sma_crossover"]
    assert at.query_params["end"] == "2018-06-29"


def test_dashboard_changed_symbols_keep_whole_range_and_warn_when_cut() -> None:
    at = _app({"s1": "macd;w=0.5"})  # no dates: the whole data
    at.multiselect(key="symbols").set_value(["BTC-USD"]).run()  # 2014-11-28 to 2020-01-17
    assert not any("date range" in w for w in _warnings(at).splitlines())  # the whole range follows
    assert not at.error
    assert at.date_input(key="dates").value == (pd.Timestamp("2014-11-28").date(),
                                                pd.Timestamp("2020-01-17").date())  # fmt: skip
    at.date_input(key="dates").set_value((pd.Timestamp("2015-01-05").date(),
                                          pd.Timestamp("2018-01-05").date())).run()  # fmt: skip
    at.multiselect(key="symbols").set_value(["ETH-USD"]).run()  # from 2017-11-09
    notes = _warnings(at)
    assert (
        "The date range 2015-01-05 to 2018-01-05 was changed to 2017-11-09 to 2018-01-05" in notes
    )
    at.date_input(key="dates").set_value((pd.Timestamp("2018-03-01").date(),
                                          pd.Timestamp("2018-06-01").date())).run()  # fmt: skip
    assert not any("date range" in w for w in _warnings(at).splitlines())  # the user's own change
    at.multiselect(key="symbols").set_value(["IBM"]).run()  # until 2013-03-01: no overlap
    assert "No data in the date range 2018-03-01 to 2018-06-01: IBM has bars" in _errors(at)
    assert not at.exception


def test_dashboard_one_bar_run_shows_notes_not_broken_charts() -> None:
    at = _app({"symbols": "ETH-USD", "start": "2020-01-17", "s1": "sma_crossover;w=0.5"})
    assert not at.exception
    assert not at.error
    assert not at.get("plotly_chart")
    notes = "\n".join(_infos(at))
    assert "Not enough data to chart (1 bar" in notes
    for table in (_compact(at), _comparison(at)):
        cells = set(table.to_numpy().ravel())
        assert "–" in cells  # e.g. the Sharpe ratio of one bar
        assert not cells & {"None", "nan", "NaN", None}


def test_dashboard_one_strategy_correlation_note() -> None:
    at = _app({"symbols": "AAPL", "s1": "macd;w=0.5"})
    _ok(at)
    assert "correlation_chart" not in _charts(at)
    assert {"equity_chart", "drawdown_chart", "capital_chart"} <= set(_charts(at))
    assert any("Correlation needs at least 2 strategies; this run has 1" in i.value
               for i in at.info)  # fmt: skip


def test_dashboard_link_unknown_symbol_is_named() -> None:
    at = _app({"symbols": "FOO,AAPL", "s1": "macd;w=0.5"})
    assert not at.exception
    assert not at.error
    notes = _warnings(at)
    assert "Symbol(s) FOO not in the demo dataset, so left out" in notes
    assert at.multiselect(key="symbols").value == ["AAPL"]
    assert at.query_params["symbols"] == "AAPL"


def test_dashboard_link_without_strategies_says_default_is_used() -> None:
    at = _app({"symbols": "AAPL", "start": "2010-01-04"})
    assert not at.exception
    assert "The link names no strategies" in _errors(at)
    assert _trace_names(at) == [PORTFOLIO, *DEFAULT_IDS]
    assert at.multiselect(key="symbols").value == ["AAPL"]  # the link's other settings stay
    assert at.query_params["start"] == "2010-01-04"


def test_dashboard_all_symbols_range_leaves_out_symbols_with_a_warning() -> None:
    at = _app({"start": "2018-01-02", "s1": "macd;w=0.5", "s2": "momentum;w=0.5"})
    _ok(at)
    notes = _warnings(at)
    assert "IBM left out: it has no bars from 2018-01-02 to the end" in notes
    assert _trace_names(at) == [PORTFOLIO, "macd", "momentum"]


# ---- uploads ----------------------------------------------------------------------------------


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.rename_axis("date").to_csv().encode()


def test_dashboard_good_uploads_run_on_their_symbols() -> None:
    frames = synthetic(["AAA", "BBB"], bars=400, seed=3)
    at = _app()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="uploads").set_value(
        [("AAA.csv", _csv(frames["AAA"]), "text/csv"), ("BBB.csv", _csv(frames["BBB"]), "text/csv")]
    ).run()
    assert at.multiselect(key="symbols").options == ["AAA", "BBB"]
    at.button(key="run").click().run()
    _ok(at)
    assert at.query_params["data"] == "upload"
    spec = RunSpec.from_query(at.query_params)
    expected = spec.run(data={s: frames[s] for s in ("AAA", "BBB")})
    _assert_same_table(_comparison(at), expected.comparison_table)


def test_dashboard_bad_uploads_named_and_good_file_still_used() -> None:
    frames = synthetic(["AAA"], bars=300, seed=4)
    at = _app()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="uploads").set_value([
        ("AAA.csv", _csv(frames["AAA"]), "text/csv"),
        ("empty.csv", b"", "text/csv"),
        ("broken.csv", b"Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,abc\n", "text/csv"),
        ("junk.parquet", b"not parquet at all", "application/octet-stream"),
    ]).run()  # fmt: skip
    assert not at.exception
    message = _errors(at)
    assert "empty.csv: the file is empty" in message
    assert "broken.csv" in message
    assert "line 2" in message
    assert "junk.parquet" in message
    assert at.multiselect(key="symbols").options == ["AAA"]
    at.button(key="run").click().run()
    assert not at.exception
    assert _trace_names(at) == [PORTFOLIO, *DEFAULT_IDS]


def test_dashboard_upload_link_reopens_once_the_files_are_uploaded_again() -> None:
    frames = synthetic(["AAA", "BBB"], bars=300, seed=5)
    at = _app({"data": "upload", "symbols": "BBB", "s1": "macd;w=0.5"})
    assert any("upload them again" in i for i in _infos(at))
    at.file_uploader(key="uploads").set_value(
        [("AAA.csv", _csv(frames["AAA"]), "text/csv"), ("BBB.csv", _csv(frames["BBB"]), "text/csv")]
    ).run()
    _ok(at)
    assert not any("upload them again" in i for i in _infos(at))
    assert at.multiselect(key="symbols").value == ["BBB"]  # the link's symbols, kept waiting
    assert _trace_names(at) == [PORTFOLIO, "macd"]
    assert at.query_params["symbols"] == "BBB"


def test_dashboard_only_bad_uploads_disable_run() -> None:
    at = _app()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="uploads").set_value(("empty.csv", b"  \n", "text/csv")).run()
    assert not at.exception
    assert "empty.csv: the file is empty" in _errors(at)
    assert at.button(key="run").disabled
    assert "no data" in at.button(key="run").help


# ---- user text shown literally ----------------------------------------------------------------

MARKDOWN_LABEL = "**bold** [click me](http://x.invalid) ![x](http://x.invalid/x.png)"
SHORT_LABEL = "**b** [c](http://x.invalid) ![i](http://x.invalid/i.png)"  # under any length cap


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit renders as Markdown: headings, markdown, alerts,
    captions, expander titles and widget labels."""
    texts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "error",
                                  "warning", "info", "success") for e in at.get(kind)]  # fmt: skip
    texts += [e.label for e in at.expander]
    for kind in ("slider", "number_input", "multiselect", "text_input", "checkbox", "selectbox"):
        texts += [str(w.label) for w in at.get(kind)]
    return texts


def _assert_no_markdown(texts: list[str]) -> None:
    """No Markdown link, image, emphasis or bare link survives: each character is escaped."""
    for text in texts:
        for raw in ("[click me](", "![x](", "**bold**", "[c](", "![i](", "**b**", "http://"):
            assert raw not in text, text


def test_dashboard_markdown_label_from_link_shown_literally() -> None:
    at = _app({"s1": f"sma_crossover;w=0.5;label={MARKDOWN_LABEL}"})
    assert not at.exception
    texts = _markdown_texts(at)
    _assert_no_markdown(texts)
    # The strategy's heading or, past the label length cap, the link's error quotes it.
    assert MARKDOWN_LABEL in "\n".join(unescape(t) for t in texts)


def test_dashboard_markdown_label_heading_controls_and_results_literal() -> None:
    at = _app({"s1": f"sma_crossover;w=0.5;label={SHORT_LABEL}", "s2": "macd;w=0.5"})
    _ok(at)
    texts = _markdown_texts(at)
    _assert_no_markdown(texts)
    # The label is the strategy's heading and names its controls, exactly as typed.
    assert f"**{literal(SHORT_LABEL)}**" in texts
    assert f"Weight of {literal(SHORT_LABEL)}" in texts
    assert f"Symbols of {literal(SHORT_LABEL)}" in texts
    # Tables and charts show it as plain text (no Markdown there).
    assert SHORT_LABEL in set(_table_with(at, "entry_time").value["strategy_id"])
    assert _trace_names(at) == [PORTFOLIO, SHORT_LABEL, "macd"]


def test_dashboard_markdown_in_typed_label_shown_literally() -> None:
    at = _app()
    uid = _uids(at)[0]
    at.text_input(key=f"label_{uid}").input(SHORT_LABEL).run()
    assert not at.exception
    assert f"**{literal(SHORT_LABEL)}**" in _markdown_texts(at)
    assert f"Weight of {literal(SHORT_LABEL)}" in _markdown_texts(at)
    at.button(key="run").click().run()
    _ok(at)
    assert _trace_names(at)[1] == SHORT_LABEL


def test_dashboard_markdown_in_upload_file_name_shown_literally() -> None:
    name = "**bold** [click me](http://x.invalid).csv"
    at = _app()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="uploads").set_value((name, b"", "text/csv")).run()
    assert not at.exception
    _assert_no_markdown(_markdown_texts(at))
    assert f"{name}: the file is empty" in _errors(at)


def test_dashboard_markdown_in_link_symbol_shown_literally() -> None:
    at = _app({"symbols": "![x](http://x.invalid/x.png),AAPL", "s1": "macd;w=0.5"})
    assert not at.exception
    _assert_no_markdown(_markdown_texts(at))
    shown = _warnings(at) + _errors(at)
    assert "![x](http://x.invalid/x.png)" in shown
    assert at.multiselect(key="symbols").value == ["AAPL"]
