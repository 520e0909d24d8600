"""Plotly figures of the allocation toolkit: frontier, walk-forward, attribution, risk shares.

Pure functions of the app layer's results (:class:`~orchestrator.app.suggest.Frontier`,
:class:`~orchestrator.app.walkforward.WalkForwardResult`) and of the attribution tables
(:mod:`orchestrator.core.attribution`); no Streamlit, no I/O. Strategies keep the colours
:func:`orchestrator.report.charts.strategy_colors` gives them everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from orchestrator.app.suggest import Frontier, MixStats
from orchestrator.app.walkforward import WalkForwardResult, in_sample_label
from orchestrator.report.charts import PORTFOLIO_COLOR, plain, strategy_colors

__all__ = [
    "ATTRIBUTION_TITLE",
    "FRONTIER_TITLE",
    "RISK_TITLE",
    "WALK_FORWARD_TITLE",
    "WEIGHTS_TITLE",
    "attribution_figure",
    "frontier_figure",
    "risk_contribution_figure",
    "walk_forward_figure",
    "weights_figure",
]

FRONTIER_TITLE = "Risk and return of the possible mixes (efficient frontier, long only)"
WALK_FORWARD_TITLE = "Out of sample: weights fitted on the past only, held on the next window"
ATTRIBUTION_TITLE = "Where the P&L came from"
RISK_TITLE = "Share of portfolio risk, per strategy"
WEIGHTS_TITLE = "Weights over time: each sleeve's share of portfolio equity"
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 90, "b": 40},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
}
_SUGGESTION_COLOR = "#d62728"
_IN_SAMPLE_COLOR = "#999999"


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top"}


def _weights_text(weights: Mapping[str, float]) -> str:
    return "<br>".join(f"{plain(sid)}: {w:.1%}" for sid, w in weights.items())


def frontier_figure(
    frontier: Frontier,
    suggestion: tuple[str, Mapping[str, float], MixStats] | None = None,
    current_weights: Mapping[str, float] | None = None,
) -> go.Figure:
    """Draw the frontier, each strategy alone, the current sliders and (optionally) a suggestion.

    ``suggestion`` is ``(label, weights, stats)``, for example from
    :func:`orchestrator.app.suggest.suggest`. Axes are annual volatility and annualised
    expected return, in percent.
    """
    ids = [c for c in frontier.points.columns if c not in ("risk", "return", "sharpe")]
    colors = strategy_colors(ids)
    pts = frontier.points
    hover = [_weights_text({sid: float(row[sid]) for sid in ids}) for _, row in pts.iterrows()]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=pts["risk"],
            y=pts["return"],
            mode="lines+markers",
            name=f"Efficient frontier ({frontier.total:.0%} invested)",
            line={"color": PORTFOLIO_COLOR, "width": 2},
            marker={"size": 5},
            text=hover,
            hovertemplate="risk %{x:.1%}, return %{y:.1%}<br>%{text}<extra></extra>",
        )
    )
    for sid, row in frontier.strategies.iterrows():
        fig.add_trace(
            go.Scatter(
                x=[row["risk"]],
                y=[row["return"]],
                mode="markers",
                name=plain(f"{sid} alone"),
                marker={"size": 11, "color": colors[str(sid)], "symbol": "circle"},
                hovertemplate="risk %{x:.1%}, return %{y:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    current = frontier.current
    fig.add_trace(
        go.Scatter(
            x=[current.volatility],
            y=[current.expected_return],
            mode="markers",
            name="Current sliders",
            marker={"size": 14, "color": PORTFOLIO_COLOR, "symbol": "diamond"},
            text=[_weights_text(current_weights or {})],
            hovertemplate="risk %{x:.1%}, return %{y:.1%}<br>%{text}<extra>sliders</extra>",
        )
    )
    if suggestion is not None:
        label, weights, stats = suggestion
        fig.add_trace(
            go.Scatter(
                x=[stats.volatility],
                y=[stats.expected_return],
                mode="markers",
                name=plain(label),
                marker={"size": 15, "color": _SUGGESTION_COLOR, "symbol": "star"},
                text=[_weights_text(weights)],
                hovertemplate="risk %{x:.1%}, return %{y:.1%}<br>%{text}<extra>suggested</extra>",
            )
        )
    fig.update_layout(
        **_LAYOUT,
        title=_title(FRONTIER_TITLE),
        xaxis={"title": "Annual volatility", "tickformat": ".0%", "rangemode": "tozero"},
        yaxis={"title": "Expected annual return (in sample)", "tickformat": ".0%"},
        height=460,
    )
    return fig


def walk_forward_figure(wf: WalkForwardResult) -> go.Figure:
    """Draw the out-of-sample curve beside fixed and equal weights, and the in-sample optimum.

    The in-sample curve is grey and dotted, and its name says hindsight; dotted vertical
    lines mark where each test window starts (where the weights are refitted).
    """
    fig = go.Figure()
    hindsight = in_sample_label(wf.rule)
    palette = iter(("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"))
    for name in wf.curves.columns:
        in_sample = name == hindsight
        line = (
            {"color": _IN_SAMPLE_COLOR, "width": 1.5, "dash": "dot"}
            if in_sample
            else {"color": next(palette), "width": 2.4 if name == wf.curves.columns[0] else 1.5}
        )
        fig.add_trace(
            go.Scatter(
                x=wf.curves.index,
                y=wf.curves[name],
                mode="lines",
                name=plain(name),
                line=line,
                hovertemplate="%{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    for start in wf.weights["start"].iloc[1:]:
        fig.add_vline(x=pd.Timestamp(start), line={"color": "#dddddd", "width": 1, "dash": "dot"})
    kind = "expanding" if wf.expanding else "rolling"
    fig.update_layout(
        **_LAYOUT,
        title=_title(
            f"{WALK_FORWARD_TITLE}<br><sup>{plain(wf.rule)}: {kind} {wf.train}-bar training, "
            f"{wf.test}-bar test windows; growth of 1</sup>"
        ),
        yaxis={"title": "Growth of 1"},
        hovermode="x unified",
        height=440,
    )
    return fig


def attribution_figure(lines: pd.DataFrame) -> go.Figure:
    """Draw the P&L split as a waterfall ending at the portfolio's P&L.

    ``lines`` is :func:`orchestrator.core.attribution.attribution`'s table.
    """
    names = [plain(c) for c in lines["component"]]
    values = [float(v) for v in lines["pnl"]]
    fig = go.Figure(
        go.Waterfall(
            x=[*names, "Portfolio P&L"],
            y=[*values, 0.0],
            measure=["relative"] * len(values) + ["total"],
            connector={"line": {"color": "#bbbbbb"}},
            increasing={"marker": {"color": "#2ca02c"}},
            decreasing={"marker": {"color": "#d62728"}},
            totals={"marker": {"color": PORTFOLIO_COLOR}},
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT, title=_title(ATTRIBUTION_TITLE), yaxis={"title": "P&L"}, height=400
    )
    return fig


def risk_contribution_figure(shares: pd.Series) -> go.Figure:
    """Draw each strategy's share of portfolio risk (from ``risk_contributions``) as bars."""
    ids = [str(s) for s in shares.index]
    colors = strategy_colors(ids)
    fig = go.Figure(
        go.Bar(
            x=[plain(s) for s in ids],
            y=shares.to_numpy(),
            marker={"color": [colors[s] for s in ids]},
            hovertemplate="%{x}: %{y:.1%} of the risk<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title=_title(RISK_TITLE),
        yaxis={"title": "Share of variance", "tickformat": ".0%"},
        height=360,
    )
    return fig


def weights_figure(
    weights: pd.DataFrame, rebalances: Sequence[object] | pd.Index | None = None
) -> go.Figure:
    """Draw the sleeves' shares of portfolio equity (and cash's) as stacked areas.

    ``weights`` is :func:`orchestrator.core.attribution.weights_over_time` (or
    ``result.weights``): one column per strategy, the last the cash pool. ``rebalances``
    (timestamps) are marked with thin vertical lines.
    """
    ids = [str(c) for c in weights.columns]
    colors = strategy_colors(ids[:-1])
    colors[ids[-1]] = "#cccccc"
    fig = go.Figure()
    for sid in ids:
        fig.add_trace(
            go.Scatter(
                x=weights.index,
                y=weights[sid],
                name=plain(sid),
                mode="lines",
                stackgroup="weights",
                line={"width": 0.5, "color": colors[sid]},
                hovertemplate="%{y:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    for when in list(rebalances) if rebalances is not None else []:
        fig.add_vline(x=pd.Timestamp(when), line={"color": "#555555", "width": 0.6, "dash": "dot"})
    fig.update_layout(
        **_LAYOUT,
        title=_title(WEIGHTS_TITLE),
        yaxis={"title": "Share of portfolio", "tickformat": ".0%", "range": [0, 1]},
        hovermode="x unified",
        height=380,
    )
    return fig
