"""Tests of orchestrator.app.session: the dashboard's session state on a plain dict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.app import session
from orchestrator.app.session import RowKeys
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from strategies import ParamSpec
from tests.conftest import ohlc

FAST = ParamSpec("fast", int, 20, 2, 200, 1, "fast window")
SLOW = ParamSpec("slow", int, 100, 3, 400, 1, "slow window")
FLAG = ParamSpec("long_only", bool, True, None, None, None, "long only")
PARAMS: dict[str, tuple[ParamSpec, ...]] = {"sma_crossover": (FAST, SLOW), "flagged": (FLAG,)}


def _params(name: str) -> tuple[ParamSpec, ...]:
    return PARAMS.get(name, ())


def _state(**values: Any) -> dict[str, Any]:
    return {"rows": [], "notices": {}, "hold": False, "applied": None, **values}


def _frame(start: str, bars: int) -> pd.DataFrame:
    return ohlc(np.linspace(10.0, 11.0, bars), start=start)


# ---- keys and rows ----------------------------------------------------------------------------


def test_row_keys_one_name_per_control() -> None:
    keys = RowKeys("r7")
    assert (keys.weight, keys.symbols, keys.label, keys.remove) == (
        "w_r7", "sym_r7", "label_r7", "rm_r7",
    )  # fmt: skip
    assert keys.param("fast") == "p_r7_fast"


def test_new_row_numbers_rows_and_sets_parameter_defaults() -> None:
    state = _state()
    assert session.new_row(state, "sma_crossover", (FAST, SLOW)) == "r1"
    assert session.new_row(state, "flagged", (FLAG,)) == "r2"
    assert state["rows"] == [
        {"uid": "r1", "name": "sma_crossover"},
        {"uid": "r2", "name": "flagged"},
    ]
    assert (state["p_r1_fast"], state["p_r1_slow"], state["p_r2_long_only"]) == (20, 100, True)


def test_new_row_after_remove_never_reuses_a_uid() -> None:
    state = _state()
    first = session.new_row(state, "sma_crossover", ())
    session.remove_row(state, first)
    assert state["rows"] == []
    assert session.new_row(state, "sma_crossover", ()) == "r2"


def test_apply_spec_sets_every_row_control_from_the_spec() -> None:
    spec = RunSpec(
        strategies=(
            StrategySpec("sma_crossover", "0.35", {"fast": 8}, symbols=("AAPL",)),
            StrategySpec("momentum", "0.65", label="mom"),
        ),
        initial_capital=50_000.0,
        commission_rate=0.001,
    )
    state = _state(next_uid=4)
    session.apply_spec(state, spec, _params)
    assert [r["name"] for r in state["rows"]] == ["sma_crossover", "momentum"]
    assert [r["uid"] for r in state["rows"]] == ["r5", "r6"]
    assert (state["w_r5"], state["w_r6"]) == (0.35, 0.65)
    assert (state["sym_r5"], state["sym_r6"]) == (["AAPL"], [])
    assert (state["label_r5"], state["label_r6"]) == ("", "mom")
    assert (state["p_r5_fast"], state["p_r5_slow"]) == (8, 100)  # the rest at their defaults
    assert state["capital"] == 50_000.0
    assert state["commission_pct"] == 0.1


def test_start_session_from_upload_link_asks_for_files_and_keeps_symbols() -> None:
    spec = RunSpec(strategies=(StrategySpec("macd", "0.5"),), data="upload", symbols=("BBB",))
    state: dict[str, Any] = {}
    session.start_session(state, spec, ["a link error"], _params)
    assert state["link_errors"] == ["a link error"]
    assert state["applied"] is None
    assert state["hold"] is False
    assert state["notices"] == {"upload": ("info", session.UPLOAD_LINK_NOTICE)}
    assert state["pending_symbols"] == ["BBB"]


def test_start_session_default_has_no_notices() -> None:
    state: dict[str, Any] = {}
    session.start_session(state, DEFAULT_SPEC, [], _params)
    assert state["notices"] == {}
    assert "pending_symbols" not in state
    assert len(state["rows"]) == len(DEFAULT_SPEC.strategies)


def test_row_bases_label_stripped_else_name() -> None:
    state = _state()
    for name in ("sma_crossover", "sma_crossover", "macd"):
        session.new_row(state, name, ())
    state["label_r1"], state["label_r2"] = "  trend ", "   "
    assert session.row_bases(state) == ["trend", "sma_crossover", "macd"]


def test_add_row_takes_the_cash_left_clamped_to_zero_and_one() -> None:
    state = _state()
    first = session.add_row(state, "macd", ())
    assert state[RowKeys(first).weight] == 1.0  # all of it is cash
    state[RowKeys(first).weight] = 0.65
    second = session.add_row(state, "macd", ())
    assert state[RowKeys(second).weight] == 0.35
    state[RowKeys(first).weight] = 0.9  # 0.9 + 0.35 > 1: nothing left
    third = session.add_row(state, "macd", ())
    assert state[RowKeys(third).weight] == 0.0


def test_normalise_rows_sums_to_exactly_one() -> None:
    state = _state()
    for weight in (0.8, 0.3, 0.2):
        uid = session.new_row(state, "macd", ())
        state[RowKeys(uid).weight] = weight
    session.normalise_rows(state)
    weights = [state[RowKeys(r["uid"]).weight] for r in state["rows"]]
    assert weights == [0.62, 0.23, 0.15]
    assert session.row_weights(state) == [Decimal("0.62"), Decimal("0.23"), Decimal("0.15")]


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=8))
def test_normalise_rows_any_weights_total_exactly_one(cents: list[int]) -> None:
    state = _state()
    for c in cents:
        state[RowKeys(session.new_row(state, "macd", ())).weight] = c / 100
    session.normalise_rows(state)
    total = sum(session.row_weights(state), Decimal(0))
    assert total == 1  # all-zero weights become equal shares


# ---- symbols and dates ------------------------------------------------------------------------


def test_fit_symbols_unknown_symbol_left_out_with_warning() -> None:
    state = _state(symbols=["FOO", "AAPL"])
    session.fit_symbols(state, ["AAPL", "MSFT"], "demo dataset")
    assert state["symbols"] == ["AAPL"]
    assert state["notices"]["symbols"] == (
        "warning",
        "Symbol(s) FOO not in the demo dataset, so left out; available: AAPL, MSFT.",
    )


def test_fit_symbols_waiting_link_symbols_chosen_once_data_is_there() -> None:
    state = _state(symbols=[], pending_symbols=["BBB"])
    session.fit_symbols(state, None, "uploaded files")  # no files yet: keep waiting
    assert state["symbols"] == []
    assert state["pending_symbols"] == ["BBB"]
    session.fit_symbols(state, ["AAA", "BBB"], "uploaded files")
    assert state["symbols"] == ["BBB"]
    assert "pending_symbols" not in state
    assert state["notices"] == {}


def test_data_span_chosen_symbols_with_bars_else_all() -> None:
    frames = {"AAA": _frame("2020-01-01", 10), "BBB": _frame("2020-01-05", 10),
              "EMPTY": _frame("2020-01-01", 0)}  # fmt: skip
    assert session.data_span(frames, []) == (
        ["AAA", "BBB"], dt.date(2020, 1, 1), dt.date(2020, 1, 14),
    )  # fmt: skip
    assert session.data_span(frames, ["BBB"]) == (
        ["BBB"],
        dt.date(2020, 1, 5),
        dt.date(2020, 1, 14),
    )
    assert session.data_span(frames, ["EMPTY"]) is None


LO, HI = dt.date(2017, 11, 9), dt.date(2020, 1, 17)


def test_fit_dates_whole_range_follows_new_data_silently() -> None:
    state = _state(dates=(dt.date(2014, 11, 28), dt.date(2020, 1, 17)),
                   date_bounds=(dt.date(2014, 11, 28), dt.date(2020, 1, 17)))  # fmt: skip
    session.fit_dates(state, ["ETH-USD"], LO, HI)
    assert state["dates"] == (LO, HI)
    assert state["date_bounds"] == (LO, HI)
    assert state["notices"] == {}
    assert state["hold"] is False


def test_fit_dates_partly_outside_warns_and_fits() -> None:
    state = _state(dates=("2016-01-01", "2018-06-29"))
    session.fit_dates(state, ["ETH-USD"], LO, HI)
    assert state["dates"] == (LO, dt.date(2018, 6, 29))
    level, note = state["notices"]["dates"]
    assert level == "warning"
    assert note == (
        "The date range 2016-01-01 to 2018-06-29 was changed to 2017-11-09 to 2018-06-29 to fit "
        "the data: ETH-USD has bars from 2017-11-09 to 2020-01-17."
    )
    assert state["hold"] is False


def test_fit_dates_outside_the_data_errors_and_holds_the_first_run() -> None:
    state = _state(dates=("2010-01-01", "2012-01-01"))
    session.fit_dates(state, ["ETH-USD"], LO, HI)
    assert state["dates"] == (LO, HI)
    assert state["notices"]["dates"][0] == "error"
    assert "was not run" in state["notices"]["dates"][1]
    assert state["hold"] is True


def test_fit_dates_outside_the_data_after_a_run_does_not_hold() -> None:
    applied = (DEFAULT_SPEC, "demo")
    state = _state(dates=(dt.date(2010, 1, 1), dt.date(2012, 1, 1)), applied=applied)
    session.fit_dates(state, ["ETH-USD"], LO, HI)
    assert state["notices"]["dates"][0] == "error"
    assert state["hold"] is False  # the results on screen stay; they turn stale


# ---- applied, stale, held ---------------------------------------------------------------------

OTHER = RunSpec(strategies=(StrategySpec("macd", "0.5"),))


def test_decide_first_valid_configuration_applies_without_a_click() -> None:
    state = _state()
    assert session.decide(state, DEFAULT_SPEC, None, False, "demo") == (DEFAULT_SPEC, "demo")
    assert state["applied"] == (DEFAULT_SPEC, "demo")


def test_decide_invalid_configuration_applies_nothing() -> None:
    state = _state()
    assert session.decide(state, None, "a strategy's settings are invalid", False, "demo") is None
    assert session.decide(state, DEFAULT_SPEC, "weights total more than 1.0", False, "demo") is None


def test_decide_held_link_waits_for_run_which_clears_notices() -> None:
    state = _state(hold=True, notices={"dates": ("error", "No data")}, link_errors=["bad"])
    assert session.decide(state, DEFAULT_SPEC, None, False, "demo") is None
    assert session.decide(state, DEFAULT_SPEC, None, True, "demo") == (DEFAULT_SPEC, "demo")
    assert (state["hold"], state["notices"], state["link_errors"]) == (False, {}, [])


def test_decide_changed_form_keeps_results_until_run() -> None:
    state = _state(applied=(DEFAULT_SPEC, "demo"))
    assert session.decide(state, OTHER, None, False, "demo") == (DEFAULT_SPEC, "demo")
    assert session.decide(state, OTHER, None, True, "demo") == (OTHER, "demo")


def test_stale_note_only_when_form_or_data_changed() -> None:
    applied = (DEFAULT_SPEC, "demo")
    assert session.stale_note(DEFAULT_SPEC, applied, "demo", None) is None
    assert session.stale_note(OTHER, applied, "demo", None) == (
        "The settings changed since these results were computed: press Run to update."
    )
    assert session.stale_note(DEFAULT_SPEC, applied, "upload:abc", None) is not None
    assert session.stale_note(None, applied, "demo", "weights total more than 1.0") == (
        "The settings changed since these results were computed: fix them first (weights "
        "total more than 1.0), then press Run."
    )


@pytest.mark.parametrize(
    ("why", "note"),
    [
        (None, "Press Run to see results."),
        ("no strategy selected", "Fix the configuration in the sidebar (no strategy selected), "
                                 "then press Run."),
    ],
)  # fmt: skip
def test_waiting_note_says_what_to_do(why: str | None, note: str) -> None:
    assert session.waiting_note(why) == note
