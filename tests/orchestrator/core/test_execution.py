"""Tests of orchestrator.core.execution: slippage, commission and sizing, computed by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.core.execution import CostModel, Sizing
from orchestrator.core.models import OrchestratorConfig


def test_cost_model_from_config_converts_bps_to_fraction() -> None:
    cfg = OrchestratorConfig(
        commission_rate=0.001, commission_per_share=0.01, commission_min=1.0, slippage_bps=25
    )
    costs = CostModel.from_config(cfg)
    assert costs == CostModel(rate=0.001, per_share=0.01, minimum=1.0, slippage=0.0025)


def test_cost_model_slippage_always_against_trader() -> None:
    costs = CostModel(slippage=0.001)  # 10 bps
    assert costs.buy_price(100.0) == pytest.approx(100.1, abs=1e-12)
    assert costs.sell_price(100.0) == pytest.approx(99.9, abs=1e-12)
    assert CostModel().buy_price(100.0) == 100.0
    assert CostModel().sell_price(100.0) == 100.0


def test_cost_model_commission_rate_per_share_and_minimum() -> None:
    costs = CostModel(rate=0.001, per_share=0.01, minimum=1.0)
    # 100 shares at 50: 0.001 * 5000 + 0.01 * 100 = 5 + 1 = 6 (above the minimum).
    assert costs.commission(100, 50.0) == pytest.approx(6.0, abs=1e-12)
    # 2 shares at 10: 0.001 * 20 + 0.01 * 2 = 0.04, below the minimum of 1.
    assert costs.commission(2, 10.0) == 1.0
    assert costs.commission(0, 10.0) == 0.0
    assert costs.buy_cost(2, 10.0) == 21.0


def test_cost_model_no_commission_configured_charges_nothing() -> None:
    costs = CostModel(slippage=0.01)
    assert not costs.charges_commission
    assert costs.commission(1000, 123.0) == 0.0
    assert costs.buy_cost(3, 10.0) == 30.0


def test_cost_model_minimum_alone_charged_per_order() -> None:
    costs = CostModel(minimum=2.5)
    assert costs.charges_commission
    assert costs.commission(1, 1000.0) == 2.5
    assert costs.commission(10_000, 1000.0) == 2.5


def test_sizing_whole_shares_budget_floor() -> None:
    sizing = Sizing(CostModel())
    assert sizing.quantity(1000.0, 30.0) == 33.0  # 33 * 30 = 990 <= 1000 < 34 * 30
    assert sizing.quantity(990.0, 30.0) == 33.0  # exact fit
    assert sizing.quantity(989.99, 30.0) == 32.0


def test_sizing_whole_shares_float_cost_above_budget_steps_back() -> None:
    # 0.3 / 0.1 is 2.9999999999999996 and 3 * 0.1 is 0.30000000000000004 > 0.3: the floor
    # with tolerance proposes 3, whose cost overshoots, so sizing steps back to 2.
    sizing = Sizing(CostModel())
    assert sizing.quantity(0.3, 0.1) == 2.0
    assert sizing.quantity(0.30000000000000004, 0.1) == 3.0


def test_sizing_commission_rate_included() -> None:
    sizing = Sizing(CostModel(rate=0.01))
    # 10 units at 100 cost 1000 + 10 = 1010 > 1000; 9 cost 900 + 9 = 909.
    assert sizing.quantity(1000.0, 100.0) == 9.0
    assert sizing.quantity(1010.0, 100.0) == 10.0


def test_sizing_minimum_commission_binds() -> None:
    sizing = Sizing(CostModel(rate=0.001, minimum=5.0))
    # 10 units at 10 = 100 + max(5, 0.1) = 105 > 104; 9 units = 90 + 5 = 95.
    assert sizing.quantity(104.0, 10.0) == 9.0
    assert sizing.quantity(105.0, 10.0) == 10.0


def test_sizing_per_share_commission_included() -> None:
    sizing = Sizing(CostModel(per_share=1.0))
    # Each unit costs 10 + 1 = 11: 100 // 11 = 9.
    assert sizing.quantity(100.0, 10.0) == 9.0


def test_sizing_not_one_share_fits_returns_zero() -> None:
    sizing = Sizing(CostModel(minimum=1.0))
    assert sizing.quantity(10.5, 10.0) == 0.0  # 10 + 1 > 10.5
    assert Sizing(CostModel()).quantity(9.99, 10.0) == 0.0


@pytest.mark.parametrize(("budget", "price"), [(0.0, 10.0), (-5.0, 10.0), (100.0, 0.0)])
def test_sizing_non_positive_inputs_return_zero(budget: float, price: float) -> None:
    assert Sizing(CostModel()).quantity(budget, price) == 0.0
    assert Sizing(CostModel(), fractional=True).quantity(budget, price) == 0.0


def test_sizing_fractional_spends_budget() -> None:
    sizing = Sizing(CostModel(), fractional=True)
    q = sizing.quantity(1000.0, 3.0)
    assert q == pytest.approx(1000.0 / 3.0, rel=1e-12)
    assert q * 3.0 <= 1000.0


def test_sizing_fractional_with_costs_exactly_spends_budget() -> None:
    costs = CostModel(rate=0.002, per_share=0.01, minimum=1.0)
    q = Sizing(costs, fractional=True).quantity(500.0, 7.0)
    # Linear part: q * (7 * 1.002 + 0.01) = 500.
    assert q == pytest.approx(500.0 / (7.0 * 1.002 + 0.01), rel=1e-12)
    assert costs.buy_cost(q, 7.0) <= 500.0


def test_sizing_fractional_below_minimum_commission_returns_zero() -> None:
    assert Sizing(CostModel(minimum=5.0), fractional=True).quantity(4.0, 1.0) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    budget=st.floats(0.01, 1e7),
    price=st.floats(0.01, 1e5),
    rate=st.sampled_from([0.0, 0.0005, 0.001, 0.01]),
    per_share=st.sampled_from([0.0, 0.005, 0.01]),
    minimum=st.sampled_from([0.0, 1.0, 5.0]),
)
def test_sizing_whole_shares_never_overspend_and_maximal(
    budget: float, price: float, rate: float, per_share: float, minimum: float
) -> None:
    costs = CostModel(rate=rate, per_share=per_share, minimum=minimum)
    q = Sizing(costs).quantity(budget, price)
    assert q == math.floor(q)
    assert q >= 0
    if q > 0:
        assert costs.buy_cost(q, price) <= budget
    assert costs.buy_cost(q + 1, price) > budget


@settings(max_examples=60, deadline=None)
@given(
    budget=st.floats(0.01, 1e7),
    price=st.floats(0.01, 1e5),
    rate=st.sampled_from([0.0, 0.001, 0.01]),
    minimum=st.sampled_from([0.0, 1.0]),
)
def test_sizing_fractional_never_overspends_and_nearly_spends_all(
    budget: float, price: float, rate: float, minimum: float
) -> None:
    costs = CostModel(rate=rate, minimum=minimum)
    q = Sizing(costs, fractional=True).quantity(budget, price)
    if q > 0:
        assert costs.buy_cost(q, price) <= budget
        assert costs.buy_cost(q, price) == pytest.approx(budget, rel=1e-9)
    else:
        assert budget <= minimum


def test_sizing_beyond_float_integer_precision_terminates_within_budget() -> None:
    # Past 2**53 a float cannot step down by one share; sizing must still end, within budget.
    sizing = Sizing(CostModel(rate=0.001))
    quantity = sizing.quantity(3e16, 3.0)
    assert quantity > 0
    assert CostModel(rate=0.001).buy_cost(quantity, 3.0) <= 3e16
