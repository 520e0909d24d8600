"""Tests of the sweep's robustness helpers (orchestrator.app.robustness), on hand-made tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from orchestrator import ConfigError
from orchestrator.app.robustness import (
    best_rows,
    caveat_text,
    metric_column,
    metric_names,
    metric_spread,
    neighbours,
)


def _table(values: list[list[float]], fill: list[str] | None = None) -> pd.DataFrame:
    """A 2-D grid a x b (rows = a) of Portfolio.sharpe_ratio values."""
    records = []
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            records.append({"combination": len(records), "a": 10 * (i + 1), "b": j + 1,
                            "error": None, "Portfolio.sharpe_ratio": v,
                            "Portfolio.annual_volatility": 0.1 * len(records)})  # fmt: skip
    table = pd.DataFrame.from_records(records)
    settings = ["a", "b"]
    if fill is not None:
        table["fill"] = fill
        settings.append("fill")
    table.attrs["sweep"] = {
        "settings": settings,
        "metrics": ["Portfolio.sharpe_ratio", "Portfolio.annual_volatility"],
    }
    return table


def test_metric_column_plain_name_is_the_portfolio() -> None:
    names = metric_names(["sma_crossover"])
    assert metric_column(names, "sharpe_ratio") == "Portfolio.sharpe_ratio"
    assert metric_column(names, "sma_crossover.cagr") == "sma_crossover.cagr"
    assert "sma_crossover.final_equity" in names
    assert "Portfolio.weight" not in names


def test_metric_column_unknown_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown metric 'sharpe'; did you mean 'sharpe_ratio'"):
        metric_column(metric_names(["x"]), "sharpe")


def test_metric_spread_quantiles_hand_computed() -> None:
    table = _table([[1.0, 2.0, 3.0], [4.0, float("nan"), 6.0]])
    spread = metric_spread(table, "sharpe_ratio")
    assert (spread.count, spread.missing) == (5, 1)
    assert (spread.minimum, spread.q25, spread.median, spread.q75, spread.maximum) == (
        1.0, 2.0, 3.0, 4.0, 6.0,
    )  # fmt: skip
    assert spread.mean == 3.2
    assert spread.std == pytest.approx(math.sqrt(14.8 / 4), abs=1e-15)
    assert spread.text().endswith("(5 of 6; 1 failed or undefined)")


def test_best_rows_lower_is_better_for_volatility() -> None:
    table = _table([[1.0, 2.0], [3.0, 4.0]])
    assert best_rows(table, "sharpe_ratio", 2)["combination"].tolist() == [3, 2]
    assert best_rows(table, "annual_volatility", 1)["combination"].tolist() == [0]


def test_neighbours_plateau_scores_one() -> None:
    # best 9 in a corner; its 3 neighbours are 9 too; the grid's median is 1: score 1
    table = _table([[9.0, 9.0, 1.0], [9.0, 9.0, 1.0], [1.0, 1.0, 1.0]])
    result = neighbours(table, "sharpe_ratio")
    assert result.best == 9.0
    assert result.best_combination == 0
    assert sorted(result.values) == [9.0, 9.0, 9.0]
    assert result.grid_median == 1.0
    assert result.score == 1.0
    assert result.verdict == "plateau"


def test_neighbours_spike_scores_at_most_zero() -> None:
    table = _table([[1.0, 2.0, 3.0], [4.0, 20.0, 5.0], [6.0, 7.0, 8.0]])
    result = neighbours(table, "sharpe_ratio")
    assert result.best_combination == 4
    assert len(result.values) == 8
    # neighbours' median = median(1,2,3,4,5,6,7,8) = 4.5; grid median 5; best 20
    assert result.score == (4.5 - 5.0) / (20.0 - 5.0)
    assert result.verdict == "spike"
    assert "score -0.03: spike" in result.text()


def test_neighbours_categorical_setting_must_match() -> None:
    fill = ["close", "next_open"] * 2
    table = _table([[1.0, 9.0], [8.0, 2.0]], fill=fill)
    result = neighbours(table, "sharpe_ratio")
    # best at combination 1 (fill next_open); the only other next_open cell is combination 3
    assert result.values == (2.0,)


def test_caveat_text_names_count_and_walk_forward() -> None:
    text = caveat_text(1200, "Portfolio.sharpe_ratio")
    assert "best of 1,200 combinations is an in-sample result" in text
    assert "walk-forward" in text
