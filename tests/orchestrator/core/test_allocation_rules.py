"""Allocation rules: closed forms, skfolio called directly, bounds, and the failure fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.core.rules import (
    AllocationError,
    compute_weights,
    fallback_warnings,
    fit_to_bounds,
    frontier_weights,
    target_weights,
    trailing_window,
    warmup_end,
    warmup_warning,
)
from orchestrator.errors import ConfigError

RISK_RULES = ("inverse_volatility", "risk_parity", "min_variance", "max_sharpe", "hrp")


def _returns(seed: int = 0, bars: int = 200, vols: tuple[float, ...] = (0.01, 0.02, 0.015)):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0008, vols, size=(bars, len(vols)))


def test_compute_weights_equal_is_total_over_n() -> None:
    w = compute_weights("equal", _returns(), total=0.9)
    assert w.tolist() == pytest.approx([0.3, 0.3, 0.3], abs=1e-15)


def test_compute_weights_inverse_volatility_closed_form() -> None:
    x = _returns()
    inv = 1.0 / x.std(axis=0, ddof=1)
    w = compute_weights("inverse_volatility", x, total=0.8)
    assert w == pytest.approx(0.8 * inv / inv.sum(), abs=1e-12)


def test_compute_weights_inverse_volatility_hand_computed() -> None:
    # Sleeve b swings twice as much as a: weights 2/3 and 1/3 of the total.
    pattern = np.array([1.0, -1.0] * 10)
    x = np.column_stack([0.01 * pattern, 0.02 * pattern])
    assert compute_weights("inverse_volatility", x, total=0.6) == pytest.approx(
        [0.4, 0.2], abs=1e-12
    )


def test_compute_weights_risk_parity_uncorrelated_proportional_to_inverse_vol() -> None:
    # Zero-mean, exactly orthogonal patterns: sample covariance 0, so ERC is 1/vol.
    a = np.tile([1.0, -1.0, 1.0, -1.0], 30)
    b = np.tile([1.0, 1.0, -1.0, -1.0], 30)
    x = np.column_stack([0.01 * a, 0.03 * b])
    w = compute_weights("risk_parity", x, total=1.0)
    assert w == pytest.approx([0.75, 0.25], abs=2e-4)  # the solver's tolerance
    cov = np.cov(x, rowvar=False)
    contributions = w * (cov @ w)
    assert contributions[0] == pytest.approx(contributions[1], rel=1e-3)


@pytest.mark.parametrize(
    "rule", ["equal", "inverse_volatility", "risk_parity", "min_variance", "max_sharpe", "hrp"]
)
def test_compute_weights_matches_skfolio_called_directly(rule: str) -> None:
    from skfolio import RiskMeasure
    from skfolio.optimization import (
        EqualWeighted,
        HierarchicalRiskParity,
        InverseVolatility,
        MeanRisk,
        ObjectiveFunction,
        RiskBudgeting,
    )

    x = _returns(seed=3)
    direct = {
        "equal": EqualWeighted(),
        "inverse_volatility": InverseVolatility(),
        "risk_parity": RiskBudgeting(risk_measure=RiskMeasure.VARIANCE),
        "min_variance": MeanRisk(objective_function=ObjectiveFunction.MINIMIZE_RISK),
        "max_sharpe": MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RATIO),
        "hrp": HierarchicalRiskParity(),
    }[rule].fit(x)
    expected = np.clip(direct.weights_, 0.0, None)
    assert compute_weights(rule, x, total=1.0) == pytest.approx(expected, abs=1e-6)
    assert compute_weights(rule, x, total=0.5) == pytest.approx(0.5 * expected, abs=1e-6)


def test_compute_weights_bounds_passed_to_skfolio_in_unit_terms() -> None:
    from skfolio.optimization import MeanRisk

    x = _returns(seed=4)
    # Of a total of 0.8, each sleeve at most 0.4 of the portfolio: 0.5 of the invested part.
    direct = MeanRisk(max_weights=0.5).fit(x).weights_
    w = compute_weights("min_variance", x, total=0.8, max_weight=0.4)
    assert w == pytest.approx(0.8 * direct, abs=1e-6)
    assert w.max() <= 0.4 + 1e-9


def test_compute_weights_single_sleeve_and_zero_total() -> None:
    x = _returns(vols=(0.01,))
    assert compute_weights("hrp", x, total=0.7).tolist() == [0.7]
    assert compute_weights("min_variance", _returns(), total=0.0).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("bounds", [(0.3, 1.0), (0.0, 0.3)])
def test_compute_weights_bounds_leaving_one_answer_skip_the_solver(
    bounds: tuple[float, float],
) -> None:
    x = _returns()
    x[:, 0] = 0.0  # would fail any risk rule: the bounds decide first
    w = compute_weights("max_sharpe", x, total=0.9, min_weight=bounds[0], max_weight=bounds[1])
    assert w.tolist() == pytest.approx([0.3, 0.3, 0.3])


def test_compute_weights_fixed_returns_sliders() -> None:
    fixed = np.array([0.5, 0.2, 0.1])
    assert compute_weights("fixed", _returns(), total=0.8, fixed=fixed).tolist() == [0.5, 0.2, 0.1]
    with pytest.raises(ConfigError, match="rule 'fixed' needs the fixed weights"):
        compute_weights("fixed", _returns(), total=0.8)


def test_compute_weights_bad_arguments_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="did you mean 'risk_parity'"):
        compute_weights("risk_party", _returns(), total=1.0)
    with pytest.raises(ConfigError, match=r"returns must be a 2-D array .* found shape \(5,\)"):
        compute_weights("equal", np.zeros(5), total=1.0)
    with pytest.raises(ConfigError, match=r"needs a total weight of at least 1\.2"):
        compute_weights("equal", _returns(), total=1.0, min_weight=0.4)
    with pytest.raises(ConfigError, match="total must be the invested share"):
        compute_weights("equal", _returns(), total=1.5)


@pytest.mark.parametrize("rule", RISK_RULES)
def test_compute_weights_flat_sleeve_raises_allocation_failed(rule: str) -> None:
    x = _returns()
    x[:, 1] = 0.0  # a sleeve that did not trade in the window
    with pytest.raises(AllocationError, match="'b' had no variance in the window"):
        compute_weights(rule, x, total=1.0, names=["a", "b", "c"])
    assert compute_weights("equal", x, total=0.9) == pytest.approx([0.3] * 3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    rule=st.sampled_from(("equal", *RISK_RULES)),
    total=st.floats(0.3, 1.0),
    lo_share=st.floats(0.0, 1.0),
    hi_share=st.floats(0.0, 1.0),
)
def test_compute_weights_bounds_respected_and_total_kept(
    seed: int, rule: str, total: float, lo_share: float, hi_share: float
) -> None:
    n = 4
    min_weight = lo_share * total / n  # feasible by construction: n * min <= total <= n * max
    max_weight = total / n + hi_share * (1.0 - total / n)
    x = _returns(seed=seed, bars=80, vols=(0.01, 0.02, 0.015, 0.03))
    outcome = target_weights(
        rule,
        x,
        total=total,
        fixed=np.full(n, total / n),
        previous=np.full(n, total / n),
        when=pd.Timestamp("2024-03-01"),
        min_weight=min_weight,
        max_weight=max_weight,
    )
    w = outcome.weights
    assert np.all(np.isfinite(w))
    assert w.sum() == pytest.approx(total, abs=1e-9)
    assert np.all(w >= min_weight - 1e-9)
    assert np.all(w <= max_weight + 1e-9)


def test_target_weights_failure_keeps_previous_and_names_date() -> None:
    x = _returns()
    x[:, 0] = 0.0
    previous = np.array([0.2, 0.3, 0.4])
    outcome = target_weights(
        "inverse_volatility",
        x,
        total=0.9,
        fixed=np.array([0.3, 0.3, 0.3]),
        previous=previous,
        when=pd.Timestamp("2024-05-01"),
    )
    assert outcome.weights.tolist() == [0.2, 0.3, 0.4]
    assert outcome.warning is not None
    assert outcome.warning.startswith("rebalance at 2024-05-01: rule 'inverse_volatility'")
    assert "kept the previous weights" in outcome.warning
    assert outcome.reason is not None
    assert fallback_warnings(
        "inverse_volatility", [(pd.Timestamp("2024-05-01"), outcome.reason)], 1
    ) == (outcome.warning,)


def test_fallback_warnings_fold_many_into_a_count_and_the_first() -> None:
    when = pd.date_range("2024-01-01", periods=5, freq="MS")
    events = [(w, "'a' had no variance in the window") for w in when]
    lines = fallback_warnings("hrp", events, rebalances=12, limit=2)
    assert lines[0] == (
        "rule 'hrp' kept the previous weights at 5 of 12 rebalances (from 2024-01-01 to "
        "2024-05-01); the first 2:"
    )
    assert lines[1:] == (
        "rebalance at 2024-01-01: rule 'hrp' could not set weights ('a' had no variance in "
        "the window); kept the previous weights",
        "rebalance at 2024-02-01: rule 'hrp' could not set weights ('a' had no variance in "
        "the window); kept the previous weights",
    )
    assert len(fallback_warnings("hrp", events[:2], rebalances=12, limit=2)) == 2
    assert fallback_warnings("hrp", [], rebalances=12) == ()


def test_target_weights_nan_window_falls_back() -> None:
    x = _returns()
    x[5, 2] = np.nan
    outcome = target_weights(
        "hrp", x, total=1.0, fixed=np.ones(3) / 3, previous=np.array([0.5, 0.25, 0.25]), when="t"
    )
    assert outcome.weights.tolist() == [0.5, 0.25, 0.25]
    assert outcome.warning is not None
    assert "NaN" in outcome.warning


def test_target_weights_no_window_gives_fixed_without_warning() -> None:
    fixed = np.array([0.6, 0.4])
    outcome = target_weights("hrp", None, total=1.0, fixed=fixed, previous=fixed, when="t")
    assert outcome.weights.tolist() == [0.6, 0.4]
    assert outcome.warning is None


def test_fit_to_bounds_hand_computed() -> None:
    # Scores 6:3:1 for a total of 1 with a cap of 0.5: 0.5 then 3:1 of the remaining 0.5.
    w = fit_to_bounds(np.array([6.0, 3.0, 1.0]), 1.0, 0.0, 0.5)
    assert w == pytest.approx([0.5, 0.375, 0.125], abs=1e-12)
    # A floor of 0.2 lifts the smallest; the others share the rest 2:1.
    w = fit_to_bounds(np.array([6.0, 3.0, 1.0]), 1.0, 0.2, 1.0)
    assert w == pytest.approx([0.8 * 2 / 3, 0.8 / 3, 0.2], abs=1e-12)
    assert fit_to_bounds(np.zeros(4), 0.8, 0.0, 1.0) == pytest.approx([0.2] * 4)


def test_fit_to_bounds_zero_scores_filled_when_the_others_are_capped() -> None:
    # Scaling cannot reach 1.0 when sleeve 2 scores 0 and sleeve 1 is capped at 0.6.
    assert fit_to_bounds(np.array([1.0, 0.0]), 1.0, 0.0, 0.6) == pytest.approx([0.6, 0.4])


@given(
    scores=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=8),
    total=st.floats(0.0, 1.0),
    lo_share=st.floats(0.0, 1.0),
    hi_share=st.floats(0.0, 1.0),
)
def test_fit_to_bounds_sum_and_bounds_hold(
    scores: list[float], total: float, lo_share: float, hi_share: float
) -> None:
    n = len(scores)
    lo = lo_share * total / n
    hi = total / n + hi_share * (1.0 - total / n)
    w = fit_to_bounds(np.array(scores), total, lo, hi)
    assert w.sum() == pytest.approx(total, abs=1e-9)
    assert np.all(w >= lo - 1e-12)
    assert np.all(w <= hi + 1e-12)


def test_trailing_window_uses_only_returns_before_t() -> None:
    r = np.arange(20.0).reshape(10, 2)
    assert trailing_window(r, 3, 3) is None  # rows 0..2: row 0 is no return
    window = trailing_window(r, 4, 3)
    assert window is not None
    assert window[:, 0].tolist() == [2.0, 4.0, 6.0]  # rows 1, 2, 3: bar 4's return unseen


def test_warmup_warning_says_until_when() -> None:
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    assert warmup_end(10, 3) == 4
    assert warmup_warning("hrp", 3, index) == (
        "rule 'hrp' needs 3 bars of returns: the fixed weights apply until 2024-01-05 (bar 4)"
    )
    assert warmup_warning("fixed", 3, index) is None
    text = warmup_warning("hrp", 9, index)
    assert text is not None
    assert "fixed weights apply throughout" in text


def test_frontier_weights_rows_sum_to_total_and_rise_in_return() -> None:
    x = _returns(seed=5)
    rows = frontier_weights(x, 8, total=0.9, min_weight=0.0, max_weight=0.9)
    assert rows.shape == (8, 3)
    assert rows.sum(axis=1) == pytest.approx([0.9] * 8, abs=1e-9)
    mean = x.mean(axis=0)
    expected = rows @ mean
    assert np.all(np.diff(expected) >= -1e-10)


def _targets_along(returns: np.ndarray, due: np.ndarray, rule: str, lookback: int) -> list:
    fixed = np.array([0.4, 0.3, 0.2])
    previous, out = fixed, []
    for t in due:
        outcome = target_weights(
            rule,
            trailing_window(returns, int(t), lookback),
            total=0.9,
            fixed=fixed,
            previous=previous,
            when=int(t),
        )
        previous = outcome.weights
        out.append((int(t), outcome.weights.tolist(), outcome.warning))
    return out


@pytest.mark.parametrize(
    "rule",
    ["fixed", "equal", "inverse_volatility", "risk_parity", "min_variance", "max_sharpe", "hrp"],
)
def test_target_weights_truncated_history_same_targets(rule: str) -> None:
    # The targets at every rebalance up to T are the same whether or not returns after T exist.
    from orchestrator.core.allocation import Rebalance, schedule_indices

    full = np.vstack([np.zeros((1, 3)), _returns(seed=11, bars=299)])
    due = schedule_indices(np.arange(300, dtype=np.int64), Rebalance(every_bars=40))
    reference = _targets_along(full, due, rule, lookback=60)
    for cut in (125, 241):
        kept = due[due <= cut]
        assert _targets_along(full[: cut + 1], kept, rule, lookback=60) == reference[: len(kept)]
