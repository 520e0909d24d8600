"""Tests of orchestrator.core.execution: slippage, commission and sizing, computed by hand."""

from __future__ import annotations

import math
import re
import sys
from typing import ClassVar

import pytest
from hypothesis import assume, given, settings
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


# ---- extreme floats (issue 9, item 1): sizing always ends, within budget, maximal ------------

MAX = sys.float_info.max
TINY = 5e-324  # the smallest subnormal


class CountingCostModel(CostModel):
    """A cost model that counts how often sizing prices an order (the correction steps)."""

    __slots__ = ()
    calls: ClassVar[list[int]] = [0]

    def buy_cost(self, quantity: float, price: float) -> float:
        CountingCostModel.calls[0] += 1
        return CostModel.buy_cost(self, quantity, price)


def _extreme(low: float = 0.0) -> st.SearchStrategy[float]:
    """Floats from ``low`` up, subnormals and the largest float included, weighted to edges."""
    return st.one_of(
        st.floats(min_value=low, max_value=MAX, allow_subnormal=True),
        st.sampled_from([low, TINY, 1e-310, 1e-300, 1e-12, 1.0, 1e12, 1e300, MAX]).filter(
            lambda x: x >= low
        ),
    )


_ANY = st.one_of(_extreme(), st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True))


def _step_up(q: float, fractional: bool) -> float:
    """The next quantity sizing must have refused: one more unit (past 2**53, the next float),
    or for fractional a relative 2e-12 more (and at least the next float)."""
    if fractional:
        return max(q * (1 + 2e-12), math.nextafter(q, math.inf))
    return q + max(1.0, math.ulp(q))


@settings(max_examples=400, deadline=None)
@given(
    budget=_ANY,
    price=_ANY,
    rate=st.one_of(st.sampled_from([0.0, 0.001]), st.floats(0, 1, exclude_max=True)),
    per_share=st.one_of(st.sampled_from([0.0, 0.01]), _extreme()),
    minimum=st.one_of(st.sampled_from([0.0, 1.0]), _extreme()),
    fractional=st.booleans(),
)
def test_sizing_extreme_floats_end_within_budget_and_maximal(
    budget: float, price: float, rate: float, per_share: float, minimum: float, fractional: bool
) -> None:
    costs = CountingCostModel(rate=rate, per_share=per_share, minimum=minimum)
    CountingCostModel.calls[0] = 0
    q = Sizing(costs, fractional=fractional).quantity(budget, price)
    # Bounded work: the closed form, 3 correction steps, two checks and two 63-step bisections.
    assert CountingCostModel.calls[0] <= 140
    assert isinstance(q, float)
    assert 0.0 <= q <= MAX
    if not fractional:
        assert q == math.floor(q)
    valid = 0 < budget <= MAX and 0 < price <= MAX
    if not valid or budget <= minimum:
        assert q == 0.0  # NaN, infinities, <= 0, or a budget the minimum commission eats
        return
    if q > 0:
        assert costs.buy_cost(q, price) <= budget
    up = _step_up(q, fractional)
    assert up > MAX or costs.buy_cost(up, price) > budget


@pytest.mark.parametrize("fractional", [False, True])
@pytest.mark.parametrize(
    ("budget", "price"),
    [
        (1e308, 0.1),  # the issue's ?capital=1e308 (AAPL in 1980): fractional spun forever
        (1e12, 1e-310),  # a subnormal price: budget / price overflows to infinity
        (1e12, TINY),
        (MAX, TINY),
        (1e-320, 1.0),  # a subnormal budget
        (1e12, MAX),  # the price alone is beyond any budget
    ],
)
def test_sizing_issue_cases_end_finite_within_budget(
    budget: float, price: float, fractional: bool
) -> None:
    costs = CostModel(rate=0.001, minimum=0.0)
    q = Sizing(costs, fractional=fractional).quantity(budget, price)
    assert math.isfinite(q)
    assert q >= 0
    assert costs.buy_cost(q, price) <= budget


def test_sizing_subnormal_price_buys_the_largest_float_whole_or_fractional() -> None:
    # 1e12 at 1e-310 affords 1e322 units: more than any float, so sizing buys the largest one,
    # which costs 1.8e308 * 1e-310 = 0.018 (no commission).
    for fractional in (False, True):
        q = Sizing(CostModel(), fractional=fractional).quantity(1e12, 1e-310)
        assert q == MAX
        assert CostModel().buy_cost(q, 1e-310) == pytest.approx(0.0179769, rel=1e-5)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_sizing_nan_or_infinite_inputs_return_zero(bad: float) -> None:
    for fractional in (False, True):
        sizing = Sizing(CostModel(rate=0.001), fractional=fractional)
        assert sizing.quantity(bad, 10.0) == 0.0
        assert sizing.quantity(1000.0, bad) == 0.0


def test_sizing_subnormal_budget_with_rate_stays_within_budget() -> None:
    # 8.503e-321 / (0.5 * 1.001) rounds so that the cost exceeds the budget, and the old
    # loop's q *= 1 - 1e-12 cannot move a subnormal, so it spun; the bisection ends.
    costs = CostModel(rate=0.001)
    budget = 8.503e-321
    q = Sizing(costs, fractional=True).quantity(budget, 0.5)
    assert 0 < q < budget / 0.5
    assert costs.buy_cost(q, 0.5) <= budget
    assert costs.buy_cost(math.nextafter(q, math.inf), 0.5) > budget


def test_sizing_budget_equal_to_minimum_commission_buys_nothing() -> None:
    # Any quantity would cost more than the minimum commission alone.
    assert Sizing(CostModel(minimum=1.0), fractional=True).quantity(1.0, 1e-300) == 0.0
    assert Sizing(CostModel(minimum=1.0)).quantity(1.0, 1e-300) == 0.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rate", math.nan, "CostModel.rate must be finite and >= 0"),
        ("per_share", math.inf, "CostModel.per_share must be finite and >= 0"),
        ("minimum", -1.0, "CostModel.minimum must be finite and >= 0"),
        ("slippage", 1.0, "CostModel.slippage is a fraction and must be < 1"),
        ("rate", 1.5, "CostModel.rate is a fraction and must be < 1"),
    ],
)
def test_cost_model_bad_field_raises_value_error(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        CostModel(**{field: value})


def test_cost_model_non_number_field_raises_type_error() -> None:
    with pytest.raises(TypeError, match=re.escape("CostModel.rate must be a float; found '0.1'")):
        CostModel(rate="0.1")  # type: ignore[arg-type]


def _legacy_quantity(costs: CostModel, fractional: bool, budget: float, price: float) -> float:
    """The sizing loop before issue 9 (unbounded loops capped here), as the reference for
    normal inputs: results there must not change by a single bit."""
    if budget <= 0 or price <= 0:
        return 0.0
    unit = price * (1.0 + costs.rate) + costs.per_share
    q = budget / unit
    if costs.minimum > 0:
        q = min(q, (budget - costs.minimum) / price)
    if q <= 0:
        return 0.0
    if fractional:
        for _ in range(1000):
            if costs.buy_cost(q, price) <= budget:
                return q
            q *= 1.0 - 1e-12
        raise AssertionError("the legacy loop did not end")
    whole = float(math.floor(q + 1e-9))
    for _ in range(1000):
        if whole <= 0 or costs.buy_cost(whole, price) <= budget:
            return whole
        whole -= max(1.0, math.ulp(whole))
    raise AssertionError("the legacy loop did not end")


@settings(max_examples=300, deadline=None)
@given(
    budget=st.floats(0.01, 1e9),
    price=st.floats(0.01, 1e5),
    rate=st.one_of(st.sampled_from([0.0, 0.0005, 0.001, 0.01]), st.floats(0, 0.05)),
    per_share=st.sampled_from([0.0, 0.005, 0.01]),
    minimum=st.sampled_from([0.0, 1.0, 5.0]),
    slippage=st.sampled_from([0.0, 0.0005]),
    fractional=st.booleans(),
)
def test_sizing_normal_inputs_bit_identical_to_the_legacy_loop(
    budget: float,
    price: float,
    rate: float,
    per_share: float,
    minimum: float,
    slippage: float,
    fractional: bool,
) -> None:
    # "Normal": a budget not within a millionth of the minimum commission (there the legacy
    # loop could leave an affordable sliver unspent; sizing now buys it).
    assume(budget > minimum * (1 + 1e-6))
    costs = CostModel(rate=rate, per_share=per_share, minimum=minimum, slippage=slippage)
    fill = costs.buy_price(price)
    new = Sizing(costs, fractional=fractional).quantity(budget, fill)
    assert new == _legacy_quantity(costs, fractional, budget, fill)
