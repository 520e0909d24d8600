"""Figures of the allocation toolkit: what each trace shows and how it is labelled."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.app.suggest import efficient_frontier, run_weights, suggest
from orchestrator.app.walkforward import in_sample_label, out_of_sample_label, walk_forward
from orchestrator.core.attribution import attribution, risk_contributions, weights_over_time
from orchestrator.report.allocation_charts import (
    attribution_figure,
    frontier_figure,
    risk_contribution_figure,
    walk_forward_figure,
    weights_figure,
)


def test_frontier_figure_marks_frontier_singles_sliders_and_suggestion(allocation_run) -> None:
    result = allocation_run()
    frontier = efficient_frontier(result, points=10)
    s = suggest(result, rule="risk_parity")
    fig = frontier_figure(
        frontier, ("Suggested: risk parity", s.weights, s.stats), run_weights(result)
    )
    names = [t.name for t in fig.data]
    assert names == [
        "Efficient frontier (90% invested)",
        "hold_aaa alone",
        "hold_bbb alone",
        "hold_ccc alone",
        "Current sliders",
        "Suggested: risk parity",
    ]
    assert list(fig.data[0].x) == pytest.approx(frontier.points["risk"].tolist())
    assert fig.data[-1].x[0] == pytest.approx(s.stats.volatility)
    assert "hold_aaa: 40.0%" in fig.data[4].text[0]


def test_walk_forward_figure_in_sample_dotted_and_named(allocation_run) -> None:
    wf = walk_forward(allocation_run(), rule="hrp", train=100, test=50)
    fig = walk_forward_figure(wf)
    by_name = {t.name: t for t in fig.data}
    assert by_name[in_sample_label("hrp")].line.dash == "dot"
    assert by_name[out_of_sample_label("hrp")].line.dash is None
    assert len(fig.layout.shapes) == len(wf.weights) - 1  # a line at each refit
    assert "hindsight" in in_sample_label("hrp")


def test_attribution_figure_waterfall_total_is_portfolio_pnl(allocation_run) -> None:
    result = allocation_run()
    lines = attribution(result)
    fig = attribution_figure(lines)
    waterfall = fig.data[0]
    assert list(waterfall.measure) == ["relative"] * len(lines) + ["total"]
    assert list(waterfall.x)[-1] == "Portfolio P&L"
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert float(np.sum(waterfall.y[:-1])) == pytest.approx(pnl, abs=0.005)


def test_risk_contribution_figure_one_bar_per_strategy(allocation_run) -> None:
    shares = risk_contributions(allocation_run())
    fig = risk_contribution_figure(shares)
    assert list(fig.data[0].x) == ["hold_aaa", "hold_bbb", "hold_ccc"]
    assert float(np.sum(fig.data[0].y)) == pytest.approx(1.0)


def test_weights_figure_stacks_sleeves_and_cash_marks_rebalances(allocation_run) -> None:
    result = allocation_run()
    weights = weights_over_time(result)
    when = list(weights.index[[50, 100]])
    fig = weights_figure(weights, rebalances=when)
    assert [t.name for t in fig.data] == ["hold_aaa", "hold_bbb", "hold_ccc", "Cash"]
    assert {t.stackgroup for t in fig.data} == {"weights"}
    assert len(fig.layout.shapes) == 2
    assert list(fig.data[3].y) == pytest.approx(weights["Cash"].tolist())
