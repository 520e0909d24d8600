"""Market data in: the bundled demo dataset, CSV and Parquet files, and seeded synthetic data.

Every loader returns ``{symbol: DataFrame}`` in one standard form (see
:mod:`orchestrator.data.files`); validation happens here, once, and problems raise
:class:`~orchestrator.DataError` naming the file, the symbol, the line (as an editor counts it,
the header being line 1) or row, the column, the problem and the fix. Prices must lie between
MIN_PRICE and MAX_PRICE; a load holds at most MAX_ROWS rows unless told otherwise.
"""

from orchestrator.data._bars import MAX_PRICE, MIN_PRICE
from orchestrator.data._ranges import data_end_warnings, slice_dates, warn_short
from orchestrator.data._readers import MAX_ROWS, MAX_ROWS_ENV, RowCapError, Source, row_cap
from orchestrator.data._tables import MAX_SYMBOL_LENGTH
from orchestrator.data.demo import DEMO_NOTICE, DEMO_TICKERS, demo_sources, load_demo
from orchestrator.data.files import from_frame, load_csv, load_file, load_files, load_parquet
from orchestrator.data.generator import synthetic

__all__ = [
    "DEMO_NOTICE",
    "DEMO_TICKERS",
    "MAX_PRICE",
    "MAX_ROWS",
    "MAX_ROWS_ENV",
    "MAX_SYMBOL_LENGTH",
    "MIN_PRICE",
    "RowCapError",
    "Source",
    "data_end_warnings",
    "demo_sources",
    "from_frame",
    "load_csv",
    "load_demo",
    "load_file",
    "load_files",
    "load_parquet",
    "row_cap",
    "slice_dates",
    "synthetic",
    "warn_short",
]
