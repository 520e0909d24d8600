"""The dashboard sweep view's rules: default ranges, grids, the cap, the estimate, the chart's
axes, where the run on screen sits, the sweep's identity; and the hand-back to the sidebar."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

import strategies
from orchestrator.app import adopt, sweep_view
from orchestrator.app.session import RowKeys, start_session
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.errors import ConfigError


def _params(name: str) -> tuple[Any, ...]:
    return tuple(strategies.REGISTRY[name].param_specs())


def _param(name: str, param: str) -> Any:
    return next(p for p in _params(name) if p.name == param)


def test_default_range_int_parameter_seven_values_a_quarter_apart() -> None:
    assert sweep_view.default_range(_param("sma_crossover", "fast"), 20) == (5, 35, 5)
    assert sweep_view.default_range(_param("sma_crossover", "slow"), 100) == (25, 175, 25)


def test_default_range_clipped_to_declared_min_and_on_declared_step() -> None:
    start, stop, step = sweep_view.default_range(_param("sma_crossover", "fast"), 2)
    assert (start, stop, step) == (1, 5, 1)  # 2 - 3 would be below min=1
    k = _param("bollinger_reversion", "k")
    start, stop, step = sweep_view.default_range(k, 2.0)
    assert (start, stop, step) == (0.5, 3.5, 0.5)
    assert all(isinstance(v, float) for v in (start, stop, step))


def test_param_grid_without_parameters_raises() -> None:
    with pytest.raises(ConfigError, match="at least one parameter"):
        sweep_view.param_grid("sma_crossover", {})


def test_weight_grid_keep_total_fixes_the_chosen_strategies_sum() -> None:
    grid = sweep_view.weight_grid(DEFAULT_SPEC, ["sma_crossover", "rsi_reversion"], 0.1, True)
    assert grid == {
        "weights": {"step": 0.1, "strategies": ["sma_crossover", "rsi_reversion"], "total": 0.7}
    }
    plan = sweep_view.plan_dashboard_sweep(DEFAULT_SPEC, grid)
    assert plan.count == 8
    assert sweep_view.plot_axes(plan) == ["sma_crossover.weight"]


def test_weight_grid_free_total_plots_both_weights() -> None:
    grid = sweep_view.weight_grid(DEFAULT_SPEC, ["sma_crossover", "rsi_reversion"], 0.2, False)
    plan = sweep_view.plan_dashboard_sweep(DEFAULT_SPEC, grid)
    # Multiples of 0.2 with a total up to 0.8 (donchian_breakout keeps its 0.2): 15 points.
    assert plan.count == 15
    assert sweep_view.plot_axes(plan) == ["sma_crossover.weight", "rsi_reversion.weight"]


@pytest.mark.parametrize(
    ("chosen", "step", "message"),
    [
        (["sma_crossover"], 0.1, "two or three"),
        (["sma_crossover", "nope"], 0.1, "no strategy nope"),
        (["sma_crossover", "rsi_reversion"], 0.25, "not a multiple of the step"),
    ],
)
def test_weight_grid_bad_choice_raises_config_error(
    chosen: list[str], step: float, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        sweep_view.weight_grid(DEFAULT_SPEC, chosen, step, True)


def test_plan_dashboard_sweep_over_the_cap_raises_before_planning() -> None:
    grid = sweep_view.param_grid(
        "sma_crossover", {"fast": (1, 100, 1), "slow": (2, 200, 1)}
    )  # 100 x 199
    with pytest.raises(ConfigError, match=r"19,900 combinations.*at most 2,000"):
        sweep_view.plan_dashboard_sweep(DEFAULT_SPEC, grid)
    with pytest.raises(ConfigError, match="at most 10"):
        sweep_view.check_count(11, limit=10)
    sweep_view.check_count(10, limit=10)


def test_estimate_seconds_scales_with_count_over_workers_plus_startup() -> None:
    assert sweep_view.estimate_seconds(100, 0.2, 2, started=True) == pytest.approx(10.0)
    assert sweep_view.estimate_seconds(100, 0.2, 2, started=False, startup=3.0) == 13.0
    assert sweep_view.estimate_seconds(10, 0.0, 0, started=True) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.2, "about 1 s"), (12.1, "about 13 s"), (150, "about 3 min")]
)
def test_estimate_text_rounds_up_to_a_plain_unit(seconds: float, text: str) -> None:
    assert sweep_view.estimate_text(seconds) == text


def test_startup_seconds_small_for_threads_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DASK_SCHEDULER", raising=False)
    monkeypatch.setenv(sweep_view.CLUSTER_ENV, "threads")
    assert sweep_view.startup_seconds() < sweep_view.STARTUP_SECONDS
    assert sweep_view.worker_count(None) == 1
    monkeypatch.setenv(sweep_view.CLUSTER_ENV, "processes")
    assert sweep_view.startup_seconds() == sweep_view.STARTUP_SECONDS


def test_local_client_unknown_mode_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DASK_SCHEDULER", raising=False)
    with pytest.raises(ConfigError, match="'processes' or 'threads'"):
        sweep_view.local_client("fork")


def test_current_settings_reads_params_defaults_and_weights() -> None:
    grid = {
        "sma_crossover.fast": [10, 20],
        "rsi_reversion.period": [10, 14],
        "donchian_breakout.weight": [0.1, 0.2],
    }
    plan = sweep_view.plan_dashboard_sweep(DEFAULT_SPEC, grid)
    current = sweep_view.current_settings(DEFAULT_SPEC, plan.grid, _params)
    assert current == {
        "sma_crossover.fast": 20,  # set in the spec
        "rsi_reversion.period": 14,  # the declared default
        "donchian_breakout.weight": 0.2,
    }


def test_sweep_key_same_after_applying_a_cell_differs_for_other_data() -> None:
    grid = {"sma_crossover.fast": [10, 20, 30]}
    plan = sweep_view.plan_dashboard_sweep(DEFAULT_SPEC, grid)
    applied = sweep_view.plan_dashboard_sweep(plan.specs[2], grid)  # fast = 30 on screen
    assert sweep_view.sweep_key(plan, "demo") == sweep_view.sweep_key(applied, "demo")
    assert sweep_view.sweep_key(plan, "demo") != sweep_view.sweep_key(plan, "upload:abc")
    other = replace(DEFAULT_SPEC, commission_rate=0.001)
    assert sweep_view.sweep_key(plan, "demo") != sweep_view.sweep_key(
        sweep_view.plan_dashboard_sweep(other, grid), "demo"
    )


# ---- adopt: a view's configuration back to the sidebar ---------------------------------------


def _state(spec: RunSpec = DEFAULT_SPEC) -> dict[str, Any]:
    state: dict[str, Any] = {}
    start_session(state, spec, [], _params)
    return state


def test_adopt_same_strategies_sets_weights_and_params_and_requests_a_run() -> None:
    state = _state()
    uids = [r["uid"] for r in state["rows"]]
    state["capital"] = 50_000.0  # an edit of the user's, not in the applied spec
    new = adopt.with_weights(DEFAULT_SPEC, {"sma_crossover": Decimal("0.5")})
    first = replace(new.strategies[0], params={"fast": 7, "slow": 100})
    new = replace(new, strategies=(first, *new.strategies[1:]))
    adopt.adopt(state, new, _params)
    assert [r["uid"] for r in state["rows"]] == uids  # same boxes
    assert state[RowKeys(uids[0]).weight] == 0.5
    assert state[RowKeys(uids[0]).param("fast")] == 7
    assert state[RowKeys(uids[1]).param("period")] == 14  # a default stays the default
    assert state["capital"] == 50_000.0
    assert adopt.run_requested(state) is True
    assert adopt.run_requested(state) is False  # once


def test_adopt_other_strategies_sets_the_whole_form() -> None:
    state = _state()
    other = RunSpec(strategies=(StrategySpec("momentum", "0.6"),))
    adopt.adopt(state, other, _params)
    assert [r["name"] for r in state["rows"]] == ["momentum"]
    assert state[RowKeys(state["rows"][0]["uid"]).weight] == 0.6
    assert adopt.run_requested(state)


def test_with_weights_unknown_strategy_raises() -> None:
    with pytest.raises(ConfigError, match="unknown strategies"):
        adopt.with_weights(DEFAULT_SPEC, {"nope": 0.1})
