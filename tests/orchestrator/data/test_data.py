"""Loading CSV and Parquet files: formats, aliases, time zones, file-likes, merging, errors."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestrator.core.market import OHLCV_COLUMNS, to_ns, validate_ohlcv
from orchestrator.data import (
    from_frame,
    load_csv,
    load_file,
    load_files,
    load_parquet,
)
from orchestrator.data._readers import source_label
from orchestrator.errors import DataError

HEADER = "date,open,high,low,close,volume\n"
ROWS = "2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11.5,200\n2024-01-04,11.5,12,11,11,300\n"


def assert_standard(frames: dict[str, pd.DataFrame]) -> None:
    """Every frame has the standard form and passes the engine's validation."""
    for symbol, frame in frames.items():
        assert isinstance(frame.index, pd.DatetimeIndex)
        assert frame.index.dtype == np.dtype("datetime64[ns]")
        assert frame.index.name == "timestamp"
        assert frame.index.tz is None
        assert list(frame.columns) == list(OHLCV_COLUMNS)
        assert all(frame.dtypes == np.float64)
        assert frame.index.is_monotonic_increasing
        assert frame.index.is_unique
        cols = {c: frame[c].to_numpy() for c in OHLCV_COLUMNS}
        validate_ohlcv(symbol, to_ns(frame.index, symbol), cols)


def parquet_bytes(frame: pd.DataFrame, *, index: bool | None = None) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=index)
    return buf.getvalue()


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "open": [10.0, 10.5, 11.5],
            "high": [11.0, 12.0, 12.0],
            "low": [9.0, 10.0, 11.0],
            "close": [10.5, 11.5, 11.0],
            "volume": [100.0, 200.0, 300.0],
        },
        index=pd.DatetimeIndex(
            ["2024-01-02", "2024-01-03", "2024-01-04"], name="timestamp"
        ).as_unit("ns"),
    )


# --- per-symbol and long CSV -----------------------------------------------------------------


def test_load_csv_per_symbol_path_symbol_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "AAPL.csv"
    path.write_text(HEADER + ROWS)
    frames = load_csv(path)
    assert list(frames) == ["AAPL"]
    assert_standard(frames)
    pd.testing.assert_frame_equal(frames["AAPL"], sample_frame())


def test_load_csv_str_path_and_symbol_parameter_overrides_stem(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + ROWS)
    assert list(load_csv(str(path))) == ["prices"]
    assert list(load_csv(str(path), symbol="MSFT")) == ["MSFT"]


def test_load_csv_long_format_splits_by_ticker_sorted() -> None:
    text = (
        "Symbol,Date,Open,High,Low,Close,Volume\n"
        "MSFT,2024-01-03,20,21,19,20.5,5\n"
        "AAPL,2024-01-02,10,11,9,10.5,100\n"
        "MSFT,2024-01-02,20,21,19,20,5\n"
        "AAPL,2024-01-03,10.5,12,10,11.5,200\n"
    )
    frames = load_csv(text.encode(), name="universe.csv")
    assert list(frames) == ["AAPL", "MSFT"]
    assert_standard(frames)
    assert frames["MSFT"]["close"].tolist() == [20.0, 20.5]
    assert frames["AAPL"].index[0] == pd.Timestamp("2024-01-02")


def test_load_csv_long_format_symbol_selects_one_ticker() -> None:
    text = "ticker,date,open,high,low,close\nA,2024-01-02,1,2,1,1\nB,2024-01-02,5,6,4,5\n"
    assert list(load_csv(text.encode(), name="long.csv", symbol="B")) == ["B"]
    with pytest.raises(DataError, match=r"long\.csv: symbol 'C' is not in the ticker column.*A, B"):
        load_csv(text.encode(), name="long.csv", symbol="C")


def test_load_csv_numeric_tickers_keep_leading_zeros() -> None:
    text = "ticker,date,open,high,low,close\n000001,2024-01-02,1,2,1,1\n"
    assert list(load_csv(text.encode(), name="cn.csv")) == ["000001"]


def test_load_csv_unsorted_rows_come_back_sorted() -> None:
    rows = ROWS.splitlines(keepends=True)
    frames = load_csv((HEADER + rows[2] + rows[0] + rows[1]).encode(), name="X.csv")
    pd.testing.assert_frame_equal(frames["X"], sample_frame())


def test_load_csv_without_volume_fills_zeros() -> None:
    text = "date,open,high,low,close\n2024-01-02,10,11,9,10.5\n"
    frame = load_csv(text.encode(), name="X.csv")["X"]
    assert frame["volume"].tolist() == [0.0]
    assert list(frame.columns) == list(OHLCV_COLUMNS)


@pytest.mark.parametrize(
    "header",
    [
        "Date,Open,High,Low,Close,Volume",
        "DATE,OPEN,HIGH,LOW,CLOSE,VOLUME",
        "Datetime,Open,High,Low,Close,Volume",
        "timestamp,o,h,l,c,v",
        "Time,Open Price,High Price,Low Price,Close Price,Vol",
        "<DATE>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>",
        " date , open , high , low , close , volume ",
        "Volume,Close,Low,High,Open,Date",
    ],
)
def test_load_csv_column_aliases_any_case_and_order_are_recognised(header: str) -> None:
    names = [h.strip().strip("<>").lower() for h in header.split(",")]
    role = {n: n[0] if n[0] in "ohlcv" else "d" for n in names}
    values = {"d": "2024-01-02", "o": "10", "h": "11", "l": "9", "c": "10.5", "v": "100"}
    row = ",".join(values[role[n]] for n in names)
    frame = load_csv(f"{header}\n{row}\n".encode(), name="X.csv")["X"]
    assert frame.iloc[0].tolist() == [10.0, 11.0, 9.0, 10.5, 100.0]
    assert frame.index[0] == pd.Timestamp("2024-01-02")


def test_load_csv_close_and_adj_close_uses_close() -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10.5,9.8,100\n"
    assert load_csv(text.encode(), name="X.csv")["X"]["close"].iloc[0] == 10.5


def test_load_csv_only_adj_close_uses_it_as_close() -> None:
    text = "Date,Open,High,Low,Adj Close\n2024-01-02,10,11,9,10.25\n"
    assert load_csv(text.encode(), name="X.csv")["X"]["close"].iloc[0] == 10.25


def test_load_csv_tz_aware_offsets_become_naive_utc() -> None:
    text = (
        "timestamp,open,high,low,close\n"
        "2024-03-08T09:30:00-05:00,10,11,9,10\n"  # EST
        "2024-03-11T09:30:00-04:00,10,11,9,10\n"  # EDT after the DST change
    )
    frame = load_csv(text.encode(), name="X.csv")["X"]
    assert list(frame.index) == [pd.Timestamp("2024-03-08 14:30"), pd.Timestamp("2024-03-11 13:30")]
    assert frame.index.tz is None


def test_load_csv_mixed_naive_and_aware_times_rejected_naming_both_lines() -> None:
    # Deliberately changed (issue 9 item 10): naive times used to be taken as UTC silently.
    text = (
        "timestamp,open,high,low,close\n"
        "2024-01-02 10:00,10,11,9,10\n"
        "2024-01-02 10:30+01:00,10,11,9,10\n"
    )
    with pytest.raises(DataError) as info:
        load_csv(text.encode(), name="X.csv")
    assert str(info.value).startswith(
        "X.csv, symbol 'X', line 2, column 'timestamp': date '2024-01-02 10:00' has no time "
        "zone but line 3 has one ('2024-01-02 10:30+01:00')"
    )


def test_load_csv_all_aware_times_are_one_utc_timeline() -> None:
    text = (
        "timestamp,open,high,low,close\n"
        "2024-01-02 10:00Z,10,11,9,10\n"
        "2024-01-02 10:30+01:00,10,11,9,10\n"  # 09:30 UTC: sorts first
    )
    frame = load_csv(text.encode(), name="X.csv")["X"]
    assert list(frame.index) == [pd.Timestamp("2024-01-02 09:30"), pd.Timestamp("2024-01-02 10:00")]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("20240102", "2024-01-02"),  # YYYYMMDD
        ("1704153600", "2024-01-02"),  # Unix seconds
        ("1704153600000", "2024-01-02"),  # Unix milliseconds
        ("2024/01/02", "2024-01-02"),
        ("Jan 2, 2024", "2024-01-02"),
    ],
)
def test_load_csv_date_formats_are_parsed(cell: str, expected: str) -> None:
    text = f'date,open,high,low,close\n"{cell}",10,11,9,10\n'
    assert load_csv(text.encode(), name="X.csv")["X"].index[0] == pd.Timestamp(expected)


def test_load_csv_day_first_dates_are_read_consistently() -> None:
    text = "date,open,high,low,close\n01/02/2024,10,11,9,10\n13/02/2024,10,11,9,10\n"
    frame = load_csv(text.encode(), name="X.csv")["X"]
    assert list(frame.index) == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-13")]


@pytest.mark.parametrize(("sep", "suffix"), [(";", ".csv"), ("\t", ".tsv"), ("\t", ".csv")])
def test_load_csv_semicolon_and_tab_separators(sep: str, suffix: str) -> None:
    text = (HEADER + ROWS).replace(",", sep)
    frames = load_csv(text.encode(), name=f"X{suffix}")
    pd.testing.assert_frame_equal(frames["X"], sample_frame())


def test_load_csv_gzip_file_is_decompressed_and_symbol_drops_both_suffixes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "BTC-USD.csv.gz"
    path.write_bytes(gzip.compress((HEADER + ROWS).encode()))
    assert list(load_csv(path)) == ["BTC-USD"]
    assert list(load_csv(io.BytesIO(path.read_bytes()), name="BTC-USD.csv.gz")) == ["BTC-USD"]


def test_load_csv_written_by_to_csv_reads_its_index_column() -> None:
    named = sample_frame().to_csv().encode()
    unnamed = sample_frame().rename_axis(None).to_csv().encode()
    for content in (named, unnamed):
        pd.testing.assert_frame_equal(load_csv(content, name="X.csv")["X"], sample_frame())


def test_load_csv_utf8_bom_and_windows_line_endings() -> None:
    text = "\ufeff" + (HEADER + ROWS).replace("\n", "\r\n")
    pd.testing.assert_frame_equal(load_csv(text.encode(), name="X.csv")["X"], sample_frame())


# --- file-like objects -----------------------------------------------------------------------


class Upload(io.BytesIO):
    """Like Streamlit's UploadedFile: a BytesIO with a ``name``."""

    def __init__(self, content: bytes, name: str) -> None:
        super().__init__(content)
        self.name = name


def test_load_csv_bytesio_with_name_parameter() -> None:
    frames = load_csv(io.BytesIO((HEADER + ROWS).encode()), name="NVDA.csv")
    pd.testing.assert_frame_equal(frames["NVDA"], sample_frame())


def test_load_csv_stringio_text_file_like() -> None:
    frames = load_csv(io.StringIO(HEADER + ROWS), symbol="IBM")
    pd.testing.assert_frame_equal(frames["IBM"], sample_frame())


def test_load_file_upload_object_uses_its_name_and_rereads_from_start() -> None:
    upload = Upload((HEADER + ROWS).encode(), "uploads/GOOGL.csv")
    upload.read()  # the dashboard may have read it once already
    frames = load_file(upload)
    pd.testing.assert_frame_equal(frames["GOOGL"], sample_frame())


def test_load_csv_file_like_without_name_or_symbol_raises() -> None:
    with pytest.raises(DataError, match=r"<upload>: cannot tell which symbol.*symbol="):
        load_csv(io.BytesIO((HEADER + ROWS).encode()))


def test_load_csv_object_without_read_raises() -> None:
    with pytest.raises(DataError, match=r"expected a file path, bytes or a file-like.*int"):
        load_csv(42)  # type: ignore[arg-type]


# --- Parquet --------------------------------------------------------------------------------


def test_load_parquet_per_symbol_datetime_index(tmp_path: Path) -> None:
    path = tmp_path / "MSFT.parquet"
    sample_frame().to_parquet(path)
    frames = load_parquet(path)
    assert_standard(frames)
    pd.testing.assert_frame_equal(frames["MSFT"], sample_frame())


def test_load_parquet_long_format_with_date_column_and_aliases() -> None:
    long = pd.concat(
        [sample_frame().reset_index().assign(Ticker=t) for t in ("B", "A")], ignore_index=True
    ).rename(columns={"timestamp": "Date", "close": "Close", "open": "OPEN"})
    frames = load_parquet(parquet_bytes(long, index=False), name="two.parquet")
    assert list(frames) == ["A", "B"]
    for frame in frames.values():
        pd.testing.assert_frame_equal(frame, sample_frame())


def test_load_parquet_tz_aware_index_converted_to_utc_naive() -> None:
    local = sample_frame().tz_localize("America/New_York")
    frame = load_parquet(io.BytesIO(parquet_bytes(local)), name="X.parquet")["X"]
    assert frame.index.tz is None
    assert frame.index[0] == pd.Timestamp("2024-01-02 05:00")


def test_load_parquet_date_ticker_multiindex_and_integer_columns() -> None:
    long = pd.concat([sample_frame().assign(symbol=t) for t in ("A", "B")])
    long = long.set_index("symbol", append=True).astype({"volume": np.int64})
    frames = load_parquet(parquet_bytes(long), name="multi.parquet")
    assert list(frames) == ["A", "B"]
    pd.testing.assert_frame_equal(frames["A"], sample_frame())


def test_from_frame_validates_an_in_memory_frame() -> None:
    raw = sample_frame().iloc[::-1].rename(columns=str.title)
    pd.testing.assert_frame_equal(from_frame(raw, symbol="X")["X"], sample_frame())
    with pytest.raises(DataError, match="my frame: cannot tell which symbol"):
        from_frame(raw, source="my frame")


# --- load_file and load_files -----------------------------------------------------------------


def test_load_file_dispatches_on_extension(tmp_path: Path) -> None:
    csv_path = tmp_path / "A.csv"
    csv_path.write_text(HEADER + ROWS)
    pq_path = tmp_path / "B.pq"
    sample_frame().to_parquet(pq_path)
    assert list(load_file(csv_path)) == ["A"]
    assert list(load_file(pq_path)) == ["B"]
    assert list(load_file(pq_path.read_bytes(), name="C.parquet")) == ["C"]


def test_load_file_without_extension_sniffs_parquet_magic() -> None:
    assert list(load_file(parquet_bytes(sample_frame()), name="D")) == ["D"]
    assert list(load_file((HEADER + ROWS).encode(), name="E")) == ["E"]


def test_load_file_unsupported_extension_raises_with_fix() -> None:
    with pytest.raises(DataError, match=r"prices\.xlsx: unsupported file type '\.xlsx'.*CSV"):
        load_file(b"PK\x03\x04", name="prices.xlsx")


def test_load_file_folder_loads_every_data_file(tmp_path: Path) -> None:
    (tmp_path / "A.csv").write_text(HEADER + ROWS)
    sample_frame().to_parquet(tmp_path / "B.parquet")
    (tmp_path / "notes.md").write_text("not data")
    frames = load_file(tmp_path)
    assert list(frames) == ["A", "B"]
    assert_standard(frames)


def test_load_files_merges_per_symbol_and_long_files(tmp_path: Path) -> None:
    (tmp_path / "A.csv").write_text(HEADER + ROWS)
    long = "ticker,date,open,high,low,close\nB,2024-01-02,1,2,1,1\nC,2024-01-02,5,6,4,5\n"
    frames = load_files(
        [
            tmp_path / "A.csv",
            ("long.csv", io.BytesIO(long.encode())),
            Upload(parquet_bytes(sample_frame()), "D.pq"),
        ]
    )
    assert list(frames) == ["A", "B", "C", "D"]
    assert_standard(frames)


def test_load_files_duplicate_symbol_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "AAPL.csv").write_text(HEADER + ROWS)
    long = f"ticker,{HEADER}" + "".join(f"AAPL,{r}\n" for r in ROWS.splitlines())
    (tmp_path / "all.csv").write_text(long)
    with pytest.raises(DataError, match=r"symbol 'AAPL' is in both .*AAPL\.csv and .*all\.csv"):
        load_files([tmp_path / "AAPL.csv", tmp_path / "all.csv"])


def test_load_files_empty_list_and_empty_folder_raise(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no files given"):
        load_files([])
    with pytest.raises(DataError, match="no CSV or Parquet files in this folder"):
        load_files([tmp_path])


def test_load_file_dotted_symbol_name_with_extension() -> None:
    assert list(load_file((HEADER + ROWS).encode(), name="BRK.B.csv")) == ["BRK.B"]


def test_load_csv_tickers_are_stripped_and_merged() -> None:
    text = 'ticker,date,open,high,low,close\n"A ",2024-01-02,1,2,1,1\nA,2024-01-03,1,2,1,1\n'
    frames = load_csv(text.encode(), name="long.csv")
    assert list(frames) == ["A"]
    assert len(frames["A"]) == 2


def test_source_label_names_paths_uploads_and_given_names(tmp_path: Path) -> None:
    upload = io.BytesIO(b"")
    upload.name = "folder/AAPL.csv"  # type: ignore[attr-defined]
    assert source_label(tmp_path / "x.csv") == str(tmp_path / "x.csv")
    assert source_label(upload) == "AAPL.csv"
    assert source_label(io.BytesIO(b"")) == "<upload>"
    assert source_label(b"bytes", "given.csv") == "given.csv"
