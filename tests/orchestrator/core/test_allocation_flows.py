"""Time-weighted sleeve returns: transfers are flows, not gains."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.core.flows import (
    fill_defunded,
    flows_on_timeline,
    growth_curve,
    time_weighted_returns,
)
from orchestrator.core.metrics import cagr
from orchestrator.errors import ConfigError


def test_time_weighted_returns_no_flows_simple_returns() -> None:
    r = time_weighted_returns([100.0, 110.0, 99.0])
    assert r.tolist() == pytest.approx([0.0, 0.10, -0.10])


def test_time_weighted_returns_transfer_at_start_of_bar_hand_computed() -> None:
    # 100 -> 110 (+10 %); +50 arrives at bar 2 and the sleeve ends it at 165:
    # 165 / (110 + 50) - 1 = 3.125 %; then 165 -> 150 is -9.0909 %.
    r = time_weighted_returns([100.0, 110.0, 165.0, 150.0], [0.0, 0.0, 50.0, 0.0])
    assert r[2] == pytest.approx(0.03125, abs=1e-15)
    assert r[3] == pytest.approx(150.0 / 165.0 - 1.0, abs=1e-15)
    growth = growth_curve(r)
    # 1.1 x 1.03125 x (150 / 165) = 1.03125: the 50 transferred in is not a gain.
    assert growth[-1] == pytest.approx(1.03125, abs=1e-12)


def test_time_weighted_returns_with_value_before_flow_links_subperiods() -> None:
    # Worth 112 just before receiving 50 at bar 2 (up 2/110), then 162 -> 165.
    r = time_weighted_returns(
        [100.0, 110.0, 165.0], [0.0, 0.0, 50.0], before_flow=[100.0, 110.0, 112.0]
    )
    assert r[2] == pytest.approx(112.0 / 110.0 * 165.0 / 162.0 - 1.0, abs=1e-15)


def test_time_weighted_returns_transfer_out_without_market_move_zero() -> None:
    r = time_weighted_returns([200.0, 150.0, 150.0], [0.0, -50.0, 0.0])
    assert r.tolist() == [0.0, 0.0, 0.0]


def test_time_weighted_returns_defunded_bars_nan_then_refunded() -> None:
    # Taken to 0 at bar 1, empty at bar 2, 80 put back at bar 3 which ends at 88.
    r = time_weighted_returns([100.0, 0.0, 0.0, 88.0, 96.8], [0.0, -100.0, 0.0, 80.0, 0.0])
    assert r[1] == 0.0
    assert math.isnan(r[2])
    assert r[3] == pytest.approx(0.10)
    assert r[4] == pytest.approx(0.10)


def test_time_weighted_returns_first_bar_flow_ignored_and_short_curves() -> None:
    assert time_weighted_returns([100.0, 100.0], [999.0, 0.0]).tolist() == [0.0, 0.0]
    assert time_weighted_returns([5.0]).tolist() == [0.0]
    assert time_weighted_returns([]).tolist() == []


def test_time_weighted_returns_bad_input_raises_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"flows must have one value per bar .*\(3\); found 2"):
        time_weighted_returns([1.0, 2.0, 3.0], [0.0, 0.0])
    with pytest.raises(ConfigError, match="equity must be finite; found nan at index 1"):
        time_weighted_returns([1.0, float("nan")])


@given(
    st.lists(st.floats(-0.3, 0.5), min_size=2, max_size=20),
    st.lists(st.floats(-0.5, 3.0), min_size=20, max_size=20),
)
def test_time_weighted_returns_recover_market_returns_whatever_the_flows(
    market: list[float], flow_shares: list[float]
) -> None:
    # Build a sleeve: each bar it first receives a flow (a share of its value), then moves.
    # (At worst 0.35 ** 20 x 1e6 is still far above the de-funded threshold.)
    equity, flows = [1e6], [0.0]
    for step, share in zip(market, flow_shares, strict=False):
        flow = share * equity[-1]
        flows.append(flow)
        equity.append((equity[-1] + flow) * (1.0 + step))
    r = time_weighted_returns(equity, flows)
    assert r[1:] == pytest.approx(market, abs=1e-9)


def test_fill_defunded_uses_nominal_then_zero() -> None:
    r = np.array([0.0, np.nan, np.nan, 0.02])
    nominal = np.array([0.0, 0.01, np.nan, 0.5])
    assert fill_defunded(r, nominal).tolist() == [0.0, 0.01, 0.0, 0.02]
    assert fill_defunded(r).tolist() == [0.0, 0.0, 0.0, 0.02]
    with pytest.raises(ConfigError, match="nominal return stream must match"):
        fill_defunded(r, nominal[:2])


def test_growth_curve_feeds_metrics_same_as_equity() -> None:
    equity = np.array([100.0, 105.0, 103.0, 110.0])
    growth = growth_curve(time_weighted_returns(equity), start=100.0)
    assert growth == pytest.approx(equity)
    assert cagr(growth, 252) == pytest.approx(cagr(equity, 252))


def test_flows_on_timeline_sums_per_timestamp() -> None:
    index = pd.date_range("2024-01-01", periods=4, freq="D")
    transfers = pd.DataFrame(
        {
            "timestamp": [index[1], index[1], index[3], index[2]],
            "strategy_id": ["a", "a", "a", "b"],
            "amount": [10.0, -2.5, 4.0, 7.0],
        }
    )
    assert flows_on_timeline(index, transfers, "a").tolist() == [0.0, 7.5, 0.0, 4.0]
    assert flows_on_timeline(index, None, "a").tolist() == [0.0] * 4
    stray = transfers.assign(timestamp=[pd.Timestamp("2030-01-01")] * 4)
    with pytest.raises(ConfigError, match="not on the run's timeline"):
        flows_on_timeline(index, stray, "a")
