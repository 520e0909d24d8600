"""The dashboard's rebalancing controls as plain data: their session keys, their values for a
:class:`~orchestrator.Rebalance`, and the ``[rebalance]`` table their values give.

No Streamlit here. The drift band is shown in percentage points (5 for ``drift = 0.05``),
exactly; 0 turns it off. A bar count is the schedule choice :data:`EVERY_BARS`. The table is
validated where a RunSpec is built (:func:`orchestrator.app.checks.rebalance_from_table`), so
the page shows the same ConfigError a file or a link would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from orchestrator.core.allocation import SCHEDULES, Rebalance

__all__ = [
    "EVERY_BARS",
    "KEYS",
    "MODE_LABELS",
    "RULE_LABELS",
    "SCHEDULE_CHOICES",
    "SCHEDULE_LABELS",
    "control_values",
    "rebalance_table",
]

#: The schedule choice that rebalances every N bars (``every_bars``) instead of a calendar.
EVERY_BARS = "bars"
SCHEDULE_CHOICES: tuple[str, ...] = (*SCHEDULES, EVERY_BARS)
SCHEDULE_LABELS = {
    "none": "Never (buy and hold the weights)",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "annually": "Yearly",
    EVERY_BARS: "Every N bars",
}
MODE_LABELS = {"scale": "Scale positions", "cash": "Idle cash only"}
RULE_LABELS = {
    "fixed": "Fixed (the sliders)",
    "equal": "Equal weights",
    "inverse_volatility": "Inverse volatility",
    "risk_parity": "Risk parity",
    "min_variance": "Minimum variance",
    "max_sharpe": "Maximum Sharpe",
    "hrp": "Hierarchical risk parity",
}

#: The session keys of the controls, by ``[rebalance]`` setting (``bars`` for every_bars).
KEYS = {
    "schedule": "rb_schedule",
    "bars": "rb_bars",
    "drift": "rb_drift_pts",
    "mode": "rb_mode",
    "rule": "rb_rule",
    "lookback": "rb_lookback",
    "min_weight": "rb_min",
    "max_weight": "rb_max",
}
_DEFAULT_BARS = 21


def control_values(rebalance: Rebalance) -> dict[str, Any]:
    """The controls' values (by session key) for ``rebalance``."""
    drift = rebalance.drift
    return {
        KEYS["schedule"]: EVERY_BARS if rebalance.every_bars else rebalance.schedule,
        KEYS["bars"]: rebalance.every_bars or _DEFAULT_BARS,
        KEYS["drift"]: float(Decimal(str(drift)) * 100) if drift else 0.0,
        KEYS["mode"]: rebalance.mode,
        KEYS["rule"]: rebalance.rule,
        KEYS["lookback"]: rebalance.lookback,
        KEYS["min_weight"]: rebalance.min_weight,
        KEYS["max_weight"]: rebalance.max_weight,
    }


def _number(value: object) -> object:
    """A control's float as the exact decimal it shows (0.15000000000000002 is 0.15)."""
    if isinstance(value, float):
        return float(Decimal(str(value)).quantize(Decimal("0.0001")).normalize())
    return value


def rebalance_table(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The ``[rebalance]`` table the controls' ``values`` give (not yet validated)."""
    schedule = values[KEYS["schedule"]]
    points = values[KEYS["drift"]]
    table: dict[str, Any] = {
        "schedule": "none" if schedule == EVERY_BARS else schedule,
        "mode": values[KEYS["mode"]],
        "rule": values[KEYS["rule"]],
        "lookback": int(values[KEYS["lookback"]]),
        "min_weight": _number(values[KEYS["min_weight"]]),
        "max_weight": _number(values[KEYS["max_weight"]]),
    }
    if schedule == EVERY_BARS:
        table["every_bars"] = int(values[KEYS["bars"]])
    if points:
        table["drift"] = float(Decimal(str(points)).quantize(Decimal("0.0001")) / 100)
    return table
