"""Suggested weights, the statistics of a mix and the efficient frontier of a run."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import OrchestratorResult
from orchestrator.app.suggest import (
    efficient_frontier,
    invested_share,
    mix_stats,
    run_weights,
    slider_weights,
    strategy_returns,
    suggest,
    suggest_weights,
)
from orchestrator.core.metrics import sharpe_ratio
from orchestrator.core.rules import compute_weights
from orchestrator.errors import ConfigError


def test_strategy_returns_equal_simple_returns_of_each_equity_curve(allocation_run) -> None:
    result = allocation_run()
    returns = strategy_returns(result)
    assert list(returns.columns) == ["hold_aaa", "hold_bbb", "hold_ccc"]
    assert len(returns) == len(result.portfolio_equity) - 1
    equity = result.strategy_results["hold_bbb"].equity_curve.to_numpy()
    assert returns["hold_bbb"].to_numpy() == pytest.approx(equity[1:] / equity[:-1] - 1.0)
    assert returns.index[0] == result.portfolio_equity.index[1]


@dataclass(frozen=True, eq=False)
class _WithTransfers(OrchestratorResult):
    """A result carrying a transfers table, as a rebalancing run will."""

    transfers: pd.DataFrame | None = None


def test_strategy_returns_strip_transfers_from_a_results_table(allocation_run) -> None:
    result = allocation_run()
    sr = result.strategy_results["hold_aaa"]
    moved = sr.equity_curve.copy()
    moved.iloc[100:] += 5_000.0  # 5,000 transferred in at bar 100
    when = moved.index[100]
    results = dict(result.strategy_results)
    results["hold_aaa"] = replace(sr, equity_curve=moved)
    shim = _WithTransfers(
        **{f.name: getattr(result, f.name) for f in fields(result) if f.name != "transfers"},
        transfers=pd.DataFrame({"timestamp": [when], "strategy_id": ["hold_aaa"], "amount": [5e3]}),
    )
    object.__setattr__(shim, "strategy_results", results)
    returns = strategy_returns(shim)
    e = moved.to_numpy()
    assert returns["hold_aaa"].iloc[99] == pytest.approx(e[100] / (e[99] + 5e3) - 1.0)
    naive = e[100] / e[99] - 1.0
    assert naive - returns["hold_aaa"].iloc[99] == pytest.approx(5e3 / e[99], rel=0.05)


def test_suggest_weights_equal_split_the_invested_share(allocation_run) -> None:
    result = allocation_run(weights=(0.4, 0.3, 0.2))
    weights = suggest_weights(result, rule="equal")
    assert weights == pytest.approx({"hold_aaa": 0.3, "hold_bbb": 0.3, "hold_ccc": 0.3})
    assert invested_share(result) == pytest.approx(0.9)


def test_suggest_weights_inverse_volatility_closed_form(allocation_run) -> None:
    result = allocation_run()
    returns = strategy_returns(result).to_numpy()
    inv = 1.0 / returns.std(axis=0, ddof=1)
    weights = suggest_weights(result, rule="inverse_volatility", total=1.0)
    assert list(weights.values()) == pytest.approx(list(inv / inv.sum()), abs=1e-12)


def test_suggest_weights_match_the_rule_on_the_run_returns(allocation_run) -> None:
    result = allocation_run()
    expected = compute_weights(
        "hrp", strategy_returns(result).to_numpy(), total=0.9, max_weight=0.5
    )
    weights = suggest_weights(result, rule="hrp", max_weight=0.5)
    assert list(weights.values()) == pytest.approx(list(expected), abs=1e-12)
    assert max(weights.values()) <= 0.5 + 1e-9


def test_suggest_stats_hand_computed_from_the_mix(allocation_run) -> None:
    result = allocation_run()
    s = suggest(result, rule="min_variance")
    r = strategy_returns(result).to_numpy() @ np.array(list(s.weights.values()))
    ppy = result.periods_per_year
    assert s.stats.expected_return == pytest.approx(r.mean() * ppy, rel=1e-12)
    assert s.stats.volatility == pytest.approx(r.std(ddof=1) * math.sqrt(ppy), rel=1e-12)
    assert s.stats.sharpe == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(ppy), rel=1e-9)
    # The min-variance mix is the least volatile of the rules at the same total.
    for rule in ("equal", "inverse_volatility", "risk_parity", "hrp"):
        assert s.stats.volatility <= suggest(result, rule=rule).stats.volatility + 1e-9


def test_mix_stats_of_run_weights_match_metrics_of_constant_mix(allocation_run) -> None:
    result = allocation_run()
    returns = strategy_returns(result)
    stats = mix_stats(returns, run_weights(result), result.periods_per_year)
    r = returns.to_numpy() @ np.array([0.4, 0.3, 0.2])
    curve = np.cumprod(np.concatenate(([1.0], 1.0 + r)))
    assert stats.sharpe == pytest.approx(sharpe_ratio(curve, result.periods_per_year), rel=1e-12)
    with pytest.raises(ConfigError, match=r"weights name unknown strategies \['nope'\]"):
        mix_stats(returns, {"nope": 0.5}, 252)


def test_suggest_weights_fixed_gives_the_run_weights(allocation_run) -> None:
    result = allocation_run(weights=(0.5, 0.25, 0.25))
    assert suggest_weights(result, rule="fixed") == {
        "hold_aaa": 0.5,
        "hold_bbb": 0.25,
        "hold_ccc": 0.25,
    }


def test_suggest_weights_bad_input_raises_config_error(allocation_run) -> None:
    result = allocation_run()
    with pytest.raises(ConfigError, match="did you mean 'risk_parity'"):
        suggest_weights(result, rule="riskparity")
    with pytest.raises(ConfigError, match=r"needs a total weight of at least 1\.2"):
        suggest_weights(result, rule="equal", total=1.0, min_weight=0.4)
    with pytest.raises(ConfigError, match=r"min_weight \(0.5\) is above max_weight \(0.4\)"):
        suggest_weights(result, min_weight=0.5, max_weight=0.4)
    with pytest.raises(ConfigError, match=r"total must be between 0 and 1 .*found 1\.2"):
        suggest_weights(result, total=1.2)
    with pytest.raises(ConfigError, match="total must be a number between 0 and 1; found 'x'"):
        suggest_weights(result, total="x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="result must be an OrchestratorResult"):
        suggest_weights({"a": 1}, rule="equal")  # type: ignore[arg-type]


def test_suggest_weights_strategy_that_never_trades_names_it(allocation_run) -> None:
    result = allocation_run(weights=(0.5, 0.5, 0.0))  # hold_ccc has no capital: flat
    with pytest.raises(ConfigError, match="'hold_ccc' had no variance in the window"):
        suggest_weights(result, rule="inverse_volatility")
    assert suggest_weights(result, rule="equal") == pytest.approx(
        {"hold_aaa": 1 / 3, "hold_bbb": 1 / 3, "hold_ccc": 1 / 3}
    )


def test_efficient_frontier_points_dominate_and_bracket_the_singles(allocation_run) -> None:
    result = allocation_run()
    frontier = efficient_frontier(result, points=12)
    pts = frontier.points
    assert list(pts.columns) == ["risk", "return", "sharpe", "hold_aaa", "hold_bbb", "hold_ccc"]
    assert len(pts) == 12
    weights = pts[["hold_aaa", "hold_bbb", "hold_ccc"]].to_numpy()
    assert weights.sum(axis=1) == pytest.approx([0.9] * 12, abs=1e-9)
    assert np.all(weights >= -1e-12)
    assert np.all(np.diff(pts["return"].to_numpy()) >= -1e-9)
    # The first point is the minimum-variance mix: no single strategy or the sliders beat it.
    assert pts["risk"].iloc[0] <= frontier.strategies["risk"].min() + 1e-9
    assert pts["risk"].iloc[0] <= frontier.current.volatility + 1e-9
    # At the current mix's risk, the frontier returns at least as much (within solver slack).
    assert frontier.current.expected_return <= pts["return"].max() + 1e-9
    assert set(frontier.strategies.index) == {"hold_aaa", "hold_bbb", "hold_ccc"}


def test_slider_weights_on_the_grid_sum_exactly() -> None:
    third = 1.0 / 3.0
    assert slider_weights({"a": third, "b": third, "c": third}) == {
        "a": Decimal("0.34"),
        "b": Decimal("0.33"),
        "c": Decimal("0.33"),
    }
    assert slider_weights({"a": 0.3, "b": 0.3, "c": 0.3}) == {
        "a": Decimal("0.30"),
        "b": Decimal("0.30"),
        "c": Decimal("0.30"),
    }
    # 0.456 + 0.444 = 0.9: floors 0.45 + 0.44 miss one step, which goes to the larger remainder.
    assert slider_weights({"a": 0.456, "b": 0.444}) == {"a": Decimal("0.46"), "b": Decimal("0.44")}
    assert slider_weights({}) == {}


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8))
def test_slider_weights_total_kept_and_within_one_step(raw: list[float]) -> None:
    total = sum(raw)
    weights = {f"s{i}": w / total if total > 1 else w for i, w in enumerate(raw)}
    grid = slider_weights(weights)
    exact_total = sum((Decimal(str(w)) for w in weights.values()), Decimal(0))
    assert sum(grid.values()) == exact_total.quantize(Decimal("0.01"))
    for sid, w in weights.items():
        assert abs(float(grid[sid]) - w) < 0.01 + 1e-12
