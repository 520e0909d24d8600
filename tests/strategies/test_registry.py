"""The registry, create(), and properties every built-in shares."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from orchestrator import ConfigError
from orchestrator.core.market import Market
from strategies import REGISTRY, BaseStrategy, SignalStrategy, create
from tests.conftest import random_walk

BUILT_INS = [
    "buy_and_hold",
    "sma_crossover",
    "ema_crossover",
    "macd",
    "rsi_reversion",
    "bollinger_reversion",
    "donchian_breakout",
    "momentum",
]
# Small windows so that a few dozen bars exercise every rule.
SMALL = {
    "buy_and_hold": {},
    "sma_crossover": {"fast": 2, "slow": 5},
    "ema_crossover": {"fast": 2, "slow": 5},
    "macd": {"fast": 2, "slow": 4, "signal": 3},
    "rsi_reversion": {"period": 3, "oversold": 35, "exit_level": 55},
    "bollinger_reversion": {"period": 4, "k": 1.0},
    "donchian_breakout": {"entry": 4, "exit": 2},
    "momentum": {"lookback": 3, "threshold": 0.01},
}


def _walk(seed: int, n: int = 80) -> pd.DataFrame:
    return random_walk(seed, n, start_price=50.0, vol=0.03)


def test_registry_has_the_eight_built_ins_by_name() -> None:
    assert list(REGISTRY) == BUILT_INS
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert issubclass(cls, BaseStrategy)


@pytest.mark.parametrize("name", BUILT_INS)
def test_built_in_declares_description_and_documented_params(name: str) -> None:
    cls = REGISTRY[name]
    assert cls.description
    assert "\n" not in cls.description
    assert cls.__doc__
    for spec in cls.param_specs():
        assert spec.help
        assert spec.kind in (int, float)
        assert spec.min is not None
        assert spec.max is not None
        assert spec.step is not None
        assert spec.min <= spec.default <= spec.max
        assert isinstance(spec.default, spec.kind)


@pytest.mark.parametrize("name", BUILT_INS)
def test_create_with_defaults_matches_class_defaults(name: str) -> None:
    s = create(name)
    assert type(s) is REGISTRY[name]
    assert s.name == name
    assert s.param_values() == {p.name: p.default for p in type(s).param_specs()}
    assert s.warmup >= 0


def test_create_passes_symbols_label_and_params() -> None:
    s = create("sma_crossover", symbols=["AAPL"], label="trend", fast=20, slow=100)
    assert (s.symbols, s.name, s.param_values()) == (("AAPL",), "trend", {"fast": 20, "slow": 100})


def test_create_unknown_strategy_suggests_closest_name() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown strategy 'sma_crosover'; did you mean 'sma_crossover'\?"
    ):
        create("sma_crosover")


def test_create_unknown_parameter_suggests_closest_name() -> None:
    with pytest.raises(
        ConfigError, match=r"^donchian_breakout: unknown parameter 'entri'; did you mean 'entry'\?"
    ):
        create("donchian_breakout", entri=3)


def test_package_exports_names_listed_in_all() -> None:
    for name in strategies.__all__:
        assert hasattr(strategies, name)


@pytest.mark.parametrize("name", [n for n in BUILT_INS if n != "buy_and_hold"])
def test_built_in_no_entry_before_warmup(name: str) -> None:
    # (An exit signal before the warm-up never matters: nothing is held before an entry.)
    s = create(name, **SMALL[name])
    assert isinstance(s, SignalStrategy)
    window = Market.from_data({"X": _walk(1)}).symbols["X"].window()
    enter, exit_ = s.signals(window)
    assert not enter[: s.warmup].any()
    assert enter[s.warmup :].any()
    assert exit_[s.warmup :].any()


def test_buy_and_hold_warmup_zero_enters_at_first_bar() -> None:
    s = create("buy_and_hold")
    window = Market.from_data({"X": _walk(1)}).symbols["X"].window(1)
    assert s.warmup == 0
    assert s.should_enter(window, None) is True  # type: ignore[arg-type]
    assert s.should_exit(window, None) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("name", BUILT_INS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_built_in_unprepared_decisions_equal_prepared(name: str, seed: int) -> None:
    # Without prepare(), each decision is computed from the window; it must be the same.
    prepared = create(name, **SMALL[name])
    fresh = copy.deepcopy(prepared)
    data = Market.from_data({"X": _walk(seed, 40)}).symbols["X"]
    if callable(getattr(prepared, "prepare", None)):
        prepared.prepare(data.window())
    for end in range(1, len(data) + 1):
        bars = data.window(end)
        assert prepared.should_enter(bars, None) == fresh.should_enter(bars, None)  # type: ignore[arg-type]
        assert prepared.should_exit(bars, None) == fresh.should_exit(bars, None)  # type: ignore[arg-type]
