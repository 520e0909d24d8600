"""The bundled demo dataset: real daily bars of 10 tickers and their provenance (SOURCES.json).

The parquet file installs as the package ``orchestrator.demo_data`` (from the repository's
``data/`` folder); a source checkout reads ``data/`` directly.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from orchestrator.data._ranges import slice_dates
from orchestrator.data._readers import read_parquet_table
from orchestrator.data._tables import frames_from_table
from orchestrator.errors import DataError, closest_match

DEMO_TICKERS: tuple[str, ...] = (
    "AAPL",
    "MSFT",
    "AMZN",
    "NVDA",
    "IBM",
    "GOOGL",
    "^GSPC",
    "^IXIC",
    "BTC-USD",
    "ETH-USD",
)
DEMO_NOTICE = (
    "Demo data: real back-adjusted daily prices of 10 stocks, indices and cryptocurrencies; "
    "series end 2013-2026 depending on ticker (provenance in SOURCES.json)."
)
_DEMO_PACKAGE = "orchestrator.demo_data"
_DEMO_FILE = "demo_daily_ohlcv.parquet"
_SOURCES_FILE = "SOURCES.json"
_CHECKOUT_DATA = Path(__file__).resolve().parent.parent.parent / "data"


# --- the bundled demo dataset -------------------------------------------------------------


def _package_bytes(filename: str) -> bytes:
    """Read a file of the installed ``orchestrator.demo_data`` package (works from a zip too)."""
    return importlib.resources.files(_DEMO_PACKAGE).joinpath(filename).read_bytes()


def _checkout_bytes(filename: str) -> bytes:
    """Read a file of the repository's ``data/`` folder (running from a source checkout)."""
    return (_CHECKOUT_DATA / filename).read_bytes()


def _demo_bytes(filename: str) -> bytes:
    try:
        return _package_bytes(filename)
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    try:
        return _checkout_bytes(filename)
    except OSError:
        raise DataError(
            f"the demo dataset file {filename} was found neither in the installed package "
            f"{_DEMO_PACKAGE} nor in {_CHECKOUT_DATA}; reinstall the package "
            f"(pip install strategy-orchestrator) or restore data/ in the checkout"
        ) from None


@functools.lru_cache(maxsize=1)
def _demo_frames() -> dict[str, pd.DataFrame]:
    """Parse and validate the demo parquet once per process (callers get copies)."""
    table = read_parquet_table(_demo_bytes(_DEMO_FILE), _DEMO_FILE)
    return frames_from_table(
        table, label=_DEMO_FILE, symbol=None, default_symbol=None, row_name=lambda i: f"row {i}"
    )


@functools.lru_cache(maxsize=1)
def _demo_sources() -> list[dict[str, Any]]:
    sources = json.loads(_demo_bytes(_SOURCES_FILE).decode("utf-8"))
    if not isinstance(sources, list):
        raise DataError(f"{_SOURCES_FILE}: expected a JSON list of per-ticker records")
    return sources


def demo_sources() -> list[dict[str, Any]]:
    """Return the provenance of the demo data (SOURCES.json): one record per ticker."""
    return copy.deepcopy(_demo_sources())


def _unknown(kind: str, unknown: Sequence[str], available: Sequence[str]) -> str:
    hints = []
    for name in unknown:
        match = closest_match(name, available)
        if match is not None:
            hints.append(f"did you mean {match!r} for {name!r}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (
        f"unknown {kind} {', '.join(map(repr, unknown))}{hint}; available: {', '.join(available)}"
    )


def load_demo(
    tickers: Sequence[str] | str | None = None,
    start: Any = None,
    end: Any = None,
) -> dict[str, pd.DataFrame]:
    """Return the bundled real daily bars (see DEMO_TICKERS), optionally filtered.

    ``tickers`` picks symbols (exact names; unknown ones raise DataError with the available
    list); ``start``/``end`` keep bars between the two dates inclusive (see
    :func:`slice_dates`). With ``tickers=None`` tickers with no bars in the range are left
    out; named tickers with no bars raise DataError. The file is parsed once per process and
    each call returns fresh copies, so callers may modify them.
    """
    frames = _demo_frames()
    if isinstance(tickers, str):
        tickers = [tickers]
    if tickers is None:
        names = [t for t in DEMO_TICKERS if t in frames]
    else:
        names = list(dict.fromkeys(str(t) for t in tickers))
        unknown = [t for t in names if t not in frames]
        if unknown:
            raise DataError(
                _unknown(
                    "demo ticker" if len(unknown) == 1 else "demo tickers",
                    unknown,
                    [t for t in DEMO_TICKERS if t in frames],
                )
            )
        if not names:
            raise DataError(
                f"no demo tickers requested; pick some of {', '.join(DEMO_TICKERS)} or pass "
                f"tickers=None for all"
            )
    chosen = {t: frames[t] for t in names}
    if start is not None or end is not None:
        chosen = slice_dates(chosen, start, end, drop_empty=tickers is None)
    return {t: f.copy() for t, f in chosen.items()}
