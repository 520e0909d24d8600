"""Attribution: where the portfolio's P&L came from, and where its risk came from.

**P&L.** :func:`attribution` splits ``portfolio P&L = final portfolio equity - initial capital``
into lines that add up to it exactly (to float rounding, far below a cent):

- one line per strategy: its *gross* trading P&L, before the costs it paid,
  ``gross_i = (final_i - allocated_i - transfers_i) + commission_i + slippage_i + rebal_i``;
- ``Commissions`` and ``Slippage``: minus the costs of the strategies' own trades;
- ``Rebalancing costs``: minus the costs of trades made to rebalance (trades whose ``reason``
  is ``"rebalance"``, once the engine tags them); 0 in a run without rebalancing;
- ``Unallocated cash``: the P&L of the cash pool nobody was given,
  ``final pool - initial pool + transfers out of it``. Idle cash earns nothing in this engine,
  so the line is 0: the *cash drag* in P&L terms. :func:`cash_drag` gives the opportunity
  cost instead (what that cash would have made at the invested sleeves' return), a figure
  beside the sum, not in it.

``transfers_i`` is the net amount moved into sleeve ``i`` by rebalancing (``result.transfers``,
when the run has one); transfers are flows, not P&L, and they net to zero across the sleeves
and the pool, so the identity holds with or without rebalancing. A later line (interest on
cash, say) only has to be one more row whose amount leaves the others' sum.

**Risk.** :func:`risk_contributions` gives each strategy's share of the portfolio's variance
over the run (Euler allocation): with ``c_i,t`` sleeve ``i``'s P&L at bar ``t`` (flows
removed) over the portfolio's equity at ``t-1`` and ``r_p,t = sum_i c_i,t`` the portfolio's
return, ``share_i = cov(c_i, r_p) / var(r_p)``. The shares sum to 1; a hedge has a negative
share.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from orchestrator.core.flows import flows_on_timeline
from orchestrator.core.results import OrchestratorResult
from orchestrator.errors import ConfigError

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "CASH",
    "CASH_LINE",
    "COMMISSIONS_LINE",
    "REBALANCING_LINE",
    "SLIPPAGE_LINE",
    "attribution",
    "cash_drag",
    "risk_contributions",
    "rolling_risk_contributions",
    "strategy_pnl",
    "weights_over_time",
]

COMMISSIONS_LINE = "Commissions"
SLIPPAGE_LINE = "Slippage"
REBALANCING_LINE = "Rebalancing costs"
CASH_LINE = "Unallocated cash"
CASH = "Cash"  # the unallocated pool's column in weights_over_time
ATTRIBUTION_COLUMNS = ["component", "kind", "pnl"]
STRATEGY_PNL_COLUMNS = [
    "gross_pnl",
    "commission",
    "slippage",
    "rebalancing_costs",
    "transfers",
    "net_pnl",
]


def _transfers(result: OrchestratorResult) -> pd.DataFrame | None:
    transfers = getattr(result, "transfers", None)
    return transfers if isinstance(transfers, pd.DataFrame) else None


def _flows(result: OrchestratorResult, sid: str) -> np.ndarray:
    index = pd.DatetimeIndex(result.portfolio_equity.index)
    return flows_on_timeline(index, _transfers(result), sid)


def strategy_pnl(result: OrchestratorResult) -> pd.DataFrame:
    """Return one row per strategy: gross P&L, its costs, net transfers in and net P&L.

    ``net_pnl = final equity - allocated capital - transfers`` and ``gross_pnl = net_pnl +
    commission + slippage + rebalancing_costs`` (costs as positive amounts).
    """
    rows = {}
    for sid, sr in result.strategy_results.items():
        trades = sr.trades
        if "reason" in trades.columns:
            rebalance = trades["reason"].astype(str) == "rebalance"
        else:
            rebalance = pd.Series(False, index=trades.index)
        own, rebal = trades[~rebalance], trades[rebalance]
        commission = float(own["commission"].sum()) if len(own) else 0.0
        slippage = float(own["slippage"].sum()) if len(own) else 0.0
        rebal_costs = (
            float(rebal["commission"].sum() + rebal["slippage"].sum()) if len(rebal) else 0.0
        )
        moved = float(_flows(result, sid).sum())
        net = sr.final_equity - sr.allocated_capital - moved
        rows[sid] = {
            "gross_pnl": net + commission + slippage + rebal_costs,
            "commission": commission,
            "slippage": slippage,
            "rebalancing_costs": rebal_costs,
            "transfers": moved,
            "net_pnl": net,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=STRATEGY_PNL_COLUMNS)
    frame.index.name = "strategy_id"
    return frame.astype(np.float64)


def _pool(result: OrchestratorResult) -> tuple[float, float]:
    """Initial and final cash of the unallocated pool (final from the portfolio identity)."""
    initial = result.initial_capital - sum(
        sr.allocated_capital for sr in result.strategy_results.values()
    )
    final = float(result.portfolio_equity.iloc[-1]) - sum(
        sr.final_equity for sr in result.strategy_results.values()
    )
    return initial, final


def attribution(result: OrchestratorResult) -> pd.DataFrame:
    """Return the P&L split (see the module docstring): ``component``, ``kind``, ``pnl``.

    ``kind`` is ``"strategy"``, ``"costs"`` or ``"cash"``; ``pnl`` sums to the portfolio's P&L.
    """
    per = strategy_pnl(result)
    initial_pool, final_pool = _pool(result)
    into_sleeves = float(per["transfers"].sum())
    rows: list[tuple[str, str, float]] = [
        (str(sid), "strategy", float(v)) for sid, v in per["gross_pnl"].items()
    ]
    rows += [
        (COMMISSIONS_LINE, "costs", -float(per["commission"].sum())),
        (SLIPPAGE_LINE, "costs", -float(per["slippage"].sum())),
        (REBALANCING_LINE, "costs", -float(per["rebalancing_costs"].sum())),
        (CASH_LINE, "cash", final_pool - initial_pool + into_sleeves),
    ]
    return pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)


def cash_drag(result: OrchestratorResult) -> float:
    """Return the opportunity cost of the unallocated cash (>= 0 when the sleeves gained).

    ``initial pool x (sum of the sleeves' net P&L / sum of their allocated capital)``: what
    the cash nobody was given would have made had it earned the invested sleeves' return.
    Not part of :func:`attribution`'s sum (that cash made nothing); NaN with nothing invested.
    """
    per = strategy_pnl(result)
    invested = sum(sr.allocated_capital for sr in result.strategy_results.values())
    if not invested > 0:
        return math.nan
    initial_pool, _ = _pool(result)
    return float(initial_pool * per["net_pnl"].sum() / invested)


def _contributions(result: OrchestratorResult) -> pd.DataFrame:
    """Each sleeve's P&L at each bar (flows removed) over the portfolio's equity before it."""
    index = result.portfolio_equity.index
    portfolio = result.portfolio_equity.to_numpy(dtype=np.float64)
    prev = portfolio[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(prev > 0, 1.0 / prev, 0.0)
    columns = {}
    for sid, sr in result.strategy_results.items():
        equity = sr.equity_curve.reindex(index).to_numpy(np.float64)
        columns[sid] = (np.diff(equity) - _flows(result, sid)[1:]) * scale
    return pd.DataFrame(columns, index=index[1:])


def risk_contributions(result: OrchestratorResult) -> pd.Series:
    """Return each strategy's share of the portfolio's variance over the run (sums to 1).

    NaN for every strategy when the portfolio never moved (no variance to share).
    """
    ids = list(result.strategy_results)
    if len(result.portfolio_equity) < 3 or not ids:
        return pd.Series(math.nan, index=ids, name="risk_share", dtype=np.float64)
    c = _contributions(result).to_numpy().T
    total = c.sum(axis=0)
    var = float(np.var(total))
    if not var > 0:
        return pd.Series(math.nan, index=ids, name="risk_share", dtype=np.float64)
    centred = total - total.mean()
    shares = (c - c.mean(axis=1, keepdims=True)) @ centred / len(total) / var
    return pd.Series(shares, index=ids, name="risk_share", dtype=np.float64)


def rolling_risk_contributions(result: OrchestratorResult, window: int = 63) -> pd.DataFrame:
    """Return each strategy's share of the portfolio's variance over a trailing window.

    One row per bar from the ``window``-th return on (the same formula as
    :func:`risk_contributions`, over the last ``window`` returns); NaN where the portfolio did
    not move in the window. Each row sums to 1.
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ConfigError(f"window must be a whole number of bars >= 2; found {window!r}")
    c = _contributions(result)
    total = c.sum(axis=1)
    var = total.rolling(window).var(ddof=0)
    shares = {sid: c[sid].rolling(window).cov(total, ddof=0) / var for sid in c.columns}
    frame = pd.DataFrame(shares, index=c.index).iloc[window - 1 :]
    frame = frame.where(
        np.isfinite(frame.to_numpy()) & (var.iloc[window - 1 :] > 1e-30).to_numpy()[:, None]
    )
    frame.index.name = "timestamp"
    return frame


def weights_over_time(result: OrchestratorResult) -> pd.DataFrame:
    """Return each sleeve's share of portfolio equity at every timestamp, and cash's.

    Columns: the strategy ids, then ``"Cash"`` (the unallocated pool); each row sums to 1
    (rows where the portfolio is worth nothing are NaN). This is what ``result.weights`` holds
    for a run, with or without rebalancing.
    """
    index = result.portfolio_equity.index
    portfolio = result.portfolio_equity.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(portfolio > 0, 1.0 / portfolio, np.nan)
    columns = {}
    sleeves = np.zeros(len(index))
    for sid, sr in result.strategy_results.items():
        equity = sr.equity_curve.reindex(index).to_numpy(np.float64)
        sleeves += equity
        columns[sid] = equity * scale
    cash = CASH if CASH not in columns else f"{CASH} (unallocated)"
    columns[cash] = (portfolio - sleeves) * scale
    frame = pd.DataFrame(columns, index=index)
    frame.index.name = "timestamp"
    return frame
