"""Tests of orchestrator.core.weights: exact totals, the over-1.0 message, normalising to 100 %."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.core.weights import cash_text, check_weights, normalise_weights, to_weight
from orchestrator.errors import ConfigError


def test_check_weights_035_plus_065_exactly_one() -> None:
    check = check_weights([0.35, 0.65])
    assert check.total == Decimal("1.00")
    assert check.cash == 0
    assert check.ok
    assert check.message is None


def test_check_weights_float_sum_that_drifts_still_exact() -> None:
    # In binary floating point 0.06 + 0.57 + 0.37 is not 1.0; counted exactly it is.
    assert 0.06 + 0.57 + 0.37 != 1.0
    assert check_weights([0.06, 0.57, 0.37]).total == 1


def test_check_weights_over_one_says_by_how_much() -> None:
    check = check_weights([0.8, 0.7])
    assert not check.ok
    assert check.excess == Decimal("0.5")
    assert check.cash == Decimal("-0.5")
    assert check.message is not None
    assert "Total weight 1.5 exceeds 1.0 by 0.5" in check.message


def test_check_weights_under_one_leaves_cash() -> None:
    check = check_weights(["0.4", "0.3", "0.2"])
    assert check.cash == Decimal("0.1")
    assert check.excess == 0


@pytest.mark.parametrize(
    ("weights", "capital", "expected"),
    [
        (["0.4", "0.3", "0.2"], 100_000.0, "0.10 (10,000)"),
        (["0.35", "0.65"], 100_000.0, "0.00 (0)"),
        (["0.8", "0.3", "0.2"], 100_000.0, "-0.30 (-30,000)"),
        ([], 2_500_000.0, "1.00 (2,500,000)"),
    ],
)
def test_cash_text_weight_and_amount_plainly(
    weights: list[str], capital: float, expected: str
) -> None:
    assert cash_text(check_weights(weights), capital) == expected


def test_to_weight_slider_float_noise_snaps_to_grid() -> None:
    assert to_weight(0.35000000000000003) == Decimal("0.35")
    assert to_weight(0.65) + to_weight(0.35000000000000003) == 1


def test_normalise_weights_scales_and_sums_exactly_one() -> None:
    assert normalise_weights([0.8, 0.7]) == [Decimal("0.53"), Decimal("0.47")]
    assert normalise_weights([0.4, 0.3, 0.2]) == [Decimal("0.45"), Decimal("0.33"), Decimal("0.22")]


def test_normalise_weights_remainder_goes_to_largest() -> None:
    # Thirds round to 0.33 each; the 0.01 left over goes to the first of equals.
    assert normalise_weights([0.5, 0.5, 0.5]) == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert normalise_weights([0.1, 0.1, 0.9]) == [Decimal("0.09"), Decimal("0.09"), Decimal("0.82")]


def test_normalise_weights_all_zero_equal_shares() -> None:
    assert normalise_weights([0, 0]) == [Decimal("0.50"), Decimal("0.50")]
    assert normalise_weights([]) == []


def test_normalise_weights_negative_raises() -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        normalise_weights([0.5, -0.1])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=10))
def test_normalise_weights_property_sum_one_on_grid_in_range(cents: list[int]) -> None:
    weights = [Decimal(c) / 100 for c in cents]
    out = normalise_weights(weights)
    assert sum(out) == 1
    assert all(Decimal(0) <= w <= 1 for w in out)
    assert all(w == w.quantize(Decimal("0.01")) for w in out)
    assert check_weights(out).ok
    # The order of the weights is kept (up to the rounding step).
    total = sum(weights)
    if total:
        for w, n in zip(weights, out, strict=True):
            assert abs(n - w / total) <= Decimal("0.01") * len(weights)
