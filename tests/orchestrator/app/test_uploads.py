"""Tests of orchestrator.app.uploads: uploaded bytes into frames, one error per bad file."""

from __future__ import annotations

import io

import pandas as pd

from orchestrator.app.uploads import Upload, parse_uploads, uploads_key
from orchestrator.data import synthetic


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.rename_axis("date").to_csv().encode()


def _long_csv(frames: dict[str, pd.DataFrame]) -> bytes:
    long = pd.concat([f.assign(ticker=s) for s, f in frames.items()]).rename_axis("date")
    return long.to_csv().encode()


def test_parse_uploads_per_symbol_and_long_files_merge() -> None:
    frames = synthetic(["AAA", "BBB", "CCC"], bars=50, seed=1)
    parsed = parse_uploads([
        Upload("AAA.csv", _csv(frames["AAA"])),
        Upload("others.csv", _long_csv({"BBB": frames["BBB"], "CCC": frames["CCC"]})),
    ])  # fmt: skip
    assert parsed.errors == []
    assert list(parsed.frames) == ["AAA", "BBB", "CCC"]
    assert parsed.origin == {"AAA": "AAA.csv", "BBB": "others.csv", "CCC": "others.csv"}
    pd.testing.assert_frame_equal(
        parsed.frames["BBB"], frames["BBB"], check_freq=False, check_index_type=False
    )


def test_parse_uploads_parquet_file_loads() -> None:
    frame = synthetic(["PQ"], bars=20, seed=2)["PQ"]
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    parsed = parse_uploads([Upload("PQ.parquet", buffer.getvalue())])
    assert parsed.errors == []
    assert list(parsed.frames) == ["PQ"]


def test_parse_uploads_bad_files_named_good_file_kept() -> None:
    good = synthetic(["AAA"], bars=30, seed=3)["AAA"]
    parsed = parse_uploads([
        Upload("AAA.csv", _csv(good)),
        Upload("empty.csv", b""),
        Upload("blank.csv", b" \n\n"),
        Upload("broken.csv", b"Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,abc\n"),
        Upload("nocols.csv", b"when,price\n1,2\n"),
        Upload("junk.parquet", b"not a parquet file"),
        Upload("book.xlsx", b"PK\x03\x04"),
    ])  # fmt: skip
    assert list(parsed.frames) == ["AAA"]
    assert len(parsed.errors) == 6
    names = ["empty.csv", "blank.csv", "broken.csv", "nocols.csv", "junk.parquet", "book.xlsx"]
    for name, message in zip(names, parsed.errors, strict=True):
        assert message.startswith(name)
    assert "the file is empty" in parsed.errors[0]
    assert "line 2" in parsed.errors[2]
    assert "missing column" in parsed.errors[3]
    assert "unsupported file type" in parsed.errors[5]


def test_parse_uploads_symbol_in_two_files_rejects_second() -> None:
    frames = synthetic(["AAA", "BBB"], bars=30, seed=4)
    parsed = parse_uploads([
        Upload("AAA.csv", _csv(frames["AAA"])),
        Upload("both.csv", _long_csv(frames)),
    ])  # fmt: skip
    assert list(parsed.frames) == ["AAA"]
    (message,) = parsed.errors
    assert message.startswith("both.csv: symbol(s) AAA already loaded from AAA.csv")


def test_uploads_key_depends_on_names_and_content() -> None:
    a = [Upload("A.csv", b"x"), Upload("B.csv", b"y")]
    assert uploads_key(a) == uploads_key([Upload("A.csv", b"x"), Upload("B.csv", b"y")])
    assert uploads_key(a) != uploads_key([Upload("A.csv", b"x"), Upload("B.csv", b"z")])
    assert uploads_key(a) != uploads_key([Upload("A.csv", b"x"), Upload("C.csv", b"y")])
    assert uploads_key(a).startswith("upload:")
