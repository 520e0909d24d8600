"""The standalone HTML report of a run (private; the public face is ``report.html_report``).

One self-contained page: plotly.js embedded (nothing fetched from the network), the
dashboard's charts (with the sleeves' weights over time, rebalances marked, and the P&L
attribution waterfall), the rebalancing line, the comparison table with the dashboard's
labels and formats (both from :mod:`orchestrator.report.comparison`), trades, breaches and
the configuration used.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestrator.core.results import PORTFOLIO, OrchestratorResult
from orchestrator.report import rebalancing as rb
from orchestrator.report.comparison import (
    COLUMNS,
    HEADLINE,
    TableKind,
    best_rows,
    comparison_display,
    format_value,
    headline_figures,
    table_column,
)

if TYPE_CHECKING:
    from orchestrator.app.spec import RunSpec

__all__ = ["render", "tidy", "trade_counts", "trades_text"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; background: #f5f6f8; color: #1f2430; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 10px; border-bottom: 1px solid #d8dbe2;
     padding-bottom: 4px; }
.sub { color: #5b6172; margin: 0 0 20px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: 10px 16px;
        min-width: 140px; }
.card .k { font-size: .8em; color: #5b6172; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 1.35em; font-weight: 600; margin-top: 2px; }
.card .s { font-size: .8em; color: #5b6172; }
.chart { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; margin: 12px 0;
         padding: 4px; }
.scroll { overflow: auto; max-height: 520px; background: #fff; border: 1px solid #e1e4ea;
          border-radius: 8px; }
table { border-collapse: collapse; font-size: .86em; width: 100%; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th { background: #eef0f4; position: sticky; top: 0; }
/* A header sits over its column: text columns (class t) left, figures right. */
th, td { text-align: right; }
td { font-variant-numeric: tabular-nums; }
th.t, td.t { text-align: left; }
tr.portfolio td { font-weight: 600; background: #f3f6fb; border-top: 2px solid #c9cfdb; }
.neg { color: #b42318; }
td.best { background: #d4f4dd; font-weight: 600; }
.note { color: #5b6172; font-size: .88em; }
.warn { background: #fff7e6; border: 1px solid #f3d19c; border-radius: 6px; padding: 8px 12px; }
pre { background: #1f2430; color: #e8eaf0; padding: 14px 16px; border-radius: 8px;
      overflow: auto; font-size: .85em; }
footer { color: #8a90a0; font-size: .8em; margin-top: 36px; }
"""

_NEGATIVE_ZERO = re.compile(r"-(0[.,]?0*%?)")


def tidy(text: str) -> str:
    """Drop the sign of a figure that rounds to zero: "-0.00" and "-0.00%" read as 0."""
    match = _NEGATIVE_ZERO.fullmatch(text)
    return match.group(1) if match else text


def trade_counts(result: OrchestratorResult) -> tuple[int, int]:
    """(closed trades, positions still open at the end) of a run; the metrics count only
    closed trades, while ``result.trades`` lists the open positions too."""
    trades = result.trades
    if not len(trades):
        return 0, 0
    still_open = int(trades["is_open"].astype(bool).sum())
    return len(trades) - still_open, still_open


def trades_text(result: OrchestratorResult) -> str:
    """ "110 closed, 4 open" (or "68 closed" when nothing is open): how every page and the
    terminal count a run's trades."""
    closed, still_open = trade_counts(result)
    return f"{closed:,} closed" + (f", {still_open:,} open" if still_open else "")


# Kinds shown as text (left-aligned, no number format).
_TEXT_KINDS = frozenset({"date", "flag", "text"})
# A table kind's figure format (see orchestrator.report.comparison.format_value).
_FIGURE_FORMATS = {"money": "money", "percent": "pct", "count": "int"}


def _cell(value: Any, kind: TableKind, daily: bool = False) -> tuple[str, str]:
    """Return (text, css class) of one table cell of a column of ``kind`` (see
    :class:`~orchestrator.report.comparison.TableColumn`); ``daily``: the cell's column holds
    dates (every time in it is midnight), shown without "00:00:00"."""
    if kind in _TEXT_KINDS:
        if isinstance(value, bool | np.bool_):
            text = "yes" if value else "no"
        elif value is None or value is pd.NaT:
            text = ""
        elif isinstance(value, pd.Timestamp):
            text = str(value.date()) if daily else value.isoformat(" ")
        else:
            text = str(value)
        return text, "t"
    x = float(value)
    if kind == "number":
        text = f"{x:,.0f}" if math.isfinite(x) and x == int(x) else f"{x:,.6g}"
    else:
        text = tidy(format_value(x, _FIGURE_FORMATS[kind]))
    return text, "neg" if kind in ("percent", "money") and text.startswith("-") else ""


def _table(head: str, rows: list[str]) -> str:
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _dates_only(column: pd.Series) -> bool:
    """Whether a column holds timestamps that are all at midnight (daily data)."""
    times = column.dropna()
    if not pd.api.types.is_datetime64_any_dtype(times):
        if not len(times) or not all(isinstance(t, pd.Timestamp) for t in times):
            return False
        times = pd.Series(pd.DatetimeIndex(times))
    return bool((times == times.dt.normalize()).all())


def _th(label: str, text: bool) -> str:
    """A header cell aligned like its column (``text``: left, like the text under it)."""
    cls = ' class="t"' if text else ""
    return f"<th{cls}>{html.escape(label)}</th>"


def _frame_table(frame: pd.DataFrame) -> str:
    """A trades or breaches table: headers and formats from
    :func:`~orchestrator.report.comparison.table_column`."""
    cols = [str(c) for c in frame.columns]
    columns = [table_column(c, frame[c]) for c in cols]
    head = "".join(_th(c.header, c.kind in _TEXT_KINDS) for c in columns)
    daily = {c: _dates_only(frame[c]) for c in cols}
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, column, value in zip(cols, columns, row, strict=True):
            text, css = _cell(value, column.kind, daily[col])
            cls = f' class="{css}"' if css else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(head, body)


def _comparison(result: OrchestratorResult) -> str:
    """The comparison table as the dashboard shows it: same labels and formats, the best
    strategy per column highlighted, the Portfolio row in bold."""
    table = result.comparison_table
    shown = comparison_display(table)
    best = best_rows(table)
    head = _th("Strategy", True) + "".join(_th(str(c), False) for c in shown.columns)
    body = []
    for sid in shown.index:
        cells = [f'<td class="t">{html.escape(str(sid))}</td>']
        for col, label in zip(table.columns, shown.columns, strict=True):
            value = table.at[sid, col]
            text = tidy(str(shown.at[sid, label]))
            css = []
            if best.get(str(col)) == sid:
                css.append("best")
            if isinstance(value, float) and value < 0 and text.startswith("-"):  # not "0.00"
                css.append("neg")
            cls = f' class="{" ".join(css)}"' if css else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rc = ' class="portfolio"' if sid == PORTFOLIO else ""
        body.append(f"<tr{rc}>{''.join(cells)}</tr>")
    return _table(head, body)


def _figures(result: OrchestratorResult) -> list[tuple[str, str]]:
    """(title, html div) of each chart; the first embeds plotly.js inline."""
    from orchestrator.report import allocation_charts, charts  # plotly: when a page is made

    marks = rb.marked_rebalances(result)
    weights = rb.display_weights(rb.weights_table(result), rb.rebalance_times(result))
    figures = [
        ("Equity curves", charts.equity_figure(result)),
        ("Drawdown", charts.drawdown_figure(result)),
        ("Correlation of daily returns", charts.correlation_figure(result)),
        ("Capital used vs capital available", charts.capital_figure(result)),
        ("Weights over time", allocation_charts.weights_figure(weights, marks)),
        ("Where the P&L came from", allocation_charts.attribution_figure(
            rb.attribution_table(result))),
    ]  # fmt: skip
    out = []
    for i, (title, fig) in enumerate(figures):
        # The page's heading names the chart; a plotly title would repeat it under the legend.
        fig.update_layout(title=None, margin={"t": 40})
        for trace in fig.data:  # a correlation of -0.001 is written 0.00, not -0.00
            if trace.type == "heatmap" and trace.text is not None:
                trace.text = [[tidy(str(t)) for t in row] for row in trace.text]
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # True embeds the whole plotly.js: no CDN, works offline
            config={"displaylogo": False, "responsive": True},
        )
        out.append((title, div))
    return out


def _cards(result: OrchestratorResult) -> str:
    figures = headline_figures(result)
    _, still_open = trade_counts(result)
    cards = []
    for key in HEADLINE:
        value = tidy(format_value(figures[key], COLUMNS[key].kind))
        sub = ""
        if key == "num_trades":  # the metrics count closed trades; say so beside the open ones
            sub = f"closed, {still_open:,} open" if still_open else "closed"
            sub = f'<div class="s">{sub}</div>'
        cards.append(
            f'<div class="card"><div class="k">{html.escape(COLUMNS[key].label)}</div>'
            f'<div class="v">{html.escape(value)}</div>{sub}</div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _config_text(result: OrchestratorResult, spec: RunSpec | None) -> str:
    if spec is not None:
        return spec.to_toml()
    lines = ["# engine configuration (no run specification was given)"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in result.config.to_dict().items()]
    lines.append(f"initial_capital = {result.initial_capital!r}")
    return "\n".join(lines) + "\n"


def _trades(result: OrchestratorResult, max_trades: int) -> str:
    trades = result.trades
    note = ""
    if len(trades) > max_trades:
        note = (
            f'<p class="note">The first {max_trades:,} of {len(trades):,} trades; '
            "trades.csv has them all.</p>"
        )
        trades = trades.iloc[:max_trades]
    table = _frame_table(trades) if len(trades) else ""
    return (
        f"<h2>Trades ({trades_text(result)})</h2>"
        + (table or '<p class="note">No trades.</p>')
        + note
    )


def _breaches(result: OrchestratorResult) -> str:
    breaches = result.breaches
    return f"<h2>Capital breaches ({len(breaches):,})</h2>" + (
        '<p class="note">One row per episode: the consecutive bars on which a strategy retried '
        "an entry in one symbol that its cash could not pay for in full.</p>"
        + _frame_table(breaches)
        if len(breaches)
        else '<p class="note">No order ever wanted more capital than its strategy had.</p>'
    )


def render(
    result: OrchestratorResult, spec: RunSpec | None, *, period: str, max_trades: int
) -> str:
    """Return the page: ``period`` describes the run's time span under the title, and at
    most ``max_trades`` trades are listed (trades.csv has them all)."""
    from orchestrator import __version__

    symbols = sorted({s for sr in result.strategy_results.values() for s in sr.symbols})
    capital = format_value(result.initial_capital, "money")
    sections = [
        "<h1>Strategy Orchestrator report</h1>"
        f'<p class="sub">{html.escape(period)} &middot; '
        f"{len(result.strategy_results)} strategies on {html.escape(', '.join(symbols))} "
        f"&middot; initial capital {html.escape(capital)}</p>{_cards(result)}"
    ]
    rebalancing = rb.rebalance_text(result)
    if rebalancing:
        sections.append(f'<p class="sub rebalancing">{html.escape(rebalancing)}</p>')
    if result.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings)
        sections.append(f'<h2>Warnings</h2><div class="warn"><ul>{items}</ul></div>')
    for title, div in _figures(result):
        sections.append(f'<h2>{html.escape(title)}</h2><div class="chart">{div}</div>')
    sections.append(
        "<h2>Comparison</h2>"
        f"{_comparison(result)}"
        '<p class="note">Fractions shown in percent, money in the portfolio\'s currency; '
        "the best strategy in each column is highlighted.</p>"
    )
    sections.append(_trades(result, max_trades))
    sections.append(_breaches(result))
    sections.append(
        "<h2>Configuration</h2>"
        f"<pre>{html.escape(_config_text(result, spec), quote=False)}</pre>"
        '<p class="note">Save this as a .toml file and run <code>orchestrator run FILE</code> '
        "to reproduce the run.</p>"
    )
    sections.append(f"<footer>strategy-orchestrator {html.escape(__version__)}</footer>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Strategy Orchestrator report</title>"
        f"<style>{_CSS}</style></head><body><main>{''.join(sections)}</main></body></html>\n"
    )
