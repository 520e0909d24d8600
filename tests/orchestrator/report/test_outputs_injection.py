"""Formula injection in CSV exports (issue 9 item 5): user text that a spreadsheet would run as a
formula is written with a leading apostrophe; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import OrchestratorResult, StrategyOrchestrator
from orchestrator.report import outputs
from orchestrator.report.outputs import spreadsheet_safe
from tests.conftest import ohlc

EVIL = '=HYPERLINK("http://evil.example","x")'


class _Flip:
    """Enters every 5 bars and exits 2 bars later."""

    def __init__(self, name: str, symbols: list[str]) -> None:
        self.name = name
        self.symbols = symbols

    def should_enter(self, bars: object, state: object) -> bool:
        return len(bars) % 5 == 0  # type: ignore[arg-type]

    def should_exit(self, bars: object, state: object) -> bool:
        return len(bars) % 5 == 2  # type: ignore[arg-type]


def _frame(bars: int = 40) -> pd.DataFrame:
    close = 100 + np.arange(bars, dtype=float)
    return ohlc(close, pad=1.0, volume=1e3, index=pd.bdate_range("2021-01-04", periods=bars))


@pytest.fixture(scope="module")
def result() -> OrchestratorResult:
    data = {"@SUM(A1)": _frame(), "-2+3": _frame()}
    strategies = [(_Flip(EVIL, ["@SUM(A1)"]), "0.5"), (_Flip("+cmd", ["-2+3"]), "0.4")]
    return StrategyOrchestrator(strategies, 100_000).run(data)


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("AAPL", "AAPL"),
        ("a=b", "a=b"),
        ("", ""),
        (-1.5, -1.5),
        (3, 3),
    ],
)
def test_spreadsheet_safe_prefixes_formula_text_only(value: object, expected: object) -> None:
    assert spreadsheet_safe(value) == expected


@given(st.text(max_size=20))
def test_spreadsheet_safe_never_starts_with_a_formula_character(text: str) -> None:
    safe = spreadsheet_safe(text)
    assert isinstance(safe, str)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe in (text, "'" + text)


def test_trades_csv_neutralises_strategy_ids_and_symbols(result: OrchestratorResult) -> None:
    rows = _cells(outputs.trades_csv(result))
    header = rows[0]
    ids = {row[header.index("strategy_id")] for row in rows[1:]}
    symbols = {row[header.index("symbol")] for row in rows[1:]}
    assert ids == {"'" + EVIL, "'+cmd"}
    assert symbols == {"'@SUM(A1)", "'-2+3"}
    # Numbers stay numbers: prices and quantities are plain numeric text, negative P&L too.
    for row in rows[1:]:
        float(row[header.index("entry_price")])
        assert not row[header.index("quantity")].startswith("'")


def test_comparison_and_equity_csv_neutralise_row_and_column_labels(
    result: OrchestratorResult,
) -> None:
    comparison = _cells(outputs.comparison_csv(result))
    assert [row[0] for row in comparison[1:3]] == ["'" + EVIL, "'+cmd"]
    equity = _cells(outputs.equity_csv(result))
    assert equity[0][1:3] == ["'" + EVIL, "'+cmd"]
    assert float(equity[1][1]) > 0


def test_breaches_csv_of_no_breaches_is_a_header_only() -> None:
    frame = pd.DataFrame({"strategy_id": pd.Series([], dtype=object)})
    text = outputs._csv(frame, index=False)  # the one writer every CSV export uses
    assert text == "strategy_id\n"
