"""Market data in: the bundled demo dataset, CSV and Parquet files, and seeded synthetic data.

Every loader returns ``{symbol: DataFrame}`` in one standard form (see
:mod:`orchestrator.data.files`); validation happens here, once, and problems raise
:class:`~orchestrator.DataError` naming the file, the symbol, the row, the problem and the fix.
"""

from orchestrator.data._ranges import data_end_warnings, slice_dates, warn_short
from orchestrator.data._readers import Source
from orchestrator.data.demo import DEMO_NOTICE, DEMO_TICKERS, demo_sources, load_demo
from orchestrator.data.files import from_frame, load_csv, load_file, load_files, load_parquet
from orchestrator.data.generator import synthetic

__all__ = [
    "DEMO_NOTICE",
    "DEMO_TICKERS",
    "Source",
    "data_end_warnings",
    "demo_sources",
    "from_frame",
    "load_csv",
    "load_demo",
    "load_file",
    "load_files",
    "load_parquet",
    "slice_dates",
    "synthetic",
    "warn_short",
]
