"""Hostile and careless files (issue 9 items 1, 3, 7 to 11): each is refused with a DataError that
names the file, the line and the column and says what was expected, or read as the user meant."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestrator.app.uploads import Upload, parse_uploads
from orchestrator.data import (
    MAX_PRICE,
    MAX_ROWS,
    MAX_ROWS_ENV,
    MIN_PRICE,
    RowCapError,
    from_frame,
    load_csv,
    load_file,
    load_files,
    load_parquet,
    row_cap,
)
from orchestrator.errors import ConfigError, DataError

HEADER = "date,open,high,low,close\n"


def error(text: str | bytes, name: str = "X.csv", **options: object) -> str:
    content = text.encode() if isinstance(text, str) else text
    with pytest.raises(DataError) as info:
        load_csv(content, name=name, **options)  # type: ignore[arg-type]
    return str(info.value)


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def rows(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2000-01-01", periods=n, freq="min"),
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
        }
    )


# ---- item 1: prices out of bounds ---------------------------------------------------------------


def test_price_bounds_are_documented_values() -> None:
    assert (MIN_PRICE, MAX_PRICE) == (1e-8, 1e12)


@pytest.mark.parametrize("price", ["1e-310", "5e-9", "2e12", "1e300"])
def test_load_csv_price_out_of_bounds_names_line_and_bounds(price: str) -> None:
    message = error(
        HEADER + "2024-01-02,1,2,1,1\n" + f"2024-01-03,{price},{price},{price},{price}\n"
    )
    assert message.startswith("X.csv, symbol 'X', line 3 (2024-01-03T00:00:00): open is ")
    assert "expected a price between 1e-08 and 1e+12" in message


def test_load_csv_prices_at_bounds_accepted() -> None:
    frame = load_csv((HEADER + "2024-01-02,1e-8,1e12,1e-8,1e12\n").encode(), name="X.csv")["X"]
    assert frame["low"].iloc[0] == 1e-8
    assert frame["high"].iloc[0] == 1e12


# ---- item 3: row caps ----------------------------------------------------------------------------


def test_row_cap_default_env_and_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_ROWS_ENV, raising=False)
    assert row_cap() == MAX_ROWS == 5_000_000
    assert row_cap(10) == 10
    monkeypatch.setenv(MAX_ROWS_ENV, "1_000")
    assert row_cap() == 1000
    monkeypatch.setenv(MAX_ROWS_ENV, "lots")
    with pytest.raises(ConfigError, match="ORCHESTRATOR_MAX_ROWS='lots': expected a whole number"):
        row_cap()
    with pytest.raises(ConfigError, match="max_rows must be a whole number >= 1; found 0"):
        row_cap(0)


def test_load_parquet_beyond_cap_refused_from_metadata_before_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = parquet(rows(101))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the rows were read")

    monkeypatch.setattr(pq.ParquetFile, "read", never)
    with pytest.raises(DataError) as info:
        load_parquet(content, name="bomb.parquet", max_rows=100)
    assert str(info.value).startswith(
        "bomb.parquet: the file has 101 rows, more than the 100 a load may hold; expected a "
        "smaller file"
    )


def test_load_parquet_constant_bomb_refused_by_environment_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MAX_ROWS_ENV, "1000")
    with pytest.raises(RowCapError, match="has 5,000 rows, more than the 1,000 a load may hold"):
        load_file(parquet(rows(5000)), name="bomb.parquet")
    assert len(load_file(parquet(rows(1000)), name="ok.parquet")["ok"]) == 1000


def test_load_csv_beyond_cap_refused_at_cap_accepted() -> None:
    body = "".join(f"2024-01-{d:02d},1,2,1,1\n" for d in range(1, 12))
    assert len(load_csv((HEADER + body).encode(), name="X.csv", max_rows=11)["X"]) == 11
    message = error(HEADER + body, max_rows=10)
    assert message.startswith("X.csv: the file has more than 10 rows, more than the 10 a load")
    assert "ORCHESTRATOR_MAX_ROWS" in message


def test_load_files_cap_counts_all_files_together() -> None:
    a = ("A.csv", (HEADER + "2024-01-02,1,2,1,1\n2024-01-03,1,2,1,1\n").encode())
    b = ("B.csv", (HEADER + "2024-01-02,1,2,1,1\n2024-01-03,1,2,1,1\n").encode())
    assert sorted(load_files([a, b], max_rows=4)) == ["A", "B"]
    with pytest.raises(RowCapError, match=r"^B\.csv: with the 2 rows of the files before it, more"):
        load_files([a, b], max_rows=3)
    with pytest.raises(RowCapError, match=r"^B\.csv: with the 2 rows of the files before it"):
        load_files([a, b], max_rows=2)


def test_parse_uploads_cap_counts_all_uploads_and_names_the_file_left_out() -> None:
    one = (HEADER + "2024-01-02,1,2,1,1\n2024-01-03,1,2,1,1\n").encode()
    parsed = parse_uploads(
        [Upload("A.csv", one), Upload("B.csv", one), Upload("C.csv", one)], max_rows=4
    )
    assert list(parsed.frames) == ["A", "B"]
    assert parsed.errors == [
        "C.csv: left out; with the 4 rows of the files before it, more than the 4 rows uploads "
        "may hold together (upload fewer or smaller files)"
    ]
    alone = parse_uploads([Upload("A.csv", one)], max_rows=1)
    assert alone.errors[0].startswith("A.csv: the file has more than 1 rows, more than the 1")


# ---- item 7: numbers too large for a float -----------------------------------------------------


def test_load_csv_integer_too_large_for_float_is_data_error_naming_line_and_column() -> None:
    message = error(HEADER + "2024-01-02,1,2,1," + "9" * 400 + "\n")
    assert message.startswith(
        "X.csv, symbol 'X', line 2 (2024-01-02T00:00:00), column 'close': close 999"
    )
    assert "is too large for a number" in message
    assert len(message) < 300


# ---- item 8: duplicate and conflicting columns ---------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Date,Open,High,Low,Close,Close",
            "X.csv: column 'Close' appears twice in the header (columns 5 and 6)",
        ),
        (
            "Date,Open,High,Low,Close,close",
            "X.csv: columns 'Close' and 'close' are the same column",
        ),
        (
            "Date,Ticker,Symbol,Open,High,Low,Close",
            "X.csv: columns 'Ticker' and 'Symbol' are both ticker columns; expected one ticker",
        ),
        (
            "Date,Open,High,Low,Close,Last",
            "X.csv: columns 'Close' and 'Last' are both close columns; expected one close column",
        ),
    ],
)
def test_load_csv_duplicate_columns_rejected_naming_both(header: str, expected: str) -> None:
    cells = ",".join(["2024-01-02", "A", "B", "1", "2", "1", "1"][: header.count(",") + 1])
    assert error(f"{header}\n{cells}\n").startswith(expected)


def test_load_csv_date_and_datetime_disagreeing_rejected_agreeing_accepted() -> None:
    text = "Date,Datetime,Open,High,Low,Close\n2024-01-02,2024-01-02,1,2,1,1\n"
    assert len(load_csv(text.encode(), name="X.csv")["X"]) == 1
    message = error(text + "2024-01-03,2024-01-04,1,2,1,1\n")
    assert message.startswith(
        "X.csv, symbol 'X', line 3: columns 'Datetime' and 'Date' disagree ('2024-01-04' and "
        "'2024-01-03')"
    )


def test_load_csv_separate_time_of_day_column_is_named() -> None:
    message = error("Date,Time,Open,High,Low,Close\n2024-01-02,10:00,1,2,1,1\n")
    assert "columns 'Date' and 'Time' disagree" in message
    assert "combine a separate time-of-day column into the dates" in message


# ---- item 9: tickers that look missing, spaces after numbers -----------------------------------


def test_load_csv_na_none_nan_null_are_tickers() -> None:
    body = "".join(f"{t},2024-01-02,1,2,1,1\n" for t in ("NA", "None", "NaN", "null", "N/A"))
    frames = load_csv(("ticker," + HEADER + body).encode(), name="long.csv")
    assert sorted(frames) == ["N/A", "NA", "NaN", "None", "null"]


def test_load_csv_empty_ticker_is_still_missing() -> None:
    message = error("ticker," + HEADER + "A,2024-01-02,1,2,1,1\n,2024-01-03,1,2,1,1\n", "L.csv")
    assert message.startswith("L.csv, line 3: missing ticker")


def test_load_csv_na_in_a_price_column_is_still_missing() -> None:
    assert "close is nan; expected a finite price" in error(HEADER + "2024-01-02,1,2,1,NA\n")


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009", " \u00a0"])
def test_load_csv_number_followed_by_unicode_space_is_the_number(space: str) -> None:
    text = HEADER + f"2024-01-02,1{space},2,1,1.5{space}\n"
    frame = load_csv(text.encode(), name="X.csv")["X"]
    assert frame["close"].iloc[0] == 1.5
    assert frame["open"].iloc[0] == 1.0


# ---- item 10: mixed zones, encodings ---------------------------------------------------------


def test_load_parquet_mixed_naive_and_aware_datetimes_rejected() -> None:
    stamps = [pd.Timestamp("2024-01-02 10:00"), pd.Timestamp("2024-01-03 10:00", tz="UTC")]
    frame = pd.DataFrame({"date": pd.Series(stamps, dtype=object), "open": [1.0, 1.0],
                          "high": [1.0, 1.0], "low": [1.0, 1.0], "close": [1.0, 1.0]})  # fmt: skip
    with pytest.raises(DataError, match=r"^frame, symbol 'X', row 1, column 'date': date "):
        from_frame(frame, symbol="X", source="frame")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_load_csv_utf16_says_so(encoding: str) -> None:
    message = error((HEADER + "2024-01-02,1,2,1,1\n").encode(encoding))
    assert message.startswith("X.csv: the file is UTF-16 (or UTF-32) text, not UTF-8")
    assert "saved as UTF-8" in message


def test_load_csv_latin1_byte_says_not_utf8_with_line() -> None:
    content = (HEADER + "2024-01-02,1,2,1,1\n").encode() + b"caf\xe9,1,2,1,1\n"
    message = error(content)
    assert message.startswith("X.csv: the file is not UTF-8 text: line 3 (byte 47) holds 0xe9")


def test_load_csv_utf8_bom_is_fine() -> None:
    content = b"\xef\xbb\xbf" + (HEADER + "2024-01-02,1,2,1,1\n").encode()
    assert list(load_csv(content, name="X.csv")) == ["X"]


def test_load_csv_nul_bytes_say_not_a_text_file() -> None:
    content = (HEADER + "2024-01-02,1,2,1,1\n").encode() + b"\x00" + b"x" * 100
    assert "holds NUL bytes, so it is not a text file" in error(content)


# ---- item 11: readable messages ----------------------------------------------------------------


@pytest.mark.parametrize("column", ["date", "close"])
def test_load_csv_huge_cell_echoed_at_most_80_characters(column: str) -> None:
    cells = {"date": "2024-01-02", "open": "1", "high": "2", "low": "1", "close": "1"}
    cells[column] = "x" * 100_000
    message = error(HEADER + ",".join(cells.values()) + "\n")
    assert "x" * 75 in message
    assert "x" * 80 not in message
    assert len(message) < 400


def test_load_csv_lines_counted_as_an_editor_counts_them_past_blank_lines() -> None:
    text = HEADER + "2024-01-02,1,2,1,1\n\n\n2024-01-03,1,2,1,abc\n"
    assert error(text).startswith("X.csv, symbol 'X', line 5 (2024-01-03T00:00:00)")


def test_load_csv_validation_after_sorting_still_names_file_lines() -> None:
    # The bad bar is the file's line 2 but sorts last: the message names line 2.
    text = HEADER + "2024-01-09,1,0.5,1,1\n2024-01-02,1,2,1,1\n2024-01-02,1,2,1,1\n"
    assert error(text).startswith("X.csv, symbol 'X', line 2 (2024-01-09T00:00:00): high 0.5")
    dup = HEADER + "2024-01-02,1,2,1,1\n2024-01-05,1,2,1,1\n2024-01-02,1,2,1,1\n"
    assert error(dup).startswith(
        "X.csv, symbol 'X', line 4 (2024-01-02T00:00:00): duplicate timestamp, also on line 2"
    )


def test_load_parquet_rows_counted_from_1() -> None:
    frame = rows(3)
    frame.loc[2, "close"] = np.nan
    with pytest.raises(DataError, match=r"^P\.parquet, symbol 'P', row 3 \("):
        load_parquet(parquet(frame), name="P.parquet")


def test_load_csv_ragged_line_plain_description_before_parser_text() -> None:
    message = error(HEADER + "2024-01-02,1,2,1,1\n2024-01-03,1,2,1,1,7,7\n")
    assert message.startswith("X.csv: could not be read as CSV; expected a text file with a header")
    assert message.index("same number of cells on every line") < message.index("ParserError")
