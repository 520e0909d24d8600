"""examples/custom_strategy.py: the user strategy of the README loads, validates and runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orchestrator import ConfigError, check_lookahead
from strategies import BaseStrategy
from strategies.plugins import load_strategy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_strategy.py"


@pytest.fixture(scope="module")
def example() -> tuple[type, object]:
    """(DipBuyer, its module), loaded the way the CLI and the dashboard load plug-ins."""
    cls = load_strategy(f"{EXAMPLE}:DipBuyer")
    return cls, sys.modules[cls.__module__]


def test_custom_strategy_loads_as_plugin_with_declared_params(example) -> None:
    cls, _ = example
    assert issubclass(cls, BaseStrategy)
    assert cls.name == "dip_buyer"
    assert [s.name for s in cls.param_specs()] == ["downs", "target", "stop"]
    with pytest.raises(ConfigError, match=r"dip_buyer: downs \(0\) must be >= 1"):
        cls(downs=0)


def test_custom_strategy_known_series_buys_the_dip_and_takes_profit(
    example, frame, trades_of
) -> None:
    cls, _ = example
    # Three lower closes end at t=3 (enter at 97); t=5 closes at 102, +5.2 % >= 5 %: exit.
    closes = [100, 99, 98, 97, 99, 102, 103, 104]
    trades = trades_of(cls(downs=3, target=0.05, stop=0.05), {"X": frame(closes)})
    assert trades == [("X", 3, 5)]


def test_custom_strategy_known_series_stops_out(example, frame, trades_of) -> None:
    cls, _ = example
    # Enter at t=2 (98 after two lower closes); t=4 closes at 92, -6.1 % <= -5 %: stop.
    closes = [100, 99, 98, 95, 92, 93, 94]
    assert trades_of(cls(downs=2, stop=0.05), {"X": frame(closes)}) == [("X", 2, 4)]


def test_custom_strategy_passes_lookahead_check(example, frame) -> None:
    cls, _ = example
    closes = [100, 99, 98, 97, 99, 102, 103, 104, 101, 99, 97, 96, 99, 103, 100, 98]
    assert check_lookahead(cls(downs=2), {"X": frame(closes)}, points=6).ok


def test_custom_strategy_main_runs_on_demo_data(example, capsys) -> None:
    _, module = example
    result = module.main(("AAPL", "MSFT"))
    assert set(result.strategy_results) == {"dip_buyer", "sma_crossover"}
    assert result.strategy_results["dip_buyer"].metrics.num_trades > 0
    out = capsys.readouterr().out
    assert "look-ahead check of 'dip_buyer'" in out
    assert "OK, none differs" in out
