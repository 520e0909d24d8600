"""The self-contained page of a sweep, ``sweep.html``: heatmaps of a metric over pairs of
settings (a line for a single setting), the metric's distribution, the best rows, how the best
cell's neighbours do, and the in-sample caveat. plotly.js is embedded: nothing is fetched from
the network, so the page opens offline.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import TYPE_CHECKING, Any

from orchestrator.app.robustness import (
    best_rows,
    caveat_text,
    higher_is_better,
    metric_column,
    metric_spread,
    neighbours,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_HEATMAPS", "sweep_figures", "sweep_page"]

#: Most heatmaps on a page (pairs of the first varying settings).
MAX_HEATMAPS = 6

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; background: #f5f6f8; color: #1f2430; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 10px; border-bottom: 1px solid #d8dbe2;
     padding-bottom: 4px; }
.sub, .note { color: #5b6172; }
.chart { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; margin: 12px 0;
         padding: 4px; }
.scroll { overflow: auto; max-height: 520px; background: #fff; border: 1px solid #e1e4ea;
          border-radius: 8px; }
table { border-collapse: collapse; font-size: .86em; width: 100%; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eceef2; white-space: nowrap;
         text-align: right; }
th { background: #eef0f4; position: sticky; top: 0; }
.warn { background: #fff7e6; border: 1px solid #f3d19c; border-radius: 6px; padding: 8px 12px; }
pre { background: #1f2430; color: #e8eaf0; padding: 14px 16px; border-radius: 8px;
      overflow: auto; font-size: .85em; }
"""


def _varying(table: pd.DataFrame) -> list[str]:
    """The settings columns with at least two distinct values among the rows."""
    settings = table.attrs.get("sweep", {}).get("settings", [])
    return [s for s in settings if s in table and table[s].nunique(dropna=False) > 1]


def _levels(column: pd.Series) -> list[Any]:
    return sorted(column.unique(), key=lambda v: (str(type(v)), v))


def sweep_figures(table: pd.DataFrame, metric: str) -> list[tuple[str, Any]]:
    """(title, plotly figure) for each chart of the page: heatmaps of ``metric`` over pairs of
    varying settings (median over the others, the best cell marked), or a line for one
    setting, and a histogram of ``metric`` over the grid."""
    import plotly.graph_objects as go

    column = metric_column(table, metric)
    axes = _varying(table)
    ok = table[table[column].notna()]
    best = best_rows(table, column, 1)
    out: list[tuple[str, Any]] = []
    others = "" if len(axes) <= 2 else " (median over the other settings)"
    if len(axes) == 1:
        x = axes[0]
        line = ok.groupby(x, sort=True)[column].median()
        fig = go.Figure(go.Scatter(x=list(line.index), y=list(line.values), mode="lines+markers"))
        fig.update_layout(xaxis_title=x, yaxis_title=column, height=420)
        out.append((f"{column} by {x}", fig))
    for x, y in itertools.islice(itertools.combinations(axes[:4], 2), MAX_HEATMAPS):
        grid = ok.pivot_table(index=y, columns=x, values=column, aggfunc="median")
        xs, ys = _levels(table[x]), _levels(table[y])
        grid = grid.reindex(index=ys, columns=xs)
        z = [[None if math.isnan(v) else float(v) for v in row] for row in grid.to_numpy(float)]
        text = [["" if v is None else f"{v:.3g}" for v in row] for row in z]
        fig = go.Figure(
            go.Heatmap(
                x=[str(v) for v in xs],
                y=[str(v) for v in ys],
                z=z,
                text=text,
                texttemplate="%{text}",
                colorscale="RdYlGn" if higher_is_better(column) else "RdYlGn_r",
                colorbar={"title": column.rpartition(".")[2]},
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{column}=%{{z}}<extra></extra>",
            )
        )
        if len(best):
            fig.add_trace(
                go.Scatter(
                    x=[str(best[x].iloc[0])],
                    y=[str(best[y].iloc[0])],
                    mode="markers",
                    marker={"symbol": "x-thin", "size": 16, "line": {"width": 3}},
                    name="best cell",
                    hoverinfo="skip",
                )
            )
        fig.update_layout(xaxis_title=x, yaxis_title=y, height=460, showlegend=False)
        fig.update_xaxes(type="category")
        fig.update_yaxes(type="category")
        out.append((f"{column} over {x} and {y}{others}", fig))
    hist = go.Figure(go.Histogram(x=list(ok[column]), nbinsx=min(50, max(5, len(ok) // 3))))
    hist.update_layout(xaxis_title=column, yaxis_title="combinations", height=360)
    out.append((f"Distribution of {column} across the grid", hist))
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else str(value)


def _rows_table(frame: pd.DataFrame, columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame[columns].itertuples(index=False, name=None)
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def sweep_page(
    table: pd.DataFrame, metric: str, *, config_text: str | None = None, top: int = 10
) -> str:
    """Return the whole page for a sweep's ``table`` scored on ``metric``."""
    from orchestrator import __version__

    column = metric_column(table, metric)
    settings = table.attrs.get("sweep", {}).get("settings", [])
    failed = int(table["error"].notna().sum()) if "error" in table else 0
    spread = metric_spread(table, column)
    sections = [
        "<h1>Sweep</h1>"
        f'<p class="sub">{len(table):,} combinations &middot; {failed:,} failed &middot; '
        f"scored on {html.escape(column)}</p>",
        f'<p class="warn">{html.escape(caveat_text(len(table), column))}</p>',
    ]
    for i, (title, fig) in enumerate(sweep_figures(table, column)):
        fig.update_layout(margin={"t": 30})
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # embed plotly.js once: no CDN, works offline
            config={"displaylogo": False, "responsive": True},
        )
        sections.append(f'<h2>{html.escape(title)}</h2><div class="chart">{div}</div>')
    sections.append(f"<h2>Spread of {html.escape(column)}</h2><p>{html.escape(spread.text())}</p>")
    if spread.count:
        sections.append(
            f"<h2>The best cell's neighbours</h2><p>{html.escape(neighbours(table, column).text())}"
            '</p><p class="note">Neighbours are the cells one step away on each numeric '
            "setting; a plateau (score near 1) is more trustworthy than a spike (score near 0 "
            "or below).</p>"
        )
    shown = ["combination", *settings, column]
    shown += [c for c in ("Portfolio.total_return", "Portfolio.max_drawdown") if c != column]
    shown = [c for c in dict.fromkeys(shown) if c in table]
    sections.append(f"<h2>Best {top} rows</h2>{_rows_table(best_rows(table, column, top), shown)}")
    if failed:
        errors = table[table["error"].notna()].head(20)
        sections.append(
            f"<h2>Failed combinations ({failed:,})</h2>"
            f"{_rows_table(errors, ['combination', *settings, 'error'])}"
        )
    if config_text:
        sections.append(
            "<h2>Configuration</h2>"
            f"<pre>{html.escape(config_text, quote=False)}</pre>"
            '<p class="note">Save this as a .toml file and run <code>orchestrator sweep FILE'
            "</code> to repeat the sweep.</p>"
        )
    sections.append(f'<p class="note">strategy-orchestrator {html.escape(__version__)}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Strategy Orchestrator sweep</title>"
        f"<style>{_CSS}</style></head><body><main>{''.join(sections)}</main></body></html>\n"
    )
