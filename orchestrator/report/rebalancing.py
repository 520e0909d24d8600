"""A run's rebalancing as every page shows it: the settings in words, the count and the cost,
the transfers, the weights over time and the P&L attribution.

One home for what the terminal, the HTML report and the dashboard say about rebalancing, so
the three agree. The tables come from the result (``result.transfers``, ``result.weights``,
``result.attribution``); the settings from ``result.config.rebalance``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestrator.core.allocation import Rebalance
from orchestrator.core.results import OrchestratorResult
from orchestrator.report.comparison import format_value

__all__ = [
    "MAX_MARKED_REBALANCES",
    "attribution_table",
    "display_weights",
    "marked_rebalances",
    "rebalance_costs",
    "rebalance_count",
    "rebalance_settings",
    "rebalance_text",
    "rebalance_times",
    "settings_text",
    "transfers_table",
    "weights_table",
]

#: More rebalances than this are not drawn one line each on the weights chart (a weekly
#: schedule over decades would bury the areas under a thousand lines).
MAX_MARKED_REBALANCES = 250
_SCHEDULES = {
    "weekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "annually": "yearly",
}
_RULES = {
    "fixed": "fixed weights",
    "equal": "equal weights",
    "inverse_volatility": "inverse volatility",
    "risk_parity": "risk parity",
    "min_variance": "minimum variance",
    "max_sharpe": "maximum Sharpe",
    "hrp": "hierarchical risk parity",
}


def rebalance_settings(result: OrchestratorResult) -> Rebalance:
    """The run's rebalancing settings (``Rebalance()``, no rebalancing, when it has none)."""
    return result.config.rebalance


def transfers_table(result: OrchestratorResult) -> pd.DataFrame:
    """``result.transfers``: one row per move of capital (+ into a sleeve, - out of it)."""
    return result.transfers


def weights_table(result: OrchestratorResult) -> pd.DataFrame:
    """``result.weights``: each sleeve's share of portfolio equity and cash's, per timestamp."""
    return result.weights


def attribution_table(result: OrchestratorResult) -> pd.DataFrame:
    """``result.attribution``: the portfolio's P&L split into lines that sum to it."""
    return result.attribution


def rebalance_times(result: OrchestratorResult) -> pd.DatetimeIndex:
    """The timestamps at which the run rebalanced (where it recorded transfers), in order."""
    transfers = transfers_table(result)
    if not len(transfers):
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(pd.unique(pd.to_datetime(transfers["timestamp"]))).sort_values()


def rebalance_count(result: OrchestratorResult) -> int:
    """How many times the run rebalanced (``result.rebalances``)."""
    return int(result.rebalances)


def rebalance_costs(result: OrchestratorResult) -> float:
    """What rebalancing cost in commissions and slippage (``result.rebalance_costs``)."""
    return float(result.rebalance_costs)


def settings_text(rebalance: Rebalance) -> str:
    """The settings in words: "monthly and at 5-point drift, inverse volatility over 126
    bars (weights 5% to 60%), scaling positions"."""
    if not rebalance.enabled:
        return "no rebalancing"
    when = []
    if rebalance.every_bars is not None:
        when.append(f"every {rebalance.every_bars} bars")
    elif rebalance.schedule != "none":
        when.append(_SCHEDULES[rebalance.schedule])
    if rebalance.drift is not None:
        when.append(f"at {round(rebalance.drift * 100, 4):g}-point drift")
    rule = _RULES[rebalance.rule]
    if rebalance.rule != "fixed":
        rule += f" over {rebalance.lookback} bars"
        if (rebalance.min_weight, rebalance.max_weight) != (0.0, 1.0):
            lo, hi = rebalance.min_weight, rebalance.max_weight
            rule += f" (weights {lo:.0%} to {hi:.0%})"
    mode = "scaling positions" if rebalance.mode == "scale" else "moving idle cash only"
    return f"{' and '.join(when)}, {rule}, {mode}"


def rebalance_text(result: OrchestratorResult) -> str | None:
    """One line on the run's rebalancing ("Rebalancing (monthly, ...): 143 rebalances,
    costs 1,234.56"), or None when the run does not rebalance."""
    rebalance = rebalance_settings(result)
    if not rebalance.enabled:
        return None
    count = rebalance_count(result)
    costs = format_value(rebalance_costs(result), "money")
    noun = "rebalance" if count == 1 else "rebalances"
    return f"Rebalancing ({settings_text(rebalance)}): {count:,} {noun}, costs {costs}"


def marked_rebalances(result: OrchestratorResult) -> pd.DatetimeIndex:
    """The rebalances to mark on the weights chart: all, unless there are more than
    :data:`MAX_MARKED_REBALANCES` (then none: the areas' steps show them)."""
    times = rebalance_times(result)
    return times if len(times) <= MAX_MARKED_REBALANCES else pd.DatetimeIndex([])


def display_weights(
    weights: pd.DataFrame, keep: pd.DatetimeIndex | None = None, limit: int = 2000
) -> pd.DataFrame:
    """``weights`` thinned to about ``limit`` rows for a chart, for display only.

    Every ``k``-th row is kept, and so are the first and last rows and, for each timestamp
    in ``keep`` (the rebalances), that row and the one before it, so that each jump back to
    the targets is drawn where it happened.
    """
    n = len(weights)
    if n <= limit:
        return weights
    step = -(-n // limit)
    rows = np.zeros(n, dtype=bool)
    rows[::step] = True
    rows[[0, -1]] = True
    if keep is not None and len(keep):
        at = weights.index.get_indexer(pd.DatetimeIndex(keep))
        at = at[at >= 0]
        rows[at] = True
        rows[np.maximum(at - 1, 0)] = True
    return weights.iloc[np.flatnonzero(rows)]
