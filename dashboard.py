"""Strategy Orchestrator dashboard: choose data and strategies, weigh them, run, compare.

Run with ``streamlit run dashboard.py``; plug-in strategies come from a folder given as
``streamlit run dashboard.py -- --plugins FOLDER`` or by the environment variable
ORCHESTRATOR_PLUGINS. Widgets only: a run is :meth:`orchestrator.app.spec.RunSpec.run`, the
form's rules are :mod:`orchestrator.app.form`, the session's keys, rows, fitted symbols and
dates and the applied/stale/hold decision :mod:`orchestrator.app.session`, user text shown
literally :mod:`orchestrator.app.markdown`, weight arithmetic :mod:`orchestrator.core.weights`,
uploads :mod:`orchestrator.app.uploads`, and the results on screen :mod:`orchestrator.ui.results`
(figures, tables and downloads from :mod:`orchestrator.report`). The configuration whose
results are on screen lives in the URL query string (:meth:`RunSpec.to_query`), so a copied
link reopens the same run.
"""

from __future__ import annotations

import json
import os
import sys
from functools import partial
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from orchestrator.app import form, session, sweep_link
from orchestrator.app.adopt import run_requested
from orchestrator.app.catalogue import load_catalogue, plugin_folder
from orchestrator.app.links import is_link, share_query, spec_from_link
from orchestrator.app.markdown import literal
from orchestrator.app.session import RowKeys
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.app.uploads import Upload, parse_uploads, uploads_key
from orchestrator.core.results import OrchestratorResult
from orchestrator.core.weights import cash_text, check_weights, to_weight
from orchestrator.data import DEMO_NOTICE, load_demo
from orchestrator.errors import OrchestratorError
from orchestrator.ui.alerts import say
from orchestrator.ui.rebalance import rebalance_controls
from orchestrator.ui.views import show_views

Frames = dict[str, pd.DataFrame]
FILL_LABELS = {"next_open": "Next bar's open", "close": "This bar's close"}
SOURCE_LABELS = {"demo": "Demo dataset", "upload": "Uploaded files"}
SIDEBAR_METRIC_CSS = '[data-testid="stSidebar"] [data-testid="stMetricValue"] {font-size: 1.35rem;}'
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


# ---- session state and callbacks (callbacks run before the script, so they may set widget state)


def init_state() -> None:
    """On a session's first run: the link's configuration (made safe), else the default."""
    if "rows" in S:
        return
    query = st.query_params.to_dict()
    if is_link(query):
        params = {n: partial(CATALOGUE.param_specs, n) for n in CATALOGUE.classes}
        spec, errors = spec_from_link(query, params)
    else:
        spec, errors = DEFAULT_SPEC, []
    session.start_session(S, spec, errors, CATALOGUE.param_specs)
    sweep_link.remember(S, query, spec, CATALOGUE.param_specs)  # a link's sweep, checked


def add_strategy() -> None:
    session.add_row(S, S.add_name, CATALOGUE.param_specs(S.add_name))


def remove_strategy(uid: str) -> None:
    session.remove_row(S, uid)


def normalise() -> None:
    session.normalise_rows(S)


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
    rebalance_controls()
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
        say("error", message)
    if not frames:
        st.info("Upload at least one CSV or Parquet file of daily or intraday bars.")
    return frames or None, uploads_key([Upload(n, c) for n, c in pairs])


def range_controls(frames: Frames | None) -> dict[str, str | None]:
    """The symbols and the date range (within the chosen symbols' data), fitted to the data
    with notices (:mod:`orchestrator.app.session`); return the run's ``start`` and ``end``
    settings (none without data)."""
    where = "demo dataset" if S.source == "demo" else "uploaded files"
    session.fit_symbols(S, sorted(frames) if frames else None, where)
    options = sorted(frames) if frames else []
    symbols = st.multiselect("Symbols", options, key="symbols", placeholder="All symbols")
    span = session.data_span(frames, symbols) if frames else None
    if span is None:
        return {}
    names, lo, hi = span
    session.fit_dates(S, names, lo, hi)
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
    key, label = RowKeys(uid).param(p.name), p.name.replace("_", " ")
    tip = literal(p.help) if p.help else None
    if p.kind is bool:
        return bool(st.checkbox(literal(label), key=key, help=tip))
    options = form.number_options(p)
    value = st.number_input(literal(f"{label} ({sid})"), key=key, help=tip, **options)
    return int(value) if p.kind is int else float(value)


def strategy_controls(options: list[str]) -> tuple[list[StrategySpec], list[str], Any]:
    """Draw one box per strategy; return their specs, the errors of invalid ones, and an
    empty container at the top of the section for the weight summary and Run (filled once
    every control is read, but shown above the boxes, in view while a slider moves)."""
    st.header("Strategies")
    top = st.container()
    specs, errors = [], []
    for row, sid in zip(list(S.rows), form.strategy_ids(session.row_bases(S)), strict=True):
        uid, name, keys = row["uid"], row["name"], RowKeys(row["uid"])
        with st.container(border=True):
            st.markdown(f"**{literal(sid)}**", help=literal(CATALOGUE.describe(name)))
            weight = st.slider(
                f"Weight of {literal(sid)}", 0.0, 1.0, step=0.01, format="%.2f", key=keys.weight
            )
            params: dict[str, int | float | bool] = {}
            with st.expander("Parameters and symbols"):
                for p in CATALOGUE.param_specs(name):
                    value = param_control(uid, sid, p)
                    if value != p.kind(p.default):
                        params[p.name] = value
                S[keys.symbols] = [s for s in S.get(keys.symbols, []) if s in options]
                symbols = st.multiselect(
                    f"Symbols of {literal(sid)}",
                    options,
                    key=keys.symbols,
                    placeholder="All selected symbols",
                )
                label = st.text_input("Label (strategy id)", key=keys.label, placeholder=name)
            st.button("Remove", key=keys.remove, on_click=remove_strategy, args=(uid,))
            error = CATALOGUE.check(name, params, symbols, label.strip() or None)
            if error:
                say("error", error)
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
        format_func=lambda n: f"{n} — {CATALOGUE.describe(n)}",  # options are plain text
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
        say("error", check.message)
    return check.ok


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
        say("error", CATALOGUE.error)
    try:
        current: RunSpec | None = RunSpec(
            strategies=tuple(specs),
            **settings,
            plugin_dir=CATALOGUE.plugin_dir if uses_plugins else None,
        )
    except OrchestratorError as exc:
        say("error", exc)
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
        say("error", message)
    for level, message in S.notices.values():
        say(level, message)


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
    # A view's Apply (a suggested mix, a sweep's cell) set the sidebar and asked for a run.
    applied = session.decide(S, current, why, run_requested(S) or clicked, data_key)
    st.title("Strategy Orchestrator")
    show_notices()
    if applied is None:
        st.info(session.waiting_note(why))
        return
    spec, key = applied
    query, link = spec.to_query(), share_query(spec) | sweep_link.link_query(S)
    if st.query_params.to_dict() != link:
        st.query_params.from_dict(link)
    stale = session.stale_note(current, applied, data_key, why)
    if stale:
        st.info(stale)
    if spec.data == "demo":
        st.caption(DEMO_NOTICE)
    run_frames = frames if key == data_key else demo_frames() if key == "demo" else None
    cache_key = json.dumps({"spec": query, "data": key}, sort_keys=True)
    result, error, seconds = run_cached(cache_key, spec, run_frames)
    if error or result is None:
        say("error", error or "The run gave no result.")
        return
    show_views(result, spec, seconds, run_frames, (cache_key, key), CATALOGUE.param_specs)
    with st.expander("Share this run"):
        st.write("The address in your browser's address bar reopens this configuration.")
        st.code("?" + urlencode(link), language=None)


main()
