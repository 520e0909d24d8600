"""The JSON form of results: scalars, series, tables and metrics to plain data and back.

Timestamps are ISO 8601, NaN is null, infinities are the strings "Infinity"/"-Infinity".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.frames import _BOOL_COLUMNS, _INT_COLUMNS, _STR_COLUMNS, _TIME_COLUMNS
from orchestrator.core.metrics import PerformanceMetrics


def _enc(value: Any) -> Any:
    """Encode one scalar for JSON."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _dec_float(value: Any) -> float:
    if value is None:
        return math.nan
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    return float(value)


def _series_to_dict(series: pd.Series) -> dict[str, Any]:
    return {
        "index": [ts.isoformat() for ts in series.index],
        "values": [_enc(v) for v in series.to_numpy(dtype=float)],
    }


def _series_from_dict(data: Mapping[str, Any], name: str) -> pd.Series:
    index = pd.DatetimeIndex(pd.to_datetime(data["index"])).as_unit("ns")
    values = np.array([_dec_float(v) for v in data["values"]], dtype=np.float64)
    return pd.Series(values, index=index, name=name)


def _frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [
        {c: _enc(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _decode_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if k in _TIME_COLUMNS:
                row[k] = pd.Timestamp(v) if v is not None else pd.NaT
            elif k in _INT_COLUMNS or k in _BOOL_COLUMNS or k in _STR_COLUMNS:
                row[k] = v
            else:
                row[k] = _dec_float(v)
        out.append(row)
    return out


def _metrics_from_dict(data: Mapping[str, Any]) -> PerformanceMetrics:
    kwargs: dict[str, Any] = {}
    for f in fields(PerformanceMetrics):
        v = data[f.name]
        kwargs[f.name] = int(v) if f.type == "int" else _dec_float(v)
    return PerformanceMetrics(**kwargs)


def _frames_equal(a: Any, b: Any) -> bool:
    """Equal pandas objects: same index, dtypes and values, NaN matching NaN."""
    return type(a) is type(b) and bool(a.equals(b))
