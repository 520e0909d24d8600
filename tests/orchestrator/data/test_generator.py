"""Seeded synthetic data, date slicing and short-history warnings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orchestrator.data.generator as generator
from orchestrator.core.market import OHLCV_COLUMNS, Market
from orchestrator.data import slice_dates, synthetic, warn_short
from orchestrator.errors import ConfigError, DataError

# --- synthetic ---------------------------------------------------------------------------------


def test_synthetic_same_seed_gives_identical_frames() -> None:
    first, second = synthetic(4, 300, seed=7), synthetic(4, 300, seed=7)
    assert list(first) == ["SYN00", "SYN01", "SYN02", "SYN03"]
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_synthetic_different_seeds_differ() -> None:
    a, b = synthetic(1, 50, seed=1)["SYN00"], synthetic(1, 50, seed=2)["SYN00"]
    assert not np.allclose(a["close"], b["close"])


def test_synthetic_symbol_i_does_not_depend_on_symbol_count() -> None:
    few, many = synthetic(2, 200, seed=3), synthetic(10, 200, seed=3)
    pd.testing.assert_frame_equal(few["SYN01"], many["SYN01"])


def test_synthetic_named_symbols_and_wide_counts() -> None:
    assert list(synthetic(["X", "Y"], 10)) == ["X", "Y"]
    names = list(synthetic(120, 2))
    assert names[0] == "SYN000"
    assert names[-1] == "SYN119"


def test_synthetic_frames_are_standard_valid_and_realistic() -> None:
    frames = synthetic(3, 2000, seed=11)
    Market.from_data(frames)  # the engine's own validation accepts them
    for frame in frames.values():
        assert frame.index.dtype == "datetime64[ns]"
        assert frame.index.name == "timestamp"
        assert list(frame.columns) == list(OHLCV_COLUMNS)
        assert (frame.dtypes == "float64").all()
        o, h, lo, c, v = (frame[k].to_numpy() for k in OHLCV_COLUMNS)
        assert (h >= np.maximum(o, c)).all()
        assert (lo <= np.minimum(o, c)).all()
        assert (lo > 0).all()
        assert (v >= 1).all()
        assert (v == np.rint(v)).all()
        # the open sits near the previous close: gaps far smaller than a day's range
        gap = np.abs(np.log(o[1:] / c[:-1]))
        assert np.median(gap) < 0.01
        daily_vol = np.std(np.diff(np.log(c))) * np.sqrt(252)
        assert 0.05 < daily_vol < 0.8


def test_synthetic_returns_are_positively_correlated() -> None:
    frames = synthetic(4, 3000, seed=5)
    returns = pd.DataFrame({k: np.log(f["close"]).diff() for k, f in frames.items()}).dropna()
    corr = returns.corr().to_numpy()
    off_diagonal = corr[~np.eye(4, dtype=bool)]
    assert (off_diagonal > 0.1).all()
    assert (off_diagonal < 0.9).all()


def test_synthetic_regimes_have_the_designed_mix_and_raise_volatility() -> None:
    rng = np.random.default_rng(0)
    states = generator._regimes(rng, 400_000, 1.0)
    assert set(np.unique(states)) == {0, 1}
    # calm stays average 100 days, turbulent 20: turbulent about 1/6 of the time
    assert 0.12 < states.mean() < 0.22
    switches = np.count_nonzero(np.diff(states))
    assert 400_000 / 120 * 2 * 0.8 < switches < 400_000 / 120 * 2 * 1.2


def test_synthetic_ar1_matches_the_recursion() -> None:
    shocks = np.random.default_rng(1).normal(0.0, 0.01, 30_000)
    expected = np.empty_like(shocks)
    x = 0.0
    for i, e in enumerate(shocks):
        x = 0.9995 * x + e
        expected[i] = x
    np.testing.assert_allclose(generator._ar1(shocks, 0.9995), expected, rtol=0, atol=1e-12)


def test_synthetic_long_daily_history_keeps_prices_tradeable() -> None:
    frames = synthetic(3, 100_000, seed=2, start="1700-01-01", freq="D")
    for frame in frames.values():
        ratio = frame["close"] / frame["close"].iloc[0]
        assert ratio.min() > 0.02
        assert ratio.max() < 50


def test_synthetic_intraday_freq_and_tz_aware_start() -> None:
    frame = synthetic(1, 5, start="2024-01-02 09:30", freq="min")["SYN00"]
    assert frame.index[1] - frame.index[0] == pd.Timedelta(minutes=1)
    aware = synthetic(1, 3, start=pd.Timestamp("2024-01-02", tz="America/New_York"), freq="D")
    assert aware["SYN00"].index.tz is None
    assert aware["SYN00"].index[0] == pd.Timestamp("2024-01-02 05:00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbols": 0}, "symbols must be >= 1"),
        ({"symbols": ["A", "A"]}, "distinct non-empty names"),
        ({"symbols": True}, "count or a list of names"),
        ({"bars": 0}, "bars must be an int >= 1"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"bars": 500_000}, "cannot make 500000 timestamps.*finer freq"),
        ({"freq": "not-a-freq"}, "cannot make 1000 timestamps"),
    ],
)
def test_synthetic_bad_arguments_raise_config_error(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        synthetic(**kwargs)  # type: ignore[arg-type]


# --- slice_dates -------------------------------------------------------------------------------


def daily(start: str, days: int) -> pd.DataFrame:
    index = pd.date_range(start, periods=days, freq="D", name="timestamp").as_unit("ns")
    values = np.arange(1.0, days + 1.0)
    return pd.DataFrame({c: values for c in OHLCV_COLUMNS}, index=index)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-03", "2024-01-05"),
        (dt.date(2024, 1, 3), dt.date(2024, 1, 5)),
        (pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-05")),
        (dt.datetime(2024, 1, 3), np.datetime64("2024-01-05")),
    ],
)
def test_slice_dates_is_inclusive_for_str_date_and_timestamp(start: object, end: object) -> None:
    out = slice_dates({"A": daily("2024-01-01", 10)}, start, end)
    assert list(out["A"].index.day) == [3, 4, 5]


def test_slice_dates_open_ends_and_tz_aware_bounds() -> None:
    frames = {"A": daily("2024-01-01", 10)}
    assert len(slice_dates(frames, None, "2024-01-02")["A"]) == 2
    assert len(slice_dates(frames, "2024-01-09")["A"]) == 2
    aware = pd.Timestamp("2024-01-03 01:00", tz="Europe/Paris")  # 00:00 UTC
    assert slice_dates(frames, aware)["A"].index[0] == pd.Timestamp("2024-01-03")


def test_slice_dates_date_only_end_includes_that_whole_day_of_intraday_bars() -> None:
    index = pd.date_range("2024-01-02 09:30", periods=10, freq="h", name="timestamp")
    frame = pd.DataFrame({c: 1.0 for c in OHLCV_COLUMNS}, index=index.as_unit("ns"))
    assert len(slice_dates({"A": frame}, end="2024-01-02")["A"]) == 10
    assert len(slice_dates({"A": frame}, end="2024-01-02 12:30")["A"]) == 4


def test_slice_dates_empty_result_names_range_and_actual_range() -> None:
    frames = {"A": daily("2024-01-01", 10), "B": daily("2023-01-01", 5)}
    with pytest.raises(DataError) as info:
        slice_dates(frames, "2024-01-03", "2024-01-04")
    message = str(info.value)
    assert "no bars between 2024-01-03 and 2024-01-04 for B" in message
    assert "B has 2023-01-01 to 2023-01-05" in message
    assert list(slice_dates(frames, "2024-01-03", "2024-01-04", drop_empty=True)) == ["A"]
    with pytest.raises(DataError, match="for A, B"):
        slice_dates(frames, "2030-01-01", drop_empty=True)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-02-01", "2024-01-01", "start 2024-02-01 is after end 2024-01-01"),
        ("yesterday-ish", None, "start date 'yesterday-ish' could not be read"),
        (None, "", "end date '' is not a date"),
    ],
)
def test_slice_dates_bad_bounds_raise_config_error(
    start: object, end: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        slice_dates({"A": daily("2024-01-01", 3)}, start, end)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_slice_dates_matches_a_boolean_mask(a: int, b: int) -> None:
    frame = daily("2024-01-01", 30)
    lo, hi = sorted((a, b))
    start = pd.Timestamp("2023-12-25") + pd.Timedelta(days=lo)
    end = pd.Timestamp("2023-12-25") + pd.Timedelta(days=hi)
    expected = frame[(frame.index >= start) & (frame.index <= end)]
    if expected.empty:
        with pytest.raises(DataError):
            slice_dates({"A": frame}, start, end)
    else:
        pd.testing.assert_frame_equal(slice_dates({"A": frame}, start, end)["A"], expected)


# --- warn_short ---------------------------------------------------------------------------------


def test_warn_short_names_only_symbols_below_warmup() -> None:
    frames = {"A": daily("2024-01-01", 10), "B": daily("2024-01-01", 30)}
    messages = warn_short(frames, 20, strategy="sma_crossover")
    assert messages == [
        "A has 10 bars, fewer than the 20 sma_crossover needs to warm up, so it cannot trade A "
        "(choose an earlier start date or shorter look-back)"
    ]
    assert warn_short(frames, 10) == []
    assert warn_short(frames, 0) == []
    assert "the strategy needs" in warn_short(frames, 11)[0]


@pytest.mark.parametrize("warmup", [-1, 2.5, True, "10"])
def test_warn_short_bad_warmup_raises_config_error(warmup: object) -> None:
    with pytest.raises(ConfigError, match="warmup must be an int >= 0"):
        warn_short({"A": daily("2024-01-01", 3)}, warmup)  # type: ignore[arg-type]


def test_slice_dates_non_standard_frames_raise_data_error() -> None:
    plain = pd.DataFrame({"close": [1.0, 2.0]})
    with pytest.raises(DataError, match="symbol 'P': expected a frame with a naive DatetimeIndex"):
        slice_dates({"P": plain}, "2024-01-01")
    backwards = daily("2024-01-01", 3).iloc[::-1]
    with pytest.raises(DataError, match="symbol 'B': timestamps are not sorted"):
        slice_dates({"B": backwards}, "2024-01-01")
