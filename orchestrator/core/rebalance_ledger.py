"""The rebalance step's ledger after the run: the unallocated cash curve, each sleeve's flows
and metric curve, the transfers table, the rule's warnings; and the trades for statistics.

:class:`RebalanceLedger` is the base of :class:`~orchestrator.core.rebalancing.Rebalancer`,
which fills these records as the loop runs (see that module for what a rebalance does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.allocation import Rebalance
from orchestrator.core.flows import time_weighted_returns
from orchestrator.core.results import empty_frame, frame_from_columns
from orchestrator.core.rules import fallback_warnings

__all__ = ["RebalanceLedger", "signal_trades"]


def signal_trades(trades: Any) -> Any:
    """The trades for trade statistics (a frame or a mapping of columns): without the
    rebalance trims and top-ups, which are the allocator's; the same object when there are
    none."""
    reason = trades.get("reason")
    if reason is None or len(reason) == 0:
        return trades
    keep = np.asarray(reason, dtype=object) != "rebalance"
    if keep.all():
        return trades
    if isinstance(trades, pd.DataFrame):
        return trades[keep].reset_index(drop=True)
    return {name: np.asarray(values)[keep] for name, values in trades.items()}


class RebalanceLedger:
    """What a run's rebalances recorded, read after the run (the records are
    :class:`~orchestrator.core.rebalancing.Rebalancer`'s, set in its ``__init__``)."""

    config: Rebalance
    timeline: np.ndarray
    n: int
    pool_start: float
    rows: list[tuple[int, str, float, str, float, float]]
    pool_ti: list[int]
    pool_value: list[float]
    fallbacks: list[tuple[object, str]]
    events: int
    # Per sleeve: {timeline index: (flow, value before it)}.
    moves: list[dict[int, tuple[float, float]]]

    def pool_curve(self) -> np.ndarray:
        """The unallocated cash at the end of every timestamp."""
        out = np.full(self.n, self.pool_start)
        if self.pool_ti:
            ev_t = np.asarray(self.pool_ti, dtype=np.int64)
            ev_v = np.asarray(self.pool_value, dtype=np.float64)
            k = np.searchsorted(ev_t, np.arange(self.n), side="right") - 1
            out = np.where(k >= 0, ev_v[np.maximum(k, 0)], self.pool_start)
        return out

    def flows(self, k: int, equity: np.ndarray) -> np.ndarray:
        """Sleeve ``k``'s per-bar time-weighted returns over the run (NaN where de-funded)."""
        flows = np.zeros(len(equity))
        before = np.concatenate(([equity[0]], equity[:-1])) if len(equity) else equity.copy()
        for t, (amount, value) in self.moves[k].items():
            flows[t] = amount
            before[t] = value
        return time_weighted_returns(equity, flows, before_flow=before)

    def metric_curve(self, k: int, equity: np.ndarray) -> np.ndarray:
        """Sleeve ``k``'s curve for its metrics: its equity, or with transfers its time-weighted
        growth from its first value (transfers are flows, not gains; de-funded bars flat)."""
        if not self.moves[k] or not len(equity):
            return equity
        r = self.flows(k, equity)
        r[~np.isfinite(r)] = 0.0
        r[0] = 0.0
        return np.asarray(equity[0] * np.cumprod(1.0 + r), dtype=np.float64)

    def table(self) -> pd.DataFrame:
        """The transfers as the results table (:data:`~orchestrator.core.results.
        TRANSFER_COLUMNS`), one row per sleeve per rebalance."""
        if not self.rows:
            return empty_frame("transfers")
        ti, sid, amount, reason, costs, short = zip(*self.rows, strict=True)
        when = np.asarray(self.timeline)[np.asarray(ti, dtype=np.int64)]
        return frame_from_columns(
            {
                "timestamp": when.view("datetime64[ns]"),
                "strategy_id": np.array(sid, dtype=object),
                "amount": np.array(amount, dtype=np.float64),
                "reason": np.array(reason, dtype=object),
                "costs": np.array(costs, dtype=np.float64),
                "shortfall": np.array(short, dtype=np.float64),
            }
        )

    def warnings(self) -> tuple[str, ...]:
        """The rule's fallbacks, folded (see :func:`~orchestrator.core.rules.fallback_warnings`)."""
        return fallback_warnings(self.config.rule, self.fallbacks, self.events)
