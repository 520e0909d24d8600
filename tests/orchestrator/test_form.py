"""Tests of orchestrator.form: the dashboard's rules without Streamlit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import StrategyOrchestrator, form
from orchestrator.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from strategies import ParamSpec

LO, HI = dt.date(2010, 1, 4), dt.date(2012, 12, 31)


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def should_enter(self, bars: object, state: object) -> bool:
        return False

    def should_exit(self, bars: object, state: object) -> bool:
        return False


def _frames(bars: int = 30) -> dict[str, pd.DataFrame]:
    close = np.linspace(10.0, 12.0, bars)
    index = pd.date_range("2021-01-04", periods=bars, freq="B", name="timestamp")
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index
    )
    return {"AAA": frame}


# ---- percent and fraction ---------------------------------------------------------------------


def test_percent_and_fraction_exact_on_the_controls_grid() -> None:
    assert form.percent(0.001) == 0.1
    assert form.percent(0.0015) == 0.15
    assert form.fraction(0.15000000000000002) == 0.0015
    assert form.fraction(-2.0) == -0.02


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-999_999, max_value=999_999))
def test_fraction_of_percent_round_trips_four_decimal_rates(units: int) -> None:
    rate = units / 1_000_000  # a fraction with at most four decimals of a percent
    assert form.fraction(form.percent(rate)) == rate


# ---- control values <-> RunSpec ---------------------------------------------------------------


def test_control_values_then_run_settings_rebuild_the_spec() -> None:
    spec = RunSpec(
        strategies=(StrategySpec("momentum", "0.5"),),
        symbols=("AAPL", "MSFT"),
        initial_capital=50_000.0,
        commission_rate=0.0015,
        commission_per_share=0.005,
        commission_min=1.0,
        slippage_bps=5.0,
        fill="close",
        fractional=True,
        close_at_end=True,
        risk_free_rate=0.02,
    )
    values = form.control_values(spec)
    assert values["commission_pct"] == 0.15
    assert values["rf_pct"] == 2.0
    assert values["dates"] == (None, None)
    rebuilt = RunSpec(strategies=spec.strategies, **form.run_settings(values))
    assert rebuilt == spec


def test_run_settings_no_symbols_means_all() -> None:
    values = form.control_values(DEFAULT_SPEC)
    values["symbols"] = []
    assert form.run_settings(values)["symbols"] is None


# ---- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ((None, None), (LO, HI)),
        (("2011-02-01", None), (dt.date(2011, 2, 1), HI)),
        ((dt.date(2000, 1, 1), dt.date(2030, 1, 1)), (LO, HI)),  # clamped into the data
        (("2013-05-01", "2014-01-01"), (HI, HI)),  # wholly after the data: its last day
        ((dt.date(2012, 1, 1), dt.date(2011, 1, 1)), (dt.date(2012, 1, 1),) * 2),
        ("garbage", (LO, HI)),
        (None, (LO, HI)),
    ],
)
def test_fit_dates_fits_any_stored_range_into_the_data(stored: object, expected: object) -> None:
    assert form.fit_dates(stored, LO, HI) == expected


def test_fit_dates_leaves_a_range_being_picked_alone() -> None:
    assert form.fit_dates((dt.date(2011, 1, 1),), LO, HI) == (dt.date(2011, 1, 1),)


@pytest.mark.parametrize(
    ("picked", "expected"),
    [
        ((LO, HI), {"start": None, "end": None}),  # the whole data: open ends
        ((dt.date(2011, 1, 3), HI), {"start": "2011-01-03", "end": None}),
        ((dt.date(2011, 1, 3),), {"start": "2011-01-03", "end": None}),  # mid-pick
        ((), {"start": None, "end": None}),
        (dt.date(2011, 6, 1), {"start": "2011-06-01", "end": None}),
        ((LO, dt.date(2012, 6, 29)), {"start": None, "end": "2012-06-29"}),
    ],
)
def test_date_settings_open_ends_at_the_data_bounds(picked: object, expected: object) -> None:
    assert form.date_settings(picked, LO, HI) == expected


# ---- parameters, ids, blocker -----------------------------------------------------------------


def test_number_options_in_the_parameter_type() -> None:
    whole = ParamSpec("n", int, 20, 2, 200, None, "look-back")
    assert form.number_options(whole) == {
        "min_value": 2, "max_value": 200, "step": 1, "format": None,
    }  # fmt: skip
    tiny = ParamSpec("k", float, 0.5, 0.0, None, 0.00001, "tiny step")
    options = form.number_options(tiny)
    assert options == {"min_value": 0.0, "max_value": None, "step": 0.00001, "format": "%.6g"}
    assert isinstance(options["min_value"], float)


def test_strategy_ids_match_the_engines() -> None:
    names = ["sma", "sma", "rsi", "sma#2", "sma"]
    engine = StrategyOrchestrator([(_Named(n), 0) for n in names], 1_000)
    assert form.strategy_ids(names) == engine.strategy_ids
    assert form.strategy_ids(names) == ["sma", "sma#2", "rsi", "sma#2#2", "sma#3"]


def test_blocker_first_reason_or_none() -> None:
    assert form.blocker(0, False, False, True) == "no strategy selected"
    assert form.blocker(2, False, False, True) == "weights total more than 1.0"
    assert form.blocker(2, True, False, True) == "no data: upload CSV or Parquet files"
    assert form.blocker(2, True, True, True) == "a strategy's settings are invalid"
    assert form.blocker(2, True, True, False) is None


# ---- run_outcome --------------------------------------------------------------------------------


def test_run_outcome_gives_result_and_seconds() -> None:
    spec = RunSpec(strategies=(StrategySpec("buy_and_hold", "1"),))
    result, error, seconds = form.run_outcome(spec, _frames())
    assert error is None
    assert result is not None
    assert result.strategy_ids == ["buy_and_hold"]
    assert seconds >= 0


def test_run_outcome_errors_become_messages() -> None:
    spec = RunSpec(strategies=(StrategySpec("buy_and_hold", "1"),), symbols=("ZZZ",))
    result, error, _ = form.run_outcome(spec, _frames())
    assert result is None
    assert error is not None
    assert "ZZZ" in error
    gone = form.run_outcome(spec, None)
    assert gone[0] is None
    assert "upload them again" in str(gone[1])


def test_run_outcome_unexpected_exception_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(RunSpec, "run", boom)
    spec = RunSpec(strategies=(StrategySpec("buy_and_hold", "1"),))
    result, error, _ = form.run_outcome(spec, _frames())
    assert result is None
    assert error == "The run failed: KeyError: 'surprise'"
