"""Tests of the sweep grid (orchestrator.app.grid) and the plan (validation before any work)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import ConfigError
from orchestrator.app.grid import parse_grid
from orchestrator.app.spec import RunSpec, StrategySpec
from orchestrator.app.sweep import plan_sweep

SPEC = RunSpec(
    strategies=(
        StrategySpec("sma_crossover", "0.5", {"fast": 5, "slow": 20}),
        StrategySpec("buy_and_hold", "0.3"),
    ),
    symbols=("AAPL",),
)


def _values(grid: dict[str, object], column: str) -> list[object]:
    parsed = parse_grid(SPEC, grid)
    return [parsed.settings(i)[column] for i in range(parsed.size)]


def test_parse_grid_range_inclusive_stop_gives_every_step() -> None:
    grid = {"sma_crossover.slow": {"start": 20, "stop": 60, "step": 20}}
    assert _values(grid, "sma_crossover.slow") == [20, 40, 60]


def test_parse_grid_decimal_range_does_not_drift() -> None:
    grid = {"commission_rate": {"start": 0.0, "stop": 0.3, "step": 0.1}}
    assert _values(grid, "commission_rate") == [0.0, 0.1, 0.2, 0.3]


def test_parse_grid_product_order_last_axis_fastest() -> None:
    parsed = parse_grid(SPEC, {"sma_crossover.fast": [3, 4], "fill": ["next_open", "close"]})
    assert parsed.size == 4
    assert [tuple(parsed.settings(i).values()) for i in range(4)] == [
        (3, "next_open"),
        (3, "close"),
        (4, "next_open"),
        (4, "close"),
    ]
    assert parsed.columns == ("sma_crossover.fast", "fill")


def test_parse_grid_alias_and_nested_table_name_their_columns() -> None:
    parsed = parse_grid(SPEC, {"commission": [0, 0.001], "sma_crossover": {"fast": [2, 3]}})
    assert parsed.columns == ("commission_rate", "sma_crossover.fast")
    assert parsed.settings(2) == {"commission_rate": 0.001, "sma_crossover.fast": 2}
    assert isinstance(parsed.settings(0)["commission_rate"], float)


def test_parse_grid_apply_sets_param_weight_and_run_field() -> None:
    parsed = parse_grid(
        SPEC, {"sma_crossover.fast": [7], "buy_and_hold.weight": [0.25], "slippage": [3]}
    )
    spec = parsed.apply(SPEC, parsed.settings(0))
    assert spec.strategies[0].params == {"fast": 7, "slow": 20}
    assert spec.strategies[1].weight == "0.25"
    assert spec.slippage_bps == 3.0
    assert SPEC.strategies[0].params == {"fast": 5, "slow": 20}  # the base is unchanged


def test_parse_grid_unknown_parameter_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"no parameter 'fsat'; did you mean 'fast'\?"):
        parse_grid(SPEC, {"sma_crossover.fsat": [1, 2]})


def test_parse_grid_unknown_strategy_did_you_mean() -> None:
    with pytest.raises(
        ConfigError, match=r"no strategy 'sma_crosover'.*did you mean 'sma_crossover'"
    ):
        parse_grid(SPEC, {"sma_crosover.fast": [1, 2]})


def test_parse_grid_unknown_key_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown sweep grid key 'comission_rate'.*did you mean"):
        parse_grid(SPEC, {"comission_rate": [0.001]})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0, 5], r"0 is outside the declared range of fast \(from 1 to 500\)"),
        ({"start": 100, "stop": 600, "step": 100}, r"600 is outside the declared range"),
        ([2.5], r"whole numbers; found 2.5"),
        (["x"], r"must be numbers; found 'x'"),
        ([], r"has no values"),
        ({"start": 9, "stop": 3, "step": 1}, r"stop \(3\) is below start \(9\)"),
        ({"start": 1, "stop": 3, "step": 0}, r"step must be > 0"),
        ({"start": 1, "stop": 3, "step": 0.5}, r"not a multiple of the parameter's declared step"),
        ({"start": 1, "stop": 3}, r"the range needs step"),
        ({"start": 1, "stop": 3, "stpe": 1}, r"unknown range key 'stpe'; did you mean"),
        ([3, 3], r"lists 3 twice"),
    ],
)
def test_parse_grid_bad_parameter_values_raise_config_error(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_grid(SPEC, {"sma_crossover.fast": value})


def test_parse_grid_bad_run_value_names_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"sweep grid key 'fill': value 'later'"):
        parse_grid(SPEC, {"fill": ["close", "later"]})


def test_parse_grid_empty_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="the sweep grid is empty"):
        parse_grid(SPEC, {})


def test_parse_grid_weights_twice_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"sets sma_crossover\.weight twice"):
        parse_grid(SPEC, {"weights": {"step": 0.5}, "sma_crossover.weight": [0.1]})


def test_parse_grid_weights_simplex_step_half_lists_six_points() -> None:
    points = parse_grid(SPEC, {"weights": {"step": 0.5}}).axes[0].values
    assert points == ((0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 0.0), (0.5, 0.5), (1.0, 0.0))


def test_parse_grid_weights_exact_total_and_min() -> None:
    axis = parse_grid(SPEC, {"weights": {"step": 0.25, "min": 0.25, "total": 1.0}}).axes[0]
    assert axis.values == ((0.25, 0.75), (0.5, 0.5), (0.75, 0.25))
    assert axis.columns == ("sma_crossover.weight", "buy_and_hold.weight")


def test_parse_grid_weights_subset_respects_fixed_weights() -> None:
    # buy_and_hold keeps 0.3, so sma_crossover may have at most 0.7: 0, 0.2, ..., 0.6
    axis = parse_grid(SPEC, {"weights": {"step": 0.2, "strategies": ["sma_crossover"]}}).axes[0]
    assert axis.values == ((0.0,), (0.2,), (0.4,), (0.6,))


@settings(max_examples=40, deadline=None)
@given(
    units=st.integers(1, 12),
    k=st.integers(1, 3),
    low=st.integers(0, 2),
    exact=st.booleans(),
)
def test_parse_grid_weights_simplex_property_totals_at_most_one(
    units: int, k: int, low: int, exact: bool
) -> None:
    spec = RunSpec(strategies=tuple(StrategySpec("buy_and_hold", "0") for _ in range(k)))
    step = Decimal(1) / units
    step = step.quantize(Decimal("0.0001"))
    if step == 0 or low * step * k > 1:
        return
    table: dict[str, object] = {"step": float(step), "min": float(low * step)}
    if exact:
        table["total"] = float(step * (units // 2 or 1))
    free = int(1 / step) if not exact else int(Decimal(str(table["total"])) / step)
    room = free - k * low
    if room < 0:  # no point fits: the message says so
        with pytest.raises(ConfigError, match="no weights"):
            parse_grid(spec, {"weights": table})
        return
    axis = parse_grid(spec, {"weights": table}).axes[0]
    assert len(set(axis.values)) == len(axis.values)
    for point in axis.values:
        decimals = [Decimal(str(w)) for w in point]
        assert sum(decimals) <= 1
        assert all(w >= low * step and w % step == 0 for w in decimals)
        if exact:
            assert sum(decimals) == Decimal(str(table["total"]))
    expected = math.comb(room + k - 1, k - 1) if exact else math.comb(room + k, k)
    assert len(axis.values) == expected


def test_plan_sweep_cross_parameter_rule_marks_rows_invalid() -> None:
    plan = plan_sweep(SPEC, {"sma_crossover.fast": [5, 20, 30]})
    assert sorted(plan.specs) == [0]
    assert plan.invalid == {
        1: "invalid: sma_crossover: fast (20) must be < slow (20)",
        2: "invalid: sma_crossover: fast (30) must be < slow (20)",
    }


def test_plan_sweep_weight_total_over_one_marks_row_invalid() -> None:
    plan = plan_sweep(SPEC, {"sma_crossover.weight": [0.5, 0.8]})
    assert list(plan.specs) == [0]
    assert plan.invalid[1].startswith("invalid: Total weight 1.1 exceeds 1.0 by 0.1")


def test_plan_sweep_nothing_valid_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="no combination of the sweep grid can run"):
        plan_sweep(SPEC, {"sma_crossover.fast": [20, 30]})


def test_plan_sweep_more_than_max_raises_config_error() -> None:
    grid = {
        "sma_crossover.fast": {"start": 1, "stop": 19, "step": 1},
        "fill": ["close", "next_open"],
    }
    with pytest.raises(ConfigError, match="38 combinations, more than the limit of 10"):
        plan_sweep(SPEC, grid, max_combinations=10)
    assert plan_sweep(SPEC, grid, sample=10, max_combinations=10).count == 10


def test_plan_sweep_sample_is_seeded_distinct_and_in_grid_order() -> None:
    grid = {"sma_crossover.fast": {"start": 1, "stop": 19, "step": 1}, "slippage": [0, 1, 2, 3]}
    a = plan_sweep(SPEC, grid, sample=12, seed=7).indices
    assert a == plan_sweep(SPEC, grid, sample=12, seed=7).indices
    assert a != plan_sweep(SPEC, grid, sample=12, seed=8).indices
    assert len(set(a)) == 12
    assert list(a) == sorted(a)
    assert all(0 <= i < 76 for i in a)
    assert plan_sweep(SPEC, grid, sample=500).indices == tuple(range(76))


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_plan_sweep_bad_sample_raises_config_error(bad: object) -> None:
    with pytest.raises(ConfigError, match="sample must be a whole number >= 1"):
        plan_sweep(SPEC, {"sma_crossover.fast": [1, 2, 3]}, sample=bad)  # type: ignore[arg-type]


# ---- rebalancing options as grid keys -----------------------------------------------------------


def test_parse_grid_rebalance_options_apply_to_the_runs_rebalance() -> None:
    grid = parse_grid(
        SPEC, {"rebalance.schedule": ["none", "monthly"], "rebalance.rule": ["equal"]}
    )
    assert grid.columns == ("rebalance.schedule", "rebalance.rule")
    last = grid.apply(SPEC, grid.settings(grid.size - 1))
    assert (last.rebalance.schedule, last.rebalance.rule) == ("monthly", "equal")
    assert last.rebalance.lookback == SPEC.rebalance.lookback  # the others are kept
    assert grid.apply(SPEC, grid.settings(0)).rebalance.schedule == "none"


def test_parse_grid_rebalance_lookback_range_gives_whole_bars() -> None:
    grid = {"rebalance.lookback": {"start": 20, "stop": 60, "step": 20}}
    assert _values(grid, "rebalance.lookback") == [20, 40, 60]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"rebalance.rul": ["equal"]}, "did you mean 'rebalance.rule'"),
        ({"rebalance.schedule": ["monthy"]}, "schedule must be one of .*'monthly'"),
        ({"rebalance.drift": [1.5]}, "sweep grid key 'rebalance.drift'"),
        ({"rebalance": ["monthly"]}, "did you mean 'rebalance"),
    ],
)  # fmt: skip
def test_parse_grid_bad_rebalance_key_or_value_raises_config_error(
    grid: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_grid(SPEC, grid)


def test_sweep_row_with_rebalancing_equals_the_single_run() -> None:
    from orchestrator.app.sweep import run_batch
    from orchestrator.data import synthetic

    frames = synthetic(["AAPL"], 400, seed=3)
    spec = RunSpec(strategies=SPEC.strategies, symbols=("AAPL",))
    grid = parse_grid(spec, {"rebalance.schedule": ["monthly"], "rebalance.rule": ["equal"]})
    combined = grid.apply(spec, grid.settings(0))
    [row] = run_batch(frames, [(0, combined)])
    assert row["error"] is None
    single = combined.run(frames, logging_level="ERROR")
    assert single.rebalances > 0
    table = single.comparison_table
    assert row["Portfolio.final_equity"] == float(table.loc["Portfolio", "final_equity"])
    assert row["sma_crossover.sharpe_ratio"] == float(table.loc["sma_crossover", "sharpe_ratio"])
