"""Plotly figures of the dashboard's sweep view: a metric over one setting (a line) or two (a
heatmap), with the run on screen and the best cell marked, and the metric's distribution.

Pure functions of a sweep table (:func:`orchestrator.sweep`); column names hold strategy ids
(user text), so every name, title and hover text passes through
:func:`orchestrator.report.charts.plain`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from orchestrator.app.robustness import best_rows, higher_is_better, metric_column
from orchestrator.report.charts import PORTFOLIO_COLOR, plain

__all__ = ["BEST_NAME", "CURRENT_NAME", "sweep_chart", "sweep_histogram"]

CURRENT_NAME = "Run on screen"
BEST_NAME = "Best cell"
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 70, "r": 20, "t": 70, "b": 50},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
}
_CURRENT = {"symbol": "circle-open", "size": 18, "line": {"width": 3}, "color": "#1f2430"}
_BARS = "#6f8fb8"
_BEST = {"symbol": "x-thin", "size": 14, "line": {"width": 3, "color": "#1f2430"}}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top"}


def sweep_chart(
    table: pd.DataFrame,
    metric: str,
    axes: Sequence[str],
    current: Mapping[str, Any] | None = None,
) -> go.Figure:
    """Draw ``metric`` over ``axes`` (one setting: a line; two or more: a heatmap of the first
    two, the median over the others) with the run on screen (``current``: its value of each
    setting) and the best cell marked. Failed combinations are left out (gaps)."""
    if not axes:
        raise ValueError("a sweep chart needs at least one varying setting")
    column = metric_column(table, metric)
    ok = table[table[column].notna()]
    best = best_rows(ok, column, 1) if len(ok) else ok
    current = dict(current or {})
    fig = go.Figure()
    x = axes[0]
    if len(axes) == 1:
        line = ok.groupby(x, sort=True)[column].median()
        fig.add_trace(
            go.Scatter(
                x=[float(v) for v in line.index],
                y=line.to_numpy(dtype=float),
                mode="lines+markers",
                name=plain(column),
                line={"color": PORTFOLIO_COLOR, "width": 2},
                hovertemplate=f"{plain(x)} %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        )
        here = _number(current.get(x))
        if here is not None and len(line):
            y = float(line.reindex([here]).iloc[0]) if here in line.index else math.nan
            at = y if math.isfinite(y) else float(line.median())
            fig.add_trace(
                go.Scatter(x=[here], y=[at], mode="markers", name=CURRENT_NAME, marker=_CURRENT)
            )
        if len(best):
            fig.add_trace(
                go.Scatter(
                    x=[float(best[x].iloc[0])],
                    y=[float(best[column].iloc[0])],
                    mode="markers",
                    name=BEST_NAME,
                    marker=_BEST,
                )
            )
        fig.update_layout(
            **_LAYOUT,
            title=_title(f"{plain(column)} by {plain(x)}"),
            xaxis_title=plain(x),
            yaxis_title=plain(column),
            height=420,
        )
        return fig
    y_axis = axes[1]
    grid = ok.pivot_table(index=y_axis, columns=x, values=column, aggfunc="median")
    xs = sorted(float(v) for v in table[x].unique())
    ys = sorted(float(v) for v in table[y_axis].unique())
    grid = grid.reindex(index=ys, columns=xs)
    z = [[None if math.isnan(v) else float(v) for v in row] for row in grid.to_numpy(float)]
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=z,
            text=[["" if v is None else f"{v:.3g}" for v in row] for row in z],
            texttemplate="%{text}" if len(xs) * len(ys) <= 400 else None,
            colorscale="RdYlGn" if higher_is_better(column) else "RdYlGn_r",
            colorbar={"title": {"text": plain(column.rpartition(".")[2])}},
            name=plain(column),
            hovertemplate=(
                f"{plain(x)} %{{x}}<br>{plain(y_axis)} %{{y}}<br>{plain(column)} %{{z:.4g}}"
                "<extra></extra>"
            ),
        )
    )
    cx, cy = _number(current.get(x)), _number(current.get(y_axis))
    if cx is not None and cy is not None:
        fig.add_trace(
            go.Scatter(x=[cx], y=[cy], mode="markers", name=CURRENT_NAME, marker=_CURRENT)
        )
    if len(best):
        fig.add_trace(
            go.Scatter(
                x=[float(best[x].iloc[0])],
                y=[float(best[y_axis].iloc[0])],
                mode="markers",
                name=BEST_NAME,
                marker=_BEST,
            )
        )
    others = "" if len(axes) == 2 else " (median over the other settings)"
    fig.update_layout(
        **_LAYOUT,
        title=_title(f"{plain(column)} over {plain(x)} and {plain(y_axis)}{others}"),
        xaxis_title=plain(x),
        yaxis_title=plain(y_axis),
        height=480,
    )
    return fig


def sweep_histogram(table: pd.DataFrame, metric: str) -> go.Figure:
    """Draw the distribution of ``metric`` across the combinations that ran, the best marked."""
    column = metric_column(table, metric)
    values = table[column].dropna().to_numpy(dtype=float)
    fig = go.Figure(
        go.Histogram(
            x=values,
            nbinsx=min(50, max(5, len(values) // 3)),
            marker={"color": _BARS, "line": {"color": "#ffffff", "width": 1}},
            name=plain(column),
            hovertemplate="%{x}: %{y} combinations<extra></extra>",
        )
    )
    if len(values):
        best = float(values.max() if higher_is_better(column) else values.min())
        fig.add_vline(x=best, line={"color": "#d62728", "width": 2, "dash": "dot"})
    fig.update_layout(
        **_LAYOUT,
        title=_title(f"Distribution of {plain(column)} across the grid (red: the best)"),
        xaxis_title=plain(column),
        yaxis_title="combinations",
        height=340,
        showlegend=False,
    )
    return fig
