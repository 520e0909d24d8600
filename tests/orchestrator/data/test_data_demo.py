"""The bundled demo dataset: contents, filters, caching, and finding it installed or checked out."""

from __future__ import annotations

import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from orchestrator.core.market import OHLCV_COLUMNS
from orchestrator.data import DEMO_NOTICE, DEMO_TICKERS, demo_sources, load_demo
from orchestrator.data import demo as data
from orchestrator.errors import DataError

# From data/README.md.
EXPECTED = {
    "AAPL": ("1980-12-12", "2026-08-05", 11503),
    "MSFT": ("1986-03-13", "2017-11-10", 7983),
    "AMZN": ("1997-05-15", "2020-07-31", 5842),
    "NVDA": ("1999-01-22", "2025-02-14", 6558),
    "IBM": ("2000-03-01", "2013-03-01", 3270),
    "GOOGL": ("2004-08-19", "2018-08-29", 3533),
    "^GSPC": ("1999-01-04", "2020-04-17", 5357),
    "^IXIC": ("1999-01-04", "2018-12-31", 5031),
    "BTC-USD": ("2014-11-28", "2020-01-17", 1865),
    "ETH-USD": ("2017-11-09", "2020-01-17", 788),
}
DATA_DIR = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Parse the demo file anew in this test, and leave no patched result in the cache."""
    data._demo_frames.cache_clear()
    data._demo_sources.cache_clear()
    yield
    data._demo_frames.cache_clear()
    data._demo_sources.cache_clear()


def test_load_demo_all_tickers_match_readme_rows_and_ranges() -> None:
    frames = load_demo()
    assert tuple(frames) == DEMO_TICKERS == tuple(EXPECTED)
    assert sum(len(f) for f in frames.values()) == 51_730
    for ticker, (first, last, rows) in EXPECTED.items():
        frame = frames[ticker]
        assert len(frame) == rows, ticker
        assert frame.index[0] == pd.Timestamp(first), ticker
        assert frame.index[-1] == pd.Timestamp(last), ticker
        assert frame.index.dtype == "datetime64[ns]"
        assert frame.index.name == "timestamp"
        assert list(frame.columns) == list(OHLCV_COLUMNS)
        assert (frame.dtypes == "float64").all()
        assert frame.index.is_monotonic_increasing
        assert frame.index.is_unique


def test_load_demo_crypto_calendar_includes_weekends_and_stocks_do_not() -> None:
    frames = load_demo(["BTC-USD", "ETH-USD", "AAPL"])
    assert (frames["BTC-USD"].index.day_of_week >= 5).sum() > 400
    assert (frames["ETH-USD"].index.day_of_week >= 5).sum() > 100
    assert (frames["AAPL"].index.day_of_week >= 5).sum() == 0


def test_load_demo_tickers_filter_keeps_order_given() -> None:
    frames = load_demo(["ETH-USD", "IBM"])
    assert list(frames) == ["ETH-USD", "IBM"]
    assert list(load_demo("MSFT")) == ["MSFT"]


def test_load_demo_start_end_are_inclusive() -> None:
    frames = load_demo(["AAPL", "BTC-USD"], start="2019-01-02", end="2019-01-08")
    assert frames["AAPL"].index[0] == pd.Timestamp("2019-01-02")
    assert frames["AAPL"].index[-1] == pd.Timestamp("2019-01-08")
    assert len(frames["AAPL"]) == 5  # Wed..Tue on the stock calendar
    assert len(frames["BTC-USD"]) == 7  # every calendar day


def test_load_demo_all_tickers_with_range_leaves_out_those_without_bars() -> None:
    frames = load_demo(start="2019-06-01", end="2019-06-30")
    assert "IBM" not in frames
    assert "MSFT" not in frames
    assert "GOOGL" not in frames
    assert list(frames) == ["AAPL", "AMZN", "NVDA", "^GSPC", "BTC-USD", "ETH-USD"]


def test_load_demo_named_ticker_without_bars_in_range_raises_with_actual_range() -> None:
    with pytest.raises(DataError, match=r"no bars between 2019-06-01 and .* for IBM: IBM has "):
        load_demo(["IBM", "AAPL"], start="2019-06-01")


def test_load_demo_unknown_tickers_list_available_and_suggest() -> None:
    with pytest.raises(DataError) as info:
        load_demo(["aapl", "BTC", "ZZZZ"])
    message = str(info.value)
    assert "unknown demo tickers 'aapl', 'BTC', 'ZZZZ'" in message
    assert "did you mean 'AAPL' for 'aapl'?" in message
    assert "did you mean 'BTC-USD' for 'BTC'?" in message
    assert (
        "available: AAPL, MSFT, AMZN, NVDA, IBM, GOOGL, ^GSPC, ^IXIC, BTC-USD, ETH-USD" in message
    )


def test_load_demo_empty_ticker_list_raises() -> None:
    with pytest.raises(DataError, match="no demo tickers requested"):
        load_demo([])


def test_load_demo_returns_copies_callers_may_modify() -> None:
    first = load_demo(["AAPL"])["AAPL"]
    first.iloc[0, 0] = -1.0
    again = load_demo(["AAPL"])["AAPL"]
    assert len(again) == 11503
    assert again.iloc[0, 0] > 0


def test_load_demo_parses_the_file_once(fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = data._demo_bytes

    def counting(filename: str) -> bytes:
        reads.append(filename)
        return real(filename)

    monkeypatch.setattr(data, "_demo_bytes", counting)
    load_demo()
    load_demo(["AAPL"], start="2010-01-01")
    assert reads == ["demo_daily_ohlcv.parquet"]


def test_demo_notice_matches_the_data() -> None:
    ends = sorted(f.index[-1].year for f in load_demo().values())
    assert f"{ends[0]}-{ends[-1]}" in DEMO_NOTICE
    assert "demo data" in DEMO_NOTICE.lower()
    assert "\n" not in DEMO_NOTICE


def test_demo_sources_match_frames_and_are_copies() -> None:
    sources = demo_sources()
    frames = load_demo()
    assert [s["ticker"] for s in sources] == list(DEMO_TICKERS)
    for record in sources:
        frame = frames[record["ticker"]]
        assert record["rows"] == len(frame)
        assert pd.Timestamp(record["start"]) == frame.index[0]
        assert pd.Timestamp(record["end"]) == frame.index[-1]
        assert record["source_package"]
        assert record["note"]
    sources[0]["ticker"] = "changed"
    assert demo_sources()[0]["ticker"] == "AAPL"


# --- finding the files: installed package, or checkout ---------------------------------------


def test_package_resources_path_reads_the_bundled_file() -> None:
    # The importlib.resources route an installed package takes (this checkout is installed
    # editable, so orchestrator.demo_data is importable here).
    assert (
        data._package_bytes("demo_daily_ohlcv.parquet")
        == (DATA_DIR / "demo_daily_ohlcv.parquet").read_bytes()
    )
    assert data._checkout_bytes("SOURCES.json") == (DATA_DIR / "SOURCES.json").read_bytes()


@pytest.mark.parametrize("layout", ["folder", "zip"])
def test_load_demo_from_an_installed_copy_without_checkout(
    layout: str, tmp_path: Path, fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of data/ as an importable package elsewhere (a plain folder, or a zip as in a
    # zipped install), with the checkout fallback disabled: only importlib.resources can work.
    package = tmp_path / "site" / "demo_copy"
    shutil.copytree(DATA_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    root = tmp_path / "site"
    if layout == "zip":
        root = tmp_path / "site.zip"
        with zipfile.ZipFile(root, "w") as archive:
            for path in package.iterdir():
                archive.write(path, f"demo_copy/{path.name}")
        shutil.rmtree(tmp_path / "site")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "demo_copy", raising=False)
    monkeypatch.setattr(data, "_DEMO_PACKAGE", "demo_copy")
    monkeypatch.setattr(data, "_CHECKOUT_DATA", tmp_path / "no-checkout")
    frames = load_demo(["ETH-USD"])
    assert len(frames["ETH-USD"]) == 788
    assert len(demo_sources()) == 10
    monkeypatch.delitem(sys.modules, "demo_copy", raising=False)


def test_load_demo_falls_back_to_checkout_when_package_missing(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "_DEMO_PACKAGE", "orchestrator.no_such_demo_package")
    assert len(load_demo(["IBM"])["IBM"]) == 3270


def test_load_demo_neither_package_nor_checkout_raises_with_fix(
    tmp_path: Path, fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "_DEMO_PACKAGE", "orchestrator.no_such_demo_package")
    monkeypatch.setattr(data, "_CHECKOUT_DATA", tmp_path)
    with pytest.raises(DataError, match=r"demo_daily_ohlcv\.parquet was found neither.*reinstall"):
        load_demo()
