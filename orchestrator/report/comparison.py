"""How the comparison table reads: one definition per figure, one formatter, the best values.

:data:`COLUMNS` is the single source of every column's header, kind and direction; the
terminal table (:func:`orchestrator.report.format_table`), the HTML report and the dashboard
all derive their headers and number formats from it; :data:`TABLE_COLUMNS` does the same
for the trades and breaches tables. The terminal may use a column's
``short`` header where the full one would widen the table. The table itself
(:attr:`OrchestratorResult.comparison_table`) holds fractions and floats, never text.

Pure pandas, no Streamlit and no plotly: importing this module stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from orchestrator.core.results import PORTFOLIO, OrchestratorResult

__all__ = [
    "BEST_DIRECTION",
    "COLUMNS",
    "COLUMN_LABELS",
    "COMPACT",
    "HEADLINE",
    "KINDS",
    "TABLE_COLUMNS",
    "TABLE_HEADERS",
    "TABLE_KINDS",
    "Column",
    "TableColumn",
    "best_rows",
    "comparison_display",
    "comparison_styles",
    "comparison_view",
    "format_comparison",
    "format_value",
    "headline_figures",
    "table_column",
]

TableKind = Literal["money", "percent", "count", "number", "date", "flag", "text"]
TABLE_KINDS: tuple[TableKind, ...] = ("money", "percent", "count", "number", "date", "flag", "text")


@dataclass(frozen=True)
class TableColumn:
    """How one column of the trades or breaches table reads: ``header`` heads it, ``kind``
    formats it: "money" (two decimals, thousands separators), "percent" (a fraction shown in
    percent), "count" (a whole number), "number" (a plain figure, whole or fractional, e.g. a
    quantity), "date" (a time stamp), "flag" (yes/no) or "text"."""

    header: str
    kind: TableKind


# The columns of the trades and breaches tables (the data keep their column names), shared
# by the dashboard and the HTML report.
TABLE_COLUMNS: dict[str, TableColumn] = {
    "timestamp": TableColumn("Time", "date"),
    "strategy_id": TableColumn("Strategy", "text"),
    "symbol": TableColumn("Symbol", "text"),
    "entry_time": TableColumn("Entry", "date"),
    "entry_price": TableColumn("Entry price", "money"),
    "exit_time": TableColumn("Exit", "date"),
    "exit_price": TableColumn("Exit price", "money"),
    "quantity": TableColumn("Quantity", "number"),
    "pnl": TableColumn("P&L", "money"),
    "return_pct": TableColumn("Return", "percent"),
    "commission": TableColumn("Commission", "money"),
    "slippage": TableColumn("Slippage", "money"),
    "bars_held": TableColumn("Bars held", "count"),
    "is_open": TableColumn("Open", "flag"),
    "requested": TableColumn("Requested", "money"),
    "allowed": TableColumn("Allowed", "money"),
    "action": TableColumn("Action", "text"),
    "last_timestamp": TableColumn("Until", "date"),  # a breach episode's last bar
    "bars": TableColumn("Bars", "count"),
    "reason": TableColumn("Reason", "text"),  # a trade's (signal, rebalance, end) or a transfer's
    "amount": TableColumn("Amount", "money"),  # a rebalancing transfer: + into the sleeve
    "costs": TableColumn("Costs", "money"),
    "shortfall": TableColumn("Shortfall", "money"),
}
TABLE_HEADERS: dict[str, str] = {key: c.header for key, c in TABLE_COLUMNS.items()}


def table_column(name: str, values: pd.Series | None = None) -> TableColumn:
    """The header and kind of the trades/breaches column ``name``: its entry in
    :data:`TABLE_COLUMNS`, else (a column added later, e.g. by the engine) its own name as
    header and a kind read from ``values``' dtype: dates, flags, counts (integers), numbers
    (other numbers) or text."""
    known = TABLE_COLUMNS.get(name)
    if known is not None:
        return known
    if values is None:
        return TableColumn(name, "text")
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        kind: TableKind = "date"
    elif pd.api.types.is_bool_dtype(dtype):
        kind = "flag"
    elif pd.api.types.is_integer_dtype(dtype):
        kind = "count"
    elif pd.api.types.is_numeric_dtype(dtype):
        kind = "number"
    else:
        kind = "text"
    return TableColumn(name, kind)


Kind = Literal["pct", "money", "ratio", "int"]
KINDS: tuple[Kind, ...] = ("pct", "money", "ratio", "int")


@dataclass(frozen=True)
class Column:
    """How one figure reads: ``label`` heads it, ``kind`` formats it ("pct": a fraction shown
    in percent, "money", "ratio", "int": a count), ``short`` heads it in the terminal (when
    narrower than ``label``), and ``best`` says which way is better (None: not a merit)."""

    label: str
    kind: Kind
    short: str | None = None
    best: Literal["max", "min"] | None = None

    @property
    def terminal_label(self) -> str:
        return self.short or self.label


COLUMNS: dict[str, Column] = {
    "weight": Column("Weight", "pct"),
    "allocated_capital": Column("Allocated", "money"),
    "final_equity": Column("Final equity", "money"),
    "total_return": Column("Total return", "pct", short="Return", best="max"),
    "cagr": Column("CAGR", "pct", best="max"),
    "annual_volatility": Column("Volatility", "pct", best="min"),
    "sharpe_ratio": Column("Sharpe", "ratio", best="max"),
    "sortino_ratio": Column("Sortino", "ratio", best="max"),
    "calmar_ratio": Column("Calmar", "ratio", best="max"),
    # Drawdowns are <= 0: the one closest to 0 is best.
    "max_drawdown": Column("Max drawdown", "pct", short="Max DD", best="max"),
    "max_drawdown_duration": Column("Max DD bars", "int", short="DD bars", best="min"),
    "num_trades": Column("Trades", "int"),
    "win_rate": Column("Win rate", "pct", best="max"),
    "profit_factor": Column("Profit factor", "ratio", best="max"),
    "avg_trade_return": Column("Avg trade", "pct", best="max"),
    "best_trade_return": Column("Best trade", "pct", best="max"),
    "worst_trade_return": Column("Worst trade", "pct", best="max"),
    "exposure": Column("Exposure", "pct"),
    "total_costs": Column("Costs", "money", best="min"),
}
COLUMN_LABELS: dict[str, str] = {key: c.label for key, c in COLUMNS.items()}
BEST_DIRECTION: dict[str, Literal["max", "min"]] = {
    key: c.best for key, c in COLUMNS.items() if c.best is not None
}
# The portfolio's figures a reader looks at first (the dashboard's metrics, the report's cards).
HEADLINE: tuple[str, ...] = (
    "final_equity",
    "total_return",
    "cagr",
    "sharpe_ratio",
    "max_drawdown",
    "num_trades",
)
# The columns a screen shows by default, narrow enough to fit beside a sidebar; the rest are
# one click away (the full table).
COMPACT: tuple[str, ...] = (
    "weight",
    "final_equity",
    "total_return",
    "cagr",
    "sharpe_ratio",
    "max_drawdown",
    "num_trades",
    "win_rate",
    "exposure",
    "total_costs",
)
_HIGHLIGHT = "background-color: #d4f4dd; font-weight: 600"


def format_value(value: Any, kind: str, *, unicode: bool = False) -> str:
    """Format one figure for reading: ``kind`` is "pct" (a fraction shown as percent),
    "money", "ratio" or "int". A missing value (None, NaN) shows as "n/a" and infinities as
    "inf"/"-inf", plain ASCII for any terminal; ``unicode=True`` gives "–" and "∞"/"-∞"
    for a screen."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; found {kind!r}")
    x = math.nan if value is None else float(value)
    if math.isnan(x):
        return "–" if unicode else "n/a"
    if math.isinf(x):
        text = "∞" if unicode else "inf"
        return text if x > 0 else f"-{text}"
    if kind == "pct":
        return f"{x:.2%}"
    if kind == "money":
        return f"{x:,.2f}"
    if kind == "int":
        return f"{x:,.0f}"
    return f"{x:.2f}"


def headline_figures(result: OrchestratorResult) -> dict[str, float]:
    """The portfolio's :data:`HEADLINE` figures by column key (NaN final equity when the run
    has no bars); read and format them with :data:`COLUMNS`."""
    m = result.aggregate_metrics
    equity = result.portfolio_equity
    return {
        "final_equity": float(equity.iloc[-1]) if len(equity) else math.nan,
        "total_return": m.total_return,
        "cagr": m.cagr,
        "sharpe_ratio": m.sharpe_ratio,
        "max_drawdown": m.max_drawdown,
        "num_trades": float(m.num_trades),
    }


def best_rows(table: pd.DataFrame) -> dict[str, str]:
    """Return, per column with a direction in :data:`BEST_DIRECTION`, the strategy id of the
    best value among the strategies. Neither the "Portfolio" row nor a strategy without
    capital (weight 0: it did nothing) is a contender. Columns where no contender has a finite
    value are left out."""
    contenders = table.drop(index=PORTFOLIO, errors="ignore")
    if "allocated_capital" in contenders.columns:
        contenders = contenders[contenders["allocated_capital"] > 0]
    best: dict[str, str] = {}
    for col, direction in BEST_DIRECTION.items():
        if col not in contenders.columns:
            continue
        values = contenders[col].astype(float).replace([np.inf, -np.inf], np.nan)
        if col == "profit_factor":  # inf (no losing trade) is the best profit factor there is
            values = contenders[col].astype(float).replace(-np.inf, np.nan)
        if values.notna().any():
            best[col] = str(values.idxmax() if direction == "max" else values.idxmin())
    return best


def _cell_text(col: str, value: object) -> str:
    """One cell as the screen shows it; a column without a definition reads as a ratio."""
    column = COLUMNS.get(col)
    return format_value(value, column.kind if column else "ratio", unicode=True)


def comparison_display(table: pd.DataFrame) -> pd.DataFrame:
    """Return the comparison table as text, formatted for reading (percent with two decimals,
    money with thousands separators, ratios with two decimals, "–" for no value), with
    readable headers from :data:`COLUMN_LABELS`."""
    out = pd.DataFrame(
        {
            COLUMN_LABELS.get(str(col), str(col)): [_cell_text(str(col), v) for v in table[col]]
            for col in table.columns
        },
        index=table.index,
    )
    out.index.name = table.index.name
    return out


def comparison_styles(table: pd.DataFrame) -> pd.DataFrame:
    """Return the CSS of each cell of the comparison table (headers from
    :data:`COLUMN_LABELS`): the best strategy per column (see :func:`best_rows`) highlighted,
    the Portfolio row in bold, every other cell ``""``."""
    best = best_rows(table)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    for col, sid in best.items():
        css.loc[sid, col] = _HIGHLIGHT
    if PORTFOLIO in css.index:
        css.loc[PORTFOLIO] = "font-weight: 600"
    return css.rename(columns=COLUMN_LABELS)


def format_comparison(table: pd.DataFrame) -> Any:
    """Return a pandas ``Styler`` of the comparison table: values formatted as in
    :func:`comparison_display`, headers from :data:`COLUMN_LABELS`, cells styled by
    :func:`comparison_styles`.

    The Styler's data stays numeric (``styler.data`` is ``table`` with renamed columns), so a
    consumer can still read and sort the exact figures.
    """
    data = table.rename(columns=COLUMN_LABELS)
    css = comparison_styles(table)
    formatters: dict[Any, str | Callable[[object], str] | None] = {
        COLUMN_LABELS.get(str(col), str(col)): partial(_cell_text, str(col))
        for col in table.columns
    }
    return data.style.format(formatters).apply(lambda _: css, axis=None)


def comparison_view(table: pd.DataFrame, columns: Sequence[str] | None = None) -> Any:
    """Return a pandas ``Styler`` of the comparison table as text for a screen: the cells of
    :func:`comparison_display` (so a missing value reads "–", never "None" or "nan"), styled by
    :func:`comparison_styles`; ``columns`` (keys of :data:`COLUMNS`, in order) keeps only those
    that the table has, e.g. :data:`COMPACT`."""
    css = comparison_styles(table)  # on every column: a strategy without capital never wins
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    shown = comparison_display(table)
    css = css[list(shown.columns)]
    return shown.style.apply(lambda _: css, axis=None)
