"""Strategy Orchestrator dashboard: choose data and strategies, weigh them, run, compare.

Run with ``streamlit run dashboard.py``; plug-in strategies come from a folder given as
``streamlit run dashboard.py -- --plugins FOLDER`` or by the environment variable
ORCHESTRATOR_PLUGINS. UI only: a run is :meth:`orchestrator.spec.RunSpec.run`, the form's
rules are :mod:`orchestrator.form`, weight arithmetic :mod:`orchestrator.weights`, uploads
:mod:`orchestrator.uploads`, figures :mod:`orchestrator.charts`, the comparison table's labels
and formats :mod:`orchestrator.comparison`, and the downloads :mod:`orchestrator.report`. The
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

from orchestrator import form, report
from orchestrator.catalogue import load_catalogue, plugin_folder
from orchestrator.charts import capital_figure, correlation_figure, drawdown_figure, equity_figure
from orchestrator.comparison import COLUMNS, format_comparison, format_value, headline_figures
from orchestrator.data import DEMO_NOTICE, load_demo
from orchestrator.errors import OrchestratorError
from orchestrator.links import is_link, share_query, spec_from_link
from orchestrator.results import OrchestratorResult
from orchestrator.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.uploads import Upload, parse_uploads, uploads_key
from orchestrator.weights import check_weights, normalise_weights, to_weight

Frames = dict[str, pd.DataFrame]
FILL_LABELS = {"next_open": "Next bar's open", "close": "This bar's close"}
SOURCE_LABELS = {"demo": "Demo dataset", "upload": "Uploaded files"}
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
    errors are cached too (see :func:`orchestrator.form.run_outcome`)."""
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
    S.symbols = [s for s in S.get("symbols", []) if s in options]
    symbols = st.multiselect("Symbols", options, key="symbols", placeholder="All symbols")
    chosen = [frames[s] for s in (symbols or options) if len(frames[s])] if frames else []
    if not chosen:
        return {}
    lo = min(f.index[0] for f in chosen).date()
    hi = max(f.index[-1] for f in chosen).date()
    fitted = form.fit_dates(S.get("dates"), lo, hi)
    if S.get("dates") != fitted:
        S.dates = fitted
    picked = st.date_input(
        "Date range",
        value=(lo, hi),
        min_value=lo,
        max_value=hi,
        key="dates",
        help="Limited to the selected symbols' data",
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


def strategy_controls(options: list[str]) -> tuple[list[StrategySpec], list[str]]:
    """Draw one box per strategy; return their specs and the errors of invalid ones."""
    st.header("Strategies")
    specs, errors = [], []
    labels = [(S.get(f"label_{row['uid']}") or "").strip() or row["name"] for row in S.rows]
    for row, sid in zip(list(S.rows), form.strategy_ids(labels), strict=True):
        uid, name = row["uid"], row["name"]
        with st.container(border=True):
            st.markdown(f"**{sid}** · {CATALOGUE.describe(name)}")
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
    return specs, errors


def weight_summary(specs: list[StrategySpec], capital: float) -> bool:
    """Show the total weight and the cash remainder; return whether the weights can run."""
    check = check_weights([s.weight for s in specs])
    c1, c2 = st.columns(2)
    c1.metric("Total weight", f"{check.total:.2f}")
    c2.metric(
        "Cash remainder",
        f"{check.cash:.2f}",
        f"{float(check.cash) * capital:,.0f}",
        delta_color="off",
    )
    if check.message:
        st.error(check.message)
    st.button(
        "Normalise to 100%",
        key="normalise",
        on_click=normalise,
        disabled=not specs,
        help="Scale the weights so that they sum to exactly 1.0",
    )
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
        st.dataframe(
            trades,
            hide_index=True,
            column_config={
                "return_pct": st.column_config.NumberColumn("return", format="percent"),
                "pnl": st.column_config.NumberColumn(format="%.2f"),
            },
        )
    with breaches_tab:
        breaches = result.breaches
        if len(breaches):
            st.caption(f"{len(breaches):,} orders wanted more capital than their strategy had")
            st.dataframe(breaches, hide_index=True)
        else:
            st.success("No capital breaches: every order fitted its strategy's capital.")


def show_results(result: OrchestratorResult, spec: RunSpec, seconds: float) -> None:
    if result.warnings:  # e.g. a symbol with fewer bars than a strategy's warm-up
        st.warning("\n".join(f"- {note}" for note in result.warnings))
    headline(result)
    c1, c2, c3 = st.columns([2, 1, 3], vertical_alignment="center")
    mode = c1.radio(
        "Equity shown as",
        ["currency", "percent"],
        key="eq_mode",
        horizontal=True,
        format_func={"currency": "Currency", "percent": "% return"}.get,
    )
    log = c2.checkbox("Log scale", key="eq_log")
    c3.caption(
        f"{len(result.strategy_ids)} strategies, {len(result.portfolio_equity):,} bars; "
        f"backtest computed in {seconds:.2f} s"
    )
    shown = cast(Literal["currency", "percent"], mode)
    st.plotly_chart(equity_figure(result, mode=shown, log=log), key="equity_chart", theme=None)
    st.subheader("Comparison")
    table = result.comparison_table
    st.dataframe(format_comparison(table), height=35 * (len(table) + 1) + 3)
    left, right = st.columns(2)
    left.plotly_chart(drawdown_figure(result), key="drawdown_chart", theme=None)
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


def main() -> None:
    init_state()
    with st.sidebar:
        frames, data_key, settings = data_controls()
        options = list(settings["symbols"] or (sorted(frames) if frames else []))
        specs, row_errors = strategy_controls(options)
        uses_plugins = any(s.name in CATALOGUE.plugins for s in specs)
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
        weights_ok = weight_summary(specs, float(settings["initial_capital"]))
        invalid = bool(row_errors) or current is None
        why = form.blocker(len(specs), weights_ok, frames is not None, invalid)
        clicked = st.button(
            "Run",
            key="run",
            type="primary",
            disabled=why is not None,
            help=f"Disabled: {why}" if why else "Run this configuration",
        )
    if current is not None and why is None and (clicked or S.applied is None):
        S.applied = (current, data_key)
        if clicked:
            S.link_errors = []
    st.title("Strategy Orchestrator")
    for message in S.link_errors:
        st.error(message)
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
