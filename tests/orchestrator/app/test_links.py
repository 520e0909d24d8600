"""Tests of orchestrator.app.links: a link's configuration, made safe for the dashboard."""

from __future__ import annotations

import pytest

from orchestrator.app.catalogue import load_catalogue
from orchestrator.app.links import coerce_param, is_link, share_query, spec_from_link
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from strategies import ParamSpec

CATALOGUE = load_catalogue(None)
SPECS = {name: (lambda n=name: CATALOGUE.param_specs(n)) for name in CATALOGUE.classes}


def _param(kind: type, default: object, lo: float | None, hi: float | None) -> ParamSpec:
    return ParamSpec("x", kind, default, lo, hi, 1, "a test parameter")  # type: ignore[arg-type]


def test_is_link_a_strategy_or_any_non_default_setting() -> None:
    assert is_link({"s1": "macd;w=0.5"})
    # Deliberately changed: a link with settings but no strategy is a link (it used to load
    # the default silently); spec_from_link then says the default strategies are used.
    assert is_link({"capital": "5000"})
    assert is_link({"capital": "lots"})  # unreadable: the page says what is wrong
    assert not is_link({"capital": "100000"})  # the default anyway
    assert not is_link({"sx": "1", "s": "2", "embed": "true"})
    assert not is_link({})


def test_spec_from_link_without_strategies_uses_default_ones_and_says_so() -> None:
    spec, messages = spec_from_link({"symbols": "AAPL", "start": "2010-01-04"}, SPECS)
    assert spec.strategies == DEFAULT_SPEC.strategies
    assert spec.symbols == ("AAPL",)
    assert spec.start == "2010-01-04"
    assert len(messages) == 1
    assert "The link names no strategies" in messages[0]
    assert "sma_crossover, rsi_reversion, donchian_breakout" in messages[0]


def test_spec_from_link_valid_spec_round_trips() -> None:
    spec = RunSpec(
        strategies=(
            StrategySpec("sma_crossover", "0.35", {"fast": 5, "slow": 50}, ("AAPL",), "trend"),
            StrategySpec("sma_crossover", "0.65"),
        ),
        symbols=("AAPL", "MSFT"),
        start="2010-01-04",
        commission_rate=0.001,
        fill="close",
    )
    got, messages = spec_from_link(spec.to_query(), SPECS)
    assert messages == []
    assert got == spec


def test_spec_from_link_unreadable_gives_default_and_message() -> None:
    got, messages = spec_from_link({"s1": "macd;w=not-a-number"}, SPECS)
    assert got == DEFAULT_SPEC
    assert "The link's configuration is invalid" in messages[0]


def test_spec_from_link_never_names_server_paths() -> None:
    query = {
        "data": "/etc",
        "plugins": "/tmp/evil",
        "s1": "macd;w=0.5;plugin=/tmp/evil/x.py:Evil",
    }
    got, messages = spec_from_link(query, SPECS)
    assert got.data == "demo"
    assert got.plugin_dir is None
    assert got.strategies[0].plugin is None
    assert messages == [
        "The link names data '/etc'; a link never names files, so the demo data are used",
        "The link names a plug-in folder '/tmp/evil'; a link never names files, so it was dropped",
        "macd: the link names a plug-in '/tmp/evil/x.py:Evil'; a link never names files, so "
        "it was dropped and 'macd' is looked up by name",
    ]


def test_spec_from_link_drops_unknown_and_corrects_invalid() -> None:
    query = {
        "s1": "nope;w=0.2",
        "s2": "macd;w=0.3;fast=2.5;bogus=1",
        "s3": "rsi_reversion;w=0.4;oversold=500",
    }
    got, messages = spec_from_link(query, SPECS)
    assert [s.name for s in got.strategies] == ["macd", "rsi_reversion"]
    assert got.strategies[0].params == {"fast": 12}
    assert got.strategies[1].params == {"oversold": 30.0}
    assert messages == [
        "Unknown strategy 'nope' in the link; it was left out",
        "macd: fast=2.5 is not a whole number; using 12",
        "macd: unknown parameter 'bogus' in the link; ignored",
        "rsi_reversion: oversold=500 is outside 1.0 to 99.0; using 30.0",
    ]


def test_spec_from_link_clamps_weights_to_slider_range() -> None:
    got, messages = spec_from_link({"s1": "macd;w=1.5", "s2": "momentum;w=-0.2"}, SPECS)
    assert [s.weight for s in got.strategies] == ["1", "0"]
    assert messages == [
        "macd: weight 1.5 is outside 0 to 1; using 1",
        "momentum: weight -0.2 is outside 0 to 1; using 0",
    ]


@pytest.mark.parametrize(
    ("kind", "default", "value", "expected", "problem"),
    [
        (int, 3, 7, 7, None),
        (int, 3, 7.0, 7, None),
        (int, 3, 7.5, 3, "not a whole number"),
        (int, 3, 11, 3, "outside"),
        (float, 0.5, 2, 2.0, None),
        (float, 0.5, "abc", 0.5, "not a number"),
        (float, 0.5, True, 0.5, "not a number"),
        (bool, False, True, True, None),
        (bool, False, 1, False, "not true/false"),
    ],
)
def test_coerce_param_type_and_range(
    kind: type, default: object, value: object, expected: object, problem: str | None
) -> None:
    got, message = coerce_param(_param(kind, default, 0, 10), value)
    assert got == expected
    assert type(got) is kind
    if problem is None:
        assert message is None
    else:
        assert message is not None
        assert problem in message


def test_share_query_keeps_the_run_but_not_the_plugin_folder() -> None:
    spec = RunSpec(strategies=(StrategySpec("macd", "0.5"),), plugin_dir="/srv/private/plugins")
    query = share_query(spec)
    assert "plugins" in spec.to_query()
    assert "plugins" not in query
    assert query == {k: v for k, v in spec.to_query().items() if k != "plugins"}
    assert RunSpec.from_query(query) == RunSpec(strategies=spec.strategies)
