"""The dashboard's rules as plain data: a run configuration as its form holds it and back,
why a configuration cannot run, and a run's outcome as the page shows it.

No Streamlit here, so every rule is unit-tested without a page. Control values are keyed by
the dashboard's widget keys (``capital``, ``commission_pct``...). Controls show percentages
where a :class:`~orchestrator.spec.RunSpec` holds fractions (a commission of 0.1 % is
``commission_rate = 0.001``), exactly, on the controls' decimal grid.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from orchestrator.errors import OrchestratorError
from orchestrator.protocol import unique_ids
from orchestrator.results import OrchestratorResult
from orchestrator.spec import RunSpec

__all__ = [
    "blocker",
    "control_values",
    "date_settings",
    "fit_dates",
    "fraction",
    "number_options",
    "percent",
    "run_outcome",
    "run_settings",
    "strategy_ids",
]

# The grid of the percent controls: four decimals of a percent.
PERCENT_STEP = "0.0001"


def percent(value: float) -> float:
    """A fraction as the percent a control shows, exactly: 0.001 -> 0.1 (not 0.1000...02)."""
    return float(Decimal(str(value)) * 100)


def fraction(value: float, step: str = PERCENT_STEP) -> float:
    """A percent control's value as a fraction, first put on the control's decimal grid
    (a float input may report 0.15000000000000002 for 0.15)."""
    return float(Decimal(str(value)).quantize(Decimal(step)) / 100)


def control_values(spec: RunSpec) -> dict[str, Any]:
    """The data, cost and execution controls' values for ``spec``; ``dates`` is the spec's
    (start, end), either of them None, for :func:`fit_dates` to fit once the data is known."""
    return {
        "source": spec.data,
        "symbols": list(spec.symbols or []),
        "dates": (spec.start, spec.end),
        "capital": float(spec.initial_capital),
        "commission_pct": percent(spec.commission_rate),
        "per_share": float(spec.commission_per_share),
        "min_commission": float(spec.commission_min),
        "slippage": float(spec.slippage_bps),
        "fill": spec.fill,
        "fractional": spec.fractional,
        "close_at_end": spec.close_at_end,
        "rf_pct": percent(spec.risk_free_rate),
    }


def run_settings(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The :class:`RunSpec` keyword arguments the controls' ``values`` give (the inverse of
    :func:`control_values`, dates apart: see :func:`date_settings`)."""
    return {
        "data": values["source"],
        "symbols": tuple(values["symbols"]) or None,
        "initial_capital": values["capital"],
        "commission_rate": fraction(values["commission_pct"]),
        "commission_per_share": values["per_share"],
        "commission_min": values["min_commission"],
        "slippage_bps": values["slippage"],
        "fill": values["fill"],
        "fractional": values["fractional"],
        "close_at_end": values["close_at_end"],
        "risk_free_rate": fraction(values["rf_pct"]),
    }


def _date(value: object, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def fit_dates(stored: object, lo: dt.date, hi: dt.date) -> object:
    """The date range to show: ``stored`` (a (start, end) pair of dates, ISO text or None for
    an open end) fitted within the data's ``lo`` to ``hi``; anything else becomes the whole
    range. A one-date tuple, the first click of a range being picked, is left as it is."""
    if isinstance(stored, tuple) and len(stored) == 1:
        return stored
    start, end = stored if isinstance(stored, tuple) and len(stored) == 2 else (lo, hi)
    start = min(max(_date(start, lo), lo), hi)
    end = max(min(_date(end, hi), hi), start)
    return start, end


def date_settings(picked: object, lo: dt.date, hi: dt.date) -> dict[str, str | None]:
    """The run's ``start`` and ``end`` from a date-range control's value: ISO dates, or None
    where the range reaches the data's first or last day (an open end)."""
    given = picked if isinstance(picked, tuple | list) else [picked]
    dates = [d for d in given if isinstance(d, dt.date)]
    start = dates[0] if dates else lo
    end = dates[1] if len(dates) > 1 else hi
    return {
        "start": start.isoformat() if start > lo else None,
        "end": end.isoformat() if end < hi else None,
    }


def number_options(param: Any) -> dict[str, Any]:
    """A number control's options for a declared parameter (a ``strategies.ParamSpec``):
    bounds and step in the parameter's type, and a display format that shows the step."""
    kind = int if param.kind is int else float
    step = kind(param.step) if param.step else kind(1 if param.kind is int else 0.01)
    return {
        "min_value": None if param.min is None else kind(param.min),
        "max_value": None if param.max is None else kind(param.max),
        "step": step,
        "format": None if param.kind is int else ("%.4g" if step >= 0.0001 else "%.6g"),
    }


def strategy_ids(bases: Sequence[str]) -> list[str]:
    """Strategy ids as the engine will give them to strategies named ``bases`` (their labels
    or names): ``#2``, ``#3``... for repeats. The engine's own rule, asked directly, so the
    boxes of the form and the results always agree."""
    return unique_ids(list(bases))


def blocker(strategies: int, weights_ok: bool, has_data: bool, invalid: bool) -> str | None:
    """Why a configuration cannot run (the first reason), or None when it can: ``strategies``
    is how many there are, ``invalid`` whether any control holds an invalid setting."""
    if not strategies:
        return "no strategy selected"
    if not weights_ok:
        return "weights total more than 1.0"
    if not has_data:
        return "no data: upload CSV or Parquet files"
    return "a strategy's settings are invalid" if invalid else None


def run_outcome(
    spec: RunSpec, frames: Mapping[str, pd.DataFrame] | None
) -> tuple[OrchestratorResult | None, str | None, float]:
    """Run ``spec`` on ``frames``; return (result, None, seconds) or (None, the message to
    show, seconds). Any exception becomes a message: a plug-in's own bug must not break the
    page. ``frames`` None means the data of the run are gone (uploads of an earlier session).
    """
    if frames is None:
        return (
            None,
            "The uploaded files of this run are gone: upload them again and press Run.",
            0.0,
        )
    started = time.perf_counter()
    try:
        # Breaches and warm-up notes are on the page (result.breaches, result.warnings).
        result = spec.run(data=frames, logging_level="ERROR")
    except OrchestratorError as exc:
        return None, str(exc), time.perf_counter() - started
    except Exception as exc:
        return None, f"The run failed: {type(exc).__name__}: {exc}", time.perf_counter() - started
    return result, None, time.perf_counter() - started
