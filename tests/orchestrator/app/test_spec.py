"""RunSpec: the one configuration of a run, as TOML, plain data and URL query string."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import ConfigError, DataError
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec, parse_value
from tests.conftest import ohlc


def _spec(**changes: object) -> RunSpec:
    base = RunSpec(
        strategies=(
            StrategySpec("sma_crossover", "0.35", {"fast": 5, "slow": 20}, ("AAPL",), "trend"),
            StrategySpec("momentum", "0.65", {"lookback": 30, "threshold": 0.01}),
        ),
        symbols=("AAPL", "MSFT"),
        start="2010-01-01",
        end="2012-12-31",
        initial_capital=50_000,
        commission_rate=0.001,
        slippage_bps=5,
        fill="close",
        fractional=True,
    )
    return base.with_overrides(**changes)


def test_spec_query_round_trip_equal() -> None:
    spec = _spec()
    assert RunSpec.from_query(spec.to_query()) == spec


def test_spec_query_list_values_take_last() -> None:
    query = {k: [v] for k, v in _spec().to_query().items()}
    assert RunSpec.from_query(query) == _spec()


def test_spec_toml_round_trip_equal() -> None:
    spec = _spec()
    assert RunSpec.from_dict(tomllib.loads(spec.to_toml())) == spec
    assert RunSpec.from_dict(spec.to_dict()) == spec


def test_default_spec_round_trips_and_has_three_strategies() -> None:
    assert [s.weight for s in DEFAULT_SPEC.strategies] == ["0.4", "0.3", "0.2"]
    assert RunSpec.from_query(DEFAULT_SPEC.to_query()) == DEFAULT_SPEC
    assert RunSpec.from_dict(tomllib.loads(DEFAULT_SPEC.to_toml())) == DEFAULT_SPEC


def test_spec_weight_kept_exact_as_decimal_text() -> None:
    s = StrategySpec("momentum", 0.35)
    assert s.weight == "0.35"
    assert StrategySpec("momentum", "0.300").weight == "0.3"


def test_spec_unknown_key_suggests_fix() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown key 'comission_rate' in \[costs\]; did you mean 'commission_rate'",
    ):
        RunSpec.from_dict({"costs": {"comission_rate": 0.1}})


def test_spec_unknown_strategy_key_names_position() -> None:
    with pytest.raises(ConfigError, match=r"'wieght' in strategies\[2\]; did you mean 'weight'"):
        RunSpec.from_dict({"strategies": [{"name": "a"}, {"name": "b", "wieght": 0.1}]})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"initial_capital": 0}, "initial_capital must be > 0"),
        ({"initial_capital": "lots"}, "initial_capital must be a number"),
        ({"fill": "open"}, "fill must be 'next_open' or 'close'"),
        ({"start": "not a date"}, "start must be a date"),
        ({"start": "2013-01-01"}, "start 2013-01-01 is after end 2012-12-31"),
        ({"slippage_bps": -1}, "slippage_bps must be a finite number >= 0"),
    ],
)
def test_spec_invalid_values_raise_config_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _spec(**changes)


def test_spec_from_toml_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        RunSpec.from_toml(tmp_path / "nope.toml")


def test_spec_from_toml_invalid_toml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[data]\nsource = \n")
    with pytest.raises(ConfigError, match=r"bad.toml: invalid TOML: .*line 2"):
        RunSpec.from_toml(path)


def test_spec_from_toml_resolves_relative_paths(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[data]\nsource = "prices"\n[portfolio]\nplugin_dir = "plugs"\n'
        '[[strategies]]\nname = "mine"\nweight = 0.5\nplugin = "plugs/mine.py:Mine"\n'
        '[[strategies]]\nname = "mod"\nweight = 0.5\nplugin = "pkg.mod:Cls"\n'
    )
    spec = RunSpec.from_toml(path)
    assert spec.data == str(tmp_path / "prices")
    assert spec.plugin_dir == str(tmp_path / "plugs")
    assert spec.strategies[0].plugin == f"{tmp_path / 'plugs' / 'mine.py'}:Mine"
    assert spec.strategies[1].plugin == "pkg.mod:Cls"


def test_spec_run_without_strategies_raises() -> None:
    with pytest.raises(ConfigError, match="no strategy selected"):
        RunSpec().run(data={})


def test_spec_select_unknown_symbol_raises_config_error() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0], "volume": [0.0]},
        index=pd.DatetimeIndex(["2010-01-04"]),
    )
    with pytest.raises(ConfigError, match=r"'AAPX' not in the data; did you mean 'AAPL'"):
        RunSpec(symbols=("AAPX",)).select({"AAPL": frame})


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("False", False), ("12", 12), ("0.5", 0.5), ("1e-3", 0.001), ("x", "x")],
)
def test_parse_value_types(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


_names = st.sampled_from(["sma_crossover", "momentum", "macd", "buy_and_hold"])
_weights = st.decimals(min_value=0, max_value=1, places=2).map(str)
_params = st.dictionaries(
    st.sampled_from(["fast", "slow", "period", "k", "flag"]),
    st.one_of(st.integers(-5, 500), st.floats(0.01, 10, allow_nan=False), st.booleans()),
    max_size=3,
)
_syms = st.none() | st.lists(
    st.sampled_from(["AAPL", "MSFT", "BTC-USD", "^GSPC"]), min_size=1, max_size=3, unique=True
).map(tuple)


@settings(max_examples=60, deadline=None)
@given(
    strategies=st.lists(
        st.builds(StrategySpec, name=_names, weight=_weights, params=_params, symbols=_syms),
        max_size=4,
    ),
    symbols=_syms,
    capital=st.integers(1, 10**9),
    fill=st.sampled_from(["next_open", "close"]),
    commission=st.floats(0, 0.01, allow_nan=False),
)
def test_spec_query_and_toml_round_trip_any(
    strategies: list[StrategySpec],
    symbols: tuple[str, ...] | None,
    capital: int,
    fill: str,
    commission: float,
) -> None:
    spec = RunSpec(
        strategies=tuple(strategies),
        symbols=symbols,
        initial_capital=capital,
        fill=fill,
        commission_rate=commission,
    )
    assert RunSpec.from_query(spec.to_query()) == spec
    assert RunSpec.from_dict(tomllib.loads(spec.to_toml())) == spec


def test_spec_separators_in_values_survive_query_and_toml() -> None:
    spec = RunSpec(
        strategies=(
            StrategySpec(
                "sma_crossover",
                "0.1234567890123456789",
                {"fast": 3},
                ("BRK,B", "^GSPC"),
                "a;b=c%d&e,f",  # a newline is no longer a valid label (test_caps.py)
            ),
        ),
        symbols=("BRK,B", "^GSPC"),
    )
    assert RunSpec.from_query(spec.to_query()) == spec
    assert RunSpec.from_dict(tomllib.loads(spec.to_toml())) == spec
    assert spec.strategies[0].weight == "0.1234567890123456789"  # exact, not a float


def test_spec_query_stays_readable_for_plain_values() -> None:
    query = DEFAULT_SPEC.to_query()
    assert query["symbols"] == "AAPL,MSFT,GOOGL,^GSPC"
    assert query["s1"] == "sma_crossover;w=0.4;fast=20;slow=100"


def _frames() -> dict[str, object]:
    close = [10.0 + i for i in range(30)]
    return {
        "OLD": ohlc(close, volume=0.0, start="2010-01-01"),
        "NEW": ohlc(close, volume=0.0, start="2020-01-01"),
    }


def test_spec_all_symbols_range_leaves_out_symbols_without_bars_with_warning() -> None:
    spec = RunSpec(
        strategies=(StrategySpec("buy_and_hold", "1"),), start="2020-01-05", end="2020-01-20"
    )
    result = spec.run(data=_frames())  # type: ignore[arg-type]
    assert result.get_strategy_result("buy_and_hold").symbols == ("NEW",)
    (note,) = result.warnings
    assert note.startswith("OLD left out: it has no bars from 2020-01-05 to 2020-01-20")
    assert "2010-01-01 to 2010-01-30" in note


def test_spec_named_symbol_without_bars_in_range_raises() -> None:
    spec = RunSpec(symbols=("OLD", "NEW"), start="2020-01-05", end="2020-01-20")
    with pytest.raises(DataError, match="OLD"):
        spec.select(_frames())  # type: ignore[arg-type]
