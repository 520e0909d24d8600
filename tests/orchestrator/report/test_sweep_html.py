"""Tests of the sweep page (orchestrator.report.sweep_html) on hand-made sweep tables."""

from __future__ import annotations

import itertools
import re

import pandas as pd

from orchestrator.report.sweep_html import sweep_figures, sweep_page

_NETWORK = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I
)


def _table(axes: dict[str, list[object]], error_at: int | None = None) -> pd.DataFrame:
    records = []
    for n, values in enumerate(itertools.product(*axes.values())):
        value = float(sum(v for v in values if isinstance(v, int | float)))
        records.append({"combination": n, **dict(zip(axes, values, strict=True)), "error": None,
                        "Portfolio.sharpe_ratio": value})  # fmt: skip
    table = pd.DataFrame.from_records(records)
    if error_at is not None:
        table.loc[error_at, "error"] = "StrategyError: boom"
        table.loc[error_at, "Portfolio.sharpe_ratio"] = float("nan")
    table.attrs["sweep"] = {"settings": list(axes), "metrics": ["Portfolio.sharpe_ratio"]}
    return table


def test_sweep_figures_one_setting_is_a_line_and_a_histogram() -> None:
    figures = sweep_figures(_table({"fast": [1, 2, 3]}), "sharpe_ratio")
    assert [f.data[0].type for _, f in figures] == ["scatter", "histogram"]
    assert list(figures[0][1].data[0].y) == [1.0, 2.0, 3.0]


def test_sweep_figures_two_settings_heatmap_marks_the_best_cell() -> None:
    figures = sweep_figures(_table({"fast": [1, 2], "slow": [10, 20, 30]}), "sharpe_ratio")
    title, heatmap = figures[0]
    assert title == "Portfolio.sharpe_ratio over fast and slow"
    assert heatmap.data[0].type == "heatmap"
    z = [list(row) for row in heatmap.data[0].z]
    assert z == [[11.0, 12.0], [21.0, 22.0], [31.0, 32.0]]  # rows = slow
    assert (heatmap.data[1].x, heatmap.data[1].y) == (("2",), ("30",))  # the best: 2 + 30


def test_sweep_figures_three_settings_three_median_heatmaps() -> None:
    table = _table({"a": [1, 2], "b": [10, 20], "fill": ["close", "next_open"]})
    titles = [t for t, _ in sweep_figures(table, "sharpe_ratio")]
    assert titles[:3] == [
        "Portfolio.sharpe_ratio over a and b (median over the other settings)",
        "Portfolio.sharpe_ratio over a and fill (median over the other settings)",
        "Portfolio.sharpe_ratio over b and fill (median over the other settings)",
    ]


def test_sweep_page_self_contained_with_caveat_failures_and_config() -> None:
    table = _table({"fast": [1, 2], "slow": [10, 20]}, error_at=1)
    page = sweep_page(table, "sharpe_ratio", config_text='[sweep.grid]\n"fast" = [1, 2]\n')
    assert page.startswith("<!DOCTYPE html>")
    assert "4 combinations &middot; 1 failed" in page
    assert "The best of 4 combinations is an in-sample result" in page
    assert "Failed combinations (1)" in page
    assert "StrategyError: boom" in page
    assert "The best cell's neighbours" in page
    assert '"fast" = [1, 2]' in page  # quote=False: quotes stay as they are
    assert page.count("plotly.js v") >= 1  # plotly.js embedded once
    assert _NETWORK.search(page) is None
