"""Suggested weights from a finished run, the statistics of a mix, and the efficient frontier.

A suggestion is *static*: one set of weights fitted on the whole run's per-strategy returns,
which is an in-sample optimum by construction. :mod:`orchestrator.app.walkforward` shows how
such weights would have done out of sample.

Conventions. A strategy's returns are the time-weighted per-bar returns of its sleeve on the
run's common timeline (transfers, once the engine records them in ``result.transfers``, are
flows, not gains; see :mod:`orchestrator.core.flows`). A bar where a sleeve held no capital
counts as flat. A mix with weights ``w`` (fractions of the portfolio, ``sum(w) <= 1``, the rest
cash earning nothing) returns ``r_p = R @ w`` per bar, as if held at those weights; its
expected return is ``mean(r_p) * P``, its volatility ``std(r_p, ddof=1) * sqrt(P)`` and its
Sharpe ratio ``mean(r_p - rf / P) / std(r_p) * sqrt(P)``, with ``P`` the run's periods per
year, exactly as :mod:`orchestrator.core.metrics` computes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from orchestrator.core.allocation import (
    RULES,
    check_bounds,
    check_choice,
    check_fraction,
    check_weight_bounds,
)
from orchestrator.core.flows import (
    fill_defunded,
    flows_on_timeline,
    growth_curve,
    time_weighted_returns,
)
from orchestrator.core.metrics import annual_volatility, sharpe_ratio
from orchestrator.core.results import OrchestratorResult
from orchestrator.core.rules import AllocationError, compute_weights, frontier_weights
from orchestrator.errors import ConfigError

__all__ = [
    "Frontier",
    "MixStats",
    "Suggestion",
    "efficient_frontier",
    "invested_share",
    "mix_stats",
    "run_weights",
    "slider_weights",
    "strategy_returns",
    "suggest",
    "suggest_weights",
]


def _check_result(result: object) -> OrchestratorResult:
    if not isinstance(result, OrchestratorResult):
        raise ConfigError(
            f"result must be an OrchestratorResult (from StrategyOrchestrator.run); found "
            f"{type(result).__name__}"
        )
    if len(result.portfolio_equity) < 3:
        raise ConfigError(
            f"suggesting weights needs at least 3 bars of results; the run has "
            f"{len(result.portfolio_equity)}: run over a longer period"
        )
    return result


def strategy_returns(result: OrchestratorResult) -> pd.DataFrame:
    """Return each strategy's per-bar time-weighted returns, one column per strategy id.

    The rows are the run's timeline from its second bar (a return needs the bar before it),
    each labelled with the bar the return ends at. Transfers in ``result.transfers`` (when the
    run has them) are stripped out as flows. Bars without capital at risk count as flat.
    """
    result = _check_result(result)
    index = pd.DatetimeIndex(result.portfolio_equity.index)
    transfers = getattr(result, "transfers", None)
    columns: dict[str, np.ndarray] = {}
    for sid, sr in result.strategy_results.items():
        equity = sr.equity_curve.reindex(index).to_numpy(dtype=np.float64)
        flows = flows_on_timeline(index, transfers, sid)
        columns[sid] = fill_defunded(time_weighted_returns(equity, flows))[1:]
    frame = pd.DataFrame(columns, index=index[1:])
    frame.index.name = "timestamp"
    return frame


def run_weights(result: OrchestratorResult) -> dict[str, float]:
    """Return the run's own weights (the sliders), by strategy id."""
    return {sid: float(sr.weight) for sid, sr in result.strategy_results.items()}


def invested_share(result: OrchestratorResult) -> float:
    """Return the total of the run's weights: the share of capital given to strategies."""
    return float(sum((sr.weight for sr in result.strategy_results.values()), Decimal(0)))


@dataclass(frozen=True)
class MixStats:
    """Annualised expected return, volatility and Sharpe ratio of one mix (see the module)."""

    expected_return: float
    volatility: float
    sharpe: float


@dataclass(frozen=True)
class Suggestion:
    """Weights a rule suggests for a run, and the statistics of that mix over the run."""

    rule: str
    weights: dict[str, float]
    stats: MixStats


def mix_stats(
    returns: pd.DataFrame,
    weights: Mapping[str, float],
    periods_per_year: float,
    risk_free_rate: float = 0.0,
) -> MixStats:
    """Return the statistics of holding ``weights`` (by column) of ``returns``; the rest cash."""
    unknown = sorted(set(weights) - set(returns.columns))
    if unknown:
        raise ConfigError(
            f"weights name unknown strategies {unknown}; known: {list(returns.columns)}"
        )
    w = np.array([float(weights.get(c, 0.0)) for c in returns.columns])
    mixed = returns.to_numpy(dtype=np.float64) @ w
    curve = growth_curve(np.concatenate(([0.0], mixed)))
    return MixStats(
        expected_return=float(np.mean(mixed) * periods_per_year) if len(mixed) else math.nan,
        volatility=annual_volatility(curve, periods_per_year),
        sharpe=sharpe_ratio(curve, periods_per_year, risk_free_rate),
    )


def _bounds(
    result: OrchestratorResult, total: float | None, min_weight: float, max_weight: float
) -> float:
    share = invested_share(result) if total is None else check_fraction("total", total)
    min_weight, max_weight = check_weight_bounds(min_weight, max_weight)
    check_bounds(share, len(result.strategy_results), min_weight, max_weight)
    return share


def suggest(
    result: OrchestratorResult,
    rule: str = "risk_parity",
    total: float | None = None,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
) -> Suggestion:
    """Fit ``rule`` on the whole run's strategy returns; return the weights and their stats.

    ``total`` defaults to the run's invested share (the sliders' total); the weights sum to it
    and lie in ``[min_weight, max_weight]``. ``rule="fixed"`` returns the run's own weights. A
    rule that cannot fit these returns (a strategy that never traded, for a risk-based rule)
    is a ConfigError that names the cause.
    """
    result = _check_result(result)
    check_choice("rule", rule, RULES)
    share = _bounds(result, total, min_weight, max_weight)
    returns = strategy_returns(result)
    ids = list(returns.columns)
    rf = result.config.risk_free_rate
    try:
        w = compute_weights(
            rule,
            returns.to_numpy(dtype=np.float64),
            total=share,
            min_weight=min_weight,
            max_weight=max_weight,
            fixed=np.array(list(run_weights(result).values())),
            risk_free_rate=rf / result.periods_per_year,
            names=ids,
        )
    except AllocationError as exc:
        raise ConfigError(
            f"rule {rule!r} could not suggest weights for this run: {exc}; choose another "
            f"rule or leave that strategy out"
        ) from exc
    weights = {sid: float(x) for sid, x in zip(ids, w, strict=True)}
    stats = mix_stats(returns, weights, result.periods_per_year, rf)
    return Suggestion(rule=rule, weights=weights, stats=stats)


def suggest_weights(
    result: OrchestratorResult,
    rule: str = "risk_parity",
    total: float | None = None,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
) -> dict[str, float]:
    """Return the weights ``rule`` suggests for the run's strategies (see :func:`suggest`).

    Use :func:`suggest` for the expected volatility and Sharpe ratio of the mix too.
    """
    return suggest(result, rule, total, min_weight, max_weight).weights


def slider_weights(
    weights: Mapping[str, float], step: Decimal = Decimal("0.01")
) -> dict[str, Decimal]:
    """Return ``weights`` on the sliders' ``step`` grid, summing exactly to their rounded total.

    Largest remainder: each weight is floored to the grid, then the steps still missing go, one
    each, to the weights that lost the most in the flooring (the first of equals). So a
    suggestion of 0.3333... x 3 at a total of 0.9 becomes 0.30 x 3, and one of 1/3 x 3 at 1.0
    becomes 0.34, 0.33, 0.33. A weight may move by less than one step, bounds included.
    """
    if not weights:
        return {}
    exact = {sid: Decimal(str(float(w))) for sid, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ConfigError(f"weights must be >= 0; found {dict(weights)}")
    target = sum(exact.values(), Decimal(0)).quantize(step)
    floored = {sid: (w // step) * step for sid, w in exact.items()}
    missing = int((target - sum(floored.values(), Decimal(0))) / step)
    order = sorted(exact, key=lambda sid: (-(exact[sid] - floored[sid]), list(exact).index(sid)))
    for sid in order[: max(missing, 0)]:
        floored[sid] += step
    return floored


@dataclass(frozen=True)
class Frontier:
    """The long-only efficient frontier of the run's strategies, for a risk/return chart.

    ``points``: one row per frontier mix, columns ``risk`` (annual volatility), ``return``
    (annualised expected return), ``sharpe`` and one weight column per strategy id, from the
    minimum-variance mix up. Every mix invests exactly ``total``; mixes investing less lie on
    the straight line from each point to the origin (cash). ``strategies``: each strategy alone
    at the invested share (rows by id; risk, return, sharpe). ``current``: the run's weights.
    """

    total: float
    points: pd.DataFrame
    strategies: pd.DataFrame
    current: MixStats


def efficient_frontier(
    result: OrchestratorResult,
    points: int = 30,
    total: float | None = None,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
) -> Frontier:
    """Trace the frontier of mixes of the run's strategies (see :class:`Frontier`)."""
    result = _check_result(result)
    share = _bounds(result, total, min_weight, max_weight)
    returns = strategy_returns(result)
    ids = list(returns.columns)
    ppy, rf = result.periods_per_year, result.config.risk_free_rate
    try:
        rows = frontier_weights(
            returns.to_numpy(dtype=np.float64),
            points,
            total=share,
            min_weight=min_weight,
            max_weight=max_weight,
        )
    except AllocationError as exc:
        raise ConfigError(f"the efficient frontier of this run cannot be traced: {exc}") from exc
    records = []
    for row in rows:
        weights = dict(zip(ids, (float(x) for x in row), strict=True))
        stats = mix_stats(returns, weights, ppy, rf)
        records.append(
            {"risk": stats.volatility, "return": stats.expected_return, "sharpe": stats.sharpe}
            | weights
        )
    singles = {}
    for sid in ids:
        stats = mix_stats(returns, {sid: share}, ppy, rf)
        singles[sid] = {
            "risk": stats.volatility,
            "return": stats.expected_return,
            "sharpe": stats.sharpe,
        }
    return Frontier(
        total=share,
        points=pd.DataFrame.from_records(records, columns=["risk", "return", "sharpe", *ids]),
        strategies=pd.DataFrame.from_dict(singles, orient="index"),
        current=mix_stats(returns, run_weights(result), ppy, rf),
    )
