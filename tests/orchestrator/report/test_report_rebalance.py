"""The report of a rebalanced run: report.html's weights chart and waterfall, the rebalance
line, the CSVs, and the words for the settings."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from orchestrator import OrchestratorResult, Rebalance, report
from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.report import rebalancing as rb
from orchestrator.report.allocation_charts import WEIGHTS_TITLE

SPEC = RunSpec(
    strategies=(
        StrategySpec("sma_crossover", "0.5", {"fast": 10, "slow": 40}),
        StrategySpec("rsi_reversion", "0.4"),
    ),
    symbols=("AAPL", "MSFT"),
    start="2014-01-01",
    end="2015-12-31",
    commission_rate=0.001,
    rebalance=Rebalance(schedule="monthly"),
)


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    return SPEC.run()


def _plots(page: str) -> list[list[dict[str, object]]]:
    """The data of each Plotly.newPlot call on the page."""
    out = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[\w-]+",\s*(\[.*?\]),\s*\{', page, re.S):
        out.append(json.loads(match.group(1)))
    return out


def test_report_html_has_weights_chart_and_waterfall(result: OrchestratorResult) -> None:
    page = report.html_report(result, SPEC)
    assert "<h2>Weights over time</h2>" in page
    assert "<h2>Where the P&amp;L came from</h2>" in page
    plots = _plots(page)
    stacked = [p for p in plots if p and all(t.get("stackgroup") == "weights" for t in p)]
    assert len(stacked) == 1
    assert [t["name"] for t in stacked[0]] == ["sma_crossover", "rsi_reversion", "Cash"]
    waterfalls = [p for p in plots if p and p[0].get("type") == "waterfall"]
    assert len(waterfalls) == 1
    assert waterfalls[0][0]["x"][-1] == "Portfolio P&L"
    # one dotted line per rebalance
    assert page.count('"dash":"dot"') >= result.rebalances > 20
    assert WEIGHTS_TITLE not in page  # the page's heading names the chart instead


def test_report_html_says_rebalance_count_and_cost(result: OrchestratorResult) -> None:
    page = report.html_report(result, SPEC)
    line = report.format_rebalancing(result)
    assert line is not None
    assert f"{result.rebalances} rebalances" in line
    assert f"costs {result.rebalance_costs:,.2f}" in line
    assert line in page


def test_report_csvs_of_a_rebalanced_run(result: OrchestratorResult) -> None:
    transfers = pd.read_csv(io.StringIO(report.transfers_csv(result)))
    assert len(transfers) == len(result.transfers) > 0
    assert set(transfers["reason"]) == {"schedule"}
    assert transfers["timestamp"].nunique() == result.rebalances
    weights = pd.read_csv(io.StringIO(report.weights_csv(result)), index_col="timestamp")
    assert list(weights.columns) == [*result.strategy_ids, "Cash"]
    lines = pd.read_csv(io.StringIO(report.attribution_csv(result)))
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert lines["pnl"].sum() == pytest.approx(pnl, abs=0.01)


def test_report_no_rebalancing_no_line_and_header_only_transfers() -> None:
    spec = RunSpec(strategies=SPEC.strategies, symbols=SPEC.symbols, start="2015-01-01")
    plain = spec.run()
    assert report.format_rebalancing(plain) is None
    assert (
        report.transfers_csv(plain)
        .splitlines()[0]
        .startswith("timestamp,strategy_id,amount,reason,costs")
    )
    assert len(report.transfers_csv(plain).splitlines()) == 1
    assert "Weights over time" in report.html_report(plain, spec)


@pytest.mark.parametrize(
    ("rebalance", "text"),
    [
        (Rebalance(), "no rebalancing"),
        (Rebalance(schedule="monthly"), "monthly, fixed weights, scaling positions"),
        (
            Rebalance(every_bars=10, drift=0.05, mode="cash", rule="hrp", lookback=60,
                      min_weight=0.05, max_weight=0.6),
            "every 10 bars and at 5-point drift, hierarchical risk parity over 60 bars "
            "(weights 5% to 60%), moving idle cash only",
        ),
    ],
)  # fmt: skip
def test_settings_text(rebalance: Rebalance, text: str) -> None:
    assert rb.settings_text(rebalance) == text


def test_display_weights_keeps_rebalance_rows() -> None:
    index = pd.date_range("2000-01-01", periods=10_000, freq="D")
    weights = pd.DataFrame({"a": 0.5, "Cash": 0.5}, index=index)
    keep = pd.DatetimeIndex([index[1234], index[5001]])
    shown = rb.display_weights(weights, keep, limit=1000)
    assert len(shown) < 1100
    for t in (index[0], index[-1], index[1233], index[1234], index[5000], index[5001]):
        assert t in shown.index
