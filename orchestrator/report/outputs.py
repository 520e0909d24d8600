"""Present a result: the terminal table, a one-line summary, and the exports of a run.

Exports (what ``orchestrator run --out DIR`` writes and the dashboard offers, see
:func:`exports`; also usable from Python):

- ``comparison.csv``: the comparison table (one row per strategy plus "Portfolio"; fractions);
- ``trades.csv``: every trade, tagged with ``strategy_id``; ``breaches.csv``: the breach log;
- ``equity.csv``: one column per strategy plus "Portfolio", on the run's timeline;
- ``transfers.csv``: every move of capital a rebalance made (``timestamp``, ``strategy_id``,
  ``amount``: + into the sleeve, - out of it, ``reason``, ``costs``; no rows without
  rebalancing); ``weights.csv``: each sleeve's share of portfolio equity and cash's, per
  timestamp; ``attribution.csv``: the portfolio's P&L split into strategies, costs,
  rebalancing costs and cash (the lines sum to the P&L);
- ``result.json``: :meth:`OrchestratorResult.to_dict` (``OrchestratorResult.from_dict`` reads
  it back into an equal result), plus the run's configuration under ``"spec"``;
- ``config.toml``: the run's configuration (:meth:`RunSpec.to_toml`), when it is known;
- ``report.html``: one self-contained page (plotly.js embedded, nothing fetched from the
  network) with the dashboard's charts, the comparison table, trades, breaches and the
  configuration used.

The ``*_csv``/``*_json`` functions return the file contents; ``write_*`` put them on disk.
Every text cell of a CSV (strategy ids, labels, symbols, also in headers) that a spreadsheet
would take for a formula, one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, is written with a leading apostrophe (:func:`spreadsheet_safe`, as OWASP advises);
numbers stay numbers.
Labels and number formats come from :mod:`orchestrator.report.comparison`: results hold fractions
and floats.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from orchestrator.core.results import PORTFOLIO, OrchestratorResult
from orchestrator.data._ranges import data_end_warnings
from orchestrator.report import html as _html
from orchestrator.report.comparison import COLUMNS, format_value, headline_figures
from orchestrator.report.html import tidy, trade_counts, trades_text
from orchestrator.report.rebalancing import (
    attribution_table,
    rebalance_text,
    transfers_table,
    weights_table,
)

if TYPE_CHECKING:
    from orchestrator.app.spec import RunSpec

__all__ = [
    "ALL_COLUMNS",
    "DEFAULT_COLUMNS",
    "MAX_HTML_TRADES",
    "Export",
    "attribution_csv",
    "breaches_csv",
    "comparison_csv",
    "data_end_warnings",
    "equity_csv",
    "exports",
    "format_rebalancing",
    "format_summary",
    "format_table",
    "format_value",
    "html_report",
    "result_json",
    "select_trades",
    "spreadsheet_safe",
    "tidy",
    "trade_counts",
    "trades_csv",
    "trades_text",
    "transfers_csv",
    "weights_csv",
    "write_all",
    "write_csvs",
    "write_html",
    "write_json",
]

# ---- terminal -----------------------------------------------------------------------------------

ALL_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
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


def _check_columns(table: pd.DataFrame, columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
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
    header = ["Strategy", *(COLUMNS[c].terminal_label for c in columns)]
    rows = [
        [str(sid), *(tidy(format_value(table.at[sid, c], COLUMNS[c].kind)) for c in columns)]
        for sid in table.index
    ]
    return header, rows


def format_table(comparison_table: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS) -> str:
    """Render a comparison table as aligned plain text for a terminal.

    Strategy ids are left-aligned, figures right-aligned; percentages, money and ratios are
    formatted; the "Portfolio" row sits under a rule. ``columns`` picks and orders the
    figures (names of the table's columns; see :data:`ALL_COLUMNS`). Headers are the
    columns' terminal labels (:attr:`Column.terminal_label`), so the table stays narrow.
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
    """One line on the portfolio: capital, return, CAGR, Sharpe, drawdown, trades (closed,
    and open at the end: :func:`trades_text`), breaches, period."""
    figure = headline_figures(result)
    breaches = len(result.breaches)

    def show(key: str, kind: str) -> str:
        return tidy(format_value(figure[key], kind))

    return (
        f"Portfolio: {format_value(result.initial_capital, 'money')} -> "
        f"{show('final_equity', 'money')} ({show('total_return', 'pct')}), "
        f"CAGR {show('cagr', 'pct')}, Sharpe {show('sharpe_ratio', 'ratio')}, "
        f"max drawdown {show('max_drawdown', 'pct')}, trades ({trades_text(result)}), "
        f"{breaches:,} capital breach{'es' if breaches != 1 else ''}, {_period(result)}"
    )


def format_rebalancing(result: OrchestratorResult) -> str | None:
    """One line on the run's rebalancing, its settings, count and cost (None without)."""
    return rebalance_text(result)


# ---- tables on screen ---------------------------------------------------------------------------


def select_trades(
    trades: pd.DataFrame, strategies: Collection[str] = (), symbols: Collection[str] = ()
) -> pd.DataFrame:
    """Return ``trades`` in order of entry, kept to the given strategy ids and symbols (an
    empty selection keeps all)."""
    trades = trades.sort_values("entry_time", kind="stable")
    if strategies:
        trades = trades[trades["strategy_id"].isin(list(strategies))]
    if symbols:
        trades = trades[trades["symbol"].isin(list(symbols))]
    return trades


# ---- contents -----------------------------------------------------------------------------------

# Trades beyond this are left out of the HTML page (they are all in trades.csv) to keep it light.
MAX_HTML_TRADES = 2000


# What makes a spreadsheet read a cell as a formula (or hide what starts one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe so it shows
    as text; any other value (numbers, dates, harmless text) as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _safe_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex) or not (
        pd.api.types.is_object_dtype(labels) or pd.api.types.is_string_dtype(labels)
    ):
        return labels
    return labels.map(spreadsheet_safe)


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell, column name and index label made spreadsheet-safe."""
    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out.isetitem(i, values.map(spreadsheet_safe).to_numpy(dtype=object))
    out.columns = _safe_labels(frame.columns)
    out.index = _safe_labels(frame.index)
    return out


def _csv(frame: pd.DataFrame, *, index: bool) -> str:
    buffer = io.StringIO()
    _safe(frame).to_csv(buffer, index=index, lineterminator="\n")
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


def transfers_csv(result: OrchestratorResult) -> str:
    """The rebalancing transfers as CSV, in time order (a header only without rebalancing)."""
    return _csv(transfers_table(result), index=False)


def weights_csv(result: OrchestratorResult) -> str:
    """The weights over time as CSV: ``timestamp``, one column per strategy, then "Cash"."""
    return _csv(weights_table(result), index=True)


def attribution_csv(result: OrchestratorResult) -> str:
    """The P&L attribution as CSV: ``component``, ``kind``, ``pnl`` (summing to the P&L)."""
    return _csv(attribution_table(result), index=False)


def result_json(result: OrchestratorResult, spec: RunSpec | None = None) -> str:
    """``result.to_dict()`` as JSON, plus ``"spec"`` (the run's configuration) when given.

    ``OrchestratorResult.from_dict(json.loads(text))`` rebuilds an equal result; the extra
    key lets the file alone reproduce the run (``RunSpec.from_dict(data["spec"])``).
    """
    data = result.to_dict()
    if spec is not None:
        data["spec"] = spec.to_dict()
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def html_report(result: OrchestratorResult, spec: RunSpec | None = None) -> str:
    """Return the standalone HTML report of a run (see the module docstring); it lists at
    most :data:`MAX_HTML_TRADES` trades."""
    return _html.render(result, spec, period=_period(result), max_trades=MAX_HTML_TRADES)


# ---- files --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """One file of a run: what a button calls it, its file name and type, and how to make it
    (``make()`` returns the content; nothing is made until asked)."""

    label: str
    name: str
    mime: str
    make: Callable[[], str]


def exports(result: OrchestratorResult, spec: RunSpec | None, *, html: bool = True) -> list[Export]:
    """Every file of a run, in the order a page offers them: the seven CSVs, result.json,
    config.toml (when ``spec`` is given) and report.html (unless ``html=False``)."""
    files = [
        Export("Comparison CSV", "comparison.csv", "text/csv", partial(comparison_csv, result)),
        Export("Trades CSV", "trades.csv", "text/csv", partial(trades_csv, result)),
        Export("Equity curves CSV", "equity.csv", "text/csv", partial(equity_csv, result)),
        Export("Breaches CSV", "breaches.csv", "text/csv", partial(breaches_csv, result)),
        Export("Transfers CSV", "transfers.csv", "text/csv", partial(transfers_csv, result)),
        Export("Weights CSV", "weights.csv", "text/csv", partial(weights_csv, result)),
        Export("Attribution CSV", "attribution.csv", "text/csv",
               partial(attribution_csv, result)),
        Export("Result JSON", "result.json", "application/json",
               partial(result_json, result, spec)),
    ]  # fmt: skip
    if spec is not None:
        files.append(Export("Configuration TOML", "config.toml", "application/toml", spec.to_toml))
    if html:
        files.append(
            Export("HTML report", "report.html", "text/html", partial(html_report, result, spec))
        )
    return files


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_csvs(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> list[Path]:
    """Write the CSVs of :func:`exports` into the folder ``path`` (created if needed), and
    config.toml when ``spec`` is given; return the files written."""
    folder = Path(path)
    files = exports(result, spec, html=False)
    return [_write(folder / f.name, f.make()) for f in files if f.name != "result.json"]


def write_json(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> Path:
    """Write :func:`result_json` to the file ``path``."""
    return _write(Path(path), result_json(result, spec))


def write_html(result: OrchestratorResult, spec: RunSpec | None, path: str | Path) -> Path:
    """Write :func:`html_report` to the file ``path``."""
    return _write(Path(path), html_report(result, spec))


def write_all(result: OrchestratorResult, spec: RunSpec | None, folder: str | Path) -> list[Path]:
    """Write every export of a run (see :func:`exports`) into ``folder``; return the files."""
    folder = Path(folder)
    return [_write(folder / f.name, f.make()) for f in exports(result, spec)]
