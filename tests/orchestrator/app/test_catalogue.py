"""Tests of orchestrator.app.catalogue: built-ins plus plug-ins from the operator's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import strategies
from orchestrator.app.catalogue import (
    declared_params,
    describe_class,
    load_catalogue,
    plugin_folder,
)

PLAIN = '''
class DipBuyer:
    """Buys dips (a plain plug-in without declared parameters)."""

    def should_enter(self, bars, state):
        return False

    def should_exit(self, bars, state):
        return True
'''

DECLARED = """
from dataclasses import dataclass
from strategies import BaseStrategy, param


class Breakout(BaseStrategy):
    name = "my_breakout"
    description = "A plug-in with declared parameters"

    @dataclass(frozen=True)
    class Params:
        n: int = param(20, min=2, max=100, step=1, help="Lookback")

    def should_enter(self, bars, state):
        return False

    def should_exit(self, bars, state):
        return True


class Shadow(BaseStrategy):
    name = "macd"
    description = "Tries to replace a built-in"

    def should_enter(self, bars, state):
        return False

    def should_exit(self, bars, state):
        return True
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "plain.py").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "declared.py").write_text(DECLARED, encoding="utf-8")
    return tmp_path


def test_plugin_folder_from_argv_then_env() -> None:
    assert plugin_folder(["--plugins", "a"], {"ORCHESTRATOR_PLUGINS": "b"}) == "a"
    assert plugin_folder(["--other", "x"], {"ORCHESTRATOR_PLUGINS": "b"}) == "b"
    assert plugin_folder([], {}) is None
    assert plugin_folder(["--plug", "a"], {}) is None  # no abbreviations: pytest's own args


def test_load_catalogue_without_folder_is_the_registry() -> None:
    cat = load_catalogue(None)
    assert dict(cat.classes) == strategies.REGISTRY
    assert cat.plugins == frozenset()
    assert cat.error is None
    assert cat.describe("macd") == strategies.REGISTRY["macd"].description
    assert [p.name for p in cat.param_specs("macd")] == ["fast", "slow", "signal"]


def test_load_catalogue_adds_plugins_but_never_shadows_builtins(folder: Path) -> None:
    cat = load_catalogue(str(folder))
    assert cat.plugins == frozenset({"dip_buyer", "my_breakout"})
    assert cat.classes["macd"] is strategies.REGISTRY["macd"]
    assert cat.describe("dip_buyer") == "Buys dips (a plain plug-in without declared parameters)."
    assert cat.param_specs("dip_buyer") == ()
    assert [p.name for p in cat.param_specs("my_breakout")] == ["n"]
    assert cat.plugin_dir == str(folder)


def test_catalogue_build_sets_symbols_and_label(folder: Path) -> None:
    cat = load_catalogue(str(folder))
    plain = cat.build("dip_buyer", {}, ["AAPL"], "dips")
    assert plain.symbols == ["AAPL"]  # type: ignore[attr-defined]
    assert plain.name == "dips"  # type: ignore[attr-defined]
    declared = cat.build("my_breakout", {"n": 5}, None, None)
    assert declared.params.n == 5  # type: ignore[attr-defined]
    builtin = cat.build("sma_crossover", {"fast": 5, "slow": 20}, ["MSFT"], "fast_trend")
    assert builtin.name == "fast_trend"  # type: ignore[attr-defined]


def test_catalogue_check_names_strategy_on_invalid_parameters(folder: Path) -> None:
    cat = load_catalogue(str(folder))
    assert cat.check("sma_crossover", {"fast": 5, "slow": 20}) is None
    message = cat.check("sma_crossover", {"fast": 50, "slow": 20})
    assert message is not None
    assert "sma_crossover" in message
    assert "fast" in message
    plain = cat.check("dip_buyer", {"unexpected": 1})
    assert plain is not None
    assert plain.startswith("dip_buyer: ")


def test_load_catalogue_bad_folder_gives_builtins_and_error(tmp_path: Path) -> None:
    cat = load_catalogue(str(tmp_path / "missing"))
    assert dict(cat.classes) == strategies.REGISTRY
    assert cat.error is not None
    assert "missing" in cat.error
    assert "does not exist" in cat.error


def test_describe_class_and_declared_params_of_plain_and_declared_classes() -> None:
    class Plain:
        """First line.

        More text."""

    class Bare:
        pass

    sma = strategies.REGISTRY["sma_crossover"]
    assert describe_class(Plain) == "First line."
    assert describe_class(Bare) == ""
    assert describe_class(sma) == sma.description
    assert declared_params(Plain) is None
    assert declared_params(sma) == tuple(sma.param_specs())


# ---- one path from a name and parameters to a strategy (issue 8 item 3) -----------------------

CASES = [
    ("sma_crossover", {"fast": 5, "slow": 20}, ("AAPL",), "trend"),
    ("sma_crossover", {"fast": 50, "slow": 20}, None, None),  # invalid: fast >= slow
    ("sma_crossover", {"fats": 5}, None, None),  # invalid: unknown parameter
    ("my_breakout", {"n": 10}, ("MSFT",), "mine"),
    ("my_breakout", {"n": 1}, None, None),  # invalid: below its range
    ("dip_buyer", {}, ("AAPL", "MSFT"), "dips"),
    ("dip_buyer", {"unexpected": 1}, None, None),  # invalid: the class takes no arguments
    ("no_such_strategy", {}, None, None),
]


def _outcome(make: object) -> tuple[str, object]:
    try:
        made = make()  # type: ignore[operator]
    except Exception as exc:
        return "error", (type(exc).__name__, str(exc))
    return "ok", (type(made).__name__, getattr(made, "symbols", None), made.name,
                  getattr(made, "params", None))  # fmt: skip


@pytest.mark.parametrize(("name", "params", "symbols", "label"), CASES)
def test_catalogue_build_and_runspec_build_strategies_agree(
    folder: Path,
    name: str,
    params: dict[str, object],
    symbols: tuple[str, ...] | None,
    label: str | None,
) -> None:
    from orchestrator.app.spec import RunSpec, StrategySpec

    cat = load_catalogue(str(folder))
    spec = RunSpec(
        strategies=(StrategySpec(name, "1", params, symbols, label),), plugin_dir=str(folder)
    )
    by_form = _outcome(lambda: cat.build(name, params, symbols, label))
    by_run = _outcome(lambda: spec.build_strategies()[0][0])
    assert by_form == by_run
    assert (cat.check(name, params, symbols, label) is None) == (by_form[0] == "ok")
