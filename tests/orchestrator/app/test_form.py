"""Tests of orchestrator.app.form: the dashboard's rules without Streamlit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator import StrategyOrchestrator
from orchestrator.app import form
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from strategies import ParamSpec
from tests.conftest import ohlc

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
    return {"AAA": ohlc(close, volume=1.0, start="2021-01-04", freq="B")}


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
        # Deliberately changed: a range wholly after the data is refused and becomes the whole
        # data (it used to become the data's last day, a one-bar run).
        (("2013-05-01", "2014-01-01"), (LO, HI)),
        ((dt.date(2012, 1, 1), dt.date(2011, 1, 1)), (dt.date(2012, 1, 1),) * 2),
        ("garbage", (LO, HI)),
        (None, (LO, HI)),
    ],
)
def test_fit_dates_fits_any_stored_range_into_the_data(stored: object, expected: object) -> None:
    assert form.fit_dates(stored, LO, HI) == expected


def test_fit_dates_leaves_a_range_being_picked_alone() -> None:
    assert form.fit_dates((dt.date(2011, 1, 1),), LO, HI) == (dt.date(2011, 1, 1),)


def test_fit_date_range_whole_or_open_range_says_nothing() -> None:
    assert form.fit_date_range((None, None), LO, HI) == form.DateFit((LO, HI))
    assert form.fit_date_range((LO, HI), LO, HI, "AAPL has bars") == form.DateFit((LO, HI))
    inside = (dt.date(2011, 1, 3), dt.date(2011, 6, 1))
    assert form.fit_date_range(inside, LO, HI) == form.DateFit(inside)


def test_fit_date_range_cut_to_the_data_says_what_was_asked_and_what_the_data_has() -> None:
    fit = form.fit_date_range(("2009-01-01", "2011-06-01"), LO, HI, "ETH-USD has bars")
    assert fit.dates == (LO, dt.date(2011, 6, 1))
    assert fit.overlaps
    assert fit.note == (
        "The date range 2009-01-01 to 2011-06-01 was changed to 2010-01-04 to 2011-06-01 to "
        "fit the data: ETH-USD has bars from 2010-01-04 to 2012-12-31."
    )


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        (("2000-01-01", "2002-01-01"), "2000-01-01 to 2002-01-01"),  # before the data
        (("2030-01-01", None), "2030-01-01 to the end"),  # after it, open end
        ((None, "2001-01-01"), "the start to 2001-01-01"),
    ],
)
def test_fit_date_range_without_overlap_refused_whole_data(stored: object, asked: str) -> None:
    fit = form.fit_date_range(stored, LO, HI, "IBM has bars")
    assert fit.dates == (LO, HI)
    assert not fit.overlaps
    assert fit.note is not None
    assert fit.note.startswith(f"No data in the date range {asked}: IBM has bars from 2010-01-04")
    assert "was not run" in fit.note


def test_fit_date_range_unreadable_dates_whole_data_with_note() -> None:
    fit = form.fit_date_range(("someday", None), LO, HI)
    assert fit.dates == (LO, HI)
    assert fit.note is not None
    assert "someday" in fit.note


def test_open_ends_ends_on_the_old_bounds_become_open() -> None:
    old = (LO, HI)
    assert form.open_ends((LO, HI), old) == (None, None)
    assert form.open_ends((LO, dt.date(2011, 1, 3)), old) == (None, dt.date(2011, 1, 3))
    assert form.open_ends(("2011-01-03", None), None) == ("2011-01-03", None)
    assert form.open_ends((LO,), old) == (LO,)  # a range being picked


def test_data_span_name_names_few_symbols_counts_many() -> None:
    assert form.data_span_name(["ETH-USD"]) == "ETH-USD has bars"
    assert form.data_span_name(["AAPL", "MSFT"]) == "AAPL and MSFT have bars"
    assert form.data_span_name(["A", "B", "C"]) == "A, B and C have bars"
    assert form.data_span_name(list("ABCDE")) == "the 5 chosen symbols have bars"


def test_time_format_date_only_for_daily_bars() -> None:
    daily = pd.Series(pd.to_datetime(["2020-01-02", "2020-01-03", None]))
    assert form.time_format(daily) == "YYYY-MM-DD"
    intraday = pd.Series(pd.to_datetime(["2020-01-02 09:30", "2020-01-02 10:30"]))
    assert form.time_format(intraday) == "YYYY-MM-DD HH:mm"
    assert form.time_format(pd.Series([], dtype="datetime64[ns]")) == "YYYY-MM-DD"


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
