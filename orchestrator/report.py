"""Present a result: the terminal table, a one-line summary, and the exports of a run.

Exports (what ``orchestrator run --out DIR`` writes, also usable from Python and the dashboard):

- ``comparison.csv``: the comparison table (one row per strategy plus "Portfolio"; fractions);
- ``trades.csv``: every trade, tagged with ``strategy_id``; ``breaches.csv``: the breach log;
- ``equity.csv``: one column per strategy plus "Portfolio", on the run's timeline;
- ``result.json``: :meth:`OrchestratorResult.to_dict` (``OrchestratorResult.from_dict`` reads
  it back into an equal result), plus the run's configuration under ``"spec"``;
- ``report.html``: one self-contained page (plotly.js embedded, nothing fetched from the
  network) with the dashboard's charts, the comparison table, trades, breaches and the
  configuration used.

The ``*_text`` functions return the file contents; ``write_*`` put them on disk. Numbers are
formatted here and only here: results hold fractions and floats (labels belong to the UI).
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestrator.results import PORTFOLIO, OrchestratorResult

if TYPE_CHECKING:
    from orchestrator.spec import RunSpec

__all__ = [
    "ALL_COLUMNS",
    "DEFAULT_COLUMNS",
    "comparison_csv",
    "equity_csv",
    "format_summary",
    "format_table",
    "format_value",
    "html_report",
    "result_json",
    "trades_csv",
    "write_all",
    "write_csvs",
    "write_html",
    "write_json",
]

# ---- formatting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    label: str
    kind: str  # "pct", "money", "ratio", "int"


_COLUMNS: dict[str, _Column] = {
    "weight": _Column("Weight", "pct"),
    "allocated_capital": _Column("Allocated", "money"),
    "final_equity": _Column("Final equity", "money"),
    "total_return": _Column("Return", "pct"),
    "cagr": _Column("CAGR", "pct"),
    "annual_volatility": _Column("Volatility", "pct"),
    "sharpe_ratio": _Column("Sharpe", "ratio"),
    "sortino_ratio": _Column("Sortino", "ratio"),
    "calmar_ratio": _Column("Calmar", "ratio"),
    "max_drawdown": _Column("Max DD", "pct"),
    "max_drawdown_duration": _Column("DD bars", "int"),
    "num_trades": _Column("Trades", "int"),
    "win_rate": _Column("Win rate", "pct"),
    "profit_factor": _Column("Profit factor", "ratio"),
    "avg_trade_return": _Column("Avg trade", "pct"),
    "best_trade_return": _Column("Best trade", "pct"),
    "worst_trade_return": _Column("Worst trade", "pct"),
    "exposure": _Column("Exposure", "pct"),
    "total_costs": _Column("Costs", "money"),
}
ALL_COLUMNS: tuple[str, ...] = tuple(_COLUMNS)
# What fits a ~110-character terminal; ``format_table(..., columns=ALL_COLUMNS)`` for the rest.
DEFAULT_COLUMNS: tuple[str, ...] = (
    "weight",
    "final_equity",
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe_ratio",
    "max_drawdown",
    "num_trades",
    "win_rate",
    "exposure",
)
_MISSING = "n/a"


def format_value(value: Any, kind: str) -> str:
    """Format one figure for display: ``kind`` is "pct" (a fraction shown as percent), "money",
    "ratio" or "int"; NaN/None show as "n/a" and infinities as "inf"/"-inf"."""
    if value is None:
        return _MISSING
    x = float(value)
    if math.isnan(x):
        return _MISSING
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if kind == "pct":
        return f"{x * 100:.2f}%"
    if kind == "money":
        return f"{x:,.2f}"
    if kind == "int":
        return f"{x:,.0f}"
    if kind == "ratio":
        return f"{x:.2f}"
    raise ValueError(f"kind must be one of pct, money, ratio, int; found {kind!r}")


def _check_columns(table: pd.DataFrame, columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in _COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; known: {', '.join(ALL_COLUMNS)}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"the comparison table has no column(s) {missing}; expected "
            "OrchestratorResult.comparison_table"
        )


def _formatted_rows(
    table: pd.DataFrame, columns: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    _check_columns(table, columns)
    header = ["Strategy", *(_COLUMNS[c].label for c in columns)]
    rows = [
        [str(sid), *(format_value(table.at[sid, c], _COLUMNS[c].kind) for c in columns)]
        for sid in table.index
    ]
    return header, rows


def format_table(comparison_table: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS) -> str:
    """Render a comparison table as aligned plain text for a terminal.

    Strategy ids are left-aligned, figures right-aligned; percentages, money and ratios are
    formatted; the "Portfolio" row sits under a rule. ``columns`` picks and orders the
    figures (names of the table's columns; see :data:`ALL_COLUMNS`).
    """
    header, rows = _formatted_rows(comparison_table, columns)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule]
    for sid, row in zip(comparison_table.index, rows, strict=True):
        if sid == PORTFOLIO and len(out) > 2:
            out.append(rule)
        out.append(line(row))
    return "\n".join(out)


def _period(result: OrchestratorResult) -> str:
    index = result.portfolio_equity.index
    if len(index) == 0:
        return "no bars"
    first, last = index[0], index[-1]
    years = (last - first).days / 365.25
    return f"{first.date()} to {last.date()} ({years:.1f} years, {len(index):,} bars)"


def format_summary(result: OrchestratorResult) -> str:
    """One line on the portfolio: capital, return, CAGR, Sharpe, drawdown, trades, period."""
    m = result.aggregate_metrics
    final = float(result.portfolio_equity.iloc[-1]) if len(result.portfolio_equity) else math.nan
    breaches = len(result.breaches)
    return (
        f"Portfolio: {format_value(result.initial_capital, 'money')} -> "
        f"{format_value(final, 'money')} ({format_value(m.total_return, 'pct')}), "
        f"CAGR {format_value(m.cagr, 'pct')}, Sharpe {format_value(m.sharpe_ratio, 'ratio')}, "
        f"max drawdown {format_value(m.max_drawdown, 'pct')}, {m.num_trades:,} trades, "
        f"{breaches:,} capital breach{'es' if breaches != 1 else ''}, {_period(result)}"
    )


# ---- CSV and JSON -----------------------------------------------------------------------------


def _csv(frame: pd.DataFrame, *, index: bool) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=index, lineterminator="\n")
    return buffer.getvalue()


def comparison_csv(result: OrchestratorResult) -> str:
    """The comparison table as CSV (fractions, full precision; index column ``strategy_id``)."""
    return _csv(result.comparison_table, index=True)


def trades_csv(result: OrchestratorResult) -> str:
    """Every strategy's trades as CSV, one row per trade with its ``strategy_id``."""
    return _csv(result.trades, index=False)


def breaches_csv(result: OrchestratorResult) -> str:
    """The capital-breach log as CSV, in time order."""
    return _csv(result.breaches, index=False)


def equity_csv(result: OrchestratorResult) -> str:
    """Equity curves as CSV: ``timestamp`` then one column per strategy and "Portfolio"."""
    return _csv(result.equity_curves, index=True)


def result_json(result: OrchestratorResult, spec: RunSpec | None = None) -> str:
    """``result.to_dict()`` as JSON, plus ``"spec"`` (the run's configuration) when given.

    ``OrchestratorResult.from_dict(json.loads(text))`` rebuilds an equal result; the extra
    key lets the file alone reproduce the run (``RunSpec.from_dict(data["spec"])``).
    """
    data = result.to_dict()
    if spec is not None:
        data["spec"] = spec.to_dict()
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_csvs(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> list[Path]:
    """Write comparison.csv, trades.csv, breaches.csv and equity.csv into the folder ``path``
    (created if needed), and config.toml when ``spec`` is given; return the files written."""
    folder = Path(path)
    written = [
        _write(folder / "comparison.csv", comparison_csv(result)),
        _write(folder / "trades.csv", trades_csv(result)),
        _write(folder / "breaches.csv", breaches_csv(result)),
        _write(folder / "equity.csv", equity_csv(result)),
    ]
    if spec is not None:
        written.append(_write(folder / "config.toml", spec.to_toml()))
    return written


def write_json(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> Path:
    """Write :func:`result_json` to the file ``path``."""
    return _write(Path(path), result_json(result, spec))


def write_html(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> Path:
    """Write :func:`html_report` to the file ``path``."""
    return _write(Path(path), html_report(result, spec))


def write_all(result: OrchestratorResult, spec: RunSpec | None, folder: str | Path) -> list[Path]:
    """Write every export of a run into ``folder``: the CSVs, result.json and report.html."""
    folder = Path(folder)
    return [
        *write_csvs(result, spec, folder),
        write_json(result, spec, folder / "result.json"),
        write_html(result, spec, folder / "report.html"),
    ]


# ---- HTML -------------------------------------------------------------------------------------

# Trades beyond this are left out of the page (they are all in trades.csv) to keep it light.
MAX_HTML_TRADES = 2000

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
.chart { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; margin: 12px 0;
         padding: 4px; }
.scroll { overflow: auto; max-height: 520px; background: #fff; border: 1px solid #e1e4ea;
          border-radius: 8px; }
table { border-collapse: collapse; font-size: .86em; width: 100%; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th { background: #eef0f4; position: sticky; top: 0; text-align: right; }
td { text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td.t { text-align: left; }
tr.portfolio td { font-weight: 600; background: #f3f6fb; border-top: 2px solid #c9cfdb; }
.neg { color: #b42318; }
td.best { background: #d4f4dd; font-weight: 600; }
.note { color: #5b6172; font-size: .88em; }
.warn { background: #fff7e6; border: 1px solid #f3d19c; border-radius: 6px; padding: 8px 12px; }
pre { background: #1f2430; color: #e8eaf0; padding: 14px 16px; border-radius: 8px;
      overflow: auto; font-size: .85em; }
footer { color: #8a90a0; font-size: .8em; margin-top: 36px; }
"""

_TRADE_KINDS = {
    "entry_price": "money",
    "exit_price": "money",
    "quantity": "qty",
    "pnl": "money",
    "return_pct": "pct",
    "commission": "money",
    "slippage": "money",
    "bars_held": "int",
    "requested": "money",
    "allowed": "money",
}


_LABELS = {
    "strategy_id": "Strategy",
    "symbol": "Symbol",
    "entry_time": "Entry",
    "entry_price": "Entry price",
    "exit_time": "Exit",
    "exit_price": "Exit price",
    "quantity": "Quantity",
    "pnl": "P&L",
    "return_pct": "Return",
    "commission": "Commission",
    "slippage": "Slippage",
    "bars_held": "Bars held",
    "is_open": "Open",
    "timestamp": "Time",
    "requested": "Requested",
    "allowed": "Allowed",
    "action": "Action",
}


def _cell(value: Any, kind: str | None) -> tuple[str, str]:
    """Return (text, css class) of one table cell."""
    if kind is None:
        if isinstance(value, bool | np.bool_):
            text = "yes" if value else "no"
        elif value is None or value is pd.NaT:
            text = ""
        elif isinstance(value, pd.Timestamp):
            text = str(value.date()) if value == value.normalize() else value.isoformat(" ")
        else:
            text = str(value)
        return text, "t"
    x = float(value)
    if kind == "qty":
        text = f"{x:,.0f}" if math.isfinite(x) and x == int(x) else f"{x:,.6g}"
    else:
        text = format_value(x, kind)
    return text, "neg" if kind in ("pct", "money") and x < 0 else ""


def _html_table(frame: pd.DataFrame, kinds: Callable[[str], str | None]) -> str:
    head = "".join(f"<th>{html.escape(_LABELS.get(str(c), str(c)))}</th>" for c in frame.columns)
    body = []
    cols = [str(c) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(cols, row, strict=True):
            text, css = _cell(value, kinds(col))
            cls = f' class="{css}"' if css else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _comparison_html(result: OrchestratorResult) -> str:
    """The comparison table as the dashboard shows it: same labels and formats, the best
    strategy per column highlighted, the Portfolio row in bold."""
    from orchestrator import charts

    table = result.comparison_table
    shown = charts.comparison_display(table)
    best = charts.best_rows(table)
    head = "<th>Strategy</th>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for sid in shown.index:
        cells = [f'<td class="t">{html.escape(str(sid))}</td>']
        for col, label in zip(table.columns, shown.columns, strict=True):
            value = table.at[sid, col]
            css = []
            if best.get(str(col)) == sid:
                css.append("best")
            if isinstance(value, float) and value < 0:
                css.append("neg")
            cls = f' class="{" ".join(css)}"' if css else ""
            cells.append(f"<td{cls}>{html.escape(str(shown.at[sid, label]))}</td>")
        rc = ' class="portfolio"' if sid == PORTFOLIO else ""
        body.append(f"<tr{rc}>{''.join(cells)}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figures_html(result: OrchestratorResult) -> list[tuple[str, str]]:
    """(title, html div) of each chart; the first embeds plotly.js inline."""
    from orchestrator import charts

    figures = [
        ("Equity curves", charts.equity_figure(result)),
        ("Drawdown", charts.drawdown_figure(result)),
        ("Correlation of daily returns", charts.correlation_figure(result)),
        ("Capital used vs allocated", charts.capital_figure(result)),
    ]
    out = []
    for i, (title, fig) in enumerate(figures):
        # The page's heading names the chart; a plotly title would repeat it under the legend.
        fig.update_layout(title=None, margin={"t": 40})
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # True embeds the whole plotly.js: no CDN, works offline
            config={"displaylogo": False, "responsive": True},
        )
        out.append((title, div))
    return out


def _cards(result: OrchestratorResult) -> str:
    m = result.aggregate_metrics
    final = float(result.portfolio_equity.iloc[-1]) if len(result.portfolio_equity) else math.nan
    items = [
        ("Final equity", format_value(final, "money")),
        ("Total return", format_value(m.total_return, "pct")),
        ("CAGR", format_value(m.cagr, "pct")),
        ("Sharpe", format_value(m.sharpe_ratio, "ratio")),
        ("Max drawdown", format_value(m.max_drawdown, "pct")),
        ("Trades", format_value(m.num_trades, "int")),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{html.escape(k)}</div>'
            f'<div class="v">{html.escape(v)}</div></div>'
            for k, v in items
        )
        + "</div>"
    )


def _config_text(result: OrchestratorResult, spec: RunSpec | None) -> str:
    if spec is not None:
        return spec.to_toml()
    lines = ["# engine configuration (no run specification was given)"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in result.config.to_dict().items()]
    lines.append(f"initial_capital = {result.initial_capital!r}")
    return "\n".join(lines) + "\n"


def html_report(result: OrchestratorResult, spec: RunSpec | None = None) -> str:
    """Return the standalone HTML report of a run (see the module docstring)."""
    from orchestrator import __version__

    sections: list[str] = []
    symbols = sorted({s for sr in result.strategy_results.values() for s in sr.symbols})
    sections.append(
        "<h1>Strategy Orchestrator report</h1>"
        f'<p class="sub">{html.escape(_period(result))} &middot; '
        f"{len(result.strategy_results)} strategies on {html.escape(', '.join(symbols))} "
        f"&middot; initial capital {html.escape(format_value(result.initial_capital, 'money'))}"
        f"</p>{_cards(result)}"
    )
    if result.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings)
        sections.append(f'<h2>Warnings</h2><div class="warn"><ul>{items}</ul></div>')
    for title, div in _figures_html(result):
        sections.append(f'<h2>{html.escape(title)}</h2><div class="chart">{div}</div>')
    sections.append(
        "<h2>Comparison</h2>"
        f"{_comparison_html(result)}"
        '<p class="note">Fractions shown in percent, money in the portfolio\'s currency; '
        "the best strategy in each column is highlighted.</p>"
    )
    trades = result.trades
    note = ""
    if len(trades) > MAX_HTML_TRADES:
        note = (
            f'<p class="note">The first {MAX_HTML_TRADES:,} of {len(trades):,} trades; '
            "trades.csv has them all.</p>"
        )
        trades = trades.iloc[:MAX_HTML_TRADES]
    sections.append(
        f"<h2>Trades ({len(result.trades):,})</h2>"
        + (
            _html_table(trades, _TRADE_KINDS.get)
            if len(trades)
            else '<p class="note">No trades.</p>'
        )
        + note
    )
    breaches = result.breaches
    sections.append(
        f"<h2>Capital breaches ({len(breaches):,})</h2>"
        + (
            _html_table(breaches, _TRADE_KINDS.get)
            if len(breaches)
            else '<p class="note">No order ever wanted more capital than its strategy had.</p>'
        )
    )
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
