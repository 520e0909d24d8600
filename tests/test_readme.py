"""The README's Python examples run as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from orchestrator import ConfigError, StrategyOrchestrator, check_lookahead
from orchestrator.data import load_demo
from strategies import create

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker}[^>]*-->\s*```python\n(.*?)```", text, re.S)
    if match is None:
        raise AssertionError(f"README.md has no <!-- {marker} --> python block")
    return match.group(1)


def _exec(marker: str) -> dict[str, Any]:
    # A real module, so that dataclasses defined in the block can find their module.
    module = types.ModuleType(f"readme_{marker.replace('-', '_')}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(_block(marker), str(README), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def test_readme_example_runs_and_gives_results() -> None:
    namespace = _exec("readme-example")
    result, momentum = namespace["result"], namespace["momentum"]
    assert list(result.comparison_table.index) == ["momentum", "rsi_reversion", "Portfolio"]
    assert momentum.strategy_id == "momentum"
    assert len(result.portfolio_equity) > 1000


def test_readme_custom_strategy_runs_beside_a_builtin_and_is_causal() -> None:
    dip_buyer = _exec("readme-strategy")["DipBuyer"]
    data = load_demo(["AAPL", "MSFT"], start="2010-01-01", end="2012-12-31")
    orch = StrategyOrchestrator(
        [(dip_buyer(downs=4), 0.6), (create("sma_crossover"), 0.4)], 100_000
    )
    result = orch.run(data)
    assert list(result.strategy_results) == ["dip_buyer", "sma_crossover"]
    assert len(result.get_strategy_result("dip_buyer").trades) > 0
    assert check_lookahead(dip_buyer(), data).ok
    with pytest.raises(ConfigError, match="did you mean 'downs'"):
        dip_buyer(downz=2)
