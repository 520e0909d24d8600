"""The dashboard's rules as plain data: a run configuration as its form holds it and back,
why a configuration cannot run, and a run's outcome as the page shows it.

No Streamlit here, so every rule is unit-tested without a page. Control values are keyed by
the dashboard's widget keys (``capital``, ``commission_pct``...). Controls show percentages
where a :class:`~orchestrator.app.spec.RunSpec` holds fractions (a commission of 0.1 % is
``commission_rate = 0.001``), exactly, on the controls' decimal grid.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from orchestrator.app import rebalance_form
from orchestrator.app.spec import RunSpec
from orchestrator.core.protocol import unique_ids
from orchestrator.core.results import OrchestratorResult
from orchestrator.errors import OrchestratorError

__all__ = [
    "DateFit",
    "blocker",
    "control_values",
    "data_span_name",
    "date_settings",
    "fit_date_range",
    "fit_dates",
    "fraction",
    "number_options",
    "open_ends",
    "percent",
    "run_outcome",
    "run_settings",
    "strategy_ids",
    "time_format",
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
        **rebalance_form.control_values(spec.rebalance),
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
        "rebalance": rebalance_form.rebalance_table(values),  # validated by RunSpec
    }


def _date(value: object, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


@dataclass(frozen=True)
class DateFit:
    """A date range fitted to the data: ``dates`` for the control; ``note`` says what was
    changed (None when nothing asked for was changed); ``overlaps`` is False when the range
    asked for has no day in the data at all (then ``dates`` is the whole data)."""

    dates: object
    note: str | None = None
    overlaps: bool = True


def _asked(start: object, end: object) -> str:
    def text(value: object, open_end: str) -> str:
        if value is None or value == "":
            return open_end
        return str(value.isoformat() if isinstance(value, dt.date) else value)

    return f"{text(start, 'the start')} to {text(end, 'the end')}"


def fit_date_range(stored: object, lo: dt.date, hi: dt.date, data: str = "the data") -> DateFit:
    """Fit ``stored`` (a (start, end) pair of dates, ISO text or None for an open end) within
    the data's ``lo`` to ``hi`` and say so when that changes a date that was asked for;
    ``data`` names the data in the note (e.g. "ETH-USD has bars"). A range that misses the
    data entirely becomes the whole data, with a note that it was refused (``overlaps``
    False). Anything that is not a pair becomes the whole range, silently; a one-date tuple,
    the first click of a range being picked, is left as it is."""
    if isinstance(stored, tuple) and len(stored) == 1:
        return DateFit(stored)
    if not (isinstance(stored, tuple | list) and len(stored) == 2):
        return DateFit((lo, hi))
    asked_start, asked_end = stored
    try:
        start, end = _date(asked_start, lo), _date(asked_end, hi)
    except (ValueError, TypeError):
        return DateFit((lo, hi), f"The date range {_asked(*stored)} is not a pair of dates; "
                       f"using the whole data ({data} from {lo} to {hi}).")  # fmt: skip
    span = f"{data} from {lo.isoformat()} to {hi.isoformat()}"
    if start > hi or end < lo:
        return DateFit(
            (lo, hi),
            f"No data in the date range {_asked(*stored)}: {span}. That range was not run; "
            "the range is reset to the whole data: choose dates inside it and press Run.",
            overlaps=False,
        )
    fitted_start = min(max(start, lo), hi)
    fitted = (fitted_start, max(min(end, hi), fitted_start))
    if fitted == (start, end):
        return DateFit(fitted)
    return DateFit(
        fitted,
        f"The date range {_asked(*stored)} was changed to {fitted[0].isoformat()} to "
        f"{fitted[1].isoformat()} to fit the data: {span}.",
    )


def fit_dates(stored: object, lo: dt.date, hi: dt.date) -> object:
    """The date range to show: :func:`fit_date_range` without its note."""
    return fit_date_range(stored, lo, hi).dates


def open_ends(stored: object, bounds: object) -> object:
    """``stored`` with each end that sits on the earlier data's ``bounds`` (lo, hi) made
    open (None), so that a range that covered the whole data keeps covering it when the
    data (the chosen symbols) change, instead of being cut to the old bounds."""
    if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(bounds, tuple)):
        return stored
    start, end = stored
    return (None if start == bounds[0] else start, None if end == bounds[1] else end)


def data_span_name(symbols: Sequence[str]) -> str:
    """How a note names the chosen symbols' data: "ETH-USD has bars", "AAPL and MSFT have
    bars", "the 10 symbols have bars"."""
    if len(symbols) == 1:
        return f"{symbols[0]} has bars"
    if len(symbols) <= 3:
        return f"{', '.join(symbols[:-1])} and {symbols[-1]} have bars"
    return f"the {len(symbols)} chosen symbols have bars"


def time_format(times: object) -> str:
    """A table's date-time display format (moment.js tokens) for ``times``: the date alone
    when every time is midnight (daily bars), else the date and the minute."""
    index = pd.DatetimeIndex(pd.Series(times, dtype="datetime64[ns]").dropna())
    if len(index) and (index != index.normalize()).any():
        return "YYYY-MM-DD HH:mm"
    return "YYYY-MM-DD"


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
