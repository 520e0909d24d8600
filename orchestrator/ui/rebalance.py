"""Rebalancing on the dashboard: the sidebar's controls, and the run's rebalancing in the
results (how many rebalances and what they cost in the headline area, the sleeves' weights
over time with the rebalances marked, and the attribution waterfall).

Views only: the controls' keys and values are :mod:`orchestrator.app.rebalance_form` (their
state is set from the configuration with the other controls', so a link sets them), the
words, counts and tables :mod:`orchestrator.report.rebalancing`, the figures
:mod:`orchestrator.report.allocation_charts`. Validation happens where the RunSpec is built,
so a bad combination shows the same ConfigError as a file or a link.
"""

from __future__ import annotations

import streamlit as st

from orchestrator.app import rebalance_form as rf
from orchestrator.app.markdown import literal
from orchestrator.core.allocation import MODES, RULES
from orchestrator.core.results import OrchestratorResult
from orchestrator.report import rebalancing as rb
from orchestrator.report.allocation_charts import attribution_figure, weights_figure
from orchestrator.report.comparison import format_value

__all__ = ["rebalance_controls", "rebalance_headline", "rebalance_views"]

S = st.session_state


def rebalance_controls() -> None:
    """Draw the rebalancing controls (their values are read with the other settings)."""
    k = rf.KEYS
    with st.expander("Rebalancing", expanded=S.get(k["schedule"], "none") != "none"):
        st.selectbox(
            "Rebalance to the targets",
            rf.SCHEDULE_CHOICES,
            format_func=lambda v: rf.SCHEDULE_LABELS[v],
            key=k["schedule"],
            help="At the first bar of each new period, each sleeve is brought back to its "
            "target share of portfolio equity",
        )
        every = S.get(k["schedule"]) == rf.EVERY_BARS
        st.number_input("Every N bars", min_value=1, step=1, key=k["bars"], disabled=not every)
        st.number_input(
            "Drift band (points; 0 = off)",
            min_value=0.0,
            max_value=99.9,
            step=0.5,
            key=k["drift"],
            help="Also rebalance when any sleeve's share is more than this many percentage "
            "points off its target",
        )
        st.radio(
            "Rebalance by",
            MODES,
            format_func=lambda v: rf.MODE_LABELS[v],
            key=k["mode"],
            horizontal=True,
            help="Scale: trim or top up each sleeve's positions pro rata (paying costs). "
            "Idle cash only: move only cash the sleeves are not using",
        )
        st.selectbox(
            "Target weights",
            RULES,
            format_func=lambda v: rf.RULE_LABELS[v],
            key=k["rule"],
            help="Fixed keeps the sliders; the other rules compute weights from the trailing "
            "returns of the sleeves, summing to the sliders' total",
        )
        computed = S.get(k["rule"], "fixed") != "fixed"
        st.number_input(
            "Lookback (bars)", min_value=2, step=1, key=k["lookback"], disabled=not computed
        )
        c1, c2 = st.columns(2)
        c1.number_input(
            "Min weight", min_value=0.0, max_value=1.0, step=0.01, key=k["min_weight"],
            disabled=not computed,
        )  # fmt: skip
        c2.number_input(
            "Max weight", min_value=0.0, max_value=1.0, step=0.01, key=k["max_weight"],
            disabled=not computed,
        )  # fmt: skip


def rebalance_headline(result: OrchestratorResult) -> None:
    """The number of rebalances and their cost, beside the settings in words (nothing when
    the run does not rebalance)."""
    settings = rb.rebalance_settings(result)
    if not settings.enabled:
        return
    c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="center")
    c1.metric("Rebalances", f"{rb.rebalance_count(result):,}")
    c2.metric("Rebalancing costs", format_value(rb.rebalance_costs(result), "money"))
    c3.caption(literal(f"Rebalancing: {rb.settings_text(settings)}."))


def rebalance_views(result: OrchestratorResult) -> None:
    """The sleeves' weights over time with the rebalances marked, and the P&L waterfall."""
    if not rb.rebalance_settings(result).enabled:
        return
    times = rb.rebalance_times(result)
    marks = rb.marked_rebalances(result)
    weights = rb.display_weights(rb.weights_table(result), times)
    st.subheader("Rebalancing")
    left, right = st.columns([3, 2])
    left.plotly_chart(weights_figure(weights, marks), key="rebalance_weights_chart", theme=None)
    if len(marks) < len(times):
        left.caption(f"{len(times):,} rebalances: too many to mark one by one.")
    right.plotly_chart(
        attribution_figure(rb.attribution_table(result)),
        key="rebalance_attribution_chart",
        theme=None,
    )
