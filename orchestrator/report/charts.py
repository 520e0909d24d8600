"""Plotly figures of a run's results, shared by the dashboard and the HTML report.

Pure functions of an :class:`~orchestrator.core.results.OrchestratorResult`: no Streamlit here, no
I/O. Every figure names its traces by strategy id (the portfolio as "Portfolio") and gives each
strategy the same colour in every figure, so a reader can follow one strategy across charts.
The comparison table's labels and formats are :mod:`orchestrator.report.comparison`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestrator.core.results import PORTFOLIO, OrchestratorResult

__all__ = [
    "MIN_BARS",
    "PORTFOLIO_COLOR",
    "capital_figure",
    "chart_note",
    "correlation_figure",
    "correlation_note",
    "daily_returns",
    "drawdown_figure",
    "drawdowns",
    "equity_figure",
    "placeholder_figure",
    "plain",
    "returns_correlation",
    "strategy_colors",
]

EquityMode = Literal["currency", "percent"]

PORTFOLIO_COLOR = "#222222"
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
_BREACH_COLOR = "#d62728"
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "hovermode": "x unified",
    "margin": {"l": 60, "r": 20, "t": 90, "b": 40},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
}


EQUITY_TITLE = "Equity: portfolio and strategies"
DRAWDOWN_TITLE = "Drawdown (underwater)"
CORRELATION_TITLE = "Correlation of daily returns"
CAPITAL_TITLE = "Capital used vs capital available, per strategy"
CAPITAL_SUBTITLE = (
    "Shaded: capital used (market value of open positions) · solid line: capital available "
    "(the strategy's equity) · dashed: initial allocation · ×: capital breach"
)
# A line chart needs this many bars; with fewer, a figure is a placeholder that says so.
MIN_BARS = 2


def plain(text: object) -> str:
    """``text`` as plotly shows it literally: plotly reads a subset of HTML in trace names,
    axis labels, titles and hover texts (``<a href>`` becomes a link) and fills ``%{...}`` in
    hover templates, so a strategy id or a symbol (user text) has ``&``, ``<``, ``>`` and
    ``%`` written as entities, which plotly shows as the characters themselves."""
    return html.escape(str(text), quote=False).replace("%", "&#37;")


def _title(text: str) -> dict[str, Any]:
    """A title at the top left, above the legend (which sits just above the plot)."""
    return {"text": text, "x": 0.01, "xanchor": "left", "y": 0.985, "yanchor": "top"}


def strategy_colors(strategy_ids: Sequence[str]) -> dict[str, str]:
    """Return a colour per strategy id (in order, cycling the palette) and the portfolio's."""
    colors = {sid: _PALETTE[i % len(_PALETTE)] for i, sid in enumerate(strategy_ids)}
    colors[PORTFOLIO] = PORTFOLIO_COLOR
    return colors


def chart_note(result: OrchestratorResult) -> str | None:
    """Why the run's curves cannot be charted (fewer than :data:`MIN_BARS` bars), or None."""
    bars = len(result.portfolio_equity)
    if bars >= MIN_BARS:
        return None
    return (
        f"Not enough data to chart ({bars} bar{'' if bars == 1 else 's'}; a chart needs at "
        f"least {MIN_BARS}): choose a longer date range."
    )


def correlation_note(result: OrchestratorResult) -> str | None:
    """Why the correlation heatmap would say nothing, or None: it needs at least 2 strategies
    and at least 2 days of returns that vary for 2 of them."""
    ids = result.strategy_ids
    if len(ids) < 2:
        return (
            f"Correlation needs at least 2 strategies; this run has {len(ids)}. Add a strategy "
            "to see whether they diversify each other."
        )
    returns = daily_returns(result)
    varying = returns.count() >= 2
    varying &= returns.std(ddof=1).fillna(0.0) > 1e-15
    n = int(varying.sum())
    if n < 2:
        days = len(returns) + 1
        return (
            f"Correlation needs daily returns that vary for at least 2 strategies; this run has "
            f"{days} day{'' if days == 1 else 's'} of data and {n} "
            f"{'strategy' if n == 1 else 'strategies'} with varying returns (a strategy that "
            "never traded has flat returns)."
        )
    return None


def placeholder_figure(title: str, note: str, height: int = 260) -> go.Figure:
    """A figure with no data that says why: ``note`` in the middle, no axes."""
    fig = go.Figure()
    fig.add_annotation(
        text=note, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font={"size": 14, "color": "#555555"},
    )  # fmt: skip
    fig.update_layout(
        template="plotly_white",
        title=_title(title),
        height=height,
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return fig


def _starts(result: OrchestratorResult) -> dict[str, float]:
    """The capital each curve starts from: allocated capital, and the initial capital."""
    starts = {sid: sr.allocated_capital for sid, sr in result.strategy_results.items()}
    starts[PORTFOLIO] = result.initial_capital
    return starts


def _ms(index: pd.Index) -> np.ndarray:
    """Timestamps as float milliseconds since the epoch, which a plotly date axis reads.

    Plotly sends them as a packed binary array rather than ISO date strings, which halves the
    size of a decades-long daily figure (about 1 MB for 12,000 bars and four curves).
    """
    return pd.DatetimeIndex(index).as_unit("ns").asi8.astype(np.float64) / 1e6


def _line(name: str, x: pd.Index, y: np.ndarray, color: str, **kwargs: Any) -> go.Scatter:
    portfolio = name == PORTFOLIO
    return go.Scatter(
        x=_ms(x),
        y=y,
        name=plain(name),
        mode="lines",
        line={"color": color, "width": 2.6 if portfolio else 1.5},
        **kwargs,
    )


def equity_figure(
    result: OrchestratorResult, mode: EquityMode = "currency", log: bool = False
) -> go.Figure:
    """Plot the portfolio's equity and each strategy's, one line each, named by strategy id.

    ``mode="currency"`` plots equity in money; ``"percent"`` plots each curve's return on its
    own starting capital (a strategy's allocated capital, the portfolio's initial capital), so
    strategies of different sizes compare. ``log=True`` uses a log axis; in percent mode it
    then plots the growth of 1 (``equity / start``), since a return can be negative. A curve
    with no capital (weight 0) has no return and is left blank in percent mode.
    """
    if mode not in ("currency", "percent"):
        raise ValueError(f"mode must be 'currency' or 'percent'; found {mode!r}")
    note = chart_note(result)
    if note:
        return placeholder_figure(EQUITY_TITLE, note)
    curves = result.equity_curves
    starts = _starts(result)
    colors = strategy_colors(result.strategy_ids)
    fig = go.Figure()
    for name in [PORTFOLIO, *result.strategy_ids]:
        values = curves[name].to_numpy(dtype=float)
        start = starts[name]
        if mode == "percent":
            if start > 0:
                values = values / start if log else values / start - 1.0
            else:
                values = np.full_like(values, np.nan)
        if log:
            values = np.where(values > 0, values, np.nan)
        hover = "%{y:,.2f}" if mode == "currency" else "%{y:.3f}×" if log else "%{y:.2%}"
        fig.add_trace(
            _line(name, curves.index, values, colors[name],
                  hovertemplate=f"{hover}<extra>{plain(name)}</extra>")
        )  # fmt: skip
    if mode == "currency":
        y_title, tickformat = "Equity", ",.0f"
    elif log:
        y_title, tickformat = "Growth of 1 (log scale)", ".2~g"
    else:
        y_title, tickformat = "Return", ".0%"
    fig.update_layout(
        **_LAYOUT,
        title=_title(EQUITY_TITLE),
        xaxis={"type": "date"},
        yaxis={"title": y_title, "type": "log" if log else "linear", "tickformat": tickformat},
    )
    return fig


def drawdowns(result: OrchestratorResult) -> pd.DataFrame:
    """Drawdown ``E_t / max_{s<=t} E_s - 1`` (<= 0) of every curve; NaN while the running peak
    is not positive (a curve with no capital has no drawdown). Columns: Portfolio, then the
    strategies."""
    curves = result.equity_curves[[PORTFOLIO, *result.strategy_ids]]
    values = curves.to_numpy(dtype=float)
    peak = np.fmax.accumulate(values, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, values / peak - 1.0, np.nan)
    return pd.DataFrame(dd, index=curves.index, columns=curves.columns)


def drawdown_figure(result: OrchestratorResult) -> go.Figure:
    """Plot the underwater curve (drawdown from the running peak) of the portfolio and of each
    strategy; the portfolio's is shaded."""
    note = chart_note(result)
    if note:
        return placeholder_figure(DRAWDOWN_TITLE, note)
    dd = drawdowns(result)
    colors = strategy_colors(result.strategy_ids)
    fig = go.Figure()
    for name in dd.columns:
        extra: dict[str, Any] = {}
        if name == PORTFOLIO:
            extra = {"fill": "tozeroy", "fillcolor": "rgba(34, 34, 34, 0.12)"}
        fig.add_trace(
            _line(str(name), dd.index, dd[name].to_numpy(), colors[str(name)],
                  hovertemplate=f"%{{y:.2%}}<extra>{plain(name)}</extra>", **extra)
        )  # fmt: skip
    fig.update_layout(
        **_LAYOUT,
        title=_title(DRAWDOWN_TITLE),
        xaxis={"type": "date"},
        yaxis={"title": "Drawdown", "tickformat": ".0%", "rangemode": "tozero"},
    )
    return fig


def capital_figure(result: OrchestratorResult) -> go.Figure:
    """Plot, per strategy (one panel each), the capital it uses (the market value of its open
    positions, shaded) against the capital available to it: its equity (cash plus positions),
    which grows and shrinks with its results; a thin dashed line marks its initial
    allocation. Each capital breach (an order that wanted more cash than the strategy had;
    hover shows what was requested and allowed) is marked on the positions line.

    Per strategy the traces are named ``"<id> positions"``, ``"<id> equity"``,
    ``"<id> initial allocation"`` and, when it has any, ``"<id> breaches"``.
    """
    note = chart_note(result)
    if note:
        return placeholder_figure(CAPITAL_TITLE, note)
    ids = result.strategy_ids
    rows = max(len(ids), 1)
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        subplot_titles=[plain(sid) for sid in ids] or ["(no strategies)"],
        vertical_spacing=min(0.08, 0.3 / rows),
    )
    colors = strategy_colors(ids)
    for row, sid in enumerate(ids, start=1):
        sr = result.strategy_results[sid]
        value = sr.positions_value
        equity = sr.equity_curve
        color, shown = colors[sid], plain(sid)
        fig.add_trace(
            go.Scatter(
                x=_ms(value.index), y=value.to_numpy(dtype=float), name=f"{shown} positions",
                mode="lines", line={"color": color, "width": 1.0}, fill="tozeroy",
                showlegend=False,
                hovertemplate=f"%{{y:,.0f}}<extra>{shown} capital used</extra>",
            ),
            row=row, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=_ms(equity.index), y=equity.to_numpy(dtype=float), name=f"{shown} equity",
                mode="lines", line={"color": color, "width": 2.0}, showlegend=False,
                hovertemplate=f"%{{y:,.0f}}<extra>{shown} capital available (equity)</extra>",
            ),
            row=row, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=_ms(equity.index[[0, -1]]),
                y=[sr.allocated_capital, sr.allocated_capital],
                name=f"{shown} initial allocation", mode="lines", showlegend=False,
                line={"color": "#888888", "width": 1.0, "dash": "dash"},
                hovertemplate=f"%{{y:,.0f}}<extra>{shown} initial allocation</extra>",
            ),
            row=row, col=1,
        )  # fmt: skip
        breaches = sr.breaches
        if len(breaches):
            times = pd.DatetimeIndex(breaches["timestamp"])
            # The positions value at each breach's bar (or the last bar before it); several
            # breaches may share a bar.
            bars = pd.DatetimeIndex(value.index).as_unit("ns").asi8
            where = np.searchsorted(bars, times.as_unit("ns").asi8, side="right") - 1
            at = value.to_numpy(dtype=float)[np.clip(where, 0, None)]
            # One marker per breach episode, at its first bar; the hover says how long it ran.
            span = breaches["bars"] if "bars" in breaches else pd.Series(1, index=breaches.index)
            text = [
                plain(
                    f"{sym}: wanted {req:,.0f}, got {ok:,.0f} ({act})"
                    + (f", {n:,} bars in a row" if n > 1 else "")
                )
                for sym, req, ok, act, n in zip(
                    breaches["symbol"], breaches["requested"], breaches["allowed"],
                    breaches["action"], span, strict=True,
                )
            ]  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=_ms(times), y=at, name=f"{shown} breaches", showlegend=False,
                    mode="markers", text=text,
                    marker={"symbol": "x", "size": 8, "color": _BREACH_COLOR},
                    hovertemplate=f"%{{text}}<extra>{shown} capital breach</extra>",
                ),
                row=row, col=1,
            )  # fmt: skip
        fig.update_yaxes(tickformat=",.0f", rangemode="tozero", row=row, col=1)
    fig.update_xaxes(type="date")
    fig.update_layout(
        **{**_LAYOUT, "hovermode": "closest"},
        title={**_title(CAPITAL_TITLE), "subtitle": {"text": CAPITAL_SUBTITLE}},
        height=160 + 170 * rows,
        showlegend=False,
    )
    return fig


def daily_returns(result: OrchestratorResult) -> pd.DataFrame:
    """Daily simple returns of each strategy's equity curve (columns: strategy ids).

    Intraday curves are first sampled at each day's last bar. A strategy without capital has
    no returns (NaN).
    """
    curves = result.equity_curves[result.strategy_ids]
    index = pd.DatetimeIndex(curves.index)
    if len(curves) > 1:
        spacing = np.median(np.diff(index.asi8)) / 86_400e9
        if spacing < 0.9:
            curves = curves.groupby(index.normalize()).last()
    curves = curves.where(curves > 0)
    return curves.pct_change(fill_method=None).iloc[1:]


def returns_correlation(result: OrchestratorResult) -> pd.DataFrame:
    """Pearson correlation of the strategies' daily returns (NaN where a strategy's returns
    are constant, e.g. it never traded)."""
    returns = daily_returns(result)
    flat = returns.std(ddof=1).fillna(0.0) <= 1e-15
    corr = returns.corr()
    corr.loc[flat, :] = np.nan
    corr.loc[:, flat] = np.nan
    return corr


def correlation_figure(result: OrchestratorResult) -> go.Figure:
    """Heatmap of :func:`returns_correlation`, values written in the cells; -1 red, +1 blue.

    Strategies that correlate little diversify each other; a blank cell is a strategy whose
    returns never varied. Without 2 strategies whose returns vary, a placeholder says so
    (:func:`correlation_note`).
    """
    note = correlation_note(result)
    if note:
        return placeholder_figure(CORRELATION_TITLE, note)
    corr = returns_correlation(result)
    ids = [plain(c) for c in corr.columns]
    z = corr.to_numpy(dtype=float)
    text = [["" if math.isnan(v) else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=ids, y=ids, zmin=-1.0, zmax=1.0, zmid=0.0, colorscale="RdBu",
            text=text, texttemplate="%{text}", name="correlation",
            hovertemplate="%{y} vs %{x}: %{z:.2f}<extra></extra>",
            colorbar={"title": {"text": "ρ"}},
        )
    )  # fmt: skip
    fig.update_layout(
        template="plotly_white",
        title=_title(CORRELATION_TITLE),
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        yaxis={"autorange": "reversed"},
        height=max(320, 120 + 60 * len(ids)),
    )
    return fig
