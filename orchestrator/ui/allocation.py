"""The allocation view of the run on screen: weights a rule suggests beside the sliders (with
the expected volatility and Sharpe ratio of both mixes, and Apply), the efficient frontier, a
walk-forward test out of sample against fixed and equal weights with the in-sample optimum
labelled as hindsight, and where the P&L and the risk came from.

Views only: the numbers are :mod:`orchestrator.app.suggest`, :mod:`orchestrator.app.walkforward`
and :mod:`orchestrator.core.attribution`; the figures :mod:`orchestrator.report.allocation_charts`.
A bad input (bounds no weights can meet, windows longer than the run) is shown with
:func:`orchestrator.ui.alerts.say` and the rest of the page goes on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from orchestrator.app.adopt import adopt, with_weights
from orchestrator.app.spec import RunSpec
from orchestrator.app.suggest import (
    Frontier,
    Suggestion,
    efficient_frontier,
    invested_share,
    run_weights,
    slider_weights,
    suggest,
)
from orchestrator.app.walkforward import WalkForwardResult, walk_forward
from orchestrator.core.allocation import check_bounds, check_weight_bounds
from orchestrator.core.attribution import (
    attribution,
    cash_drag,
    risk_contributions,
    weights_over_time,
)
from orchestrator.core.results import OrchestratorResult
from orchestrator.errors import ConfigError
from orchestrator.report.allocation_charts import (
    attribution_figure,
    frontier_figure,
    risk_contribution_figure,
    walk_forward_figure,
    weights_figure,
)
from orchestrator.report.comparison import COLUMNS
from orchestrator.ui.alerts import say, say_list

__all__ = ["RULE_LABELS", "show_allocation"]

ParamSpecs = Callable[[str], Sequence[Any]]
S = st.session_state
RULE_LABELS = {
    "equal": "Equal weights",
    "inverse_volatility": "Inverse volatility",
    "risk_parity": "Risk parity (equal risk contribution)",
    "min_variance": "Minimum variance",
    "max_sharpe": "Maximum Sharpe ratio",
    "hrp": "Hierarchical risk parity",
}
WINDOWS = {False: "Rolling", True: "Expanding"}
#: The view's controls, and where their values are kept while the tab is closed (Streamlit
#: drops the state of widgets that are not drawn).
CONTROLS = ("al_total", "al_min", "al_max", "al_rule", "al_wf_rule", "al_train", "al_test",
            "al_window")  # fmt: skip
KEPT = "al_kept"


# ---- cached work: keyed by the run's configuration key and the view's inputs ------------------


@st.cache_data(show_spinner="Fitting the weights…", max_entries=64)
def _suggest(
    key: str, _result: OrchestratorResult, rule: str, total: float, low: float, high: float
) -> Suggestion:
    return suggest(_result, rule, total, low, high)


@st.cache_data(show_spinner="Tracing the efficient frontier…", max_entries=32)
def _frontier(
    key: str, _result: OrchestratorResult, total: float, low: float, high: float
) -> Frontier:
    return efficient_frontier(_result, total=total, min_weight=low, max_weight=high)


@st.cache_data(show_spinner="Running the walk-forward test…", max_entries=32)
def _walk(
    key: str,
    _result: OrchestratorResult,
    rule: str,
    windows: tuple[int, int, bool],
    bounds: tuple[float, float, float],
) -> WalkForwardResult:
    train, test, expanding = windows
    total, low, high = bounds
    return walk_forward(
        _result, rule, train, test, expanding, total=total, min_weight=low, max_weight=high
    )


# ---- sections -------------------------------------------------------------------------------


def _bounds(result: OrchestratorResult) -> tuple[float, float, float] | None:
    """The total and the bounds of a weight, shared by the suggestion, frontier and test;
    None (and an error) when no weights within the bounds can add up to the total."""
    c1, c2, c3 = st.columns(3)
    total = c1.number_input(
        "Total weight (invested share)",
        min_value=0.01,
        max_value=1.0,
        step=0.01,
        key="al_total",
        help="The suggested weights add up to this; the rest stays cash",
    )
    low = c2.number_input("Minimum weight", min_value=0.0, max_value=1.0, step=0.01, key="al_min")
    high = c3.number_input("Maximum weight", min_value=0.0, max_value=1.0, step=0.01, key="al_max")
    bounds = float(total), float(low), float(high)
    try:
        check_bounds(bounds[0], len(result.strategy_results), *check_weight_bounds(low, high))
    except ConfigError as exc:
        # One message for the three sections that use the bounds; core words it for the
        # rebalancing options, which this view does not set.
        say("error", f"Minimum and maximum weight: {str(exc).removeprefix('rebalance ')}")
        return None
    return bounds


def _suggestion(
    result: OrchestratorResult,
    spec: RunSpec,
    key: str,
    bounds: tuple[float, float, float],
    param_specs: ParamSpecs,
) -> Suggestion | None:
    """The suggestion beside the run's weights, and Apply; return the suggestion (or None)."""
    rules = list(RULE_LABELS)
    rule = str(st.selectbox("Rule", rules, format_func=lambda r: RULE_LABELS[r], key="al_rule"))
    try:
        chosen = _suggest(key, result, rule, *bounds)
        current = _suggest(key, result, "fixed", invested_share(result), 0.0, 1.0)
    except ConfigError as exc:
        say("error", exc)
        return None
    shown = slider_weights(chosen.weights)
    table = pd.DataFrame(
        {
            "Sliders (the run on screen)": run_weights(result),
            f"Suggested: {RULE_LABELS[rule]}": {k: float(v) for k, v in shown.items()},
        }
    )
    st.dataframe(
        table,
        column_config={
            str(c): st.column_config.NumberColumn(str(c), format="percent") for c in table
        },
    )
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    for col, label, now, then, fmt in (
        (c1, "Expected volatility", current.stats.volatility, chosen.stats.volatility, ".1%"),
        (c2, "Sharpe ratio", current.stats.sharpe, chosen.stats.sharpe, ".2f"),
    ):
        delta = f"{then - now:+{fmt}} vs sliders ({now:{fmt}})" if math.isfinite(now) else None
        col.metric(f"{label} (suggested)", f"{then:{fmt}}", delta, delta_color="off")
    c3.button(
        "Apply the suggestion",
        key="al_apply",
        type="primary",
        on_click=adopt,
        args=(S, with_weights(spec, shown), param_specs),
        help="Set the weight sliders to the suggestion (on their 0.01 grid) and run it",
    )
    st.caption(
        "Fitted on this run's whole history: an in-sample optimum. The walk-forward test "
        "below shows how the rule would have done fitted on the past only."
    )
    return chosen


def _frontier_section(
    result: OrchestratorResult,
    key: str,
    bounds: tuple[float, float, float],
    chosen: Suggestion | None,
) -> None:
    try:
        frontier = _frontier(key, result, *bounds)
    except ConfigError as exc:
        say("error", exc)
        return
    marked = None
    if chosen is not None:
        marked = (f"Suggested: {RULE_LABELS[chosen.rule]}", chosen.weights, chosen.stats)
    figure = frontier_figure(frontier, marked, run_weights(result))
    st.plotly_chart(figure, key="frontier_chart", theme=None)


def _walk_forward_section(
    result: OrchestratorResult, key: str, bounds: tuple[float, float, float]
) -> None:
    st.subheader("Walk-forward test (out of sample)")
    c1, c2, c3, c4 = st.columns(4)
    rules = list(RULE_LABELS)
    rule = str(
        c1.selectbox("Rule fitted", rules, format_func=lambda r: RULE_LABELS[r], key="al_wf_rule")
    )
    train = c2.number_input(
        "Training window (bars)",
        min_value=2,
        step=1,
        key="al_train",
    )
    test = c3.number_input("Test window (bars)", min_value=1, step=1, key="al_test")
    expanding = c4.radio(
        "Training windows", list(WINDOWS), format_func=WINDOWS.get, key="al_window"
    )
    try:
        wf = _walk(key, result, rule, (int(train), int(test), bool(expanding)), bounds)
    except ConfigError as exc:
        say("error", exc)
        return
    if wf.warnings:
        say_list("warning", wf.warnings)
    figure = walk_forward_figure(wf)
    # Room for the two-line title: plotly anchors a multi-line title's last line, not its first.
    figure.update_layout(margin={"t": 130}, title={"y": 0.93}, legend={"y": 1.0})
    st.plotly_chart(figure, key="walk_forward_chart", theme=None)
    labels = {c: COLUMNS[c].label for c in wf.table if c in COLUMNS} | {"sample": "Sample"}
    table = wf.table.rename(columns=labels)
    percent = [COLUMNS[c].label for c in wf.table if c in COLUMNS and COLUMNS[c].kind == "pct"]
    config: dict[str, Any] = {
        c: st.column_config.NumberColumn(c, format="percent") for c in percent
    }
    st.dataframe(table, column_config=config)
    st.caption(
        "The walk-forward curve holds, on each test window, the weights fitted on the bars "
        "before it only. The grey dotted curve uses weights fitted on all the data, test "
        "windows included: hindsight no one could have had, shown so it is not taken for a "
        "forecast."
    )


def _attribution_section(result: OrchestratorResult) -> None:
    st.subheader("Attribution")
    lines = attribution(result)
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    left, right = st.columns(2)
    left.plotly_chart(attribution_figure(lines), key="attribution_chart", theme=None)
    shares = risk_contributions(result)
    if shares.isna().all():
        right.info("The portfolio never moved, so there is no risk to share out.")
    else:
        right.plotly_chart(risk_contribution_figure(shares), key="risk_chart", theme=None)
    drag = cash_drag(result)
    drag_text = f"; the unallocated cash's opportunity cost was {drag:,.2f}" if drag == drag else ""
    st.caption(
        f"The lines add up to the portfolio's P&L of {pnl:,.2f} (strategies before costs, then "
        f"the costs; idle cash earns nothing here){drag_text}."
    )
    st.plotly_chart(weights_figure(weights_over_time(result)), key="weights_chart", theme=None)


def show_allocation(
    result: OrchestratorResult, spec: RunSpec, key: str, param_specs: ParamSpecs
) -> None:
    """The whole allocation view of ``result`` (the run of ``spec``; ``key`` its cache key)."""
    kept = S.setdefault(KEPT, {})
    bars = len(result.portfolio_equity)
    defaults = {
        "al_total": round(min(max(invested_share(result), 0.01), 1.0), 2),
        "al_min": 0.0,
        "al_max": 1.0,
        "al_rule": "risk_parity",
        "al_wf_rule": "inverse_volatility",
        "al_train": max(2, min(252, bars // 3)),
        "al_test": max(1, min(63, bars // 6)),
    }
    for name in CONTROLS:
        if name not in S:  # first visit, or the tab was closed: its controls come back
            if name in kept:
                S[name] = kept[name]
            elif name in defaults:
                S[name] = defaults[name]
    st.subheader("Suggest weights")
    bounds = _bounds(result)
    if bounds is not None:
        chosen = _suggestion(result, spec, key, bounds, param_specs)
        _frontier_section(result, key, bounds, chosen)
        _walk_forward_section(result, key, bounds)
    _attribution_section(result)
    kept.update({name: S[name] for name in CONTROLS if name in S})
