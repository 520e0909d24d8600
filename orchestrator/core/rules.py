"""Allocation rules: target weights of the sleeves from a trailing window of their returns.

Rules (names as in :data:`orchestrator.core.allocation.RULES`):

- ``fixed``: the sliders, unchanged;
- ``equal``: ``total / n`` each (as skfolio ``EqualWeighted``);
- ``inverse_volatility``: ``w_i ∝ 1 / σ_i`` (as ``InverseVolatility``);
- ``risk_parity``: equal risk contribution, ``w_i (Σw)_i`` the same for every sleeve
  (``RiskBudgeting`` with equal budgets, variance);
- ``min_variance``: ``min w'Σw`` (``MeanRisk``, minimise risk, variance);
- ``max_sharpe``: ``max (μ'w - rf) / sqrt(w'Σw)`` (``MeanRisk``, maximise ratio);
- ``hrp``: hierarchical risk parity (``HierarchicalRiskParity``, variance).

Weights are fractions of the whole portfolio. A rule's weights sum to ``total`` (the invested
share, the sliders' total, at most 1; the rest stays cash) and lie in ``[min_weight,
max_weight]``: skfolio fits weights ``u`` summing to 1 within ``[min_weight / total,
max_weight / total]``, and the answer is ``total * u``. Rules without bounds in skfolio (equal,
inverse volatility) are fitted to the bounds by :func:`fit_to_bounds`, which scales all weights
by one factor and clips, so the unclipped ones keep their proportions.

skfolio is imported inside the functions that need it, so ``import orchestrator`` stays light.
``equal`` and ``inverse_volatility`` are closed forms, computed here with numpy (the tests
check them against skfolio's ``EqualWeighted`` and ``InverseVolatility``): they need no
optimiser, and skipping skfolio spares a dashboard or a run using them skfolio's import (about
4 s on the reference machine) and its input validation (about 1 ms per rebalance).

Interface for the engine loop, at a rebalance at bar ``t`` with ``R`` the ``bars x sleeves``
array of the sleeves' time-weighted returns (de-funded bars filled from the nominal stream, see
:mod:`orchestrator.core.flows`):

``window = trailing_window(R, t, lookback)`` (None until ``lookback`` returns are known; then
the fixed weights apply: :func:`warmup_warning` says until when), then
``outcome = target_weights(rule, window, total=..., fixed=..., previous=..., when=ts)``.
``outcome.weights`` never holds NaN; ``outcome.warning`` (or None) goes to the run's warnings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.allocation import RULES, check_bounds, check_choice
from orchestrator.errors import ConfigError, OrchestratorError

__all__ = [
    "AllocationError",
    "RuleOutcome",
    "compute_weights",
    "fallback_warnings",
    "fit_to_bounds",
    "frontier_weights",
    "target_weights",
    "trailing_window",
    "warmup_end",
    "warmup_warning",
]

_SUM_TOL = 1e-6  # an optimiser's weights must sum to 1 within this to be usable


class AllocationError(OrchestratorError):
    """An allocation rule could not produce usable weights from a window of returns."""


@dataclass(frozen=True)
class RuleOutcome:
    """Target weights at one rebalance (fractions of the portfolio) and any warning.

    ``reason`` is why the rule fell back to the previous weights (None when it did not);
    ``warning`` the dated sentence for the run's warnings. :func:`fallback_warnings` folds
    many of them into a few lines.
    """

    weights: np.ndarray
    warning: str | None = None
    reason: str | None = None


def _check_returns(returns: np.ndarray) -> np.ndarray:
    array = np.asarray(returns, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < 1:
        raise ConfigError(
            f"returns must be a 2-D array (bars x sleeves) with at least one sleeve; found "
            f"shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise AllocationError("the returns window holds NaN or infinite values")
    return array


def _unit_bounds(total: float, min_weight: float, max_weight: float) -> tuple[float, float]:
    """Bounds on weights that sum to 1, for portfolio weights ``total * u``."""
    return min(min_weight / total, 1.0), min(max_weight / total, 1.0)


def fit_to_bounds(raw: np.ndarray, total: float, lo: float, hi: float) -> np.ndarray:
    """Return ``w = clip(c * raw, lo, hi)`` with the one ``c >= 0`` that makes ``sum(w) = total``.

    ``raw`` holds non-negative scores (weights of any scale); all-zero scores count as equal.
    The bounds must be feasible (``n * lo <= total <= n * hi``, see ``check_bounds``). The sum
    ``g(c)`` is piecewise linear and non-decreasing in ``c``, with kinks where a weight reaches
    a bound (``c = lo / raw_i`` or ``hi / raw_i``), so ``c`` is found exactly between two kinks.
    If even ``c = inf`` falls short (zero scores held at ``lo``), the zero-score sleeves share
    what is left equally. Scores already within the bounds and summing to ``total`` come back
    unchanged.
    """
    scores = np.clip(np.asarray(raw, dtype=np.float64), 0.0, None)
    n = len(scores)
    if not scores.any():
        scores = np.ones(n)
    if total <= n * lo + 1e-15:
        return np.full(n, lo)
    if total >= n * hi - 1e-15:
        return np.full(n, hi)
    if abs(scores.sum() - total) <= 1e-12 and scores.min() >= lo and scores.max() <= hi:
        return scores
    scores = scores / scores.max()
    scores[scores < 1e-12] = 0.0  # so that no kink overflows
    pos = scores > 0
    kinks = np.unique(np.concatenate(([0.0], lo / scores[pos], hi / scores[pos])))
    sums = np.clip(np.outer(kinks, scores), lo, hi).sum(axis=1)
    k = int(np.searchsorted(sums, total))
    if k >= len(kinks):  # the positive scores all at hi and still short: fill the zero ones
        filled = np.where(pos, hi, lo).astype(np.float64)
        filled[~pos] += (total - filled.sum()) / int((~pos).sum())
        return np.asarray(np.clip(filled, lo, hi), dtype=np.float64)
    if k == 0 or sums[k] == sums[k - 1]:
        c = kinks[k]
    else:
        share = (total - sums[k - 1]) / (sums[k] - sums[k - 1])
        c = kinks[k - 1] + share * (kinks[k] - kinks[k - 1])
    weights = np.clip(c * scores, lo, hi)
    free = (weights > lo) & (weights < hi)
    if free.any():  # float rounding residue, far below a cent per unit of capital
        weights[free] += (total - weights.sum()) / int(free.sum())
    return np.asarray(np.clip(weights, lo, hi), dtype=np.float64)


def _estimator(rule: str, lo: float, hi: float, risk_free_rate: float) -> Any:
    """The skfolio estimator of an optimising rule, for weights summing to 1 in ``[lo, hi]``."""
    from skfolio import RiskMeasure
    from skfolio.optimization import (
        HierarchicalRiskParity,
        MeanRisk,
        ObjectiveFunction,
        RiskBudgeting,
    )

    bounds = {"min_weights": lo, "max_weights": hi}
    if rule == "risk_parity":
        return RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, **bounds)
    if rule == "min_variance":
        return MeanRisk(
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            risk_measure=RiskMeasure.VARIANCE,
            **bounds,
        )
    if rule == "max_sharpe":
        return MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
            risk_measure=RiskMeasure.VARIANCE,
            risk_free_rate=risk_free_rate,
            **bounds,
        )
    return HierarchicalRiskParity(risk_measure=RiskMeasure.VARIANCE, **bounds)


def _short(exc: Exception, limit: int = 160) -> str:
    """A solver's exception as one short line for a warning (the full one stays chained)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fit(estimator: Any, returns: np.ndarray) -> np.ndarray:
    """Fit a skfolio estimator; any failure, or weights not summing to 1, is AllocationError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(returns)
        weights = np.asarray(estimator.weights_, dtype=np.float64)
    except Exception as exc:  # a solver may raise anything; the caller keeps the old weights
        raise AllocationError(_short(exc)) from exc
    if weights.shape != (returns.shape[1],) or not np.all(np.isfinite(weights)):
        raise AllocationError(f"the optimiser returned unusable weights {weights.tolist()}")
    if np.any(weights < -_SUM_TOL) or abs(float(weights.sum()) - 1.0) > _SUM_TOL:
        raise AllocationError(
            f"the optimiser's weights {np.round(weights, 6).tolist()} do not sum to 1 long-only"
        )
    return np.clip(weights, 0.0, None)


def compute_weights(
    rule: str,
    returns: np.ndarray,
    *,
    total: float,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    fixed: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Return a rule's weights for a ``bars x sleeves`` window of per-bar returns.

    ``risk_free_rate`` is per bar (the annual rate / periods per year); only ``max_sharpe``
    uses it. Raises ConfigError for bad arguments and :class:`AllocationError` when the rule
    cannot produce usable weights from these returns (a flat sleeve for a risk-based rule, a
    solver failure, no portfolio beating the risk-free rate for ``max_sharpe``); ``names``
    (the sleeves' ids) make that message name the sleeve at fault.
    """
    check_choice("rule", rule, RULES)
    if rule == "fixed":
        if fixed is None:
            raise ConfigError("rule 'fixed' needs the fixed weights (the sliders); found None")
        return np.asarray(fixed, dtype=np.float64).copy()
    x = _check_returns(returns)
    n = x.shape[1]
    if not (math.isfinite(total) and 0.0 <= total <= 1.0 + 1e-12):
        raise ConfigError(f"total must be the invested share, in [0, 1]; found {total!r}")
    check_bounds(total, n, min_weight, max_weight)
    if total == 0.0:
        return np.zeros(n)
    lo, hi = _unit_bounds(total, min_weight, max_weight)
    if n == 1:
        return np.array([total])
    if n * lo >= 1.0 - 1e-12 or n * hi <= 1.0 + 1e-12:  # the bounds leave one answer: equal
        return np.full(n, total / n)
    if len(x) < 2:
        raise AllocationError(f"a window of {len(x)} returns is too short; at least 2 needed")
    if rule != "equal":
        flat = np.flatnonzero(np.ptp(x, axis=0) <= 0.0)
        if len(flat):
            label = ", ".join(repr(names[int(i)]) if names else f"sleeve #{i + 1}" for i in flat)
            raise AllocationError(
                f"{label} had no variance in the window (flat: out of the market), so risk "
                f"cannot be compared"
            )
    if rule == "equal":
        unit = np.full(n, 1.0 / n)
    elif rule == "inverse_volatility":
        inverse = 1.0 / x.std(axis=0, ddof=1)
        unit = inverse / inverse.sum()
    else:
        unit = _fit(_estimator(rule, lo, hi, risk_free_rate), x)
    return total * fit_to_bounds(unit, 1.0, lo, hi)


def target_weights(
    rule: str,
    window: np.ndarray | None,
    *,
    total: float,
    fixed: np.ndarray,
    previous: np.ndarray,
    when: object,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    risk_free_rate: float = 0.0,
    names: Sequence[str] | None = None,
) -> RuleOutcome:
    """Return the targets at one rebalance; never raises for the returns, never gives NaN.

    ``window`` None (the lookback is not full yet) gives the fixed weights. When the rule
    fails on this window, the ``previous`` targets are kept and the warning names ``when``.
    """
    if window is None or rule == "fixed":
        return RuleOutcome(np.asarray(fixed, dtype=np.float64).copy())
    try:
        weights = compute_weights(
            rule,
            window,
            total=total,
            min_weight=min_weight,
            max_weight=max_weight,
            fixed=fixed,
            risk_free_rate=risk_free_rate,
            names=names,
        )
    except AllocationError as exc:
        return RuleOutcome(
            np.asarray(previous, dtype=np.float64).copy(), _fallback(when, rule, str(exc)), str(exc)
        )
    return RuleOutcome(weights)


def _fallback(when: object, rule: str, reason: str) -> str:
    return (
        f"rebalance at {_stamp(when)}: rule {rule!r} could not set weights ({reason}); "
        f"kept the previous weights"
    )


def fallback_warnings(
    rule: str, fallbacks: Sequence[tuple[object, str]], rebalances: int, limit: int = 3
) -> tuple[str, ...]:
    """Fold the rebalances where ``rule`` kept the previous weights into a few warnings.

    ``fallbacks`` are ``(when, reason)`` pairs (``RuleOutcome.reason``) in time order. Up to
    ``limit`` of them are listed with their dates; more give one count line first, so a long
    run where a strategy often sits out of the market says so in a sentence, not a hundred.
    """
    if not fallbacks:
        return ()
    lines = [_fallback(when, rule, reason) for when, reason in fallbacks[:limit]]
    if len(fallbacks) > limit:
        lines.insert(
            0,
            f"rule {rule!r} kept the previous weights at {len(fallbacks)} of {rebalances} "
            f"rebalances (from {_stamp(fallbacks[0][0])} to {_stamp(fallbacks[-1][0])}); the "
            f"first {limit}:",
        )
    return tuple(lines)


def _stamp(when: object) -> str:
    if isinstance(when, int | np.integer):
        when = pd.Timestamp(int(when))
    if isinstance(when, pd.Timestamp):
        return when.isoformat() if (when.hour, when.minute) != (0, 0) else str(when.date())
    return str(when)


def trailing_window(returns: np.ndarray, t: int, lookback: int) -> np.ndarray | None:
    """Return the ``lookback`` returns known at a rebalance at bar ``t``: rows ``t-lookback..t-1``.

    The return of bar ``t`` needs bar ``t``'s close, which a rebalance at ``t`` does not know
    yet; row 0 is no return (``r[0] = 0`` by convention). So the first full window is at
    ``t = lookback + 1``; before it, None.
    """
    if t - lookback < 1:
        return None
    return returns[t - lookback : t]


def warmup_end(n_bars: int, lookback: int) -> int | None:
    """Return the first bar with a full window (``lookback + 1``), or None if beyond the data."""
    first = lookback + 1
    return first if first < n_bars else None


def warmup_warning(rule: str, lookback: int, index: pd.DatetimeIndex) -> str | None:
    """Return the warning that the fixed weights apply while the lookback fills, if it matters."""
    if rule == "fixed":
        return None
    first = warmup_end(len(index), lookback)
    if first is None:
        return (
            f"rule {rule!r} needs {lookback} bars of returns and the run has only "
            f"{max(len(index) - 1, 0)}: the fixed weights apply throughout"
        )
    return (
        f"rule {rule!r} needs {lookback} bars of returns: the fixed weights apply until "
        f"{_stamp(index[first])} (bar {first})"
    )


def frontier_weights(
    returns: np.ndarray, points: int, *, total: float, min_weight: float, max_weight: float
) -> np.ndarray:
    """Return ``points x sleeves`` weights along the long-only mean-variance efficient frontier.

    Each row sums to ``total`` within the bounds. The first row is the minimum-variance mix,
    the last the highest expected return the bounds allow, and the rows between minimise the
    variance for expected returns evenly spaced between the two (skfolio ``MeanRisk`` with a
    ``min_return`` per point); just the two ends when every mix has the same expected
    return. Raises AllocationError when the optimiser cannot trace it.
    """
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    x = _check_returns(returns)
    n = x.shape[1]
    check_bounds(total, n, min_weight, max_weight)
    if points < 2:
        raise ConfigError(f"an efficient frontier needs at least 2 points; found {points}")
    if total == 0.0 or n == 1:
        return np.full((1, n), total / n)
    lo, hi = _unit_bounds(total, min_weight, max_weight)

    def model(**kwargs: Any) -> Any:
        return MeanRisk(risk_measure=RiskMeasure.VARIANCE, min_weights=lo, max_weights=hi, **kwargs)

    low = _fit(model(objective_function=ObjectiveFunction.MINIMIZE_RISK), x)
    high = _fit(model(objective_function=ObjectiveFunction.MAXIMIZE_RETURN), x)
    mean = x.mean(axis=0)
    mu_low, mu_high = float(mean @ low), float(mean @ high)
    rows = [low]
    if mu_high - mu_low > 1e-12 * max(1.0, abs(mu_high)) and points > 2:
        # Interior targets only: the ends are the two portfolios above, exactly.
        targets = np.linspace(mu_low, mu_high, points)[1:-1]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = model(min_return=targets).fit(x)
            middle = np.asarray(fitted.weights_, dtype=np.float64).reshape(len(targets), n)
        except Exception as exc:
            raise AllocationError(_short(exc)) from exc
        if not np.all(np.isfinite(middle)):
            raise AllocationError("the optimiser returned an unusable frontier")
        rows.extend(middle)
    rows.append(high)
    return total * np.vstack([fit_to_bounds(r, 1.0, lo, hi) for r in rows])
