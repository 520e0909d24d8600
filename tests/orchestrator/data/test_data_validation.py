"""Each validation error names the file, the symbol, the row or timestamp, the problem, a fix."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestrator.data import from_frame, load_csv, load_file, load_parquet
from orchestrator.errors import DataError

HEADER = "date,open,high,low,close,volume\n"
GOOD = "2024-01-02,10,11,9,10.5,100\n"


def error_of(body: str, name: str = "AAPL.csv") -> str:
    with pytest.raises(DataError) as info:
        load_csv((HEADER + GOOD + body).encode(), name=name)
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "parts"),
    [
        (
            "2024-01-02,10,11,9,10.5,100\n",
            ["duplicate timestamp, also on line 2", "2024-01-02T00:00:00", "drop duplicates"],
        ),
        ("2024-01-03,,11,9,10.5,100\n", ["open is nan", "2024-01-03", "finite price", "dropna"]),
        ("2024-01-03,10,11,9,inf,100\n", ["close is inf", "2024-01-03", "finite price"]),
        ("2024-01-03,10,11,9,-inf,100\n", ["close is -inf", "2024-01-03", "finite price"]),
        ("2024-01-03,10,11,0,10.5,100\n", ["low is 0.0", "2024-01-03", "expected a price > 0"]),
        ("2024-01-03,-1,11,-2,10.5,100\n", ["open is -1.0", "2024-01-03", "price > 0"]),
        (
            "2024-01-03,10,10.2,9,10.5,100\n",
            ["high 10.2 is below max(open, close) 10.5", "2024-01-03", "high >= close"],
        ),
        (
            "2024-01-03,10,11,10.1,10.5,100\n",
            ["low 10.1 is above min(open, close) 10.0", "2024-01-03", "low <= open"],
        ),
        ("2024-01-03,10,11,9,10.5,-5\n", ["volume is -5.0", "2024-01-03", ">= 0"]),
        ("2024-01-03,10,11,9,10.5,nan\n", ["volume is nan", "2024-01-03", "finite number"]),
    ],
)
def test_load_csv_numeric_problem_names_file_symbol_timestamp_problem(
    body: str, parts: list[str]
) -> None:
    message = error_of(body)
    # The third line of the file, as an editor counts it (it used to say "row 1").
    assert message.startswith("AAPL.csv, symbol 'AAPL', line 3 ")
    for part in parts:
        assert part in message


def test_load_csv_problem_in_long_file_names_the_right_symbol() -> None:
    text = (
        "ticker,date,open,high,low,close\n"
        "A,2024-01-02,10,11,9,10\n"
        "B,2024-01-02,10,11,9,10\n"
        "B,2024-01-03,10,9.5,9,10\n"
    )
    with pytest.raises(DataError, match=r"^long\.csv, symbol 'B', line 4 \(2024-01-03T00:00:00\)"):
        load_csv(text.encode(), name="long.csv")


def test_load_csv_missing_columns_lists_missing_expected_and_found() -> None:
    with pytest.raises(DataError) as info:
        load_csv(b"Date,Open,Close\n2024-01-02,10,10\n", name="prices.csv")
    message = str(info.value)
    assert message.startswith("prices.csv: missing column(s) high, low;")
    assert "expected a header row with date, open, high, low, close" in message
    assert "found 'Date', 'Open', 'Close'" in message


def test_load_csv_missing_date_column_says_date() -> None:
    with pytest.raises(DataError, match=r"X\.csv: missing column\(s\) date;.*rename the columns"):
        load_csv(b"day_of_week,open,high,low,close\nMon,1,2,1,1\n", name="X.csv")


def test_load_csv_unparsable_date_names_line_and_value() -> None:
    message = error_of("not-a-date,10,11,9,10.5,100\n")
    assert message.startswith(
        "AAPL.csv, symbol 'AAPL', line 3, column 'date': date 'not-a-date' is not a date"
    )
    assert "e.g. 2024-01-31" in message


def test_load_csv_out_of_range_date_names_line() -> None:
    message = error_of("2400-01-02,10,11,9,10.5,100\n")
    assert "line 3, column 'date': date '2400-01-02' is out of range" in message
    assert "2262-04-11" in message


def test_load_csv_missing_date_names_line() -> None:
    expected = "AAPL.csv, symbol 'AAPL', line 3, column 'date': missing date"
    assert expected in error_of(",10,11,9,10.5,100\n")


def test_load_csv_number_dates_of_no_known_unit_raise() -> None:
    with pytest.raises(DataError, match=r"X\.csv: the 'date' column could not be read as dates"):
        load_csv(b"date,open,high,low,close\n1,10,11,9,10\n2,10,11,9,10\n", name="X.csv")


def test_load_csv_text_in_price_column_names_line_timestamp_and_value() -> None:
    message = error_of("2024-01-03,10,11,9,$10.50,100\n")
    assert message.startswith(
        "AAPL.csv, symbol 'AAPL', line 3 (2024-01-03T00:00:00), column 'close': close"
    )
    assert "'$10.50', not a number" in message
    assert "currency signs" in message


def test_load_csv_missing_ticker_in_long_file_names_line() -> None:
    text = "ticker,date,open,high,low,close\nA,2024-01-02,10,11,9,10\n,2024-01-03,10,11,9,10\n"
    with pytest.raises(DataError, match=r"^long\.csv, line 3: missing ticker"):
        load_csv(text.encode(), name="long.csv")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", r"^E\.csv: the file is empty; expected a header row"),
        (b"  \n\n ", r"^E\.csv: the file is empty"),
        (HEADER.encode(), r"^E\.csv: no data rows"),
    ],
)
def test_load_csv_empty_input_raises(content: bytes, expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        load_csv(content, name="E.csv")


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02\xff\xfe\xfd" * 50,
        b'"unterminated,quote\n1,2,3\n',
        b"a,b\n1,2,3,4,5\n",
        bytes(range(256)),
    ],
)
def test_load_csv_garbage_raises_data_error_naming_file(content: bytes) -> None:
    with pytest.raises(DataError, match=r"^junk\.csv: "):
        load_csv(content, name="junk.csv")


@pytest.mark.parametrize(
    "content", [b"", b"PAR1", b"PAR1" + b"\x00" * 100 + b"PAR1", b"date,open\n1,2\n"]
)
def test_load_parquet_garbage_raises_data_error_naming_file(content: bytes) -> None:
    with pytest.raises(DataError, match=r"^bad\.parquet: .*(empty|could not be read as Parquet)"):
        load_parquet(content, name="bad.parquet")


def test_load_parquet_bad_prices_name_file_symbol_and_timestamp() -> None:
    frame = pd.DataFrame(
        {"open": [1.0, 1.0], "high": [2.0, 2.0], "low": [0.5, 0.5], "close": [1.0, np.nan]},
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date"),
    )
    buf = io.BytesIO()
    frame.to_parquet(buf)
    with pytest.raises(DataError, match=r"^SPY\.parquet, symbol 'SPY', row 2 \(2024-01-03.*nan"):
        load_parquet(buf.getvalue(), name="SPY.parquet")


def test_load_file_missing_path_and_folder_given_to_load_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: file does not exist"):
        load_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="file is a folder"):
        load_csv(tmp_path)


def test_load_file_unreadable_stream_raises_data_error() -> None:
    class Broken(io.RawIOBase):
        name = "broken.csv"

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            raise OSError("device went away")

    with pytest.raises(DataError, match=r"broken\.csv: could not be read \(device went away\)"):
        load_file(Broken())


def test_from_frame_duplicate_columns_raise_naming_the_column() -> None:
    frame = pd.DataFrame(
        [["2024-01-02", 1.0, 2.0, 1.0, 1.0, 1.5]],
        columns=["date", "open", "high", "low", "close", "close"],
    )
    with pytest.raises(DataError, match=r"^frame: column 'close' appears more than once"):
        from_frame(frame, symbol="X", source="frame")
    indexed = frame.iloc[:, :5].set_index("date").assign(date="2024-01-03")
    with pytest.raises(DataError, match="column 'date' appears more than once"):
        from_frame(indexed, symbol="X", source="frame")


def test_load_parquet_boolean_dates_name_row_and_value() -> None:
    frame = pd.DataFrame(
        {"date": [True], "open": [1.0], "high": [2.0], "low": [1.0], "close": [1.0]}
    )
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    with pytest.raises(
        DataError, match=r"B\.parquet, symbol 'B', row 1, column 'date': date True is not a date"
    ):
        load_parquet(buf.getvalue(), name="B.parquet")
