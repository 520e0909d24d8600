"""Fuzzing the loaders: any input gives valid standard frames or a DataError, nothing else."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.core.market import OHLCV_COLUMNS, to_ns, validate_ohlcv
from orchestrator.data import load_csv, load_file, load_parquet
from orchestrator.errors import DataError

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_or_data_error(load: Callable[[], dict[str, pd.DataFrame]], name: str) -> None:
    """``load()`` returns valid standard frames, or raises a DataError that names the file."""
    try:
        frames = load()
    except DataError as exc:
        problem: str | None = str(exc)
    else:
        problem = None
    if problem is not None:
        assert problem.startswith(name), problem
        # Readable: short whatever the cells held, and a plain description before parser text.
        assert len(problem) < 700, problem
        head = problem.split("said:")[0]
        assert "Error" not in head.replace("DataError", ""), problem
        return
    assert frames
    for symbol, frame in frames.items():
        assert isinstance(symbol, str)
        assert symbol
        assert frame.index.dtype == np.dtype("datetime64[ns]")
        assert frame.index.tz is None
        assert list(frame.columns) == list(OHLCV_COLUMNS)
        assert (frame.dtypes == np.float64).all()
        cols = {c: frame[c].to_numpy() for c in OHLCV_COLUMNS}
        validate_ohlcv(symbol, to_ns(frame.index, symbol), cols)


@FUZZ
@given(st.binary(max_size=2000))
def test_load_csv_any_bytes_gives_frames_or_data_error(content: bytes) -> None:
    valid_or_data_error(lambda: load_csv(content, name="FUZZ.csv"), "FUZZ.csv")


@FUZZ
@given(st.binary(max_size=2000))
def test_load_parquet_any_bytes_gives_frames_or_data_error(content: bytes) -> None:
    valid_or_data_error(lambda: load_parquet(content, name="FUZZ.parquet"), "FUZZ.parquet")
    valid_or_data_error(lambda: load_file(b"PAR1" + content, name="FUZZ"), "FUZZ")


HEADERS = st.sampled_from(
    [
        "date", "Date", "timestamp", "time", "Datetime", "ticker", "Symbol", "open", "Open",
        "o", "high", "High", "h", "low", "Low", "l", "close", "Close", "Adj Close", "c",
        "volume", "Volume", "v", "", "Unnamed: 0", "extra", "close", "open",
    ]
)  # fmt: skip
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "0", "-0", "null", "N/A"]),
    st.dates().map(str),
    st.datetimes(timezones=st.sampled_from([None, datetime.UTC])).map(lambda d: d.isoformat()),
    st.sampled_from(["AAPL", "msft", "000001", "2024-01-02", "01/02/2024", "13/02/2024"]),
    st.sampled_from(["20240102", "1704153600", "1704153600000", "99999999", "1e12"]),
    st.text(max_size=8),
    # Hostile cells (issue 9): too large for a float, tiny prices, long cells, Unicode spaces,
    # tickers that look missing, zoned and naive times side by side.
    st.sampled_from(["9" * 400, "1e-310", "1e300", "1.5\u00a0", "2\u202f", "x" * 300]),
    st.sampled_from(["NA", "None", "NaN", "null", "#N/A", "2024-01-02T10:00Z"]),
    st.sampled_from(["2024-01-02 10:00+01:00", "2024-01-03 10:00", "\u2212" + "5"]),
)
SEPARATORS = st.sampled_from([",", ";", "\t"])


ROLE_NAMES = [
    st.sampled_from(["date", "Date", "timestamp", "time", "Datetime", "<DATE>", "Unnamed: 0"]),
    st.sampled_from(["open", "Open", "o", "OPEN"]),
    st.sampled_from(["high", "High", "h"]),
    st.sampled_from(["low", "Low", "l"]),
    st.sampled_from(["close", "Close", "Adj Close", "c"]),
]
OPTIONAL_NAMES = st.lists(
    st.sampled_from(["volume", "Vol", "ticker", "Symbol", "extra", "close", "Adj Close"]),
    max_size=3,
)


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    """Usually the five required roles under some alias plus extras; sometimes anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.lists(HEADERS, min_size=1, max_size=8))
    names = [draw(role) for role in ROLE_NAMES] + draw(OPTIONAL_NAMES)
    return draw(st.permutations(names))


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    sep = draw(SEPARATORS)
    header = draw(headers())
    width = len(header)
    rows = draw(st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=8))
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@FUZZ
@given(csv_texts())
def test_load_csv_structured_fuzz_gives_frames_or_data_error(text: str) -> None:
    valid_or_data_error(
        lambda: load_csv(text.encode("utf-8", "surrogatepass"), name="S.csv"), "S.csv"
    )


ENCODINGS = st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "utf-8-sig"])


@FUZZ
@given(csv_texts(), ENCODINGS)
def test_load_csv_other_encodings_give_frames_or_data_error(text: str, encoding: str) -> None:
    content = text.encode(encoding, "replace")
    valid_or_data_error(lambda: load_csv(content, name="E.csv"), "E.csv")


@FUZZ
@given(csv_texts(), st.integers(1, 6))
def test_load_csv_row_cap_gives_frames_within_cap_or_data_error(text: str, cap: int) -> None:
    def load() -> dict[str, pd.DataFrame]:
        frames = load_csv(text.encode("utf-8", "surrogatepass"), name="M.csv", max_rows=cap)
        assert sum(len(f) for f in frames.values()) <= cap
        return frames

    valid_or_data_error(load, "M.csv")


@st.composite
def plausible_csv(draw: st.DrawFn) -> str:
    """Mostly valid OHLC files with the odd broken cell, so the success path is fuzzed too."""
    n = draw(st.integers(1, 12))
    days = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    lines = ["Date,Open,High,Low,Close,Volume"]
    for day in days:
        o = draw(st.floats(0.01, 1e6))
        c = draw(st.floats(0.01, 1e6))
        h = max(o, c) * draw(st.floats(1.0, 1.1))
        lo = min(o, c) * draw(st.floats(0.9, 1.0))
        v = draw(st.one_of(st.integers(0, 10**9).map(str), st.just(""), st.just("-1")))
        date = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)).date().isoformat()
        cells = [date, repr(o), repr(h), repr(lo), repr(c), v]
        if draw(st.integers(0, 9)) == 0:
            cells[draw(st.integers(0, 5))] = draw(CELLS)
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


@FUZZ
@given(plausible_csv())
def test_load_csv_plausible_fuzz_gives_frames_or_data_error(text: str) -> None:
    valid_or_data_error(lambda: load_csv(text.encode(), name="P.csv"), "P.csv")


def small_parquet() -> bytes:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=4, freq="D"),
            "ticker": ["A", "A", "B", "B"],
            "open": [1.0, 2.0, 3.0, 4.0],
            "high": [2.0, 3.0, 4.0, 5.0],
            "low": [0.5, 1.0, 2.0, 3.0],
            "close": [1.5, 2.5, 3.5, 4.5],
            "volume": [10.0, 20.0, 30.0, 40.0],
        }
    )
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


SMALL_PARQUET = small_parquet()


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(SMALL_PARQUET) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    )
)
def test_load_parquet_corrupted_file_gives_frames_or_data_error(
    edits: list[tuple[int, int]],
) -> None:
    content = bytearray(SMALL_PARQUET)
    for position, value in edits:
        content[position] = value
    valid_or_data_error(lambda: load_parquet(bytes(content), name="C.parquet"), "C.parquet")


COLUMN_VALUES = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3),
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=3, max_size=3),
    st.lists(st.text(max_size=6), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.datetimes(), min_size=3, max_size=3),
    st.lists(st.one_of(st.none(), st.floats(0.1, 10)), min_size=3, max_size=3),
)


@FUZZ
@given(headers(), st.data())
def test_load_parquet_random_tables_give_frames_or_data_error(
    names: list[str], draw: st.DataObject
) -> None:
    columns = {name: draw.draw(COLUMN_VALUES) for name in names if name}
    try:
        buf = io.BytesIO()
        pd.DataFrame(columns).to_parquet(buf, index=False)
    except (ValueError, TypeError, OverflowError, ImportError, AttributeError):
        return  # pyarrow cannot even write this table; nothing to load
    except Exception as exc:  # pyarrow's own error types
        if type(exc).__module__.startswith("pyarrow"):
            return
        raise
    valid_or_data_error(lambda: load_parquet(buf.getvalue(), name="R.parquet"), "R.parquet")
