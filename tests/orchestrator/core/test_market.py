"""Tests of core.market: alignment, validation with precise errors, the BarWindow view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.core.market import BarWindow, Market, SymbolData, to_ns, validate_ohlcv
from orchestrator.core.models import HistoricalDataBar
from orchestrator.errors import DataError
from tests.conftest import ohlc as bars


def ohlc(
    closes: Sequence[float] | np.ndarray,
    start: str = "2024-01-01",
    freq: str = "D",
    opens: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Shared bars with high 1.0 above and low 0.5 below the body, and a rising volume."""
    volume = np.arange(len(closes), dtype=float) * 10.0
    return bars(closes, opens, pad=(1.0, 0.5), volume=volume, start=start, freq=freq)


OHLCV = ("open", "high", "low", "close", "volume")


def bars_of(symbol: str, frame: pd.DataFrame) -> list[HistoricalDataBar]:
    return [
        HistoricalDataBar(symbol, ts.to_pydatetime(), *(float(row[c]) for c in OHLCV))
        for ts, row in zip(pd.DatetimeIndex(frame.index), frame.to_dict("records"), strict=True)
    ]


def symbol_data(closes: Sequence[float]) -> SymbolData:
    return Market.from_data({"X": ohlc(closes)}).symbols["X"]


# ---- Market ----------------------------------------------------------------------------------


def test_market_build_timeline_is_sorted_union_with_positions() -> None:
    stock = ohlc([10, 11, 12], start="2024-01-05", freq="B")  # Fri, Mon, Tue
    crypto = ohlc([1, 2, 3, 4, 5], start="2024-01-05", freq="D")  # Fri..Tue
    market = Market.from_data({"SPY": stock, "BTC": crypto})
    expected = pd.date_range("2024-01-05", periods=5, freq="D")
    assert list(market.index) == list(expected)
    assert list(market.symbols) == ["BTC", "SPY"]  # sorted
    assert market.symbols["BTC"].positions.tolist() == [0, 1, 2, 3, 4]
    assert market.symbols["SPY"].positions.tolist() == [0, 3, 4]
    assert len(market.symbols["SPY"]) == 3


def test_market_build_arrays_read_only_float64() -> None:
    market = Market.from_data({"X": ohlc([1, 2, 3])})
    sd = market.symbols["X"]
    for name in ("open", "high", "low", "close", "volume"):
        array = getattr(sd, name)
        assert array.dtype == np.float64
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 99.0
    assert sd.time.dtype == np.int64
    assert not sd.time.flags.writeable
    assert not market.timeline.flags.writeable


def test_market_build_symbols_subset_keeps_only_those() -> None:
    market = Market.from_data({"A": ohlc([1, 2]), "B": ohlc([3, 4]), "C": ohlc([5])}, ["C", "A"])
    assert list(market.symbols) == ["A", "C"]


def test_market_build_unsorted_frame_sorted() -> None:
    frame = ohlc([1, 2, 3, 4])
    market = Market.from_data({"X": frame.iloc[[2, 0, 3, 1]]})
    assert market.symbols["X"].close.tolist() == [1, 2, 3, 4]
    assert list(market.index) == list(frame.index)


def test_market_build_bars_and_frame_identical_arrays() -> None:
    frame = ohlc([5, 6, 7, 8])
    a = Market.from_data({"X": frame}).symbols["X"]
    b = Market.from_data({"X": bars_of("X", frame)}).symbols["X"]
    for name in ("time", "open", "high", "low", "close", "volume", "positions"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_market_build_columns_case_insensitive_volume_optional() -> None:
    frame = ohlc([1, 2]).drop(columns="volume")
    frame.columns = ["Open", "HIGH", " low ", "Close"]
    sd = Market.from_data({"X": frame}).symbols["X"]
    assert sd.close.tolist() == [1.0, 2.0]
    assert sd.volume.tolist() == [0.0, 0.0]


def test_market_build_tz_aware_index_converted_to_naive_utc() -> None:
    frame = ohlc([1, 2])
    frame.index = pd.DatetimeIndex(["2024-01-02 09:30", "2024-01-03 09:30"]).tz_localize(
        "America/New_York"
    )
    market = Market.from_data({"X": frame})
    assert market.index.tz is None
    assert market.index[0] == pd.Timestamp("2024-01-02 14:30")


def test_market_close_on_timeline_forward_filled_nan_before_first_bar() -> None:
    early = ohlc([1, 2, 3, 4], start="2024-01-01")
    late = ohlc([10, 20], start="2024-01-02", freq="2D")  # Jan 2 and Jan 4
    market = Market.from_data({"E": early, "L": late})
    marks = market.close_on_timeline("L")
    assert np.isnan(marks[0])
    assert marks[1:].tolist() == [10.0, 10.0, 20.0]


def test_market_frame_returns_copy_of_bars() -> None:
    frame = ohlc([1, 2, 3])
    market = Market.from_data({"X": frame})
    out = market.frame("X")
    assert out.index.dtype == np.dtype("datetime64[ns]")
    pd.testing.assert_frame_equal(
        out, frame, check_freq=False, check_names=False, check_index_type=False
    )
    out.iloc[0, 0] = 1234.0
    assert market.symbols["X"].open[0] == 1.0


@pytest.mark.parametrize("data", [{}, [], None, "X"])
def test_market_build_not_a_dict_raises(data: object) -> None:
    with pytest.raises(DataError, match="historical_data must be a non-empty dict"):
        Market.from_data(data)  # type: ignore[arg-type]


def test_market_build_value_wrong_type_raises_naming_symbol() -> None:
    with pytest.raises(DataError, match=r"symbol 'X': expected a pandas DataFrame .* found int"):
        Market.from_data({"X": 5})


# ---- validation: DataError names the symbol, the row's timestamp and the problem -----------


def _bad(frame: pd.DataFrame, row: int, column: str, value: float) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[frame.index[row], column] = value
    return frame


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
def test_market_nan_price_raises_naming_symbol_timestamp_column(column: str) -> None:
    frame = _bad(ohlc([1, 2, 3, 4]), 2, column, np.nan)
    with pytest.raises(DataError) as info:
        Market.from_data({"AAPL": frame})
    message = str(info.value)
    assert "symbol 'AAPL'" in message
    assert "2024-01-03T00:00:00" in message
    assert f"{column} is nan" in message
    assert "dropna" in message


def test_market_duplicate_timestamp_raises_naming_it() -> None:
    frame = ohlc([1, 2, 3])
    frame.index = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-02"])
    with pytest.raises(DataError, match=r"symbol 'X', row 2 \(2024-01-02T00:00:00\): duplicate"):
        Market.from_data({"X": frame})


def test_market_duplicate_timestamp_in_bar_list_raises() -> None:
    bars = bars_of("X", ohlc([1, 2]))
    with pytest.raises(DataError, match="duplicate timestamp"):
        Market.from_data({"X": [*bars, bars[-1]]})


def test_market_high_below_low_raises_naming_problem() -> None:
    frame = ohlc([10, 10, 10])
    frame = _bad(_bad(frame, 1, "high", 9.0), 1, "low", 11.0)
    with pytest.raises(DataError) as info:
        Market.from_data({"MSFT": frame})
    message = str(info.value)
    assert "symbol 'MSFT', row 1 (2024-01-02T00:00:00)" in message
    assert "high 9.0 is below max(open, close)" in message


def test_market_high_below_close_raises() -> None:
    frame = _bad(ohlc([10, 10, 10]), 0, "close", 12.0)  # high is 11
    with pytest.raises(DataError, match=r"row 0 \(2024-01-01T00:00:00\): high 11\.0 is below"):
        Market.from_data({"X": frame})


def test_market_low_above_open_raises() -> None:
    frame = _bad(ohlc([10, 10, 10]), 2, "open", 9.0)  # low is 9.5
    with pytest.raises(DataError, match=r"row 2 \(2024-01-03T00:00:00\): low 9\.5 is above"):
        Market.from_data({"X": frame})


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_market_non_positive_price_raises(value: float) -> None:
    frame = _bad(ohlc([1, 2, 3]), 1, "low", value)
    with pytest.raises(
        DataError, match=r"row 1 \(2024-01-02T00:00:00\): low is .*expected a price"
    ):
        Market.from_data({"X": frame})


@pytest.mark.parametrize("value", [-1.0, np.inf, np.nan])
def test_market_bad_volume_raises(value: float) -> None:
    frame = _bad(ohlc([1, 2, 3]), 0, "volume", value)
    with pytest.raises(DataError, match=r"symbol 'X', row 0 .*: volume is"):
        Market.from_data({"X": frame})


def test_market_missing_column_raises_listing_found() -> None:
    frame = ohlc([1, 2]).drop(columns="low")
    with pytest.raises(DataError, match=r"symbol 'X': missing column\(s\) \['low'\]"):
        Market.from_data({"X": frame})


def test_market_non_numeric_column_raises_naming_column() -> None:
    frame = ohlc([1, 2]).astype({"close": object})
    frame.loc[frame.index[1], "close"] = "abc"
    with pytest.raises(DataError, match=r"symbol 'X': column 'close' is not numeric"):
        Market.from_data({"X": frame})


def test_market_empty_frame_raises() -> None:
    with pytest.raises(DataError, match="symbol 'X': no bars"):
        Market.from_data({"X": ohlc([])})
    with pytest.raises(DataError, match="symbol 'X': no bars"):
        Market.from_data({"X": []})


def test_market_integer_index_raises_instead_of_reading_nanoseconds() -> None:
    frame = ohlc([1, 2, 3]).reset_index(drop=True)
    with pytest.raises(DataError, match=r"symbol 'X': the index holds numbers .*DatetimeIndex"):
        Market.from_data({"X": frame})


def test_market_unparseable_index_raises() -> None:
    frame = ohlc([1, 2])
    frame.index = pd.Index(["yesterday-ish", "nope"])
    with pytest.raises(DataError, match="symbol 'X': timestamps could not be read as dates"):
        Market.from_data({"X": frame})


def test_market_missing_timestamp_raises() -> None:
    frame = ohlc([1, 2])
    frame.index = pd.DatetimeIndex(["2024-01-01", None])
    with pytest.raises(DataError, match=r"symbol 'X', row 1: missing timestamp"):
        Market.from_data({"X": frame})


def test_market_bar_of_other_symbol_raises_naming_both() -> None:
    bars = bars_of("MSFT", ohlc([1, 2]))
    with pytest.raises(DataError) as info:
        Market.from_data({"AAPL": bars})
    message = str(info.value)
    assert message.startswith("symbol 'AAPL', row 0: bar belongs to 'MSFT'")
    assert "unreadable" not in message


def test_market_bar_list_with_non_bar_raises() -> None:
    with pytest.raises(DataError, match=r"symbol 'X', row 0: int is not a bar"):
        Market.from_data({"X": [3]})


def test_market_bar_list_unreadable_price_raises() -> None:
    bar = HistoricalDataBar("X", datetime(2024, 1, 1), "abc", 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"symbol 'X', row 0: unreadable price"):
        Market.from_data({"X": [bar]})


def test_validate_ohlcv_source_named_in_message() -> None:
    times = to_ns(pd.date_range("2024-01-01", periods=2), "X")
    cols = {k: np.array([1.0, np.nan]) for k in ("open", "high", "low", "close")}
    with pytest.raises(DataError, match=r"^prices\.csv, symbol 'X', row 1 \(2024-01-02T00:00:00\)"):
        validate_ohlcv("X", times, cols, source="prices.csv")


def test_validate_ohlcv_rounding_noise_in_high_tolerated() -> None:
    times = to_ns(pd.date_range("2024-01-01", periods=1), "X")
    price = 0.1 + 0.2
    cols = {
        "open": np.array([price]),
        "high": np.array([0.3]),
        "low": np.array([0.3]),
        "close": np.array([price]),
    }
    validate_ohlcv("X", times, cols)  # no error: one ulp apart


# ---- BarWindow (FR-015) ----------------------------------------------------------------------


def test_bar_window_len_and_last_bar_is_current() -> None:
    sd = symbol_data([1, 2, 3, 4, 5])
    w = BarWindow(sd, 3)
    assert len(w) == 3
    last = w[-1]
    assert isinstance(last, HistoricalDataBar)
    assert last.symbol == "X"
    assert last.timestamp == pd.Timestamp("2024-01-03")
    assert last.close == 3.0
    assert (last.open, last.high, last.low, last.volume) == (3.0, 4.0, 2.5, 20.0)
    assert w[0].close == 1.0
    assert w[-3].close == 1.0
    assert w.index == 2


@pytest.mark.parametrize("key", [3, 4, 100, -4, -100])
def test_bar_window_index_past_current_bar_raises_index_error(key: int) -> None:
    w = BarWindow(symbol_data([1, 2, 3, 4, 5]), 3)
    with pytest.raises(IndexError, match="shows no future bars"):
        w[key]


def test_bar_window_numpy_integer_index_accepted() -> None:
    w = BarWindow(symbol_data([1, 2, 3]), 2)
    assert w[np.int64(1)].close == 2.0  # type: ignore[call-overload]


@pytest.mark.parametrize("name", ["open", "high", "low", "close", "volume", "timestamp"])
def test_bar_window_arrays_end_at_current_bar_read_only(name: str) -> None:
    sd = symbol_data([1, 2, 3, 4, 5])
    w = BarWindow(sd, 2)
    array = getattr(w, name)
    assert len(array) == 2
    with pytest.raises(ValueError, match="read-only"):
        array[0] = array[1]
    with pytest.raises(ValueError, match="read-only"):
        array += array


def test_bar_window_arrays_are_views_not_copies() -> None:
    sd = symbol_data([1, 2, 3, 4, 5])
    w = BarWindow(sd, 4)
    for name in ("open", "high", "low", "close", "volume"):
        view = getattr(w, name)
        assert np.shares_memory(view, getattr(sd, name))
        assert not view.flags.owndata
    assert np.shares_memory(w.timestamp, sd.time)
    assert w.timestamp.dtype == np.dtype("datetime64[ns]")
    assert w.close.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_bar_window_creation_independent_of_history_length() -> None:
    # O(1): making a window reads nothing from the arrays, so a huge history costs nothing.
    big = Market.from_data({"X": ohlc(np.linspace(1.0, 2.0, 200_000), freq="min")}).symbols["X"]
    w = BarWindow(big, 150_000)
    assert len(w) == 150_000
    assert w.close.base is not None
    assert w[-1].close == big.close[149_999]


def test_bar_window_slices_narrow_never_extend() -> None:
    w = BarWindow(symbol_data([1, 2, 3, 4, 5, 6]), 4)
    assert w[-2:].close.tolist() == [3.0, 4.0]
    assert w[1:3].close.tolist() == [2.0, 3.0]
    assert w[:100].close.tolist() == [1.0, 2.0, 3.0, 4.0]  # clipped at the current bar
    assert len(w[3:1]) == 0
    inner = w[1:3]
    assert isinstance(inner, BarWindow)
    assert inner[-1].close == 3.0
    with pytest.raises(IndexError):
        inner[2]
    assert inner[:10].close.tolist() == [2.0, 3.0]


def test_bar_window_stepped_slice_raises() -> None:
    w = BarWindow(symbol_data([1, 2, 3]), 3)
    with pytest.raises(IndexError, match="no step"):
        w[::2]


def test_bar_window_iteration_yields_bars_up_to_now() -> None:
    w = BarWindow(symbol_data([1, 2, 3, 4]), 3)
    assert [b.close for b in w] == [1.0, 2.0, 3.0]
    assert [b.timestamp for b in w] == list(pd.date_range("2024-01-01", periods=3))
    assert repr(w) == "BarWindow('X', bars=3)"


def test_symbol_window_defaults_to_whole_history() -> None:
    sd = symbol_data([1, 2, 3])
    assert len(sd.window()) == 3
    assert len(sd.window(1)) == 1


def test_to_ns_datetimes_give_int64_nanoseconds() -> None:
    stamps = [datetime(2024, 1, 1), datetime(2024, 1, 1) + timedelta(hours=1)]
    ns = to_ns(stamps, "X")
    assert ns.dtype == np.int64
    assert int(ns[1] - ns[0]) == 3_600 * 10**9


# ---- read-only buffers and kept windows (issue 9, item 15) ------------------------------------


def test_market_arrays_writeable_cannot_be_set_on_array_view_or_base() -> None:
    market = Market.from_data({"X": ohlc([1, 2, 3, 4])})
    sd = market.symbols["X"]
    w = BarWindow(sd, 2)
    arrays = [getattr(sd, n) for n in (*OHLCV, "time", "positions")] + [market.timeline]
    arrays += [w.open, w.high, w.low, w.close, w.volume, w.timestamp, w.close.base]
    for array in arrays:
        with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
            array.flags.writeable = True
        assert isinstance(array.base, bytes | np.ndarray)
    assert isinstance(sd.close.base, bytes)  # the memory belongs to an immutable object
    assert sd.close.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_market_arrays_share_no_memory_with_the_input_frame() -> None:
    frame = ohlc([1, 2, 3])
    sd = Market.from_data({"X": frame}).symbols["X"]
    assert not np.shares_memory(sd.close, frame["close"].to_numpy())
    frame.loc[frame.index[0], "close"] = 99.0  # the caller's frame changes later...
    assert sd.close.tolist() == [1.0, 2.0, 3.0]  # ...the market does not


def test_market_strided_read_past_the_end_finds_nan_not_memory() -> None:
    sd = Market.from_data({"X": ohlc([1, 2, 3])}).symbols["X"]
    strided = np.lib.stride_tricks.as_strided
    past = strided(sd.close, shape=(3 + 8,), strides=sd.close.strides)
    assert past[:3].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(past[3:]).all()
    assert strided(sd.time, shape=(4,), strides=sd.time.strides)[3] == 0


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 30),
    data=st.data(),
)
def test_bar_window_api_never_reaches_past_the_current_bar(n: int, data: st.DataObject) -> None:
    sd = symbol_data(np.arange(1.0, n + 1.0).tolist())  # close of bar i is i + 1
    end = data.draw(st.integers(0, n), label="end")
    w = BarWindow(sd, end)
    key = data.draw(st.integers(-2 * n - 2, 2 * n + 2), label="index")
    try:
        bar = w[key]
    except IndexError:
        assert not -end <= key < end
    else:
        assert bar.close <= end
    lo = data.draw(st.none() | st.integers(-2 * n, 2 * n), label="start")
    hi = data.draw(st.none() | st.integers(-2 * n, 2 * n), label="stop")
    inner = w[lo:hi]
    assert len(inner) <= end
    for values in (inner.close, inner.open, np.asarray([b.close for b in inner])):
        assert (values <= end).all()
    assert inner.index < end


class _Keeper:
    """Keeps every window and close array it is shown, with what they showed at the time."""

    stateless = True

    def __init__(self) -> None:
        self.kept: list[tuple[BarWindow, np.ndarray, int, float, int]] = []

    def should_enter(self, bars: BarWindow, state: object) -> bool:
        self.kept.append((bars, bars.close, len(bars), float(bars.close[-1]), bars.index))
        return bool(len(bars) % 3 == 0)

    def should_exit(self, bars: BarWindow, state: object) -> bool:
        return self.should_enter(bars, state)


def test_bar_window_kept_by_a_strategy_never_changes_later() -> None:
    from orchestrator import OrchestratorConfig, StrategyOrchestrator

    keeper = _Keeper()
    data = {"A": ohlc(np.arange(1.0, 21.0)), "B": ohlc(np.arange(101.0, 113.0), start="2024-01-05")}
    StrategyOrchestrator([(keeper, 1)], 10_000, OrchestratorConfig(logging_level="ERROR")).run(data)
    assert len(keeper.kept) == 20 + 12
    for window, close, length, last, index in keeper.kept:
        assert (len(window), float(window.close[-1]), window.index) == (length, last, index)
        assert len(close) == length
        assert float(close[-1]) == last
