"""The results of a run on the dashboard: headline figures, charts, the comparison table,
trades and the capital-breach log, and the downloads.

Views only: figures are :mod:`orchestrator.report.charts`, every label and number format is
:mod:`orchestrator.report.comparison`, the downloads are :func:`orchestrator.report.exports`.
Strategy ids and symbols are user text: in alerts they pass through
:func:`orchestrator.ui.alerts.say`; tables and plotly (whose names the figures escape) show
them as plain text.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import pandas as pd
import streamlit as st

from orchestrator import report
from orchestrator.app import form
from orchestrator.app.spec import RunSpec
from orchestrator.core.results import OrchestratorResult
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
from orchestrator.ui.alerts import say_list
from orchestrator.ui.rebalance import rebalance_headline, rebalance_views

__all__ = ["NUMBER_FORMATS", "show_results", "table_columns"]

# Number formats of the table kinds (orchestrator.report.comparison.TableColumn) on screen.
NUMBER_FORMATS: dict[str, str | None] = {
    "money": "%,.2f",
    "percent": "percent",
    "count": "%,d",
    "number": None,
}


def headline(result: OrchestratorResult) -> None:
    """The portfolio's headline figures, as metrics in one row."""
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
    """The trades (filtered by strategy and symbol) and the capital-breach log, in tabs."""
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
            st.caption(
                f"{len(breaches):,} episodes of entries that wanted more capital than their "
                f"strategy had (the consecutive bars of one retried entry count once)"
            )
            st.dataframe(breaches, hide_index=True, column_config=table_columns(breaches))
        else:
            st.success("No capital breaches: every order fitted its strategy's capital.")


def text_columns(columns: pd.Index) -> dict[str, Any]:
    """Formatted figures are text: right-aligned, like numbers."""
    return {str(c): st.column_config.TextColumn(str(c), alignment="right") for c in columns}


def comparison(result: OrchestratorResult) -> None:
    """The comparison table: the columns that fit, and every column one click away."""
    table = result.comparison_table
    height = 35 * (len(table) + 1) + 3
    compact, full = comparison_view(table, COMPACT), comparison_view(table)
    st.dataframe(compact, height=height, column_config=text_columns(compact.columns))
    with st.expander(f"All metrics ({len(table.columns)} columns)"):
        st.dataframe(full, height=height, column_config=text_columns(full.columns))


def charts(result: OrchestratorResult) -> None:
    """The equity chart with its currency/percent and log toggles, or a note saying why not."""
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


def downloads(result: OrchestratorResult, spec: RunSpec) -> None:
    """The files `orchestrator run --out` writes, each made when its button is clicked."""
    st.subheader("Downloads")
    files = report.exports(result, spec, html=False)
    per_row = 5  # nine files do not fit one row of buttons
    rows = [files[i : i + per_row] for i in range(0, len(files), per_row)]
    cells = [(col, f) for row in rows for col, f in zip(st.columns(per_row), row, strict=False)]
    for col, file in cells:
        col.download_button(
            file.label,
            file.make,
            file_name=file.name,
            mime=file.mime,
            on_click="ignore",
            key=f"dl_{file.name}",
        )


def show_results(result: OrchestratorResult, spec: RunSpec, seconds: float) -> None:
    """Everything a run shows, from its warnings to its downloads."""
    if result.warnings:  # e.g. a symbol with fewer bars than a strategy's warm-up
        say_list("warning", result.warnings)
    headline(result)
    rebalance_headline(result)
    strategies, bars = len(result.strategy_ids), len(result.portfolio_equity)
    st.caption(
        f"{strategies} strateg{'y' if strategies == 1 else 'ies'}, {bars:,} "
        f"bar{'' if bars == 1 else 's'}; backtest computed in {seconds:.2f} s"
    )
    charts(result)
    rebalance_views(result)
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
    downloads(result, spec)
