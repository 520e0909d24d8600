"""Rebalance configuration, bounds, schedules and the drift test."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.core.allocation import (
    Rebalance,
    check_bounds,
    check_lookback,
    drift_exceeded,
    period_ids,
    schedule_indices,
    schedule_mask,
    sleeve_shares,
)
from orchestrator.errors import ConfigError


def test_rebalance_default_never_rebalances() -> None:
    rb = Rebalance()
    assert not rb.enabled
    assert (rb.schedule, rb.mode, rb.rule, rb.lookback) == ("none", "scale", "fixed", 126)
    assert (rb.min_weight, rb.max_weight, rb.drift, rb.every_bars) == (0.0, 1.0, None, None)


@pytest.mark.parametrize(
    ("kwargs", "enabled"),
    [({"schedule": "monthly"}, True), ({"every_bars": 5}, True), ({"drift": 0.05}, True)],
)
def test_rebalance_any_trigger_enabled(kwargs: dict[str, object], enabled: bool) -> None:
    assert Rebalance(**kwargs).enabled is enabled  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "suggestion"),
    [("schedule", "monthy", "monthly"), ("mode", "scal", "scale"), ("rule", "hrp2", "hrp")],
)
def test_rebalance_unknown_choice_suggests(field: str, value: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        Rebalance(**{field: value})  # type: ignore[arg-type]
    text = str(info.value)
    assert f"rebalance {field}" in text
    assert repr(value) in text
    assert f"did you mean {suggestion!r}" in text


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"lookback": 1}, "lookback must be >= 2"),
        ({"lookback": 2.5}, "lookback must be a whole number"),
        ({"lookback": True}, "lookback must be a whole number"),
        ({"drift": 0.0}, "drift must be strictly between 0 and 1"),
        ({"drift": 1.0}, "drift must be strictly between 0 and 1"),
        ({"drift": 1.5}, "drift must be between 0 and 1"),
        ({"drift": "0.1"}, "drift must be a number"),
        ({"min_weight": 0.6, "max_weight": 0.5}, "min_weight (0.6) is above max_weight (0.5)"),
        ({"max_weight": -0.1}, "max_weight must be between 0 and 1"),
        ({"min_weight": float("nan")}, "min_weight must be between 0 and 1"),
        ({"every_bars": 0}, "every_bars must be >= 1"),
        ({"every_bars": 5, "schedule": "weekly"}, "choose one"),
    ],
)
def test_rebalance_bad_value_raises_naming_field(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        Rebalance(**kwargs)  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_rebalance_decimal_bounds_become_floats() -> None:
    rb = Rebalance(min_weight=Decimal("0.1"), max_weight=Decimal("0.5"))  # type: ignore[arg-type]
    assert (rb.min_weight, rb.max_weight) == (0.1, 0.5)
    assert isinstance(rb.min_weight, float)


def test_rebalance_dict_round_trip_equal() -> None:
    rb = Rebalance(schedule="quarterly", drift=0.1, mode="cash", rule="hrp", lookback=60)
    assert Rebalance.from_dict(rb.to_dict()) == rb


def test_rebalance_from_dict_unknown_key_suggests() -> None:
    with pytest.raises(ConfigError, match="unknown rebalance option 'lookbak'; did you mean"):
        Rebalance.from_dict({"lookbak": 20})


def test_check_bounds_min_too_high_raises_with_fix() -> None:
    with pytest.raises(ConfigError) as info:
        check_bounds(1.0, 4, 0.3, 1.0)
    text = str(info.value)
    assert "min_weight=0.3 with 4 strategies needs a total weight of at least 1.2" in text
    assert "at most 0.25" in text


def test_check_bounds_max_too_low_raises_with_fix() -> None:
    with pytest.raises(ConfigError, match=r"allows a total weight of at most 0\.6.*at least 0\.3"):
        check_bounds(0.9, 3, 0.0, 0.2)


def test_check_bounds_exact_edges_pass() -> None:
    check_bounds(0.3, 3, 0.1, 0.1)  # 3 x 0.1 is 0.30000000000000004 in floats
    check_bounds(1.0, 4, 0.25, 0.25)
    check_bounds(0.0, 2, 0.0, 0.5)


def test_rebalance_check_run_only_for_computed_rules() -> None:
    Rebalance(schedule="monthly", min_weight=0.5).check_run(1.0, 4, 10)  # fixed: unused
    Rebalance(rule="hrp", min_weight=0.5).check_run(1.0, 4, 10)  # never rebalances
    with pytest.raises(ConfigError, match="needs a total weight of at least 2"):
        Rebalance(schedule="monthly", rule="hrp", min_weight=0.5).check_run(1.0, 4, 500)
    with pytest.raises(ConfigError, match="lookback=126 bars is longer than the data allows"):
        Rebalance(drift=0.1, rule="equal").check_run(1.0, 4, 100)


def test_check_lookback_longer_than_data_raises() -> None:
    check_lookback(9, 10)
    with pytest.raises(ConfigError, match="lookback=10 bars is longer than the data allows"):
        check_lookback(10, 10)


def _ns(*stamps: str) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(stamps).as_unit("ns").asi8, dtype=np.int64)


def test_schedule_mask_monthly_first_bar_of_each_month() -> None:
    tl = _ns("2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-03-04", "2024-03-05")
    mask = schedule_mask(tl, Rebalance(schedule="monthly"))
    assert mask.tolist() == [False, False, True, False, True, False]
    assert schedule_indices(tl, Rebalance(schedule="monthly")).tolist() == [2, 4]


def test_schedule_mask_weekly_starts_monday() -> None:
    # 2024-01-05 is a Friday, 2024-01-06 a Saturday, 2024-01-08 a Monday, 2024-01-14 a Sunday.
    tl = _ns("2024-01-05", "2024-01-06", "2024-01-08", "2024-01-14", "2024-01-15")
    assert schedule_mask(tl, Rebalance(schedule="weekly")).tolist() == [
        False,
        False,
        True,
        False,
        True,
    ]


def test_schedule_mask_quarterly_and_annually() -> None:
    tl = _ns("2023-12-29", "2024-01-02", "2024-03-28", "2024-04-01", "2024-07-01")
    assert schedule_mask(tl, Rebalance(schedule="quarterly")).tolist() == [
        False,
        True,
        False,
        True,
        True,
    ]
    assert schedule_mask(tl, Rebalance(schedule="annually")).tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_schedule_mask_every_bars_and_none() -> None:
    tl = np.arange(7, dtype=np.int64) * 86_400_000_000_000
    assert schedule_indices(tl, Rebalance(every_bars=3)).tolist() == [3, 6]
    assert not schedule_mask(tl, Rebalance()).any()
    assert not schedule_mask(tl, Rebalance(drift=0.1)).any()


def test_schedule_mask_datetimeindex_and_intraday_same_as_ns() -> None:
    index = pd.date_range("2024-01-31 09:00", periods=48, freq="h")
    via_index = schedule_mask(index, Rebalance(schedule="monthly"))
    via_ns = schedule_mask(index.as_unit("ns").asi8, Rebalance(schedule="monthly"))
    assert via_index.tolist() == via_ns.tolist()
    assert np.flatnonzero(via_index).tolist() == [15]  # 2024-02-01 00:00


def test_schedule_mask_tz_aware_uses_wall_clock() -> None:
    index = pd.DatetimeIndex(["2024-01-31 23:00", "2024-02-01 01:00"]).tz_localize("Europe/Paris")
    assert schedule_mask(index, Rebalance(schedule="monthly")).tolist() == [False, True]


def test_period_ids_bad_dtype_raises() -> None:
    with pytest.raises(ConfigError, match="timeline must be int64 nanoseconds"):
        period_ids(np.array([1.0, 2.0]), "monthly")


@given(st.lists(st.integers(0, 4_000_000_000), min_size=2, max_size=60, unique=True))
def test_schedule_mask_one_true_per_new_month(seconds: list[int]) -> None:
    tl = np.sort(np.asarray(seconds, dtype=np.int64)) * 1_000_000_000
    mask = schedule_mask(tl, Rebalance(schedule="monthly"))
    months = pd.DatetimeIndex(tl).to_period("M")
    assert int(mask.sum()) == len(set(months)) - 1
    assert not mask[0]


def test_drift_exceeded_band_edges() -> None:
    targets = np.array([0.4, 0.3])
    assert not drift_exceeded(np.array([0.45, 0.3]), targets, 0.05)  # exactly on the band
    assert drift_exceeded(np.array([0.4501, 0.3]), targets, 0.05)
    assert drift_exceeded(np.array([0.4, 0.2]), targets, 0.05)


def test_sleeve_shares_zero_portfolio_gives_zeros() -> None:
    assert sleeve_shares(np.array([50.0, 30.0]), 100.0).tolist() == [0.5, 0.3]
    assert sleeve_shares(np.array([0.0, 0.0]), 0.0).tolist() == [0.0, 0.0]


def test_allocation_modules_import_without_skfolio() -> None:
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, orchestrator, orchestrator.core.rules, orchestrator.app.suggest, "
        "orchestrator.app.walkforward, orchestrator.core.attribution\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'skfolio', 'sklearn', 'cvxpy', 'scipy'})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout) == []
