"""Walk-forward: weights fitted on the past only, stitched out of sample, beside the others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.app.walkforward import (
    EQUAL,
    FIXED,
    in_sample_label,
    out_of_sample_label,
    walk_forward,
)
from orchestrator.core.metrics import cagr, max_drawdown
from orchestrator.core.rules import compute_weights
from orchestrator.errors import ConfigError


def _frame(rows: list[list[float]] | np.ndarray, start: str = "2024-01-01") -> pd.DataFrame:
    values = np.asarray(rows, dtype=float)
    columns = [f"s{k}" for k in range(values.shape[1])]
    return pd.DataFrame(values, columns=columns, index=pd.bdate_range(start, periods=len(values)))


def _random(bars: int = 260, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return _frame(rng.normal(0.0005, [0.01, 0.02, 0.012], size=(bars, 3)))


def test_walk_forward_equal_hand_computed_curve() -> None:
    # Splits: train rows 0-1, test rows 2-3; train rows 2-3, test rows 4-5.
    returns = _frame(
        [[0.0, 0.0], [0.0, 0.0], [0.10, -0.10], [0.10, 0.0], [0.0, 0.20], [-0.50, 0.0]]
    )
    wf = walk_forward(returns, rule="equal", train=2, test=2, total=0.8)
    curve = wf.curves[out_of_sample_label("equal")].to_numpy()
    # 0.4 + 0.4 + 0.2 cash at the start. Row 2: 0.44 + 0.36 + 0.2 = 1.00; row 3: 0.484 + 0.36
    # + 0.2 = 1.044. Rebalanced to 0.4176 each + 0.2088 cash: row 4: 0.4176 + 0.50112 + 0.2088
    # = 1.12752; row 5: 0.2088 + 0.50112 + 0.2088 = 0.91872.
    assert curve.tolist() == pytest.approx([1.0, 1.0, 1.044, 1.12752, 0.91872], abs=1e-12)
    assert wf.curves.index[0] == returns.index[1]  # valued at the end of the first training
    assert wf.weights[["s0", "s1"]].to_numpy().tolist() == [[0.4, 0.4], [0.4, 0.4]]
    assert wf.weights["start"].tolist() == [returns.index[2], returns.index[4]]
    assert FIXED not in wf.curves  # no fixed weights given for a returns frame
    assert wf.curves[EQUAL].to_numpy() == pytest.approx(curve)


def test_walk_forward_inverse_volatility_weights_fitted_on_each_training_window() -> None:
    returns = _random()
    wf = walk_forward(returns, rule="inverse_volatility", train=60, test=20, total=0.9)
    x = returns.to_numpy()
    for k, row in enumerate(wf.weights.itertuples(index=False)):
        start = 20 * k  # rolling: rows start .. start + 59, then the test window
        expected = compute_weights("inverse_volatility", x[start : start + 60], total=0.9)
        assert [row.s0, row.s1, row.s2] == pytest.approx(list(expected), abs=1e-12)
        assert row.start == returns.index[start + 60]
    assert len(wf.weights) == (260 - 60 + 19) // 20  # the last test window is shorter


def test_walk_forward_expanding_trains_from_the_first_bar() -> None:
    returns = _random()
    wf = walk_forward(returns, rule="inverse_volatility", train=60, test=50, expanding=True)
    x = returns.to_numpy()
    second = wf.weights.iloc[1][["s0", "s1", "s2"]].to_numpy(dtype=float)
    assert second == pytest.approx(compute_weights("inverse_volatility", x[:110], total=1.0))


@settings(max_examples=8, deadline=None)
@given(cut=st.integers(90, 259), rule=st.sampled_from(["inverse_volatility", "hrp", "max_sharpe"]))
def test_walk_forward_no_look_ahead_truncated_data_same_weights_and_path(
    cut: int, rule: str
) -> None:
    full_returns = _random()
    full = walk_forward(full_returns, rule=rule, train=60, test=20)
    part = walk_forward(full_returns.iloc[:cut], rule=rule, train=60, test=20)
    # Every test window starting before the cut has the same weights with or without the
    # data after it, and the out-of-sample path up to the cut is the same.
    shared = len(part.weights)
    assert shared == len(full.weights[full.weights["start"] < full_returns.index[cut]])
    # (Only the last window's end differs: the truncated data end it early.)
    columns = ["start", "s0", "s1", "s2"]
    pd.testing.assert_frame_equal(part.weights[columns], full.weights[columns].iloc[:shared])
    label = out_of_sample_label(rule)
    pd.testing.assert_series_equal(part.curves[label], full.curves[label].loc[part.curves.index])


def test_walk_forward_from_a_run_shows_all_four_curves_and_table(allocation_run) -> None:
    result = allocation_run(bars=300)
    wf = walk_forward(result, rule="risk_parity", train=100, test=50)
    assert list(wf.curves.columns) == [
        out_of_sample_label("risk_parity"),
        FIXED,
        EQUAL,
        in_sample_label("risk_parity"),
    ]
    assert "in sample" in in_sample_label("risk_parity")
    assert wf.table["sample"].to_dict() == {
        out_of_sample_label("risk_parity"): "out of sample",
        FIXED: "not fitted",
        EQUAL: "not fitted",
        in_sample_label("risk_parity"): "in sample (hindsight)",
    }
    assert np.all(wf.curves.iloc[0] == 1.0)
    ppy = result.periods_per_year
    for name in wf.curves:
        curve = wf.curves[name].to_numpy()
        assert wf.table.loc[name, "cagr"] == pytest.approx(cagr(curve, ppy))
        assert wf.table.loc[name, "max_drawdown"] == pytest.approx(max_drawdown(curve)[0])
    assert sum(wf.in_sample_weights.values()) == pytest.approx(0.9)
    # The fixed curve holds the run's 0.4/0.3/0.2 from each test window's start.
    assert wf.weights[["hold_aaa", "hold_bbb", "hold_ccc"]].sum(axis=1).tolist() == (
        pytest.approx([0.9] * len(wf.weights))
    )


def test_walk_forward_failed_window_keeps_previous_and_warns() -> None:
    values = _random().to_numpy(copy=True)
    values[:60, 1] = 0.0  # s1 flat during the first training window only
    returns = _frame(values)
    fixed = {"s0": 0.5, "s1": 0.3, "s2": 0.2}
    wf = walk_forward(returns, rule="hrp", train=60, test=20, fixed_weights=fixed)
    assert wf.weights.iloc[0][["s0", "s1", "s2"]].tolist() == [0.5, 0.3, 0.2]
    assert len(wf.warnings) == 1
    assert wf.warnings[0].startswith(f"rebalance at {returns.index[60].date()}: rule 'hrp'")
    assert "'s1' had no variance" in wf.warnings[0]
    assert FIXED in wf.curves


def test_walk_forward_bad_input_raises_config_error() -> None:
    returns = _random(bars=50)
    with pytest.raises(ConfigError, match=r"train \(40\) \+ test \(20\) bars exceed the 50"):
        walk_forward(returns, train=40, test=20)
    with pytest.raises(ConfigError, match="train must be a whole number of bars >= 2"):
        walk_forward(returns, train=1, test=5)
    with pytest.raises(ConfigError, match="did you mean 'hrp'"):
        walk_forward(returns, rule="hrpp", train=10, test=5)
    with pytest.raises(ConfigError, match=r"fixed_weights name unknown strategies \['zz'\]"):
        walk_forward(returns, train=10, test=5, fixed_weights={"zz": 0.2})
    with pytest.raises(ConfigError, match="needs an OrchestratorResult or a DataFrame"):
        walk_forward([[0.1]], train=10, test=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="the returns must be finite"):
        walk_forward(returns.where(returns > 0), train=10, test=5)
