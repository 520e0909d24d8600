"""Tests of report.comparison: the column definitions, the one formatter, best values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.core.results import PORTFOLIO, OrchestratorResult
from orchestrator.data import synthetic
from orchestrator.report.comparison import (
    BEST_DIRECTION,
    COLUMN_LABELS,
    COLUMNS,
    COMPACT,
    HEADLINE,
    TABLE_COLUMNS,
    TABLE_HEADERS,
    TABLE_KINDS,
    TableColumn,
    best_rows,
    comparison_display,
    comparison_styles,
    comparison_view,
    format_comparison,
    format_value,
    headline_figures,
    table_column,
)
from orchestrator.report.html import render


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    spec = RunSpec(
        strategies=(
            StrategySpec("sma_crossover", "0.3", {"fast": 5, "slow": 20}),
            StrategySpec("buy_and_hold", "0.5"),
        )
    )
    return spec.run(data=synthetic(["AAA", "BBB"], bars=120, seed=5))


# ---- definitions ------------------------------------------------------------------------------


def test_columns_define_every_comparison_table_column(result: OrchestratorResult) -> None:
    assert list(COLUMNS) == list(result.comparison_table.columns)


def test_table_columns_cover_every_trade_and_breach_column(result: OrchestratorResult) -> None:
    for frame in (result.trades, result.breaches):
        for col in frame.columns:
            assert col in TABLE_COLUMNS, f"{col} has no header and kind"
    assert {c.kind for c in TABLE_COLUMNS.values()} <= set(TABLE_KINDS)
    assert {k: c.header for k, c in TABLE_COLUMNS.items()} == TABLE_HEADERS


def test_table_columns_money_percent_count_kinds_as_defined() -> None:
    money = [k for k, c in TABLE_COLUMNS.items() if c.kind == "money"]
    assert money == ["entry_price", "exit_price", "pnl", "commission", "slippage", "requested",
                     "allowed", "amount", "costs", "shortfall"]  # fmt: skip
    assert TABLE_COLUMNS["return_pct"] == TableColumn("Return", "percent")
    assert TABLE_COLUMNS["bars_held"] == TableColumn("Bars held", "count")
    assert TABLE_COLUMNS["entry_time"].kind == "date"
    assert TABLE_COLUMNS["is_open"].kind == "flag"


def test_table_column_unknown_column_kind_from_its_dtype() -> None:
    times = pd.Series(pd.to_datetime(["2020-01-02", "2020-01-03"]))
    assert table_column("first_time", times) == TableColumn("first_time", "date")
    assert table_column("orders", pd.Series([1, 2])) == TableColumn("orders", "count")
    assert table_column("share", pd.Series([0.5, 1.5])) == TableColumn("share", "number")
    assert table_column("merged", pd.Series([True, False])) == TableColumn("merged", "flag")
    assert table_column("note", pd.Series(["a", "b"])) == TableColumn("note", "text")
    assert table_column("note") == TableColumn("note", "text")
    assert table_column("pnl", pd.Series(["not money"])) == TABLE_COLUMNS["pnl"]


def test_html_trade_cells_formatted_by_their_kind(result: OrchestratorResult) -> None:
    page = render(result, None, period="test", max_trades=1_000)
    trade = result.trades.iloc[0]
    # Money with two decimals, the return in percent, bars held as a whole number.
    assert f"<td>{trade['entry_price']:,.2f}</td>" in page
    assert f">{trade['return_pct']:.2%}</td>" in page
    assert f"<td>{int(trade['bars_held']):,}</td>" in page
    assert '<th class="t">Strategy</th>' in page
    assert "<th>P&amp;L</th>" in page


def test_best_direction_only_for_merits_with_their_sense() -> None:
    not_merits = {"weight", "allocated_capital", "final_equity", "num_trades", "exposure"}
    assert set(BEST_DIRECTION) == set(COLUMNS) - not_merits
    assert BEST_DIRECTION["max_drawdown"] == "max"  # drawdowns are <= 0: closest to 0 wins
    assert BEST_DIRECTION["annual_volatility"] == "min"
    assert COLUMN_LABELS["max_drawdown"] == "Max drawdown"


def test_column_terminal_label_short_where_given_else_label() -> None:
    assert COLUMNS["total_return"].label == "Total return"
    assert COLUMNS["total_return"].terminal_label == "Return"
    assert COLUMNS["max_drawdown"].terminal_label == "Max DD"
    assert COLUMNS["sharpe_ratio"].terminal_label == COLUMNS["sharpe_ratio"].label == "Sharpe"
    assert all(len(c.terminal_label) <= len(c.label) for c in COLUMNS.values())


# ---- format_value -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "ascii_text", "unicode_text"),
    [
        (0.25, "pct", "25.00%", "25.00%"),
        (1234.5, "money", "1,234.50", "1,234.50"),
        (12.0, "int", "12", "12"),
        (1.5, "ratio", "1.50", "1.50"),
        (math.nan, "pct", "n/a", "–"),
        (None, "ratio", "n/a", "–"),
        (math.inf, "ratio", "inf", "∞"),
        (-math.inf, "ratio", "-inf", "-∞"),
    ],
)
def test_format_value_ascii_for_terminals_unicode_for_screens(
    value: object, kind: str, ascii_text: str, unicode_text: str
) -> None:
    assert format_value(value, kind) == ascii_text
    assert format_value(value, kind, unicode=True) == unicode_text


def test_format_value_unknown_kind_raises_even_for_missing_values() -> None:
    with pytest.raises(ValueError, match="kind must be one of pct, money, ratio, int"):
        format_value(None, "count")


# ---- headline -----------------------------------------------------------------------------------


def test_headline_figures_equal_the_portfolio_row(result: OrchestratorResult) -> None:
    figures = headline_figures(result)
    assert tuple(figures) == HEADLINE
    row = result.comparison_table.loc[PORTFOLIO]
    for key in HEADLINE:
        assert figures[key] == pytest.approx(row[key], nan_ok=True)


# ---- comparison table -------------------------------------------------------------------------


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "weight": [0.5, 0.3, 0.0, 0.8],
            "allocated_capital": [50_000.0, 30_000.0, 0.0, 100_000.0],
            "total_return": [0.10, 0.25, math.nan, 0.30],
            "annual_volatility": [0.2, 0.1, 0.0, 0.05],
            "max_drawdown": [-0.30, -0.10, math.nan, -0.05],
            "profit_factor": [1.5, math.inf, math.nan, 2.0],
            "num_trades": [3, 12, 0, 15],
        },
        index=pd.Index(["a", "b", "idle", PORTFOLIO], name="strategy_id"),
    )


def test_best_rows_direction_ignores_portfolio_and_idle_strategies() -> None:
    best = best_rows(_table())
    # Portfolio has the highest return and lowest volatility, and idle the lowest volatility,
    # yet neither is a contender; inf is the best profit factor; drawdown closest to 0 wins.
    assert best == {
        "total_return": "b",
        "annual_volatility": "b",
        "max_drawdown": "b",
        "profit_factor": "b",
    }


def test_comparison_display_formats_percent_money_ratio_and_missing() -> None:
    shown = comparison_display(_table())
    assert list(shown.columns) == [COLUMN_LABELS[c] for c in _table().columns]
    assert shown.loc["a", "Weight"] == "50.00%"
    assert shown.loc[PORTFOLIO, "Allocated"] == "100,000.00"
    assert shown.loc["b", "Total return"] == "25.00%"
    assert shown.loc["idle", "Total return"] == "–"
    assert shown.loc["b", "Profit factor"] == "∞"
    assert shown.loc["a", "Profit factor"] == "1.50"
    assert shown.loc["b", "Trades"] == "12"


def test_comparison_styles_highlight_best_and_bold_portfolio() -> None:
    css = comparison_styles(_table())
    assert "background-color" in css.loc["b", "Total return"]
    assert css.loc["a", "Total return"] == ""
    assert css.loc[PORTFOLIO, "Trades"] == "font-weight: 600"
    assert css.loc["a", "Weight"] == ""


def test_format_comparison_keeps_numbers_and_formats_text(result: OrchestratorResult) -> None:
    table = result.comparison_table
    styler = format_comparison(table)
    pd.testing.assert_frame_equal(styler.data, table.rename(columns=COLUMN_LABELS))
    html = styler.to_html()
    assert "30.00%" in html  # sma_crossover's weight
    assert "background-color: #d4f4dd" in html


def test_comparison_view_text_with_dash_for_missing_compact_columns(
    result: OrchestratorResult,
) -> None:
    table = result.comparison_table.copy()
    table.loc["buy_and_hold", "sharpe_ratio"] = math.nan
    table["win_rate"] = table["win_rate"].astype(object)
    table.loc["buy_and_hold", "win_rate"] = None
    styler = comparison_view(table, COMPACT)
    shown = styler.data
    assert list(shown.columns) == [COLUMN_LABELS[c] for c in COMPACT]
    assert shown.loc["buy_and_hold", "Sharpe"] == "–"
    assert shown.loc["buy_and_hold", "Win rate"] == "–"
    assert not set(shown.to_numpy().ravel()) & {"None", "nan", "NaN", None}
    assert shown.loc["sma_crossover", "Weight"] == "30.00%"
    html = styler.to_html()
    assert "background-color: #d4f4dd" in html
    full = comparison_view(table).data
    assert list(full.columns) == list(COLUMN_LABELS.values())


def test_comparison_view_best_ignores_strategy_without_capital_even_when_compact() -> None:
    table = pd.DataFrame(
        {"allocated_capital": [0.0, 1000.0], "total_return": [0.0, -0.1], "weight": [0.0, 1.0]},
        index=pd.Index(["idle", "loser"], name="strategy_id"),
    )
    styler = comparison_view(table, ["weight", "total_return"])
    html = styler.to_html()
    # The idle strategy's 0 % is not "best": it had no capital; the loser is the only contender.
    assert list(styler.data.columns) == ["Weight", "Total return"]
    assert html.count("#d4f4dd") == 1
    css = styler._compute().ctx  # (row, col) -> [(prop, value)]
    assert ("background-color", "#d4f4dd") in css[(1, 1)]
