"""The sweep view's figures: a line or a heatmap of a metric with the run on screen and the
best cell marked; the distribution; user text (strategy ids) escaped for plotly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from orchestrator.report.sweep_charts import (
    BEST_NAME,
    CURRENT_NAME,
    sweep_chart,
    sweep_histogram,
)


def _table(label: str = "sma") -> pd.DataFrame:
    fast, slow = f"{label}.fast", f"{label}.slow"
    rows = []
    for i, (f, s) in enumerate((f, s) for f in (5, 10, 15) for s in (50, 100)):
        rows.append({"combination": i, fast: f, slow: s, "error": None,
                     "Portfolio.sharpe_ratio": f / 10 + s / 1000})  # fmt: skip
    table = pd.DataFrame(rows)
    table.loc[5, "Portfolio.sharpe_ratio"] = math.nan  # a failed cell
    table.loc[5, "error"] = "ValueError: boom"
    table.attrs["sweep"] = {"settings": [fast, slow], "metrics": ["Portfolio.sharpe_ratio"]}
    return table


def _trace(fig: object, name: str) -> object:
    return next(t for t in fig.data if t.name == name)  # type: ignore[attr-defined]


def test_sweep_chart_one_axis_line_with_current_and_best() -> None:
    table = _table()
    fig = sweep_chart(table, "sharpe_ratio", ["sma.fast"], {"sma.fast": 10})
    line = fig.data[0]
    assert list(line.x) == [5.0, 10.0, 15.0]
    # the median over slow at each fast; fast = 15 has one cell (the other failed)
    assert np.allclose(line.y, [0.575, 1.075, 1.55])
    current = _trace(fig, CURRENT_NAME)
    assert list(current.x) == [10.0]  # type: ignore[attr-defined]
    assert list(current.y) == pytest.approx([1.075])  # type: ignore[attr-defined]
    best = _trace(fig, BEST_NAME)
    assert list(best.x) == [15.0]  # type: ignore[attr-defined]


def test_sweep_chart_two_axes_heatmap_gap_for_failed_cell() -> None:
    fig = sweep_chart(_table(), "Portfolio.sharpe_ratio", ["sma.fast", "sma.slow"],
                      {"sma.fast": 5, "sma.slow": 100})  # fmt: skip
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert list(heat.x) == [5.0, 10.0, 15.0]
    assert list(heat.y) == [50.0, 100.0]
    assert heat.z[1][2] is None  # fast 15, slow 100 failed
    assert heat.z[0][0] == pytest.approx(0.55)
    current = _trace(fig, CURRENT_NAME)
    assert (list(current.x), list(current.y)) == ([5.0], [100.0])  # type: ignore[attr-defined]
    best = _trace(fig, BEST_NAME)
    assert (list(best.x), list(best.y)) == ([15.0], [50.0])  # type: ignore[attr-defined]


def test_sweep_chart_current_off_grid_or_missing_is_not_marked_on_heatmap() -> None:
    fig = sweep_chart(_table(), "sharpe_ratio", ["sma.fast", "sma.slow"], {})
    assert CURRENT_NAME not in [t.name for t in fig.data]


def test_sweep_chart_without_axes_raises() -> None:
    with pytest.raises(ValueError, match="at least one"):
        sweep_chart(_table(), "sharpe_ratio", [])


def test_sweep_chart_strategy_id_with_html_escaped_in_title_and_axes() -> None:
    label = "<a href='http://x.invalid'>x</a>"
    fig = sweep_chart(_table(label), "sharpe_ratio", [f"{label}.fast", f"{label}.slow"])
    assert "<a" not in fig.layout.title.text
    assert "<a" not in fig.layout.xaxis.title.text
    assert "&lt;a" in fig.layout.yaxis.title.text


def test_sweep_histogram_counts_the_cells_that_ran() -> None:
    fig = sweep_histogram(_table(), "sharpe_ratio")
    assert len(fig.data[0].x) == 5
    assert fig.layout.shapes[0].x0 == pytest.approx(1.55)  # the best, marked
