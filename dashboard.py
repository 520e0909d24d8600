"""Strategy Orchestrator dashboard: choose data and strategies, weigh them, run, compare.

Run with ``streamlit run dashboard.py``; plug-in strategies come from a folder given as
``streamlit run dashboard.py -- --plugins FOLDER`` or by the environment variable
ORCHESTRATOR_PLUGINS. UI only: a run is :meth:`orchestrator.app.spec.RunSpec.run`, the
form's rules are :mod:`orchestrator.app.form`, weight arithmetic :mod:`orchestrator.core.weights`,
uploads :mod:`orchestrator.app.uploads`, figures :mod:`orchestrator.report.charts`, the
comparison table's labels and formats :mod:`orchestrator.report.comparison`, and the downloads
:mod:`orchestrator.report`. The
configuration whose results are on screen lives in the URL query string
(:meth:`RunSpec.to_query`), so a copied link reopens the same run.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from functools import partial
from typing import Any, Literal, cast
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from orchestrator import report
from orchestrator.app import form
from orchestrator.app.catalogue import load_catalogue, plugin_folder
from orchestrator.app.links import is_link, share_query, spec_from_link
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.app.uploads import Upload, parse_uploads, uploads_key
from orchestrator.core.results import OrchestratorResult
from orchestrator.core.weights import cash_text, check_weights, normalise_weights, to_weight
from orchestrator.data import DEMO_NOTICE, load_demo
from orchestrator.errors import OrchestratorError
from orchestrator.report.charts import (
    capital_figure,
    chart_note,
    correlation_figure,
    correlation_note,
    drawdown_figure,
    equity_figure,
)
from orchestrator.report.comparison import (
    COLUMNS,
    COMPACT,
    comparison_view,
    format_value,
    headline_figures,
    table_column,
)

Frames = dict[str, pd.DataFrame]
FILL_LABELS = {"next_open": "Next bar's open", "close": "This bar's close"}
SOURCE_LABELS = {"demo": "Demo dataset", "upload": "Uploaded files"}
SIDEBAR_METRIC_CSS = '[data-testid="stSidebar"] [data-testid="stMetricValue"] {font-size: 1.35rem;}'
# Number formats of the table kinds (orchestrator.report.comparison.TableColumn) on screen.
NUMBER_FORMATS = {"money": "%,.2f", "percent": "percent", "count": "%,d", "number": None}
S = st.session_state

st.set_page_config(page_title="Strategy Orchestrator", page_icon="📈", layout="wide")


CATALOGUE = load_catalogue(plugin_folder(sys.argv[1:], os.environ))


# ---- cached work ------------------------------------------------------------------------------


@st.cache_data(show_spinner="Loading the demo dataset…")
def demo_frames() -> Frames:
    return load_demo()


@st.cache_data(show_spinner="Reading the uploaded files…", max_entries=8)
def parse_files(files: tuple[tuple[str, bytes], ...]) -> tuple[Frames, list[str]]:
    parsed = parse_uploads([Upload(name, content) for name, content in files])
    return parsed.frames, parsed.errors


@st.cache_data(show_spinner="Running the backtest…", max_entries=32)
def run_cached(
    key: str, _spec: RunSpec, _frames: Frames | None
) -> tuple[OrchestratorResult | None, str | None, float]:
    """Run once per configuration ``key`` (the spec's query form + the data's identity);
    errors are cached too (see :func:`orchestrator.app.form.run_outcome`)."""
    return form.run_outcome(_spec, _frames)


# ---- session state: rows of strategies, set from a spec ------------------------------------------


def new_row(name: str) -> str:
    S.next_uid = S.get("next_uid", 0) + 1
    uid = f"r{S.next_uid}"
    S.rows.append({"uid": uid, "name": name})
    for p in CATALOGUE.param_specs(name):
        S[f"p_{uid}_{p.name}"] = p.kind(p.default)
    return uid


def apply_spec(spec: RunSpec) -> None:
    """Set every control's state from ``spec`` (before the controls are drawn)."""
    S.update(form.control_values(spec))
    S.rows = []
    for s in spec.strategies:
        uid = new_row(s.name)
        S[f"w_{uid}"] = float(Decimal(s.weight))
        S[f"sym_{uid}"] = list(s.symbols or [])
        S[f"label_{uid}"] = s.label or ""
        for key, value in s.params.items():
            S[f"p_{uid}_{key}"] = value


def init_state() -> None:
    """On a session's first run: the link's configuration (made safe), else the default."""
    if "rows" in S:
        return
    query = st.query_params.to_dict()
    if is_link(query):
        spec, S.link_errors = spec_from_link(
            query, {n: partial(CATALOGUE.param_specs, n) for n in CATALOGUE.classes}
        )
    else:
        spec, S.link_errors = DEFAULT_SPEC, []
    apply_spec(spec)
    S.applied = None
    S.notices = {}
    S.hold = False  # True: the link's run was refused (its dates miss the data)
    if spec.data == "upload":
        S.notices["upload"] = (
            "info",
            "This link was made from uploaded files, which a link cannot carry: upload them "
            "again (Data → Uploaded files) to reopen its run.",
        )
        if spec.symbols:  # chosen again once the files are there
            S.pending_symbols = list(spec.symbols)


def row_weights() -> list[Decimal]:
    return [to_weight(S[f"w_{row['uid']}"]) for row in S.rows]


# ---- callbacks (run before the script, so they may set widget state) ---------------------------


def add_strategy() -> None:
    remaining = check_weights(row_weights()).cash
    uid = new_row(S.add_name)
    S[f"w_{uid}"] = float(min(max(remaining, Decimal(0)), Decimal(1)))


def remove_strategy(uid: str) -> None:
    S.rows = [r for r in S.rows if r["uid"] != uid]


def normalise() -> None:
    for row, w in zip(S.rows, normalise_weights(row_weights()), strict=True):
        S[f"w_{row['uid']}"] = float(w)


# ---- sidebar ----------------------------------------------------------------------------------


def data_controls() -> tuple[Frames | None, str, dict[str, Any]]:
    """Draw the data and cost controls; return the frames, the data key and the run settings."""
    st.header("Data")
    source = st.radio(
        "Data",
        list(SOURCE_LABELS),
        format_func=SOURCE_LABELS.get,
        key="source",
        horizontal=True,
        label_visibility="collapsed",
    )
    frames, data_key = (demo_frames(), "demo") if source == "demo" else upload_controls()
    dates = range_controls(frames)
    cost_controls()
    return frames, data_key, {**form.run_settings(S), **dates}


def upload_controls() -> tuple[Frames | None, str]:
    """The uploader; return the frames of the files that loaded (None if none) and their key."""
    files = st.file_uploader(
        "CSV or Parquet files",
        type=["csv", "txt", "tsv", "parquet", "pq"],
        accept_multiple_files=True,
        key="uploads",
        help="One file per symbol (named e.g. AAPL.csv) or one long file with a ticker "
        "column; columns date, open, high, low, close and optionally volume.",
    )
    pairs = tuple((f.name, f.getvalue()) for f in files or [])
    frames, errors = parse_files(pairs) if pairs else ({}, [])
    for message in errors:
        st.error(message)
    if not frames:
        st.info("Upload at least one CSV or Parquet file of daily or intraday bars.")
    return frames or None, uploads_key([Upload(n, c) for n, c in pairs])


def range_controls(frames: Frames | None) -> dict[str, str | None]:
    """The symbols and the date range (within the chosen symbols' data); return the run's
    ``start`` and ``end`` settings (none without data)."""
    options = sorted(frames) if frames else []
    wanted = list(S.get("symbols", []))
    if frames:
        wanted = S.pop("pending_symbols", None) or wanted
        missing = [s for s in wanted if s not in options]
        if missing:
            where = "demo dataset" if S.source == "demo" else "uploaded files"
            S.notices["symbols"] = (
                "warning",
                f"Symbol(s) {', '.join(missing)} not in the {where}, so left out; "
                f"available: {', '.join(options)}.",
            )
        S.symbols = [s for s in wanted if s in options]
    else:
        S.symbols = []
    symbols = st.multiselect("Symbols", options, key="symbols", placeholder="All symbols")
    names = [s for s in (symbols or options) if len(frames[s])] if frames else []
    if not frames or not names:
        return {}
    chosen = [frames[s] for s in names]
    lo = min(f.index[0] for f in chosen).date()
    hi = max(f.index[-1] for f in chosen).date()
    stored = form.open_ends(S.get("dates"), S.get("date_bounds"))
    fit = form.fit_date_range(stored, lo, hi, form.data_span_name(names))
    S.date_bounds = (lo, hi)
    if fit.note:
        S.notices["dates"] = ("warning" if fit.overlaps else "error", fit.note)
        # A range that misses the data is not run, even from a link: the user chooses.
        S.hold = S.hold or (not fit.overlaps and S.applied is None)
    if S.get("dates") != fit.dates:
        S.dates = fit.dates
    picked = st.date_input(
        "Date range",
        value=(lo, hi),
        min_value=lo,
        max_value=hi,
        key="dates",
        help="Limited to the selected symbols' data",
        on_change=lambda: S.notices.pop("dates", None),
    )
    return form.date_settings(picked, lo, hi)


def cost_controls() -> None:
    st.header("Capital and costs")
    st.number_input("Initial capital", min_value=1.0, step=1000.0, format="%.2f", key="capital")
    c1, c2 = st.columns(2)
    c1.number_input(
        "Commission (% of notional)",
        min_value=0.0,
        max_value=99.99,
        step=0.01,
        format="%.3f",
        key="commission_pct",
    )
    c2.number_input("Slippage (bps)", min_value=0.0, max_value=9999.0, step=0.5, key="slippage")
    with st.expander("More costs and execution options"):
        st.number_input(
            "Commission per share", min_value=0.0, step=0.001, format="%.4f", key="per_share"
        )
        st.number_input(
            "Minimum commission per order", min_value=0.0, step=0.5, key="min_commission"
        )
        st.number_input(
            "Risk-free rate (% a year)", min_value=-99.0, max_value=99.0, step=0.1, key="rf_pct"
        )
        st.checkbox("Fractional quantities (crypto)", key="fractional")
        st.checkbox("Close positions at the end", key="close_at_end")
    fills = list(FILL_LABELS)
    st.radio("Fill orders at", fills, format_func=FILL_LABELS.get, key="fill", horizontal=True)


def param_control(uid: str, sid: str, p: Any) -> int | float | bool:
    """A control for one declared parameter (``strategies.ParamSpec``): range, step, help."""
    key, label = f"p_{uid}_{p.name}", p.name.replace("_", " ")
    if p.kind is bool:
        return bool(st.checkbox(label, key=key, help=p.help))
    value = st.number_input(f"{label} ({sid})", key=key, help=p.help, **form.number_options(p))
    return int(value) if p.kind is int else float(value)


def strategy_controls(options: list[str]) -> tuple[list[StrategySpec], list[str], Any]:
    """Draw one box per strategy; return their specs, the errors of invalid ones, and an
    empty container at the top of the section for the weight summary and Run (filled once
    every control is read, but shown above the boxes, in view while a slider moves)."""
    st.header("Strategies")
    top = st.container()
    specs, errors = [], []
    labels = [(S.get(f"label_{row['uid']}") or "").strip() or row["name"] for row in S.rows]
    for row, sid in zip(list(S.rows), form.strategy_ids(labels), strict=True):
        uid, name = row["uid"], row["name"]
        with st.container(border=True):
            st.markdown(f"**{sid}**", help=CATALOGUE.describe(name))
            weight = st.slider(
                f"Weight of {sid}", 0.0, 1.0, step=0.01, format="%.2f", key=f"w_{uid}"
            )
            params: dict[str, int | float | bool] = {}
            with st.expander("Parameters and symbols"):
                for p in CATALOGUE.param_specs(name):
                    value = param_control(uid, sid, p)
                    if value != p.kind(p.default):
                        params[p.name] = value
                S[f"sym_{uid}"] = [s for s in S.get(f"sym_{uid}", []) if s in options]
                symbols = st.multiselect(
                    f"Symbols of {sid}",
                    options,
                    key=f"sym_{uid}",
                    placeholder="All selected symbols",
                )
                label = st.text_input("Label (strategy id)", key=f"label_{uid}", placeholder=name)
            st.button("Remove", key=f"rm_{uid}", on_click=remove_strategy, args=(uid,))
            error = CATALOGUE.check(name, params, symbols, label.strip() or None)
            if error:
                st.error(error)
                errors.append(error)
        specs.append(
            StrategySpec(
                name, str(to_weight(weight)), params, tuple(symbols) or None, label.strip() or None
            )
        )
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.selectbox(
        "Add a strategy",
        sorted(CATALOGUE.classes),
        key="add_name",
        format_func=lambda n: f"{n} — {CATALOGUE.describe(n)}",
    )
    c2.button("Add", key="add", on_click=add_strategy)
    return specs, errors, top


def weight_summary(specs: list[StrategySpec], capital: float) -> bool:
    """Show the total weight and the cash remainder; return whether the weights can run."""
    check = check_weights([s.weight for s in specs])
    # The sidebar is narrow: smaller figures, so that "0.10 (10,000)" shows whole.
    st.html(f"<style>{SIDEBAR_METRIC_CSS}</style>")
    c1, c2 = st.columns([2, 3])
    c1.metric("Total weight", f"{check.total:.2f}")
    c2.metric("Cash remainder", cash_text(check, capital))
    if check.message:
        st.error(check.message)
    return check.ok


# ---- results ----------------------------------------------------------------------------------


def headline(result: OrchestratorResult) -> None:
    figures = headline_figures(result)
    *firsts, last = st.columns(5)
    keys = ("total_return", "cagr", "sharpe_ratio", "max_drawdown")
    for col, key in zip(firsts, keys, strict=True):
        col.metric(COLUMNS[key].label, format_value(figures[key], COLUMNS[key].kind, unicode=True))
    final = figures["final_equity"]
    delta = f"{final - result.initial_capital:+,.0f}"
    last.metric(COLUMNS["final_equity"].label, f"{final:,.0f}", delta)


def table_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Column settings of a trades or breaches table from each column's header and kind
    (:func:`orchestrator.report.comparison.table_column`): dates without a time of day for
    daily bars, money with thousands separators and 2 decimals, returns in percent."""
    config: dict[str, Any] = {}
    for col in frame.columns:
        column = table_column(str(col), frame[col])
        label, kind = column.header, column.kind
        if kind == "date":
            fmt = form.time_format(frame[col])
            config[col] = st.column_config.DatetimeColumn(label, format=fmt)
        elif kind in NUMBER_FORMATS:
            config[col] = st.column_config.NumberColumn(label, format=NUMBER_FORMATS[kind])
        elif kind == "flag":
            config[col] = st.column_config.CheckboxColumn(label)
        else:
            config[col] = st.column_config.Column(label)
    return config


def trades_and_breaches(result: OrchestratorResult) -> None:
    trades_tab, breaches_tab = st.tabs(["Trades", "Capital breaches"])
    with trades_tab:
        c1, c2 = st.columns(2)
        by_strategy = c1.multiselect(
            "Filter trades by strategy",
            result.strategy_ids,
            key="f_strategy",
            placeholder="All strategies",
        )
        by_symbol = c2.multiselect(
            "Filter trades by symbol",
            sorted(result.trades["symbol"].unique()),
            key="f_symbol",
            placeholder="All symbols",
        )
        trades = report.select_trades(result.trades, by_strategy, by_symbol)
        st.caption(f"{len(trades):,} of {len(result.trades):,} trades")
        st.dataframe(trades, hide_index=True, column_config=table_columns(trades))
    with breaches_tab:
        breaches = result.breaches
        if len(breaches):
            st.caption(f"{len(breaches):,} orders wanted more capital than their strategy had")
            st.dataframe(breaches, hide_index=True, column_config=table_columns(breaches))
        else:
            st.success("No capital breaches: every order fitted its strategy's capital.")


def comparison(result: OrchestratorResult) -> None:
    """The comparison table: the columns that fit, and every column one click away."""
    table = result.comparison_table
    height = 35 * (len(table) + 1) + 3
    compact, full = comparison_view(table, COMPACT), comparison_view(table)
    st.dataframe(compact, height=height, column_config=text_columns(compact.columns))
    with st.expander(f"All metrics ({len(table.columns)} columns)"):
        st.dataframe(full, height=height, column_config=text_columns(full.columns))


def text_columns(columns: pd.Index) -> dict[str, Any]:
    """Formatted figures are text: right-aligned, like numbers."""
    return {str(c): st.column_config.TextColumn(str(c), alignment="right") for c in columns}


def charts(result: OrchestratorResult) -> None:
    """The equity, drawdown, correlation and capital charts, or notes saying why not."""
    note = chart_note(result)
    if note:
        st.info(note)
        return
    c1, c2 = st.columns([2, 4], vertical_alignment="center")
    mode = c1.radio(
        "Equity shown as",
        ["currency", "percent"],
        key="eq_mode",
        horizontal=True,
        format_func={"currency": "Currency", "percent": "% return"}.get,
    )
    log = c2.checkbox("Log scale", key="eq_log")
    shown = cast(Literal["currency", "percent"], mode)
    st.plotly_chart(equity_figure(result, mode=shown, log=log), key="equity_chart", theme=None)


def show_results(result: OrchestratorResult, spec: RunSpec, seconds: float) -> None:
    if result.warnings:  # e.g. a symbol with fewer bars than a strategy's warm-up
        st.warning("\n".join(f"- {note}" for note in result.warnings))
    headline(result)
    strategies, bars = len(result.strategy_ids), len(result.portfolio_equity)
    st.caption(
        f"{strategies} strateg{'y' if strategies == 1 else 'ies'}, {bars:,} "
        f"bar{'' if bars == 1 else 's'}; backtest computed in {seconds:.2f} s"
    )
    charts(result)
    st.subheader("Comparison")
    comparison(result)
    if not chart_note(result):
        left, right = st.columns(2)
        left.plotly_chart(drawdown_figure(result), key="drawdown_chart", theme=None)
        note = correlation_note(result)
        if note:
            right.markdown("**Correlation of daily returns**")
            right.info(note)
        else:
            right.plotly_chart(correlation_figure(result), key="correlation_chart", theme=None)
        st.plotly_chart(capital_figure(result), key="capital_chart", theme=None)
    trades_and_breaches(result)
    st.subheader("Downloads")  # the files `orchestrator run --out` writes, made when clicked
    files = report.exports(result, spec, html=False)
    for col, file in zip(st.columns(len(files)), files, strict=True):
        col.download_button(
            file.label,
            file.make,
            file_name=file.name,
            mime=file.mime,
            on_click="ignore",
            key=f"dl_{file.name}",
        )


# ---- the page ---------------------------------------------------------------------------------


def run_controls(
    specs: list[StrategySpec], row_errors: list[str], has_data: bool, settings: dict[str, Any]
) -> tuple[RunSpec | None, str | None, bool]:
    """The weight summary, any configuration error, Normalise and Run; return the
    configuration (None when invalid), why it cannot run (None when it can) and whether Run
    was clicked."""
    uses_plugins = any(s.name in CATALOGUE.plugins for s in specs)
    weights_ok = weight_summary(specs, float(settings["initial_capital"]))
    if CATALOGUE.error:
        st.error(CATALOGUE.error)
    try:
        current: RunSpec | None = RunSpec(
            strategies=tuple(specs),
            **settings,
            plugin_dir=CATALOGUE.plugin_dir if uses_plugins else None,
        )
    except OrchestratorError as exc:
        st.error(str(exc))
        current = None
    invalid = bool(row_errors) or current is None
    why = form.blocker(len(specs), weights_ok, has_data, invalid)
    st.button(
        "Normalise to 100%",
        key="normalise",
        on_click=normalise,
        disabled=not specs,
        help="Scale the weights so that they sum to exactly 1.0",
    )
    clicked = st.button(
        "Run",
        key="run",
        type="primary",
        disabled=why is not None,
        help=f"Disabled: {why}" if why else "Run this configuration",
        width="stretch",
    )
    return current, why, clicked


def show_notices() -> None:
    """The link's corrections and the notes on settings changed to fit the data."""
    for message in S.link_errors:
        st.error(message)
    show = {"error": st.error, "warning": st.warning, "info": st.info}
    for level, message in S.notices.values():
        show[level](message)


def main() -> None:
    init_state()
    with st.sidebar:
        frames, data_key, settings = data_controls()
        if frames:  # the uploaded files are back
            S.notices.pop("upload", None)
        options = list(settings["symbols"] or (sorted(frames) if frames else []))
        specs, row_errors, top = strategy_controls(options)
        with top:
            current, why, clicked = run_controls(specs, row_errors, frames is not None, settings)
    if clicked:
        S.link_errors, S.notices, S.hold = [], {}, False
    if current is not None and why is None and (clicked or (S.applied is None and not S.hold)):
        S.applied = (current, data_key)
    st.title("Strategy Orchestrator")
    show_notices()
    if S.applied is None:
        st.info(
            f"Fix the configuration in the sidebar ({why}), then press Run."
            if why
            else "Press Run to see results."
        )
        return
    spec, key = S.applied
    query, link = spec.to_query(), share_query(spec)
    if st.query_params.to_dict() != link:
        st.query_params.from_dict(link)
    if current is None or current.to_query() != query or key != data_key:
        then = f"fix them first ({why}), then press Run" if why else "press Run to update"
        st.info(f"The settings changed since these results were computed: {then}.")
    if spec.data == "demo":
        st.caption(DEMO_NOTICE)
    run_frames = frames if key == data_key else demo_frames() if key == "demo" else None
    cache_key = json.dumps({"spec": query, "data": key}, sort_keys=True)
    result, error, seconds = run_cached(cache_key, spec, run_frames)
    if error or result is None:
        st.error(error or "The run gave no result.")
        return
    try:
        show_results(result, spec, seconds)
    except Exception as exc:  # a display bug must not take the page (and the sidebar) down
        st.error(f"Could not show the results: {type(exc).__name__}: {exc}")
    with st.expander("Share this run"):
        st.write("The address in your browser's address bar reopens this configuration.")
        st.code("?" + urlencode(link), language=None)


main()
