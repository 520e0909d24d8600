"""Time-weighted returns of a sleeve: transfers in and out are flows, not gains.

A sleeve that receives 50 at a rebalance has not earned 50. Its per-bar return must strip the
transfer out, or its Sharpe, CAGR and drawdown would measure the allocator instead of the
strategy. Conventions (all arrays on the global timeline, length ``n``):

- ``equity[t]``: the sleeve's equity at the end of bar ``t`` (after any transfer at ``t``);
- ``flows[t]``: the net transfer into the sleeve at bar ``t`` (+ in, - out); the funding at
  bar 0 is the starting capital, not a flow, so ``flows[0]`` is ignored;
- ``before_flow[t]`` (optional): the sleeve's value just before the transfer at ``t``, marked at
  the prices the transfer used. The engine rebalances at timestamp ``t`` on marks at the latest
  closes, so when it does not record this value the transfer is taken at the start of bar ``t``
  (``before_flow[t] = equity[t-1]``), which is exact when nothing changed the sleeve between the
  previous close and the transfer.

The return of bar ``t`` is then, geometrically linking the sub-periods around the transfer,

``r[t] = before_flow[t] / equity[t-1] * equity[t] / (before_flow[t] + flows[t]) - 1``,

which without ``before_flow`` is ``r[t] = equity[t] / (equity[t-1] + flows[t]) - 1``.
``r[0] = 0``, so ``growth_curve(r)`` starts at 1 and has the equity curve's length and can be
passed to :mod:`orchestrator.core.metrics` directly.

**De-funded sleeves.** A sleeve a rule gives weight 0 has no capital at risk, so its own
return is undefined (NaN here). Allocation rules still need its return stream, or a rule that
de-funds a strategy could never fund it again. The ideal *nominal stream* is the
per-unit-of-capital return of the same strategy's decisions on a nominal book (the engine
uses, for now, the approximation documented in :mod:`orchestrator.core.sleeve_returns`: the
equal-weighted return of the symbols the sleeve trades, so a rule always sees variance):

- when a sleeve's target falls to (near) 0, the engine keeps asking the strategy as before
  (its real orders are dropped for want of capital) and opens a shadow ledger with a nominal
  capital (the sleeve's last funded capital, or its initial allocation) that fills the same
  orders with the same prices, costs and sizing rules, is never rebalanced, and is counted in
  no portfolio total, transfer or attribution;
- ``nominal[t] = shadow_equity[t] / shadow_equity[t-1] - 1`` at each bar the sleeve is
  de-funded (NaN elsewhere), so memory stays O(bars x sleeves) and a funded sleeve pays nothing;
- :func:`fill_defunded` puts the nominal return wherever the sleeve's own return is undefined,
  so the window a rule sees is complete; when the sleeve is funded again the shadow book is
  dropped.

Without a nominal stream a de-funded bar counts as 0 (flat), which a risk-based rule reads as
a sleeve without variance (it then keeps the previous weights, see
:func:`orchestrator.core.rules.target_weights`), so the engine should provide one whenever
the rule is not ``fixed``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from orchestrator.errors import ConfigError

__all__ = [
    "FUNDED_EPS",
    "fill_defunded",
    "flows_on_timeline",
    "growth_curve",
    "time_weighted_returns",
]

# A sleeve worth less than this (currency units) at the start of a bar is de-funded.
FUNDED_EPS = 1e-9


def _vector(name: str, values: Sequence[float] | np.ndarray, n: int | None) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ConfigError(f"{name} must be one-dimensional; found shape {array.shape}")
    if n is not None and len(array) != n:
        raise ConfigError(
            f"{name} must have one value per bar of the equity curve ({n}); found {len(array)}"
        )
    if not np.all(np.isfinite(array)):
        first = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ConfigError(f"{name} must be finite; found {array[first]} at index {first}")
    return array


def time_weighted_returns(
    equity: Sequence[float] | np.ndarray,
    flows: Sequence[float] | np.ndarray | None = None,
    *,
    before_flow: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Return the per-bar time-weighted returns of a sleeve (length ``n``, ``r[0] = 0``).

    See the module docstring for the formula. A bar that starts with no capital at risk (the
    denominator at most :data:`FUNDED_EPS`) has an undefined return: NaN, to be filled with
    :func:`fill_defunded`.
    """
    e = _vector("equity", equity, None)
    n = len(e)
    r = np.zeros(n, dtype=np.float64)
    if n < 2:
        return r
    f = np.zeros(n - 1) if flows is None else _vector("flows", flows, n)[1:]
    prev, cur = e[:-1], e[1:]
    base = prev if before_flow is None else _vector("before_flow", before_flow, n)[1:]
    invested = base + f
    at_risk_before = prev > FUNDED_EPS
    at_risk_after = invested > FUNDED_EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        # Sub-period up to the transfer, then after it; nothing at risk in a part adds nothing.
        market = np.where(at_risk_before, base / prev, 1.0)
        after = np.where(at_risk_after, cur / invested, 1.0)
    growth = market * after
    # Without a flow the bar is one sub-period, E_t / E_{t-1}, whatever before_flow says.
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = np.where(at_risk_before, cur / prev, np.nan)
    growth = np.where(f != 0, growth, plain)
    growth = np.where((f != 0) & ~at_risk_before & ~at_risk_after, np.nan, growth)
    r[1:] = growth - 1.0
    return r


def fill_defunded(
    returns: np.ndarray, nominal: Sequence[float] | np.ndarray | None = None
) -> np.ndarray:
    """Return ``returns`` with each undefined (NaN) bar taken from the nominal stream.

    ``nominal`` is the per-unit-of-capital return of the strategy's nominal book at each bar
    (see the module docstring). Bars still undefined (no nominal stream, or NaN in it) are 0.
    The result is always finite, as the allocation rules require.
    """
    out = np.array(returns, dtype=np.float64, copy=True)
    gaps = ~np.isfinite(out)
    if nominal is not None:
        stream = np.asarray(nominal, dtype=np.float64)
        if stream.shape != out.shape:
            raise ConfigError(
                f"the nominal return stream must match the returns' shape {out.shape}; "
                f"found {stream.shape}"
            )
        out[gaps] = stream[gaps]
        gaps = ~np.isfinite(out)
    out[gaps] = 0.0
    return out


def growth_curve(returns: np.ndarray, start: float = 1.0) -> np.ndarray:
    """Return ``start * cumprod(1 + r)``: the value of ``start`` invested at bar 0."""
    return start * np.cumprod(1.0 + np.asarray(returns, dtype=np.float64))


def flows_on_timeline(
    index: pd.DatetimeIndex, transfers: pd.DataFrame | None, strategy_id: str
) -> np.ndarray:
    """Return one sleeve's net transfer at each timestamp of ``index`` (zeros if none).

    ``transfers`` is a results table with ``timestamp``, ``strategy_id`` and ``amount``
    columns (+ into the sleeve); None or an empty table gives zeros. A transfer at a time not on
    ``index`` is an error: transfers happen at timeline timestamps only.
    """
    out = np.zeros(len(index), dtype=np.float64)
    if transfers is None or len(transfers) == 0:
        return out
    missing = {"timestamp", "strategy_id", "amount"} - set(transfers.columns)
    if missing:
        raise ConfigError(
            f"transfers must have columns timestamp, strategy_id and amount; missing "
            f"{sorted(missing)}"
        )
    rows = transfers[transfers["strategy_id"] == strategy_id]
    if len(rows) == 0:
        return out
    amounts = rows.groupby(pd.DatetimeIndex(rows["timestamp"]))["amount"].sum()
    where = index.get_indexer(amounts.index)
    if np.any(where < 0):
        stray = amounts.index[where < 0][0]
        raise ConfigError(
            f"transfer of {strategy_id!r} at {stray} is not on the run's timeline; transfers "
            f"happen at timeline timestamps only"
        )
    np.add.at(out, where, amounts.to_numpy(dtype=np.float64))
    return out
