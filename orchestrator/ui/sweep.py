"""The sweep view: vary one or two parameters of a strategy, or the weights of two or three
strategies, around the run on screen; see the count and an estimate of the time first; run the
grid on a local Dask cluster with a progress bar; read a heatmap (or a line) of a metric with
the run on screen and the best cell marked, the metric's spread and whether the best cell is a
plateau or a spike; and apply a cell to the main run.

Views only: the grid, cap and estimate are :mod:`orchestrator.app.sweep_view`, the sweep
:func:`orchestrator.app.sweep.sweep`, the robustness figures :mod:`orchestrator.app.robustness`,
the charts :mod:`orchestrator.report.sweep_charts`. Strategy ids are user text: alerts go
through :func:`orchestrator.ui.alerts.say`, headings and labels through ``literal``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from orchestrator.app import sweep_view
from orchestrator.app.adopt import adopt
from orchestrator.app.grid import strategy_ids
from orchestrator.app.markdown import literal
from orchestrator.app.robustness import (
    DEFAULT_METRIC,
    best_rows,
    caveat_text,
    metric_names,
    metric_spread,
    neighbours,
)
from orchestrator.app.spec import RunSpec
from orchestrator.app.sweep import SweepPlan, sweep
from orchestrator.app.sweep_link import NONE, SweepKeys, SweepRequest
from orchestrator.errors import ConfigError
from orchestrator.report.comparison import COLUMNS
from orchestrator.report.sweep_charts import sweep_chart, sweep_histogram
from orchestrator.ui.alerts import say

__all__ = ["show_sweep"]

ParamSpecs = Callable[[str], Sequence[Any]]
Frames = Mapping[str, pd.DataFrame]
S = st.session_state
K = SweepKeys
KINDS = {"params": "Parameters of one strategy", "weights": "Weights of two or three strategies"}


@st.cache_resource(show_spinner="Starting the local Dask cluster…")
def _cluster() -> tuple[Any]:
    """One Dask client for the server's life (see :func:`sweep_view.local_client`), in a
    tuple: a client is awaitable, which Streamlit's cache refuses to hold bare."""
    return (sweep_view.local_client(),)


def _client() -> Any:
    return _cluster()[0]


@st.cache_data(show_spinner=False, max_entries=16)
def _run(key: str, _plan: SweepPlan, _frames: Frames | None) -> pd.DataFrame:
    """Run the sweep ``key`` names once (every session shares it). The progress bar is drawn
    here, so that a cached answer replays it, finished, and then clears it."""
    bar = st.progress(0.0, text=f"Sweep: 0 of {_plan.count:,} combinations")

    def report(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Sweep: {done:,} of {total:,} combinations")

    table = sweep(_plan.spec, _plan, data=_frames, client=_client(), progress=report)
    bar.empty()
    return table


def _figure_label(column: str) -> str:
    sid, _, figure = column.rpartition(".")
    known = COLUMNS.get(figure)
    return f"{sid}: {known.label if known else figure}"


def _param_controls(
    spec: RunSpec, ids: list[str], param_specs: ParamSpecs, metric: str
) -> SweepRequest:
    """The strategy, one or two parameters and their ranges; return the request."""
    index = st.selectbox(
        "Strategy",
        range(len(ids)),
        format_func=lambda i: ids[i],  # options are plain text
        key=K.strategy,
    )
    s, sid = spec.strategies[index], ids[index]
    numeric = [p for p in param_specs(s.name) if p.kind is not bool]
    if not numeric:
        raise ConfigError(f"{sid} declares no numeric parameter to sweep; choose another one")
    names = [p.name for p in numeric]
    c1, c2 = st.columns(2)
    first = str(c1.selectbox("First parameter", names, key=K.param(sid, 1)))
    rest = [NONE, *(n for n in names if n != first)]
    second = str(c2.selectbox("Second parameter", rest, key=K.param(sid, 2)))
    ranges: dict[str, tuple[float, float, float]] = {}
    for name in [first] if second == NONE else [first, second]:
        p = next(q for q in numeric if q.name == name)
        current = s.params.get(name, p.kind(p.default))
        start, stop, step = sweep_view.default_range(p, current)
        bounds: dict[str, Any] = {"min_value": p.min, "max_value": p.max}
        if p.kind is int:
            bounds = {k: int(v) if v is not None else None for k, v in bounds.items()}
        what = f"{name} of {sid}"
        # Defaults seeded in the state (not value=): a link or a reopened tab sets them too.
        S.setdefault(K.bound(sid, name, "from"), start)
        S.setdefault(K.bound(sid, name, "to"), stop)
        S.setdefault(K.bound(sid, name, "step"), step)
        a, b, c = st.columns(3)
        lo = a.number_input(f"{literal(what)}: from", key=K.bound(sid, name, "from"), **bounds)
        hi = b.number_input(f"{literal(what)}: to", key=K.bound(sid, name, "to"), **bounds)
        unit = c.number_input(
            f"{literal(what)}: step",
            min_value=type(step)(p.step or step),
            step=type(step)(p.step or step),
            key=K.bound(sid, name, "step"),
        )
        ranges[name] = (lo, hi, unit)
    return SweepRequest("params", metric, strategy=sid, ranges=ranges)


def _weight_controls(ids: list[str], metric: str) -> SweepRequest:
    """Two or three strategies, the step, and whether their total stays; return the request."""
    S.setdefault(K.weigh, ids[:2])
    S.setdefault(K.weight_step, 0.1)
    S.setdefault(K.keep_total, True)
    chosen = st.multiselect(
        "Strategies to weigh (two or three)",
        ids,
        max_selections=3,
        key=K.weigh,
    )
    c1, c2 = st.columns(2)
    step = c1.number_input(
        "Weight step", min_value=0.01, max_value=0.5, step=0.01, key=K.weight_step
    )
    keep = c2.checkbox("Keep their total weight", key=K.keep_total)
    return SweepRequest("weights", metric, strategies=tuple(chosen), step=float(step), keep=keep)


def _show_table(
    plan: SweepPlan, table: pd.DataFrame, metric: str, spec: RunSpec, param_specs: ParamSpecs
) -> None:
    """The chart, the robustness figures and the cells to apply."""
    failed = int(table["error"].notna().sum())
    st.caption(f"{len(table):,} combinations, {failed:,} failed or invalid")
    axes = sweep_view.plot_axes(plan)
    current = sweep_view.current_settings(spec, plan.grid, param_specs)
    if axes:
        chart = sweep_chart(table, metric, axes, current)
        st.plotly_chart(chart, key="sweep_chart", theme=None)
    spread = metric_spread(table, metric)
    if not spread.count:
        say("warning", f"No combination has a value of {metric}; choose another metric.")
        return
    st.plotly_chart(sweep_histogram(table, metric), key="sweep_hist", theme=None)
    st.markdown(f"**Spread of {literal(_figure_label(metric))}:** {literal(spread.text())}")
    near = neighbours(table, metric)
    st.markdown(f"**Plateau or spike?** {literal(near.text())}")
    say("warning", caveat_text(len(table), metric))
    st.info(
        "Test a choice out of sample before trusting it: the Allocation tab's walk-forward "
        "test fits weights on one period and holds them on the next."
    )
    cells = best_rows(table[table["error"].isna()], metric, 10)
    if not len(cells):
        return
    settings = list(plan.grid.columns)
    labels = {
        int(row["combination"]): ", ".join(f"{c} = {row[c]}" for c in settings)
        + f" → {row[metric]:.4g}"
        for _, row in cells.iterrows()
    }
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    picked = c1.selectbox(
        "Best cells (apply one to the main run)",
        list(labels),
        format_func=lambda i: labels[i],  # options are plain text
        key="sw_cell",
    )
    pick = int(picked if picked is not None else next(iter(labels)))
    c2.button(
        "Apply cell",
        key="sw_apply",
        on_click=adopt,
        args=(S, plan.specs[pick], param_specs),
        disabled=pick not in plan.specs,
        help="Set the sidebar to this cell's settings and run it",
    )


def show_sweep(
    spec: RunSpec,
    frames: Frames | None,
    run_seconds: float,
    data_key: str,
    param_specs: ParamSpecs,
) -> None:
    """The whole sweep view, around the run on screen (``spec``, on ``frames``)."""
    st.subheader("Sweep")
    st.caption(
        "Many runs of the configuration on screen, differing in the settings chosen here, on a "
        f"local Dask cluster; at most {sweep_view.DASHBOARD_MAX_COMBINATIONS:,} combinations."
    )
    ids = strategy_ids(spec)
    pending = S.pop(K.pending, None)
    if isinstance(pending, SweepRequest):  # a link's sweep: its controls, then one run
        try:
            S.update(pending.widget_state(spec))
            S[K.autorun] = True
        except (ConfigError, ValueError) as exc:
            say("error", f"The link's sweep was left out: {exc}")
    done = S.get(K.done)
    if done is not None and K.kind not in S:
        # The tab was closed, so Streamlit dropped its controls' state: show the last sweep's.
        with contextlib.suppress(ConfigError, ValueError):
            S.update(done[2].widget_state(spec))
    autorun = bool(S.pop(K.autorun, False))
    kind = st.radio("Sweep over", list(KINDS), format_func=KINDS.get, key=K.kind, horizontal=True)
    names = metric_names(ids)
    portfolio_first = sorted(names, key=lambda n: not n.startswith("Portfolio."))
    if S.get(K.metric) not in portfolio_first:  # first visit, or strategies that changed
        S[K.metric] = DEFAULT_METRIC
    metric = st.selectbox(
        "Metric",
        portfolio_first,
        format_func=_figure_label,  # options are plain text
        key=K.metric,
    )
    try:
        request = (
            _param_controls(spec, ids, param_specs, str(metric))
            if kind == "params"
            else _weight_controls(ids, str(metric))
        )
        plan = sweep_view.plan_dashboard_sweep(spec, request.grid(spec))
    except ConfigError as exc:
        say("error", exc)
        return
    started = _client_started()
    workers = sweep_view.worker_count(_client() if started else None)
    startup = sweep_view.startup_seconds()
    seconds = sweep_view.estimate_seconds(plan.count, run_seconds, workers, started, startup)
    c1, c2, c3 = st.columns([1, 2, 2], vertical_alignment="bottom")
    c1.metric("Combinations", f"{plan.count:,}")
    c2.metric("Estimated time", sweep_view.estimate_text(seconds))
    st.caption(
        f"{plan.count:,} runs x {run_seconds:.2f} s (the run on screen) / {workers} "
        f"worker{'s' if workers != 1 else ''}" + ("" if started else ", plus the cluster's start")
    )
    key = sweep_view.sweep_key(plan, data_key)
    if c3.button("Run sweep", key="sw_go", type="primary", width="stretch") or autorun:
        try:
            S[K.done] = (key, _run(key, plan, frames), request)
            S["sw_started"] = True
        except ConfigError as exc:
            say("error", exc)
            return
    done = S.get(K.done)
    if done is None or done[0] != key:
        if done is not None:
            st.info("The settings changed since the last sweep: press Run sweep to see these.")
        return
    _show_table(plan, done[1], metric, spec, param_specs)


def _client_started() -> bool:
    """Whether this server has started its cluster already (a session that ran a sweep)."""
    return bool(S.get("sw_started"))
