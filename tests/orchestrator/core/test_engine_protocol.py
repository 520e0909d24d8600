"""What the engine accepts from a strategy: bool answers, entry sizes, names, errors.

Regression tests of issue 9 items 12-14 and of ``entry_size`` (issue 11.4), on both paths.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import (
    BarWindow,
    ConfigError,
    DataError,
    OrchestratorConfig,
    StrategyError,
    StrategyOrchestrator,
    StrategyState,
)
from strategies import BuyAndHoldStrategy, SmaCrossoverStrategy
from tests.conftest import ohlc


class Answers:
    """Answers ``value`` to should_enter at every bar; never exits."""

    name = "answers"

    def __init__(self, value: Any) -> None:
        self.value = value

    def should_enter(self, bars: BarWindow, state: StrategyState) -> Any:
        return self.value

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


# ---- 9.12: answers must be bool or numpy.bool_ -----------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ("False", "str"),
        (math.nan, "float"),
        ([False], "list"),
        (..., "ellipsis"),
        (None, "NoneType"),
        (1, "int"),
        (np.array([True]), "ndarray"),
    ],
)
def test_engine_non_bool_answer_strategy_error_names_type(value: Any, type_name: str) -> None:
    with pytest.raises(StrategyError) as info:
        StrategyOrchestrator([(Answers(value), 1)], 1000).run({"X": ohlc([10.0, 11.0])})
    err = info.value
    assert (err.strategy_id, err.symbol, err.timestamp) == (
        "answers",
        "X",
        pd.Timestamp("2024-01-01"),
    )
    assert f"of type {type_name} on symbol 'X' at 2024-01-01T00:00:00" in str(err)
    assert "must return True or False (bool or numpy.bool_)" in str(err)


def test_engine_uncalled_bound_method_answer_strategy_error() -> None:
    class Forgot(Answers):
        def signal(self) -> bool:
            return True

        def should_enter(self, bars: BarWindow, state: StrategyState) -> Any:
            return self.signal  # not called

    with pytest.raises(StrategyError, match="of type method on symbol 'X'"):
        StrategyOrchestrator([(Forgot(None), 1)], 1000).run({"X": ohlc([10.0, 11.0])})


@pytest.mark.parametrize("value", [True, np.True_])
def test_engine_bool_and_numpy_bool_answers_enter(value: Any) -> None:
    result = StrategyOrchestrator([(Answers(value), 1)], 1000).run({"X": ohlc([10.0, 11.0, 12.0])})
    (trade,) = result.trades.itertuples(index=False)
    assert trade.entry_price == 11.0  # signal at bar 0, filled at bar 1's open
    assert trade.quantity == 90.0  # 1000 // 11


@pytest.mark.parametrize("value", [False, np.False_])
def test_engine_false_answers_never_enter(value: Any) -> None:
    result = StrategyOrchestrator([(Answers(value), 1)], 1000).run({"X": ohlc([10.0, 11.0])})
    assert len(result.trades) == 0


# ---- 9.13: orchestrator errors raised by strategy code are wrapped -------------------------


@pytest.mark.parametrize("error", [DataError, ConfigError])
def test_engine_orchestrator_error_in_prepare_wrapped(error: type[Exception]) -> None:
    class Prepares(Answers):
        def prepare(self, bars: BarWindow) -> None:
            raise error("inside prepare")

    with pytest.raises(StrategyError) as info:
        StrategyOrchestrator([(Prepares(False), 1)], 1000).run({"X": ohlc([10.0, 11.0])})
    assert str(info.value) == (
        f"strategy 'answers' raised {error.__name__} on symbol 'X' in prepare(): inside prepare"
    )
    assert isinstance(info.value.__cause__, error)


# ---- 9.14: the name Portfolio is reserved ----------------------------------------------------


@pytest.mark.parametrize("name", ["Portfolio", "portfolio", " PORTFOLIO "])
def test_engine_strategy_named_portfolio_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="reserved for the portfolio's own row") as info:
        StrategyOrchestrator([(BuyAndHoldStrategy(name=name), 1)], 1000)
    assert f"strategy #1 is named {name.strip()!r}" in str(info.value)


# ---- entry_size (issue 11.4) -----------------------------------------------------------------


class SizedHold(Answers):
    """Enters at once with ``fraction`` of equity per entry."""

    def __init__(self, fraction: Any) -> None:
        super().__init__(True)
        self.fraction = fraction

    def entry_size(self, bars: BarWindow, state: StrategyState) -> Any:
        return self.fraction


def test_engine_entry_size_quarter_of_equity_to_the_cent() -> None:
    # 1000 of equity, a quarter = 250 at bar 1's open 10.0: 25 shares; cash 750 stays.
    data = {"X": ohlc([10.0, 10.0, 12.0])}
    result = StrategyOrchestrator([(SizedHold(0.25), 1)], 1000).run(data)
    (trade,) = result.trades.itertuples(index=False)
    assert trade.quantity == 25.0
    cash = result.strategy_results["answers"].cash_curve.tolist()
    assert cash == [1000.0, 750.0, 750.0]
    assert result.portfolio_equity.tolist() == [1000.0, 1000.0, 750.0 + 25 * 12.0]


def test_engine_entry_size_two_symbols_sized_on_equity_before_each_batch() -> None:
    # Two symbols enter on the same open: each budget is 0.5 x 1000 (equity before the
    # batch), so A (20) takes 25 and B (50) takes 10; 0 cash left.
    data = {"A": ohlc([20.0, 20.0]), "B": ohlc([50.0, 50.0])}
    result = StrategyOrchestrator([(SizedHold(0.5), 1)], 1000).run(data)
    assert result.trades["quantity"].tolist() == [25.0, 10.0]
    assert result.strategy_results["answers"].cash_curve.tolist() == [1000.0, 0.0]


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, math.nan, math.inf, "0.5", True, None])
def test_engine_entry_size_invalid_strategy_error_names_value(fraction: Any) -> None:
    with pytest.raises(StrategyError) as info:
        StrategyOrchestrator([(SizedHold(fraction), 1)], 1000).run({"X": ohlc([10.0, 11.0])})
    message = str(info.value)
    assert f"entry_size returned {fraction!r}" in message
    assert "on symbol 'X' at 2024-01-01T00:00:00" in message
    assert "a number in (0, 1]" in message


def test_engine_entry_size_not_callable_config_error() -> None:
    strategy = Answers(True)
    strategy.entry_size = 0.5  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="entry_size must be a method"):
        StrategyOrchestrator([(strategy, 1)], 1000)


class SizedSma(SmaCrossoverStrategy):
    """The built-in crossover with a fixed entry size (a declared-signal strategy)."""

    def entry_size(self, bars: BarWindow, state: StrategyState) -> float:
        return 0.3


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), fill=st.sampled_from(["next_open", "close"]))
def test_engine_entry_size_on_sparse_path_same_as_per_bar(seed: int, fill: str) -> None:
    rng = np.random.default_rng(seed)
    close = (100 * np.exp(np.cumsum(rng.normal(0, 0.03, 60)))).tolist()
    data = {"X": ohlc(close), "Y": ohlc(close[::-1])}
    config = OrchestratorConfig(fill=fill, logging_level="ERROR")  # type: ignore[arg-type]
    a = StrategyOrchestrator([(SizedSma(fast=2, slow=5), 1)], 1000, config).run(data)
    b = StrategyOrchestrator([(SizedSma(fast=2, slow=5), 1)], 1000, config).run(data, per_bar=True)
    assert a == b


def test_engine_breach_dropped_every_bar_is_one_episode() -> None:
    # Buy-and-hold cannot afford one share (price 2000 > 1000) on any of 5 bars: one episode
    # from the first fill bar (bar 1) to the last (bar 4), 4 bars, dropped.
    result = StrategyOrchestrator(
        [(BuyAndHoldStrategy(), 1)], 1000, OrchestratorConfig(logging_level="ERROR")
    ).run({"X": ohlc([2000.0] * 5)})
    (episode,) = result.breaches.itertuples(index=False)
    assert episode.timestamp == pd.Timestamp("2024-01-02")
    assert episode.last_timestamp == pd.Timestamp("2024-01-05")
    assert episode.bars == 4
    assert (episode.requested, episode.allowed, episode.action) == (2000.0, 1000.0, "dropped")
