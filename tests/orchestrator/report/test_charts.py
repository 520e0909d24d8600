"""Tests of orchestrator.report.charts: figures built from a tiny real run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestrator import StrategyOrchestrator
from orchestrator.core.results import PORTFOLIO, OrchestratorResult
from orchestrator.report.charts import (
    CAPITAL_SUBTITLE,
    capital_figure,
    chart_note,
    correlation_figure,
    correlation_note,
    daily_returns,
    drawdown_figure,
    drawdowns,
    equity_figure,
    plain,
    returns_correlation,
    strategy_colors,
)
from tests.conftest import random_walk


def _frame(seed: int, n: int = 60, freq: str = "B") -> pd.DataFrame:
    return random_walk(seed, n, freq=freq)


class _HoldOne:
    """Buys the first symbol with all its capital, so the second one is a capital breach."""

    name = "hold"
    max_positions = 1

    def should_enter(self, bars: object, state: object) -> bool:
        return True

    def should_exit(self, bars: object, state: object) -> bool:
        return False


class _Flip:
    name = "flip"

    def should_enter(self, bars: object, state: object) -> bool:
        return len(bars) % 5 == 0  # type: ignore[arg-type]

    def should_exit(self, bars: object, state: object) -> bool:
        return len(bars) % 7 == 0  # type: ignore[arg-type]


def _run(freq: str = "B", n: int = 60) -> OrchestratorResult:
    data = {"AAA": _frame(1, n, freq), "BBB": _frame(2, n, freq)}
    orch = StrategyOrchestrator([(_HoldOne(), "0.5"), (_Flip(), "0.3"), (_Flip(), "0")], 100_000)
    return orch.run(data)


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    return _run()


def _y(fig: object, name: str) -> np.ndarray:
    trace = next(t for t in fig.data if t.name == name)  # type: ignore[attr-defined]
    return np.asarray(trace.y, dtype=float)


# ---- equity -----------------------------------------------------------------------------------


def test_equity_figure_currency_one_trace_per_strategy_plus_portfolio(
    result: OrchestratorResult,
) -> None:
    fig = equity_figure(result)
    assert [t.name for t in fig.data] == [PORTFOLIO, "hold", "flip", "flip#2"]
    for name in [PORTFOLIO, "hold", "flip", "flip#2"]:
        np.testing.assert_array_equal(_y(fig, name), result.equity_curves[name].to_numpy())
    assert fig.layout.yaxis.type == "linear"
    # Time goes out as epoch milliseconds on a date axis (compact, exact).
    assert fig.layout.xaxis.type == "date"
    x = pd.to_datetime(np.asarray(fig.data[0].x, dtype=np.int64), unit="ms")
    assert (x == result.equity_curves.index).all()


def test_equity_figure_percent_returns_on_own_start(result: OrchestratorResult) -> None:
    fig = equity_figure(result, mode="percent")
    hold = result.strategy_results["hold"]
    expected = hold.equity_curve.to_numpy() / hold.allocated_capital - 1
    np.testing.assert_allclose(_y(fig, "hold"), expected)
    port = result.portfolio_equity.to_numpy() / result.initial_capital - 1
    np.testing.assert_allclose(_y(fig, PORTFOLIO), port)
    assert np.isnan(_y(fig, "flip#2")).all()  # weight 0: no capital, no return
    assert fig.layout.yaxis.tickformat == ".0%"


def test_equity_figure_log_percent_plots_growth_of_one(result: OrchestratorResult) -> None:
    fig = equity_figure(result, mode="percent", log=True)
    flip = result.strategy_results["flip"]
    np.testing.assert_allclose(_y(fig, "flip"), flip.equity_curve.to_numpy() / 30_000.0)
    assert fig.layout.yaxis.type == "log"


def test_equity_figure_log_currency_blanks_non_positive(result: OrchestratorResult) -> None:
    fig = equity_figure(result, log=True)
    assert np.isnan(_y(fig, "flip#2")).all()  # a curve of zeros has no logarithm
    assert np.isfinite(_y(fig, "hold")).all()


def test_equity_figure_bad_mode_raises(result: OrchestratorResult) -> None:
    with pytest.raises(ValueError, match="'currency' or 'percent'"):
        equity_figure(result, mode="pct")  # type: ignore[arg-type]


def test_strategy_colors_same_colour_in_every_figure(result: OrchestratorResult) -> None:
    colors = strategy_colors(result.strategy_ids)
    eq = equity_figure(result)
    dd = drawdown_figure(result)
    for name in result.strategy_ids:
        assert next(t for t in eq.data if t.name == name).line.color == colors[name]
        assert next(t for t in dd.data if t.name == name).line.color == colors[name]
    assert len(set(colors.values())) == len(colors)


# ---- drawdown ---------------------------------------------------------------------------------


def test_drawdowns_match_running_peak_definition(result: OrchestratorResult) -> None:
    dd = drawdowns(result)
    assert list(dd.columns) == [PORTFOLIO, "hold", "flip", "flip#2"]
    eq = result.equity_curves["hold"]
    expected = eq / eq.cummax() - 1
    np.testing.assert_allclose(dd["hold"].to_numpy(), expected.to_numpy())
    assert (dd[["hold", "flip", PORTFOLIO]] <= 0).all().all()
    assert dd["flip#2"].isna().all()
    assert dd["hold"].min() == pytest.approx(result.comparison_table.loc["hold", "max_drawdown"])


def test_drawdown_figure_shades_portfolio_only(result: OrchestratorResult) -> None:
    fig = drawdown_figure(result)
    assert [t.name for t in fig.data] == [PORTFOLIO, "hold", "flip", "flip#2"]
    assert fig.data[0].fill == "tozeroy"
    assert all(t.fill is None for t in fig.data[1:])


# ---- capital ----------------------------------------------------------------------------------


def test_capital_figure_positions_against_equity_and_breaches(result: OrchestratorResult) -> None:
    # Deliberately changed: capital available is the strategy's equity over time (it used to
    # be a flat line at the initial allocation), which stays as a thin dashed reference.
    fig = capital_figure(result)
    names = [t.name for t in fig.data]
    assert names == [
        "hold positions", "hold equity", "hold initial allocation", "hold breaches",
        "flip positions", "flip equity", "flip initial allocation",
        "flip#2 positions", "flip#2 equity", "flip#2 initial allocation",
    ]  # fmt: skip
    hold = result.strategy_results["hold"]
    np.testing.assert_allclose(_y(fig, "hold positions"), hold.positions_value.to_numpy())
    np.testing.assert_allclose(_y(fig, "hold equity"), hold.equity_curve.to_numpy())
    np.testing.assert_array_equal(_y(fig, "hold initial allocation"), [50_000.0, 50_000.0])
    dashed = next(t for t in fig.data if t.name == "hold initial allocation")
    assert dashed.line.dash == "dash"
    assert dashed.line.width <= 1.0
    # Positions never exceed the equity that funds them (no leverage), so the chart shows no
    # false over-allocation as the equity compounds.
    assert (hold.positions_value.to_numpy() <= hold.equity_curve.to_numpy() + 1e-6).all()
    marks = next(t for t in fig.data if t.name == "hold breaches")
    assert len(marks.x) == len(hold.breaches) > 0
    # Each mark sits on the positions value at the breach's bar.
    at = hold.positions_value.loc[pd.DatetimeIndex(hold.breaches["timestamp"])].to_numpy()
    np.testing.assert_allclose(np.asarray(marks.y, dtype=float), at)
    assert "BBB: wanted" in marks.text[0]
    assert "(dropped)" in marks.text[0]
    assert [a.text for a in fig.layout.annotations] == ["hold", "flip", "flip#2"]
    # The title says exactly what is drawn.
    assert "capital available" in fig.layout.title.text
    assert fig.layout.title.subtitle.text == CAPITAL_SUBTITLE
    for words in ("market value of open positions", "the strategy's equity",
                  "initial allocation", "capital breach"):  # fmt: skip
        assert words in CAPITAL_SUBTITLE


def test_capital_figure_breaches_sharing_a_bar_each_marked() -> None:
    data = {s: _frame(i, 30) for i, s in enumerate(["AAA", "BBB", "CCC"], start=1)}
    result = StrategyOrchestrator([(_HoldOne(), "1")], 10_000).run(data)
    breaches = result.strategy_results["hold"].breaches
    assert breaches["timestamp"].duplicated().any()  # BBB and CCC at the same bars
    marks = next(t for t in capital_figure(result).data if t.name == "hold breaches")
    value = result.strategy_results["hold"].positions_value
    expected = value.loc[pd.DatetimeIndex(breaches["timestamp"])].to_numpy()
    np.testing.assert_allclose(np.asarray(marks.y, dtype=float), expected)


# ---- correlation ------------------------------------------------------------------------------


def test_returns_correlation_symmetric_unit_diagonal_nan_for_flat(
    result: OrchestratorResult,
) -> None:
    corr = returns_correlation(result)
    assert list(corr.columns) == ["hold", "flip", "flip#2"]
    sub = corr.loc[["hold", "flip"], ["hold", "flip"]].to_numpy()
    np.testing.assert_allclose(sub, sub.T)
    np.testing.assert_allclose(np.diag(sub), 1.0)
    assert corr["flip#2"].isna().all()
    assert corr.loc["flip#2"].isna().all()
    returns = result.equity_curves[["hold", "flip"]].pct_change().iloc[1:]
    assert corr.loc["hold", "flip"] == pytest.approx(returns["hold"].corr(returns["flip"]))


def test_daily_returns_intraday_curves_sampled_daily() -> None:
    intraday = _run(freq="6h", n=40)  # 4 bars a day over 10 days
    returns = daily_returns(intraday)
    assert len(returns) == 9
    eq = intraday.equity_curves["hold"]
    daily_close = eq.groupby(eq.index.normalize()).last()
    np.testing.assert_allclose(
        returns["hold"].to_numpy(), daily_close.pct_change().iloc[1:].to_numpy()
    )


def test_correlation_figure_heatmap_values_and_labels(result: OrchestratorResult) -> None:
    fig = correlation_figure(result)
    (heat,) = fig.data
    assert list(heat.x) == list(heat.y) == ["hold", "flip", "flip#2"]
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), returns_correlation(result))
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)
    assert heat.text[0][0] == "1.00"
    assert heat.text[2][2] == ""


# ---- too little data ----------------------------------------------------------------------------


def _placeholder_text(fig: object) -> str:
    assert not fig.data  # type: ignore[attr-defined]
    (note,) = fig.layout.annotations  # type: ignore[attr-defined]
    return str(note.text)


def test_figures_of_one_bar_are_placeholders_that_say_why() -> None:
    one = _run(n=1)
    assert len(one.portfolio_equity) == 1
    note = chart_note(one)
    assert note is not None
    assert note.startswith("Not enough data to chart (1 bar;")
    for fig in (equity_figure(one), drawdown_figure(one), capital_figure(one)):
        assert _placeholder_text(fig) == note
        assert fig.layout.xaxis.visible is False  # no tick labels such as 23:59:59.9995


def test_chart_note_none_from_two_bars(result: OrchestratorResult) -> None:
    assert chart_note(_run(n=2)) is None
    assert chart_note(result) is None


def test_correlation_note_needs_two_strategies_with_varying_returns(
    result: OrchestratorResult,
) -> None:
    assert correlation_note(result) is None
    single = StrategyOrchestrator([(_Flip(), "0.5")], 100_000).run({"AAA": _frame(1)})
    note = correlation_note(single)
    assert note is not None
    assert "at least 2 strategies; this run has 1" in note
    assert _placeholder_text(correlation_figure(single)) == note
    short = _run(n=2)  # one day of returns: nothing varies
    note = correlation_note(short)
    assert note is not None
    assert "2 days of data and 0 strategies with varying returns" in note


# ---- user text --------------------------------------------------------------------------------

HOSTILE = '<a href="http://x.invalid">x</a> %{y} & <b>'


def test_plain_escapes_plotly_html_and_template_characters() -> None:
    assert plain(HOSTILE) == '&lt;a href="http://x.invalid"&gt;x&lt;/a&gt; &#37;{y} &amp; &lt;b&gt;'
    assert plain("sma_crossover#2") == "sma_crossover#2"


def test_figures_name_hostile_strategy_ids_as_plain_text() -> None:
    data = {"AAA": _frame(1), "BBB": _frame(2)}
    strategies = [(_HoldOne(), "0.5"), (_Flip(), "0.3")]
    strategies[0][0].name = HOSTILE  # type: ignore[misc]
    result = StrategyOrchestrator(strategies, 100_000).run(data)
    shown = plain(HOSTILE)
    figures = [equity_figure(result), drawdown_figure(result), capital_figure(result)]
    for fig in figures:
        texts = [t.name for t in fig.data] + [str(t.hovertemplate) for t in fig.data]
        texts += [a.text for a in fig.layout.annotations]
        assert not any("<a" in text or "%{y} &" in text for text in texts), texts
    assert [t.name for t in figures[0].data] == [PORTFOLIO, shown, "flip"]
    assert figures[2].layout.annotations[0].text == shown
    heat = correlation_figure(result).data[0]
    assert list(heat.x) == [shown, "flip"]
