"""The results section of the dashboard (UI only): headline figures, charts, tables, downloads.

Figures come from :mod:`orchestrator.charts`; this module only lays them out with Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal, cast

import streamlit as st

from orchestrator import report
from orchestrator.charts import (
    capital_figure,
    correlation_figure,
    drawdown_figure,
    equity_figure,
    format_comparison,
)
from orchestrator.results import OrchestratorResult
from orchestrator.spec import RunSpec

__all__ = ["show_results"]


def headline(result: OrchestratorResult) -> None:
    m = result.aggregate_metrics
    final = float(result.portfolio_equity.iloc[-1])
    cols = st.columns(5)
    cols[0].metric("Total return", _fmt(m.total_return, ".2%"))
    cols[1].metric("CAGR", _fmt(m.cagr, ".2%"))
    cols[2].metric("Sharpe", _fmt(m.sharpe_ratio, ".2f"))
    cols[3].metric("Max drawdown", _fmt(m.max_drawdown, ".2%"))
    cols[4].metric("Final equity", f"{final:,.0f}", f"{final - result.initial_capital:+,.0f}")


def _fmt(value: float, spec: str) -> str:
    return "–" if value != value else format(value, spec)  # NaN: no honest figure


def trades_and_breaches(result: OrchestratorResult) -> None:
    trades_tab, breaches_tab = st.tabs(["Trades", "Capital breaches"])
    with trades_tab:
        trades = result.trades.sort_values("entry_time", kind="stable")
        c1, c2 = st.columns(2)
        by_strategy = c1.multiselect(
            "Filter trades by strategy",
            result.strategy_ids,
            key="f_strategy",
            placeholder="All strategies",
        )
        by_symbol = c2.multiselect(
            "Filter trades by symbol",
            sorted(trades["symbol"].unique()),
            key="f_symbol",
            placeholder="All symbols",
        )
        if by_strategy:
            trades = trades[trades["strategy_id"].isin(by_strategy)]
        if by_symbol:
            trades = trades[trades["symbol"].isin(by_symbol)]
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


def downloads(result: OrchestratorResult, spec: RunSpec) -> None:
    """The run's files, the same as ``orchestrator run --out`` writes (made when clicked)."""
    files: list[tuple[str, str, str, Callable[[], str]]] = [
        ("Comparison CSV", "comparison.csv", "text/csv", partial(report.comparison_csv, result)),
        ("Trades CSV", "trades.csv", "text/csv", partial(report.trades_csv, result)),
        ("Equity curves CSV", "equity.csv", "text/csv", partial(report.equity_csv, result)),
        ("Breaches CSV", "breaches.csv", "text/csv", partial(report.breaches_csv, result)),
        ("Result JSON", "result.json", "application/json",
         partial(report.result_json, result, spec)),
        ("Configuration TOML", "portfolio.toml", "application/toml", spec.to_toml),
    ]  # fmt: skip
    for col, (label, name, mime, make) in zip(st.columns(len(files)), files, strict=True):
        col.download_button(
            label, make, file_name=name, mime=mime, on_click="ignore", key=f"dl_{name}"
        )


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
    st.subheader("Downloads")
    downloads(result, spec)
