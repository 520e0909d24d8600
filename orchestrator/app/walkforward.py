"""Walk-forward test of an allocation rule: fit on a window, hold on the next, stitch, compare.

The weights a rule suggests for a finished run are fitted on that run, so they always look
good on it. A walk-forward test asks the honest question: had the rule been fitted on the past
only, how would the next stretch have gone? For each split (skfolio ``WalkForward``: rolling
training windows of ``train`` bars, or expanding ones, each followed by ``test`` bars) the rule
is fitted on the training returns and its weights are held over the test window; the test
windows, back to back, make one out-of-sample curve.

Every curve here is the value of 1 invested at the start of the first test window, holding
its weights from the start of each test window (sleeves rebalanced to them there, drifting
with their returns inside it; the unallocated share stays cash and earns nothing):

- the walk-forward curve (out of sample: each window's weights saw only earlier returns);
- the run's own weights (fixed) and equal weights at the same total: nothing fitted;
- the rule fitted once on *all* returns, test windows included: the in-sample optimum,
  labelled as such, which no one could have held. It is shown so that nobody takes it for a
  forecast.

The comparison table gives each curve's total return, CAGR, volatility, Sharpe ratio and
maximum drawdown from :mod:`orchestrator.core.metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestrator.core.allocation import (
    RULES,
    check_bounds,
    check_choice,
    check_fraction,
    check_weight_bounds,
)
from orchestrator.core.metrics import (
    annual_volatility,
    cagr,
    infer_periods_per_year,
    max_drawdown,
    sharpe_ratio,
    total_return,
)
from orchestrator.core.results import OrchestratorResult
from orchestrator.core.rules import (
    AllocationError,
    compute_weights,
    fallback_warnings,
    target_weights,
)
from orchestrator.errors import ConfigError

__all__ = [
    "EQUAL",
    "FIXED",
    "WalkForwardResult",
    "in_sample_label",
    "out_of_sample_label",
    "walk_forward",
]

FIXED = "Fixed weights"
EQUAL = "Equal weights"
TABLE_COLUMNS = [
    "sample",
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe_ratio",
    "max_drawdown",
]


def out_of_sample_label(rule: str) -> str:
    """The walk-forward curve's name."""
    return f"Walk-forward {rule} (out of sample)"


def in_sample_label(rule: str) -> str:
    """The in-sample curve's name: it says it is hindsight."""
    return f"{rule} fitted on all data (in sample, hindsight)"


@dataclass(frozen=True)
class WalkForwardResult:
    """A walk-forward test and its comparisons (see the module docstring).

    ``curves``: one column per curve, indexed by timestamp, starting at 1.0 at the bar before
    the first test window. ``weights``: one row per test window (``start``, ``end``, then one
    column per strategy). ``table``: one row per curve (``sample`` says which are fitted out
    of sample, in sample, or not at all). ``in_sample_weights``: the hindsight optimum.
    ``warnings``: windows where the rule failed and the previous weights were kept.
    """

    rule: str
    train: int
    test: int
    expanding: bool
    curves: pd.DataFrame
    weights: pd.DataFrame
    table: pd.DataFrame
    in_sample_weights: dict[str, float]
    warnings: tuple[str, ...]


def _whole(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be a whole number of bars >= {minimum}; found {value!r}")
    return int(value)


def _inputs(
    source: OrchestratorResult | pd.DataFrame,
    fixed_weights: Mapping[str, float] | None,
    total: float | None,
    periods_per_year: float | None,
    risk_free_rate: float | None,
) -> tuple[pd.DataFrame, dict[str, float] | None, float, float, float]:
    """Returns, fixed weights, total, periods per year and annual risk-free rate of a source."""
    if isinstance(source, OrchestratorResult):
        from orchestrator.app.suggest import invested_share, run_weights, strategy_returns

        returns = strategy_returns(source)
        fixed = dict(fixed_weights) if fixed_weights is not None else run_weights(source)
        share = invested_share(source) if total is None else check_fraction("total", total)
        ppy = source.periods_per_year if periods_per_year is None else float(periods_per_year)
        rf = source.config.risk_free_rate if risk_free_rate is None else float(risk_free_rate)
        return returns, fixed, share, ppy, rf
    if not isinstance(source, pd.DataFrame) or not isinstance(source.index, pd.DatetimeIndex):
        raise ConfigError(
            f"walk_forward needs an OrchestratorResult or a DataFrame of per-bar returns (one "
            f"column per strategy, a DatetimeIndex); found {type(source).__name__}"
        )
    returns = source.astype(np.float64)
    if not np.all(np.isfinite(returns.to_numpy())):
        raise ConfigError("the returns must be finite: fill or drop the NaN rows first")
    given = dict(fixed_weights) if fixed_weights is not None else None
    share = 1.0 if total is None else check_fraction("total", total)
    if total is None and given is not None:
        share = float(sum(given.values()))
    index = pd.DatetimeIndex(returns.index)
    ppy = infer_periods_per_year(index) if periods_per_year is None else periods_per_year
    return returns, given, share, float(ppy), 0.0 if risk_free_rate is None else risk_free_rate


def _hold(growth: np.ndarray, weights: np.ndarray, start: float) -> np.ndarray:
    """Value over one window of ``start`` split by ``weights`` (the rest cash), then drifting."""
    cash = 1.0 - float(weights.sum())
    return np.asarray(start * (cash + growth @ weights), dtype=np.float64)


def _curve(x: np.ndarray, splits: list[np.ndarray], per_window: list[np.ndarray]) -> np.ndarray:
    values = [1.0]
    for test_idx, w in zip(splits, per_window, strict=True):
        growth = np.cumprod(1.0 + x[test_idx], axis=0)
        values.extend(_hold(growth, w, values[-1]))
    return np.asarray(values)


def _row(curve: np.ndarray, sample: str, ppy: float, rf: float) -> dict[str, object]:
    return {
        "sample": sample,
        "total_return": total_return(curve),
        "cagr": cagr(curve, ppy),
        "annual_volatility": annual_volatility(curve, ppy),
        "sharpe_ratio": sharpe_ratio(curve, ppy, rf),
        "max_drawdown": max_drawdown(curve)[0],
    }


def walk_forward(
    result_or_returns: OrchestratorResult | pd.DataFrame,
    rule: str = "risk_parity",
    train: int = 126,
    test: int = 21,
    expanding: bool = False,
    *,
    total: float | None = None,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    fixed_weights: Mapping[str, float] | None = None,
    periods_per_year: float | None = None,
    risk_free_rate: float | None = None,
) -> WalkForwardResult:
    """Fit ``rule`` on each training window, hold it on the next test window, and compare.

    ``result_or_returns`` is a finished run (its strategies' time-weighted returns, its weights
    as the fixed comparison, its invested share as ``total``) or a DataFrame of per-bar returns
    (one column per strategy; then ``fixed_weights`` is optional and ``total`` defaults to
    their sum, or 1). ``train`` and ``test`` count bars of returns; ``expanding`` grows the
    training window from the first bar instead of rolling it. A window where the rule fails
    keeps the previous window's weights (the fixed ones, or equal, at first) with a warning.
    """
    check_choice("rule", rule, RULES)
    train = _whole("train", train, 2)
    test = _whole("test", test, 1)
    if not isinstance(expanding, bool):
        raise ConfigError(f"expanding must be True or False; found {expanding!r}")
    returns, fixed, share, ppy, rf = _inputs(
        result_or_returns, fixed_weights, total, periods_per_year, risk_free_rate
    )
    ids = [str(c) for c in returns.columns]
    n_rows = len(returns)
    if train + test > n_rows:
        raise ConfigError(
            f"train ({train}) + test ({test}) bars exceed the {n_rows} bars of returns; "
            f"shorten the windows or use a longer run"
        )
    if not (math.isfinite(share) and 0.0 <= share <= 1.0 + 1e-12):
        raise ConfigError(f"total must be the invested share, between 0 and 1; found {share!r}")
    min_weight, max_weight = check_weight_bounds(min_weight, max_weight)
    check_bounds(share, len(ids), min_weight, max_weight)
    if fixed is not None:
        unknown = sorted(set(fixed) - set(ids))
        if unknown:
            raise ConfigError(f"fixed_weights name unknown strategies {unknown}; known: {ids}")
    fixed_vec = None if fixed is None else np.array([float(fixed.get(s, 0.0)) for s in ids])
    equal_vec = np.full(len(ids), share / len(ids))

    from skfolio.model_selection import WalkForward

    x = returns.to_numpy(dtype=np.float64)
    splitter = WalkForward(
        test_size=test, train_size=train, expand_train=expanding, reduce_test=True
    )
    previous = fixed_vec if fixed_vec is not None else equal_vec
    tests: list[np.ndarray] = []
    fitted: list[np.ndarray] = []
    fallbacks: list[tuple[object, str]] = []
    for train_idx, test_idx in splitter.split(x):
        outcome = target_weights(
            rule,
            x[train_idx],
            total=share,
            fixed=previous if fixed_vec is None else fixed_vec,
            previous=previous,
            when=returns.index[test_idx[0]],
            min_weight=min_weight,
            max_weight=max_weight,
            risk_free_rate=rf / ppy,
            names=ids,
        )
        if outcome.reason is not None:
            fallbacks.append((returns.index[test_idx[0]], outcome.reason))
        previous = outcome.weights
        tests.append(np.asarray(test_idx))
        fitted.append(outcome.weights)
    try:
        hindsight = compute_weights(
            rule,
            x,
            total=share,
            min_weight=min_weight,
            max_weight=max_weight,
            fixed=fixed_vec if fixed_vec is not None else equal_vec,
            risk_free_rate=rf / ppy,
            names=ids,
        )
    except AllocationError as exc:
        raise ConfigError(f"rule {rule!r} cannot be fitted on all the returns: {exc}") from exc

    first = int(tests[0][0])
    index = returns.index[first - 1 : int(tests[-1][-1]) + 1]
    curves = {out_of_sample_label(rule): _curve(x, tests, fitted)}
    sample = {out_of_sample_label(rule): "out of sample"}
    if fixed_vec is not None:
        curves[FIXED] = _curve(x, tests, [fixed_vec] * len(tests))
        sample[FIXED] = "not fitted"
    curves[EQUAL] = _curve(x, tests, [equal_vec] * len(tests))
    sample[EQUAL] = "not fitted"
    curves[in_sample_label(rule)] = _curve(x, tests, [hindsight] * len(tests))
    sample[in_sample_label(rule)] = "in sample (hindsight)"
    table = pd.DataFrame.from_dict(
        {name: _row(c, sample[name], ppy, rf) for name, c in curves.items()}, orient="index"
    )[TABLE_COLUMNS]
    weights = pd.DataFrame(
        [
            {"start": returns.index[t[0]], "end": returns.index[t[-1]]}
            | dict(zip(ids, map(float, w), strict=True))
            for t, w in zip(tests, fitted, strict=True)
        ],
        columns=["start", "end", *ids],
    )
    return WalkForwardResult(
        rule=rule,
        train=train,
        test=test,
        expanding=expanding,
        curves=pd.DataFrame(curves, index=index),
        weights=weights,
        table=table,
        in_sample_weights=dict(zip(ids, map(float, hindsight), strict=True)),
        warnings=fallback_warnings(rule, fallbacks, len(tests)),
    )
