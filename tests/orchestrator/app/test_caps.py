"""The caps on one run's configuration (issue 9 item 2): beyond each, one ConfigError and no run.

The same caps hold for a spec built in code, read from TOML or from a link.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from orchestrator.app.catalogue import load_catalogue
from orchestrator.app.codec import MAX_QUERY_TEXT
from orchestrator.app.links import spec_from_link
from orchestrator.app.spec import (
    DEFAULT_SPEC,
    MAX_NAME_LENGTH,
    MAX_PARAMS,
    MAX_STRATEGIES,
    MAX_SYMBOL_LENGTH,
    MAX_SYMBOLS,
    RunSpec,
    StrategySpec,
)
from orchestrator.errors import ConfigError

CATALOGUE = load_catalogue(None)
SPECS = {name: (lambda n=name: CATALOGUE.param_specs(n)) for name in CATALOGUE.classes}


def _many(n: int) -> tuple[StrategySpec, ...]:
    return tuple(StrategySpec("buy_and_hold", "0.01", label=f"b{i}") for i in range(n))


def test_caps_are_the_documented_values() -> None:
    assert (MAX_STRATEGIES, MAX_SYMBOLS, MAX_NAME_LENGTH) == (20, 500, 60)
    assert (MAX_SYMBOL_LENGTH, MAX_PARAMS, MAX_QUERY_TEXT) == (100, 50, 4000)


def test_runspec_strategies_at_cap_accepted_beyond_rejected() -> None:
    assert len(RunSpec(strategies=_many(20)).strategies) == 20
    with pytest.raises(ConfigError, match="21 strategies; expected at most 20"):
        RunSpec(strategies=_many(21))


def test_runspec_from_dict_21_strategies_rejected_before_reading_them() -> None:
    tables = [{"name": "buy_and_hold", "weight": 0.01}] * 21 + [{"name": 5}]
    with pytest.raises(ConfigError, match="22 strategies; expected at most 20"):
        RunSpec.from_dict({"strategies": tables})


def test_runspec_from_toml_beyond_cap_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text('[[strategies]]\nname = "macd"\nweight = 0.01\n' * 21, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"big\.toml: the configuration has 21 strategies"):
        RunSpec.from_toml(path)


def test_strategyspec_label_and_name_of_60_accepted_61_rejected() -> None:
    assert StrategySpec("macd", label="x" * 60).label == "x" * 60
    with pytest.raises(ConfigError, match="label of strategy 'macd' is 61 characters long"):
        StrategySpec("macd", label="x" * 61)
    with pytest.raises(ConfigError, match="a strategy's name is 61 characters long; expected"):
        StrategySpec("m" * 61)


def test_strategyspec_long_name_message_echoes_at_most_80_characters() -> None:
    with pytest.raises(ConfigError) as info:
        StrategySpec("m" * 100_000)
    assert len(str(info.value)) < 250


def test_strategyspec_blank_label_is_none_and_names_are_stripped() -> None:
    spec = StrategySpec("  macd ", label="  ")
    assert (spec.name, spec.label) == ("macd", None)


def test_symbols_at_cap_accepted_beyond_rejected() -> None:
    names = tuple(f"S{i}" for i in range(MAX_SYMBOLS))
    assert RunSpec(symbols=names).symbols == names
    with pytest.raises(ConfigError, match="names 501 symbols; expected at most 500"):
        RunSpec(symbols=(*names, "X"))
    with pytest.raises(ConfigError, match="symbols of macd names 501 symbols"):
        StrategySpec("macd", symbols=(*names, "X"))
    with pytest.raises(ConfigError, match="is 101 characters long; expected at most 100"):
        RunSpec(symbols=("A" * 101,))


def test_params_beyond_cap_or_of_wrong_type_rejected() -> None:
    with pytest.raises(ConfigError, match="params of macd has 51 entries; expected at most 50"):
        StrategySpec("macd", params={f"p{i}": 1 for i in range(51)})
    with pytest.raises(ConfigError, match="fast must be a number, true/false or text; found"):
        StrategySpec("macd", params={"fast": [1, 2]})
    with pytest.raises(ConfigError, match="a parameter name in params of macd is 61 characters"):
        StrategySpec("macd", params={"p" * 61: 1})
    with pytest.raises(ConfigError, match="fast is 201 characters long; expected at most 200"):
        StrategySpec("macd", params={"fast": "9" * 201})


def test_from_query_beyond_strategy_cap_is_one_config_error() -> None:
    query = {f"s{i}": "buy_and_hold;w=0.001" for i in range(1, 1001)}
    with pytest.raises(ConfigError, match="the link names 1000 strategies; expected at most 20"):
        RunSpec.from_query(query)


def test_from_query_overlong_value_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match="symbols in the link is 4,001 characters long"):
        RunSpec.from_query({"symbols": "A" * (MAX_QUERY_TEXT + 1)})
    with pytest.raises(ConfigError, match="s1 in the link is 5,000 characters long"):
        RunSpec.from_query({"s1": "macd;w=1;label=" + "x" * (5000 - 15)})


def test_spec_from_link_beyond_cap_shows_default_and_the_reason() -> None:
    query = {f"s{i}": "buy_and_hold;w=0.001" for i in range(1, 1001)}
    spec, messages = spec_from_link(query, SPECS)
    assert spec == DEFAULT_SPEC
    assert len(messages) == 1
    assert "expected at most 20" in messages[0]


def test_spec_from_link_long_label_rejected_with_message() -> None:
    spec, messages = spec_from_link({"s1": "macd;w=0.5;label=" + "L" * 61}, SPECS)
    assert spec == DEFAULT_SPEC
    assert "61 characters long; expected at most 60" in messages[0]


# ---- dates (issue 9 item 16) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-01-01", "2014-01-01"),
        (" 2014-01-01 ", "2014-01-01"),
        ("20140101", "2014-01-01"),
        (dt.date(2014, 1, 1), "2014-01-01"),
        (dt.datetime(2014, 1, 1, 15, 30), "2014-01-01T15:30:00"),
        (dt.datetime(2014, 1, 1, 15, 30, tzinfo=dt.UTC), "2014-01-01T15:30:00"),
    ],
)
def test_runspec_start_accepts_text_and_dates(value: object, expected: str) -> None:
    assert RunSpec(start=value).start == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [20140101, 2014.0, True, 1_388_534_400_000_000_000])
def test_runspec_start_number_rejected(value: object) -> None:
    with pytest.raises(
        ConfigError, match=r"start must be a date, e\.g\. start = 2010-01-31.*found"
    ):
        RunSpec(start=value)  # type: ignore[arg-type]


def test_toml_date_and_string_accepted_integer_rejected() -> None:
    base = '[[strategies]]\nname = "macd"\nweight = 1\n[data]\n'
    dated = RunSpec.from_dict(tomllib.loads(base + "start = 2014-01-01\nend = 2015-06-30\n"))
    assert (dated.start, dated.end) == ("2014-01-01", "2015-06-30")
    text = RunSpec.from_dict(tomllib.loads(base + 'start = "2014-01-01"\n'))
    assert text.start == "2014-01-01"
    with pytest.raises(ConfigError, match="found 20140101 of type int"):
        RunSpec.from_dict(tomllib.loads(base + "start = 20140101\n"))


# ---- capital (issue 9 item 1): the engine's bounds, checked when a link or file is read -------


@pytest.mark.parametrize("capital", ["1e308", "1e13", "0.5", "0", "-5", "nan", "inf"])
def test_runspec_capital_outside_bounds_is_config_error(capital: str) -> None:
    with pytest.raises(ConfigError, match="initial_capital must be"):
        RunSpec(initial_capital=capital)  # type: ignore[arg-type]


def test_runspec_capital_at_bounds_accepted() -> None:
    assert RunSpec(initial_capital=1).initial_capital == 1.0
    assert RunSpec(initial_capital="1e12").initial_capital == 1e12


def test_link_with_capital_1e308_is_refused_before_anything_runs() -> None:
    query = {"capital": "1e308", "fractional": "true", "symbols": "AAPL", "s1": "buy_and_hold;w=1"}
    with pytest.raises(ConfigError, match=r"initial_capital must be at most 1,000,000,000,000"):
        RunSpec.from_query(query)
    spec, messages = spec_from_link(query, SPECS)
    assert spec == DEFAULT_SPEC
    assert "at most 1,000,000,000,000" in messages[0]


def test_toml_capital_1e308_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rich.toml"
    path.write_text("[portfolio]\ninitial_capital = 1e308\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rich\.toml: initial_capital must be at most"):
        RunSpec.from_toml(path)


@pytest.mark.parametrize("text", ["a\nb", "x\x1b[2Jy", "tab\there", "nul\x00"])
def test_names_labels_and_symbols_with_control_characters_rejected(text: str) -> None:
    with pytest.raises(ConfigError, match="holds the control character"):
        StrategySpec("macd", label=text)
    with pytest.raises(ConfigError, match="holds the control character"):
        StrategySpec(text.replace("\n", "\x07"))
    with pytest.raises(ConfigError, match="symbols holds the control character"):
        RunSpec(symbols=(text.strip() + "\x7f",))


def test_unicode_labels_stay_valid() -> None:
    assert StrategySpec("macd", label="Tendance — été 🙂").label == "Tendance — été 🙂"
