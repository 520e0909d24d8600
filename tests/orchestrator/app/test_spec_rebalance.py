"""RunSpec's rebalancing: the [rebalance] table, the link's parameters, and bad input."""

from __future__ import annotations

import tomllib
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import ConfigError, Rebalance
from orchestrator.app.codec import REBALANCE_QUERY_NAMES
from orchestrator.app.links import is_link
from orchestrator.app.runner import check_rebalance
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.core.allocation import MODES, RULES, SCHEDULES

MONTHLY = Rebalance(schedule="monthly", drift=0.05, rule="inverse_volatility", lookback=63)


def _spec(rebalance: Rebalance = MONTHLY, **changes: Any) -> RunSpec:
    return DEFAULT_SPEC.with_overrides(rebalance=rebalance, **changes)


def _toml_round_trip(spec: RunSpec) -> RunSpec:
    return RunSpec.from_dict(tomllib.loads(spec.to_toml()))


# ---- TOML ---------------------------------------------------------------------------------------


def test_rebalance_toml_round_trip_equal() -> None:
    spec = _spec()
    assert _toml_round_trip(spec) == spec
    assert RunSpec.from_dict(spec.to_dict()) == spec
    assert spec.config().rebalance == MONTHLY


def test_rebalance_toml_table_leaves_out_none_values() -> None:
    spec = _spec(Rebalance(every_bars=21, mode="cash"))
    table = tomllib.loads(spec.to_toml())["rebalance"]
    assert table == {
        "schedule": "none",
        "every_bars": 21,
        "mode": "cash",
        "rule": "fixed",
        "lookback": 126,
        "min_weight": 0.0,
        "max_weight": 1.0,
    }
    assert _toml_round_trip(spec).rebalance == Rebalance(every_bars=21, mode="cash")


def test_rebalance_default_writes_no_table_and_reads_as_none() -> None:
    assert "rebalance" not in DEFAULT_SPEC.to_dict()
    assert "[rebalance]" not in DEFAULT_SPEC.to_toml()
    assert RunSpec.from_dict({"rebalance": {}}).rebalance == Rebalance()
    assert DEFAULT_SPEC.rebalance == Rebalance()
    assert not DEFAULT_SPEC.config().rebalance.enabled


def test_rebalance_toml_file_reads_table(tmp_path: Any) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        '[rebalance]\nschedule = "quarterly"\nrule = "hrp"\nmin_weight = 0\nmax_weight = 0.6\n\n'
        '[[strategies]]\nname = "momentum"\nweight = 0.5\n\n'
        '[[strategies]]\nname = "sma_crossover"\nweight = 0.5\n',
        encoding="utf-8",
    )
    spec = RunSpec.from_toml(path)
    assert spec.rebalance == Rebalance(schedule="quarterly", rule="hrp", max_weight=0.6)


# ---- links --------------------------------------------------------------------------------------


def test_rebalance_query_round_trip_equal() -> None:
    spec = _spec()
    assert RunSpec.from_query(spec.to_query()) == spec
    as_lists = {k: [v] for k, v in spec.to_query().items()}  # as parse_qs gives them
    assert RunSpec.from_query(as_lists) == spec


def test_rebalance_query_carries_only_what_differs_from_default() -> None:
    query = _spec().to_query()
    names = set(REBALANCE_QUERY_NAMES.values())
    assert {k: v for k, v in query.items() if k in names} == {
        "rebalance": "monthly",
        "rebalance_drift": "0.05",
        "rebalance_rule": "inverse_volatility",
        "rebalance_lookback": "63",
    }
    assert not names & set(DEFAULT_SPEC.to_query())


def test_rebalance_query_every_bars_and_bounds_round_trip() -> None:
    rebalance = Rebalance(every_bars=10, mode="cash", rule="equal", min_weight=0.1, max_weight=0.5)
    spec = _spec(rebalance)
    query = spec.to_query()
    assert query["rebalance_bars"] == "10"
    assert query["rebalance_min"] == "0.1"
    assert "rebalance" not in query  # the schedule is the default, "none"
    assert RunSpec.from_query(query).rebalance == rebalance


def test_rebalance_only_link_is_a_link() -> None:
    assert is_link({"rebalance": "monthly"})
    assert not is_link({"rebalance": "none"})


@settings(max_examples=60, deadline=None)
@given(
    schedule=st.sampled_from(SCHEDULES),
    drift=st.none() | st.floats(0.001, 0.999),
    mode=st.sampled_from(MODES),
    rule=st.sampled_from(RULES),
    lookback=st.integers(2, 5000),
    bounds=st.tuples(st.floats(0.0, 0.3), st.floats(0.34, 1.0)),
)
def test_rebalance_any_setting_round_trips_through_toml_and_link(
    schedule: str,
    drift: float | None,
    mode: str,
    rule: str,
    lookback: int,
    bounds: tuple[float, float],
) -> None:
    rebalance = Rebalance(
        schedule=schedule,  # type: ignore[arg-type]
        drift=drift,
        mode=mode,  # type: ignore[arg-type]
        rule=rule,  # type: ignore[arg-type]
        lookback=lookback,
        min_weight=bounds[0],
        max_weight=bounds[1],
    )
    spec = _spec(rebalance)
    assert _toml_round_trip(spec) == spec
    assert RunSpec.from_query(spec.to_query()) == spec


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"shedule": "monthly"}, "unknown key 'shedule' in [rebalance]; did you mean 'schedule'?"),
        ({"schedule": "montly"}, "found 'montly'; did you mean 'monthly'?"),
        ({"mode": "scal"}, "rebalance mode must be one of 'scale', 'cash'; found 'scal'"),
        ({"rule": "inverse_vol"}, "did you mean 'inverse_volatility'?"),
        ({"drift": 1.5}, "found 1.5"),
        ({"drift": 0}, "rebalance drift must be strictly between 0 and 1"),
        ({"drift": 1}, "rebalance drift must be strictly between 0 and 1"),
        ({"drift": "5%"}, "rebalance drift must be a number between 0 and 1; found '5%'"),
        ({"lookback": 1}, "rebalance lookback must be >= 2 (bars); found 1"),
        ({"lookback": 20.5}, "rebalance lookback must be a whole number >= 2"),
        ({"min_weight": 0.6, "max_weight": 0.4}, "min_weight (0.6) is above max_weight (0.4)"),
        ({"schedule": "weekly", "every_bars": 5}, "choose one: a calendar schedule or a bar count"),
    ],
)
def test_rebalance_bad_table_config_error_names_field_and_value(
    table: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        RunSpec.from_dict({"rebalance": table})
    assert expected in str(info.value)


def test_rebalance_not_a_table_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\[rebalance\] must be a table; found 'monthly'"):
        RunSpec.from_dict({"rebalance": "monthly"})


def test_rebalance_bad_link_value_config_error_names_field() -> None:
    with pytest.raises(ConfigError, match="rebalance lookback must be a whole number"):
        RunSpec.from_query({"rebalance": "monthly", "rebalance_lookback": "abc"})
    with pytest.raises(ConfigError, match="did you mean 'hrp'"):
        RunSpec.from_query({"rebalance": "monthly", "rebalance_rule": "hrpp"})


def test_rebalance_infeasible_bounds_config_error_before_run() -> None:
    # Three strategies totalling 0.9 cannot each hold at least 0.4 (that needs 1.2).
    with pytest.raises(ConfigError) as info:
        _spec(Rebalance(schedule="monthly", rule="equal", min_weight=0.4))
    message = str(info.value)
    assert "min_weight=0.4 with 3 strategies" in message
    assert "the weights total 0.9" in message
    with pytest.raises(ConfigError, match=r"max_weight=0\.2 with 3 strategies"):
        _spec(Rebalance(schedule="monthly", rule="equal", max_weight=0.2))


def test_rebalance_bounds_ignored_by_fixed_rule_and_without_rebalancing() -> None:
    assert _spec(Rebalance(schedule="monthly", min_weight=0.4)).rebalance.min_weight == 0.4
    assert _spec(Rebalance(rule="equal", min_weight=0.4)).rebalance.rule == "equal"


def test_rebalance_lookback_longer_than_data_config_error_before_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestrator.core.engine import StrategyOrchestrator

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(StrategyOrchestrator, "run", never)
    spec = _spec(
        Rebalance(schedule="monthly", rule="equal", lookback=300),
        start="2017-01-01",
        symbols=("AAPL",),
        strategies=(StrategySpec("momentum", "1"),),
    )
    with pytest.raises(ConfigError) as info:
        spec.run()
    message = str(info.value)
    assert "rebalance lookback=300 bars is longer than the data allows" in message
    assert "choose a lookback of at most" in message


def test_check_rebalance_counts_the_union_of_timestamps() -> None:
    a = pd.DataFrame({"close": 1.0}, index=pd.date_range("2020-01-01", periods=3))
    b = pd.DataFrame({"close": 1.0}, index=pd.date_range("2020-01-03", periods=3))
    spec = RunSpec(
        strategies=(StrategySpec("momentum", "1"),),
        rebalance=Rebalance(every_bars=1, rule="equal", lookback=4),
    )
    check_rebalance(spec, {"A": a, "B": b})  # 5 bars give 4 returns: allowed
    with pytest.raises(ConfigError, match="4 bars give 3 returns"):
        check_rebalance(spec, {"A": a, "B": b.iloc[:2]})
    with pytest.raises(ConfigError, match="lookback=5 bars"):
        check_rebalance(spec.with_overrides(rebalance=Rebalance(every_bars=1, rule="hrp",
                                            lookback=5)), {"A": a, "B": b})  # fmt: skip


def test_rebalance_field_wrong_type_config_error() -> None:
    with pytest.raises(ConfigError, match="rebalance must be a table; found 3"):
        RunSpec(rebalance=3)  # type: ignore[arg-type]
