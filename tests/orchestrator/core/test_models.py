"""Tests of orchestrator.core.models: exact decimals, the configuration, allocations, records."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from orchestrator.core.models import (
    BREACH_COLUMNS,
    CAPITAL_MAX,
    CAPITAL_MIN,
    LOGGING_LEVELS,
    TRADE_COLUMNS,
    CapitalBreach,
    HistoricalDataBar,
    OrchestratorConfig,
    StrategyAllocation,
    Trade,
    to_capital,
    to_decimal,
)
from orchestrator.errors import ConfigError, OrchestratorError

# ---- to_capital (issue 9, item 1) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Decimal(1)),
        ("1", Decimal(1)),
        (100_000, Decimal(100_000)),
        (0.1 + 0.9, Decimal(1)),
        ("1e12", Decimal(10**12)),
        (1e12, Decimal(10**12)),
        (Decimal("999999999999.99"), Decimal("999999999999.99")),
    ],
)
def test_to_capital_inside_bounds_inclusive_returns_exact_decimal(
    value: object, expected: Decimal
) -> None:
    assert to_capital(value) == expected
    assert CAPITAL_MIN <= to_capital(value) <= CAPITAL_MAX


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1e308, "initial_capital must be at most 1,000,000,000,000 (1e12); found 1e+308"),
        ("1e308", "must be at most 1,000,000,000,000 (1e12); found '1e308'"),
        (10**12 + 1, "must be at most 1,000,000,000,000 (1e12); found 1000000000001"),
        (Decimal("1e999999"), "must be at most"),
        (0.99, "initial_capital must be at least 1; found 0.99"),
        (5e-324, "must be at least 1"),
        (0, "initial_capital must be > 0; found 0"),
        (-100, "initial_capital must be > 0; found -100"),
        (math.nan, "must be a finite number"),
        (math.inf, "must be a finite number"),
        (True, "must be a number"),
        ("lots", "must be a number"),
    ],
)
def test_to_capital_outside_bounds_raises_config_error_with_range(
    value: object, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        to_capital(value)
    message = str(info.value)
    assert fragment in message
    if "must be at" in fragment or "> 0" in fragment:
        assert "give a capital from 1 to 1,000,000,000,000 (1e12), inclusive" in message


def test_to_capital_names_the_input_it_checks() -> None:
    with pytest.raises(ConfigError, match=r"^capital must be at most"):
        to_capital(2e12, "capital")


# ---- to_decimal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.35, Decimal("0.35")),
        (0.65, Decimal("0.65")),
        (Decimal("0.1"), Decimal("0.1")),
        (3, Decimal(3)),
        ("0.25", Decimal("0.25")),
        (" 7 ", Decimal(7)),
        (1e-7, Decimal("1E-7")),
    ],
)
def test_to_decimal_numbers_exact_string_form(value: object, expected: Decimal) -> None:
    assert to_decimal(value, "x") == expected


def test_to_decimal_float_pair_sums_exactly_to_one() -> None:
    assert to_decimal(0.35, "a") + to_decimal(0.65, "b") == Decimal(1)
    assert to_decimal(0.1, "a") + to_decimal(0.2, "b") == to_decimal(0.3, "c")
    # The binary float values would not: this is why the string form is used.
    assert Decimal.from_float(0.1) + Decimal.from_float(0.2) != Decimal.from_float(0.3)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (True, "must be a number"),
        (False, "must be a number"),
        (None, "must be a number"),
        ([1], "must be a number"),
        ("abc", "must be a number; found 'abc'"),
        ("", "must be a number"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (-float("inf"), "finite"),
        ("NaN", "finite"),
        (Decimal("NaN"), "finite"),
        ("Infinity", "finite"),
    ],
)
def test_to_decimal_non_numbers_raise_config_error_naming_input(
    value: object, fragment: str
) -> None:
    with pytest.raises(ConfigError, match="my_input") as info:
        to_decimal(value, "my_input")
    assert fragment in str(info.value)


# ---- HistoricalDataBar -----------------------------------------------------------------------


def test_historical_bar_fields_and_frozen() -> None:
    bar = HistoricalDataBar("AAPL", datetime(2024, 1, 2), 1.0, 2.0, 0.5, 1.5, 100.0)
    assert (bar.symbol, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        "AAPL",
        1.0,
        2.0,
        0.5,
        1.5,
        100.0,
    )
    assert HistoricalDataBar("X", datetime(2024, 1, 2), 1, 1, 1, 1).volume == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        bar.close = 3.0  # type: ignore[misc]


# ---- OrchestratorConfig ----------------------------------------------------------------------


def test_orchestrator_config_defaults_documented_values() -> None:
    cfg = OrchestratorConfig()
    assert cfg.logging_level == "INFO"
    assert cfg.fill == "next_open"
    assert (cfg.commission_rate, cfg.commission_per_share, cfg.commission_min) == (0, 0, 0)
    assert cfg.slippage_bps == 0
    assert cfg.fractional is False
    assert cfg.max_positions is None
    assert cfg.close_at_end is False
    assert cfg.risk_free_rate == 0.0
    assert cfg.periods_per_year is None


@pytest.mark.parametrize("level", LOGGING_LEVELS)
def test_orchestrator_config_logging_level_each_valid_accepted(level: str) -> None:
    assert OrchestratorConfig(logging_level=level).logging_level == level


def test_orchestrator_config_logging_level_lowercase_normalised() -> None:
    assert OrchestratorConfig(logging_level="warning").logging_level == "WARNING"


@pytest.mark.parametrize("level", ["VERBOSE", "", "TRACE", 10, None, "INFO "])
def test_orchestrator_config_logging_level_invalid_raises_listing_levels(level: Any) -> None:
    with pytest.raises(ConfigError) as info:
        OrchestratorConfig(logging_level=level)
    message = str(info.value)
    assert "logging_level" in message
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in message
    assert repr(level) in message


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_orchestrator_config_fill_valid_accepted(fill: str) -> None:
    assert OrchestratorConfig(fill=fill).fill == fill  # type: ignore[arg-type]


@pytest.mark.parametrize("fill", ["open", "NEXT_OPEN", "", None, 1])
def test_orchestrator_config_fill_invalid_raises(fill: Any) -> None:
    with pytest.raises(ConfigError, match="fill must be 'next_open' or 'close'"):
        OrchestratorConfig(fill=fill)


COST_FIELDS = ["commission_rate", "commission_per_share", "commission_min", "slippage_bps"]


@pytest.mark.parametrize("name", COST_FIELDS)
@pytest.mark.parametrize("bad", [-0.01, -1, float("nan"), float("inf"), "abc", True, None])
def test_orchestrator_config_cost_invalid_raises_naming_field(name: str, bad: Any) -> None:
    with pytest.raises(ConfigError, match=name):
        OrchestratorConfig(**{name: bad})


@pytest.mark.parametrize("name", COST_FIELDS)
def test_orchestrator_config_cost_numbers_stored_as_float(name: str) -> None:
    values: tuple[Any, ...] = (0, Decimal("0.0005"), "0.0005", 0.0005)
    for value in values:
        options: dict[str, Any] = {name: value}
        stored = getattr(OrchestratorConfig(**options), name)
        assert isinstance(stored, float)
        assert stored == float(Decimal(str(value)))


@pytest.mark.parametrize("rate", [1, 1.5, 100])
def test_orchestrator_config_commission_rate_percent_raises_with_hint(rate: float) -> None:
    with pytest.raises(ConfigError, match=r"for 0\.1 % write 0\.001"):
        OrchestratorConfig(commission_rate=rate)


def test_orchestrator_config_slippage_full_price_raises() -> None:
    with pytest.raises(ConfigError, match="slippage_bps must be < 10000"):
        OrchestratorConfig(slippage_bps=10_000)
    assert OrchestratorConfig(slippage_bps=9_999).slippage_bps == 9_999


@pytest.mark.parametrize("name", ["fractional", "close_at_end"])
@pytest.mark.parametrize("bad", [1, 0, "yes", None, "True"])
def test_orchestrator_config_flags_non_bool_raise(name: str, bad: Any) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be True or False"):
        OrchestratorConfig(**{name: bad})


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2", 2.0])
def test_orchestrator_config_max_positions_invalid_raises(bad: Any) -> None:
    with pytest.raises(ConfigError, match="max_positions"):
        OrchestratorConfig(max_positions=bad)


def test_orchestrator_config_max_positions_whole_number_accepted() -> None:
    assert OrchestratorConfig(max_positions=3).max_positions == 3
    assert OrchestratorConfig(max_positions=None).max_positions is None


@pytest.mark.parametrize("bad", [1, 1.0, -1, 5, float("nan"), "x", True])
def test_orchestrator_config_risk_free_rate_invalid_raises(bad: Any) -> None:
    with pytest.raises(ConfigError, match="risk_free_rate"):
        OrchestratorConfig(risk_free_rate=bad)


def test_orchestrator_config_risk_free_rate_fraction_stored_as_float() -> None:
    cfg = OrchestratorConfig(risk_free_rate=Decimal("0.02"))  # type: ignore[arg-type]
    assert cfg.risk_free_rate == 0.02
    assert isinstance(cfg.risk_free_rate, float)
    assert OrchestratorConfig(risk_free_rate=-0.01).risk_free_rate == -0.01


@pytest.mark.parametrize("bad", [0, -252, float("nan"), float("inf"), "x", True])
def test_orchestrator_config_periods_per_year_invalid_raises(bad: Any) -> None:
    with pytest.raises(ConfigError, match="periods_per_year"):
        OrchestratorConfig(periods_per_year=bad)


def test_orchestrator_config_periods_per_year_number_stored_as_float() -> None:
    assert OrchestratorConfig(periods_per_year=52).periods_per_year == 52.0


def test_orchestrator_config_frozen_assignment_raises() -> None:
    cfg = OrchestratorConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.fill = "close"  # type: ignore[misc]


def test_orchestrator_config_to_dict_from_dict_round_trip_equal() -> None:
    cfg = OrchestratorConfig(
        logging_level="debug",
        fill="close",
        commission_rate=0.001,
        commission_per_share=0.005,
        commission_min=1.0,
        slippage_bps=5,
        fractional=True,
        max_positions=4,
        close_at_end=True,
        risk_free_rate=0.03,
        periods_per_year=365,
    )
    data = cfg.to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(OrchestratorConfig)}
    assert OrchestratorConfig.from_dict(data) == cfg


def test_orchestrator_config_from_dict_unknown_key_raises_listing_known() -> None:
    with pytest.raises(ConfigError, match=r"unknown configuration option\(s\) \['fil'\]") as info:
        OrchestratorConfig.from_dict({"fil": "close"})
    assert "'fill'" in str(info.value)


def test_config_error_is_value_error_and_orchestrator_error() -> None:
    with pytest.raises(ValueError, match="logging_level"):
        OrchestratorConfig(logging_level="LOUD")
    assert issubclass(ConfigError, OrchestratorError)


# ---- StrategyAllocation (FR-003) -------------------------------------------------------------


def test_strategy_allocation_new_available_equals_allocated() -> None:
    alloc = StrategyAllocation("momentum", Decimal("0.5"), 50_000.0)
    assert alloc.strategy_id == "momentum"
    assert alloc.weight == Decimal("0.5")
    assert alloc.allocated_capital == 50_000.0
    assert alloc.available_capital == 50_000.0


def test_strategy_allocation_allocate_release_sequence_tracks_available() -> None:
    alloc = StrategyAllocation("s", Decimal("0.3"), 30_000.0)
    alloc.allocate(10_000.0)
    assert alloc.available_capital == 20_000.0
    alloc.allocate(5_000.5)
    assert alloc.available_capital == 14_999.5
    alloc.release(7_000.25)
    assert alloc.available_capital == 21_999.75
    alloc.allocate(21_999.75)
    assert alloc.available_capital == 0.0
    # Proceeds may exceed what was allocated (a winning trade).
    alloc.release(40_000.0)
    assert alloc.available_capital == 40_000.0
    assert alloc.allocated_capital == 30_000.0  # the starting capital never changes


def test_strategy_allocation_can_allocate_boundaries() -> None:
    alloc = StrategyAllocation("s", Decimal("0.2"), 20_000.0)
    assert alloc.can_allocate(0.0)
    assert alloc.can_allocate(19_999.99)
    assert alloc.can_allocate(20_000.0)
    assert not alloc.can_allocate(20_000.01)
    assert not alloc.can_allocate(-1.0)
    assert not alloc.can_allocate(float("nan"))
    assert not alloc.can_allocate(float("inf"))


def test_strategy_allocation_allocate_beyond_available_raises_and_keeps_cash() -> None:
    alloc = StrategyAllocation("s", Decimal("0.2"), 20_000.0)
    alloc.allocate(15_000.0)
    with pytest.raises(ConfigError, match=r"s: cannot allocate 5000\.01; only 5000\.00"):
        alloc.allocate(5_000.01)
    assert alloc.available_capital == 5_000.0


def test_strategy_allocation_allocate_within_rounding_never_negative() -> None:
    alloc = StrategyAllocation("s", Decimal(1), 0.3)
    alloc.allocate(0.1 + 0.2)  # 0.30000000000000004: within the money tolerance
    assert alloc.available_capital == 0.0


@pytest.mark.parametrize("amount", [-1.0, float("nan"), float("inf")])
def test_strategy_allocation_bad_amounts_raise(amount: float) -> None:
    alloc = StrategyAllocation("s", Decimal("0.2"), 100.0)
    with pytest.raises(ConfigError, match="amount to allocate"):
        alloc.allocate(amount)
    with pytest.raises(ConfigError, match="amount to release"):
        alloc.release(amount)
    assert alloc.available_capital == 100.0


@pytest.mark.parametrize("capital", [-1.0, float("nan"), float("inf")])
def test_strategy_allocation_bad_capital_raises(capital: float) -> None:
    with pytest.raises(ConfigError, match="allocated capital of 's'"):
        StrategyAllocation("s", Decimal("0.1"), capital)


def test_strategy_allocation_repr_shows_state() -> None:
    alloc = StrategyAllocation("s", Decimal("0.5"), 1000.0)
    alloc.allocate(250.0)
    assert repr(alloc) == (
        "StrategyAllocation(strategy_id='s', weight=0.5, allocated_capital=1000.00, "
        "available_capital=750.00)"
    )


# ---- Trade / CapitalBreach -------------------------------------------------------------------


def test_trade_and_breach_columns_follow_fields() -> None:
    assert TRADE_COLUMNS == [
        "strategy_id",
        "symbol",
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "quantity",
        "pnl",
        "return_pct",
        "commission",
        "slippage",
        "bars_held",
        "is_open",
        "reason",
    ]
    assert BREACH_COLUMNS == [
        "timestamp",
        "strategy_id",
        "symbol",
        "requested",
        "allowed",
        "action",
        "last_timestamp",
        "bars",
    ]


def test_trade_and_breach_frozen_records() -> None:
    t = pd.Timestamp("2024-01-02")
    trade = Trade("s", "X", t, 10.0, t, 11.0, 2.0, 2.0, 0.1, 0.0, 0.0, 1)
    assert trade.is_open is False
    breach = CapitalBreach(t, "s", "X", 100.0, 50.0, "reduced")
    with pytest.raises(dataclasses.FrozenInstanceError):
        trade.pnl = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        breach.allowed = 0.0  # type: ignore[misc]
    assert math.isclose(trade.return_pct, 0.1)
