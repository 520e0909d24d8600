"""Strategy Orchestrator dashboard: choose data and strategies, weigh them, run, compare.

Run with ``streamlit run dashboard.py``; plug-in strategies come from a folder given as
``streamlit run dashboard.py -- --plugins FOLDER`` or by the environment variable
ORCHESTRATOR_PLUGINS. UI only: a run is :meth:`orchestrator.spec.RunSpec.run`, figures come
from :mod:`orchestrator.charts`, weight arithmetic from :mod:`orchestrator.weights`, uploads
are parsed by :mod:`orchestrator.uploads`. The configuration whose results are on screen lives
in the URL query string (:meth:`RunSpec.to_query`), so a copied link reopens the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard_results import show_results
from orchestrator.catalogue import load_catalogue, plugin_folder
from orchestrator.data import DEMO_NOTICE, load_demo
from orchestrator.errors import OrchestratorError
from orchestrator.links import is_link, spec_from_link
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
    errors are cached too, as (None, message, seconds)."""
    started = time.perf_counter()
    if _frames is None:
        return (
            None,
            "The uploaded files of this run are gone: upload them again and press Run.",
            0.0,
        )
    try:
        # Breaches and warm-up notes are on the page (result.breaches, result.warnings).
        result = _spec.run(data=_frames, logging_level="ERROR")
    except OrchestratorError as exc:
        return None, str(exc), time.perf_counter() - started
    except Exception as exc:  # a plug-in's own bug must not break the page either
        return None, f"The run failed: {type(exc).__name__}: {exc}", time.perf_counter() - started
    return result, None, time.perf_counter() - started


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
    S.source = spec.data
    S.symbols = list(spec.symbols or [])
    S.dates = (spec.start, spec.end)  # resolved to dates once the data's range is known
    S.capital = float(spec.initial_capital)
    S.commission_pct = float(Decimal(str(spec.commission_rate)) * 100)
    S.per_share = float(spec.commission_per_share)
    S.min_commission = float(spec.commission_min)
    S.slippage = float(spec.slippage_bps)
    S.fill = spec.fill
    S.fractional = spec.fractional
    S.close_at_end = spec.close_at_end
    S.rf_pct = float(Decimal(str(spec.risk_free_rate)) * 100)
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


def strategy_ids() -> list[str]:
    """Each row's strategy id as the engine names it: label or name, ``#2``... for repeats."""
    seen: dict[str, int] = {}
    ids = []
    for row in S.rows:
        base = (S.get(f"label_{row['uid']}") or "").strip() or row["name"]
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


# ---- callbacks (run before the script, so they may set widget state) ---------------------------


def add_strategy() -> None:
    uid = new_row(S.add_name)
    remaining = check_weights([to_weight(S[f"w_{r['uid']}"]) for r in S.rows[:-1]]).cash
    S[f"w_{uid}"] = float(min(max(remaining, Decimal(0)), Decimal(1)))


def remove_strategy(uid: str) -> None:
    S.rows = [r for r in S.rows if r["uid"] != uid]


def normalise() -> None:
    weights = normalise_weights([to_weight(S[f"w_{r['uid']}"]) for r in S.rows])
    for row, w in zip(S.rows, weights, strict=True):
        S[f"w_{row['uid']}"] = float(w)


# ---- sidebar: data ----------------------------------------------------------------------------


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
    frames: Frames | None
    if source == "demo":
        frames, data_key = demo_frames(), "demo"
    else:
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
        data_key = uploads_key([Upload(n, c) for n, c in pairs])
        if not frames:
            st.info("Upload at least one CSV or Parquet file of daily or intraday bars.")
            frames = None
    options = sorted(frames) if frames else []
    S.symbols = [s for s in S.get("symbols", []) if s in options]
    symbols = st.multiselect("Symbols", options, key="symbols", placeholder="All symbols")
    settings: dict[str, Any] = {"data": source, "symbols": tuple(symbols) or None}
    chosen = [frames[s] for s in (symbols or options) if len(frames[s])] if frames else []
    if chosen:
        lo = min(f.index[0] for f in chosen).date()
        hi = max(f.index[-1] for f in chosen).date()
        stored = S.get("dates")
        picking = isinstance(stored, tuple) and len(stored) == 1  # first click of a range
        if not picking:
            start, end = stored if isinstance(stored, tuple) and len(stored) == 2 else (lo, hi)
            start = min(max(_date(start, lo), lo), hi)
            end = max(min(_date(end, hi), hi), start)
            if stored != (start, end):
                S.dates = (start, end)
        picked = st.date_input(
            "Date range",
            value=(lo, hi),
            min_value=lo,
            max_value=hi,
            key="dates",
            help="Limited to the selected symbols' data",
        )
        start, end = (*picked, hi)[:2] if isinstance(picked, tuple) else (picked, hi)
        settings["start"] = start.isoformat() if start > lo else None
        settings["end"] = end.isoformat() if end < hi else None
    st.header("Capital and costs")
    settings["initial_capital"] = st.number_input(
        "Initial capital", min_value=1.0, step=1000.0, format="%.2f", key="capital"
    )
    c1, c2 = st.columns(2)
    commission = c1.number_input(
        "Commission (% of notional)",
        min_value=0.0,
        max_value=99.99,
        step=0.01,
        format="%.3f",
        key="commission_pct",
    )
    settings["slippage_bps"] = c2.number_input(
        "Slippage (bps)", min_value=0.0, max_value=9999.0, step=0.5, key="slippage"
    )
    settings["commission_rate"] = float(_exact(commission, "0.0001") / 100)
    with st.expander("More costs and execution options"):
        settings["commission_per_share"] = st.number_input(
            "Commission per share", min_value=0.0, step=0.001, format="%.4f", key="per_share"
        )
        settings["commission_min"] = st.number_input(
            "Minimum commission per order", min_value=0.0, step=0.5, key="min_commission"
        )
        rf = st.number_input(
            "Risk-free rate (% a year)", min_value=-99.0, max_value=99.0, step=0.1, key="rf_pct"
        )
        settings["risk_free_rate"] = float(_exact(rf, "0.0001") / 100)
        settings["fractional"] = st.checkbox("Fractional quantities (crypto)", key="fractional")
        settings["close_at_end"] = st.checkbox("Close positions at the end", key="close_at_end")
    settings["fill"] = st.radio(
        "Fill orders at",
        list(FILL_LABELS),
        format_func=FILL_LABELS.get,
        key="fill",
        horizontal=True,
    )
    return frames, data_key, settings


def _date(value: object, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _exact(value: float, step: str) -> Decimal:
    """A number_input's float on its decimal grid (0.15000000000000002 -> 0.15)."""
    return Decimal(str(value)).quantize(Decimal(step))


# ---- sidebar: strategies ----------------------------------------------------------------------


def param_control(uid: str, sid: str, p: Any) -> int | float | bool:
    """A control for one declared parameter (``strategies.ParamSpec``): range, step, help."""
    key, label = f"p_{uid}_{p.name}", p.name.replace("_", " ")
    if p.kind is bool:
        return bool(st.checkbox(label, key=key, help=p.help))
    cast = int if p.kind is int else float
    bounds: dict[str, Any] = {
        "min_value": None if p.min is None else cast(p.min),
        "max_value": None if p.max is None else cast(p.max),
    }
    step = cast(p.step) if p.step else cast(1 if p.kind is int else 0.01)
    fmt = None if p.kind is int else ("%.4g" if step >= 0.0001 else "%.6g")
    value = st.number_input(
        f"{label} ({sid})", step=step, format=fmt, key=key, help=p.help, **bounds
    )
    return cast(value)


def strategy_controls(options: list[str]) -> tuple[list[StrategySpec], list[str]]:
    """Draw one box per strategy; return their specs and the errors of invalid ones."""
    st.header("Strategies")
    specs, errors = [], []
    for row, sid in zip(list(S.rows), strategy_ids(), strict=True):
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


# ---- the page ---------------------------------------------------------------------------------


def blocker(
    specs: list[StrategySpec], weights_ok: bool, has_data: bool, invalid: bool
) -> str | None:
    """Why Run is disabled, or None when the configuration can run."""
    if not specs:
        return "no strategy selected"
    if not weights_ok:
        return "weights total more than 1.0"
    if not has_data:
        return "no data: upload CSV or Parquet files"
    return "a strategy's settings are invalid" if invalid else None


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
        why = blocker(specs, weights_ok, frames is not None, bool(row_errors) or current is None)
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
    query = spec.to_query()
    link = {k: v for k, v in query.items() if k != "plugins"}  # the server's folder stays private
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
