"""Rebalancing: the :class:`Rebalance` configuration, when a rebalance is due, and its bounds.

This module decides *when* and checks *what is allowed*; the rules that compute target weights
live in :mod:`orchestrator.core.rules`, and sleeve returns (transfers as flows) in
:mod:`orchestrator.core.flows`. Everything here is pure numpy, so the engine can call it with
no cost worth measuring.

Interface for the engine loop (one call per run, then O(1) per bar):

1. before the loop, ``due = schedule_mask(market.timeline, rebalance)``: a boolean array over
   the global timeline, True at the first timestamp of each new calendar period (or every
   ``every_bars`` bars). ``due[0]`` is always False: bar 0 is the initial allocation;
2. at timestamp ``t``, with each sleeve's equity marked at the latest closes known at ``t``,
   rebalance when ``due[t]`` or, when ``rebalance.drift`` is set,
   ``drift_exceeded(sleeve_shares(equities, portfolio_equity), targets, rebalance.drift)``;
3. the targets come from :func:`orchestrator.core.rules.target_weights` (which falls back to
   the fixed weights until the first window of ``lookback`` returns is full).

:meth:`Rebalance.check_run` (:func:`check_bounds` and :func:`check_lookback`) raises the
:class:`ConfigError` the engine (and the dashboard and the CLI) must show before a run
starts. This module imports nothing from the rest of the package but
:mod:`orchestrator.errors`, so ``models.OrchestratorConfig`` can hold a ``Rebalance`` without
an import cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from orchestrator.errors import ConfigError, did_you_mean

__all__ = [
    "MODES",
    "RULES",
    "SCHEDULES",
    "Rebalance",
    "check_bounds",
    "check_choice",
    "check_fraction",
    "check_lookback",
    "check_weight_bounds",
    "drift_exceeded",
    "period_ids",
    "schedule_indices",
    "schedule_mask",
    "sleeve_shares",
]

Schedule = Literal["none", "weekly", "monthly", "quarterly", "annually"]
Mode = Literal["scale", "cash"]
Rule = Literal[
    "fixed", "equal", "inverse_volatility", "risk_parity", "min_variance", "max_sharpe", "hrp"
]
SCHEDULES: tuple[str, ...] = ("none", "weekly", "monthly", "quarterly", "annually")
MODES: tuple[str, ...] = ("scale", "cash")
RULES: tuple[str, ...] = (
    "fixed",
    "equal",
    "inverse_volatility",
    "risk_parity",
    "min_variance",
    "max_sharpe",
    "hrp",
)
# Bounds are compared with this slack, so 3 x 0.1 still reaches a total of 0.3.
_BOUND_EPS = 1e-9


def check_choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ConfigError with a suggestion."""
    if not isinstance(value, str) or value not in allowed:
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        raise ConfigError(
            f"rebalance {field} must be one of {', '.join(map(repr, allowed))}; "
            f"found {value!r}{hint}"
        )
    return value


def check_fraction(field: str, value: object) -> float:
    """Return ``value`` as a float in [0, 1] (int, float or Decimal), or raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ConfigError(
            f"{field} must be a number between 0 and 1; found {value!r} "
            f"of type {type(value).__name__}"
        )
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise ConfigError(
            f"{field} must be between 0 and 1 (a share of the portfolio, 0.25 for "
            f"25 %); found {value!r}"
        )
    return number


def check_weight_bounds(
    min_weight: object, max_weight: object, prefix: str = ""
) -> tuple[float, float]:
    """Return ``(min_weight, max_weight)`` as floats in [0, 1] with min <= max, or raise.

    ``prefix`` names where the bounds come from in the message (``"rebalance "``).
    """
    lo = check_fraction(f"{prefix}min_weight", min_weight)
    hi = check_fraction(f"{prefix}max_weight", max_weight)
    if lo > hi:
        raise ConfigError(
            f"{prefix}min_weight ({lo:g}) is above max_weight ({hi:g}); "
            f"min_weight must be <= max_weight"
        )
    return lo, hi


def _whole(field: str, value: object, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(
            f"rebalance {field} must be a whole number >= {minimum} ({what}); found {value!r} "
            f"of type {type(value).__name__}"
        )
    if int(value) < minimum:
        raise ConfigError(f"rebalance {field} must be >= {minimum} ({what}); found {value!r}")
    return int(value)


@dataclass(frozen=True)
class Rebalance:
    """When and how the sleeves are brought back to their target weights.

    Attributes:
        schedule: rebalance at the first timestamp of each new week (Monday-start), month,
            quarter or year of the global timeline; ``"none"`` (default) never on a calendar.
        every_bars: rebalance every this many bars of the global timeline instead of a
            calendar schedule (at bars k, 2k, ...); None for no bar count.
        drift: also rebalance when any sleeve's share of portfolio equity is more than this
            (absolute, in (0, 1): 0.05 is five points) off its target; None to ignore drift.
        mode: ``"scale"`` trims or tops up each sleeve's positions pro rata (paying costs);
            ``"cash"`` moves only idle cash and records any shortfall.
        rule: how target weights are set at each rebalance (see :mod:`orchestrator.core.rules`):
            ``"fixed"`` keeps the sliders; the others compute weights from the trailing
            ``lookback`` time-weighted returns of the sleeves, summing to the sliders' total.
        lookback: bars of trailing returns a rule sees (>= 2).
        min_weight, max_weight: bounds on each sleeve's weight (of the whole portfolio) for the
            computed rules; ``"fixed"`` keeps the sliders as they are.

    The default, ``Rebalance()``, never rebalances: :attr:`enabled` is False.
    """

    schedule: Schedule = "none"
    every_bars: int | None = None
    drift: float | None = None
    mode: Mode = "scale"
    rule: Rule = "fixed"
    lookback: int = 126
    min_weight: float = 0.0
    max_weight: float = 1.0

    def __post_init__(self) -> None:
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("mode", self.mode, MODES)
        check_choice("rule", self.rule, RULES)
        if self.every_bars is not None:
            object.__setattr__(
                self, "every_bars", _whole("every_bars", self.every_bars, 1, "bars between")
            )
            if self.schedule != "none":
                raise ConfigError(
                    f"rebalance schedule={self.schedule!r} and every_bars={self.every_bars!r} "
                    f"are both set; choose one: a calendar schedule or a bar count"
                )
        if self.drift is not None:
            drift = check_fraction("rebalance drift", self.drift)
            if not 0.0 < drift < 1.0:
                raise ConfigError(
                    f"rebalance drift must be strictly between 0 and 1 (0.05 rebalances when a "
                    f"sleeve is five points off its target); found {self.drift!r}"
                )
            object.__setattr__(self, "drift", drift)
        object.__setattr__(self, "lookback", _whole("lookback", self.lookback, 2, "bars"))
        lo, hi = check_weight_bounds(self.min_weight, self.max_weight, "rebalance ")
        object.__setattr__(self, "min_weight", lo)
        object.__setattr__(self, "max_weight", hi)

    @property
    def enabled(self) -> bool:
        """Whether any rebalance can happen (a schedule, a bar count or a drift band)."""
        return self.schedule != "none" or self.every_bars is not None or self.drift is not None

    def check_run(self, total: float, n_sleeves: int, n_bars: int) -> None:
        """Raise the ConfigError a run with these settings would hit, before it starts.

        ``total`` is the sliders' total (the invested share), ``n_sleeves`` the number of
        strategies and ``n_bars`` the length of the global timeline. A computed rule needs
        bounds that weights summing to ``total`` can meet (:func:`check_bounds`) and a lookback
        that fits in the data (:func:`check_lookback`); ``fixed`` and a disabled rebalance
        use neither.
        """
        if not self.enabled or self.rule == "fixed":
            return
        check_bounds(total, n_sleeves, self.min_weight, self.max_weight)
        check_lookback(self.lookback, n_bars)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON/TOML-serialisable plain values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rebalance:
        """Rebuild from :meth:`to_dict` output; an unknown key is a ConfigError."""
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"unknown rebalance option {key!r}{did_you_mean(key, known)}; "
                    f"known: {', '.join(known)}"
                )
        return cls(**data)


def check_bounds(total: float, n_sleeves: int, min_weight: float, max_weight: float) -> None:
    """Raise ConfigError unless weights in [min_weight, max_weight] can sum to ``total``.

    ``n`` weights within the bounds reach exactly the totals in
    ``[n * min_weight, n * max_weight]``; any other total is impossible, whatever the rule.
    """
    if n_sleeves < 1:
        raise ConfigError(f"an allocation rule needs at least one strategy; found {n_sleeves}")
    low, high = n_sleeves * min_weight, n_sleeves * max_weight
    if total < low - _BOUND_EPS:
        raise ConfigError(
            f"rebalance min_weight={min_weight:g} with {n_sleeves} strategies needs a total "
            f"weight of at least {low:g}, but the weights total {total:g}; lower min_weight to "
            f"at most {total / n_sleeves:g} or raise the weights"
        )
    if total > high + _BOUND_EPS:
        raise ConfigError(
            f"rebalance max_weight={max_weight:g} with {n_sleeves} strategies allows a total "
            f"weight of at most {high:g}, but the weights total {total:g}; raise max_weight to "
            f"at least {total / n_sleeves:g} or lower the weights"
        )


def check_lookback(lookback: int, n_bars: int) -> None:
    """Raise ConfigError when a window of ``lookback`` returns cannot fit in ``n_bars`` bars.

    ``lookback`` returns need ``lookback + 1`` bars, so at most ``n_bars - 1`` is allowed.
    """
    if lookback > n_bars - 1:
        raise ConfigError(
            f"rebalance lookback={lookback} bars is longer than the data allows: {n_bars} bars "
            f"give {max(n_bars - 1, 0)} returns; choose a lookback of at most "
            f"{max(n_bars - 1, 0)} or load more history"
        )


def _as_ns(timeline: np.ndarray | pd.DatetimeIndex) -> np.ndarray:
    if isinstance(timeline, pd.DatetimeIndex):
        index = timeline.tz_localize(None) if timeline.tz is not None else timeline
        return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)
    array = np.asarray(timeline)
    if array.dtype.kind == "M":
        return array.astype("datetime64[ns]").view(np.int64)
    if array.dtype != np.int64:
        raise ConfigError(
            f"timeline must be int64 nanoseconds or a DatetimeIndex; found dtype {array.dtype}"
        )
    return array


def period_ids(timeline: np.ndarray | pd.DatetimeIndex, schedule: str) -> np.ndarray:
    """Return an int64 id per timestamp, equal within a calendar period and rising across.

    Weeks start on Monday (1970-01-01 was a Thursday, hence the +3 days); quarters are
    calendar quarters. Time-zone-aware indexes count in their own wall-clock time.
    """
    check_choice("schedule", schedule, SCHEDULES)
    ns = _as_ns(timeline)
    if schedule == "none":
        return np.zeros(len(ns), dtype=np.int64)
    if schedule == "weekly":
        return (ns // 86_400_000_000_000 + 3) // 7
    months = ns.view("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    if schedule == "monthly":
        return months
    if schedule == "quarterly":
        return months // 3
    return months // 12


def schedule_mask(timeline: np.ndarray | pd.DatetimeIndex, rebalance: Rebalance) -> np.ndarray:
    """Return a boolean array: True at each timestamp where a scheduled rebalance is due.

    That is the first timestamp of each new period after the first (calendar schedules), or
    bars ``k, 2k, ...`` (``every_bars=k``). Index 0 is never due: it is the initial allocation.
    Drift rebalances are decided bar by bar with :func:`drift_exceeded`.
    """
    ns = _as_ns(timeline)
    mask = np.zeros(len(ns), dtype=bool)
    if rebalance.every_bars is not None:
        mask[rebalance.every_bars :: rebalance.every_bars] = True
    elif rebalance.schedule != "none" and len(ns) > 1:
        ids = period_ids(ns, rebalance.schedule)
        mask[1:] = ids[1:] != ids[:-1]
    return mask


def schedule_indices(timeline: np.ndarray | pd.DatetimeIndex, rebalance: Rebalance) -> np.ndarray:
    """Return the timeline positions (int64) where :func:`schedule_mask` is True."""
    return np.flatnonzero(schedule_mask(timeline, rebalance)).astype(np.int64)


def sleeve_shares(equities: np.ndarray, portfolio_equity: float) -> np.ndarray:
    """Return each sleeve's share of portfolio equity (zeros when the portfolio is worth 0)."""
    values = np.asarray(equities, dtype=np.float64)
    if not portfolio_equity > 0:
        return np.zeros_like(values)
    return values / portfolio_equity


def drift_exceeded(shares: np.ndarray, targets: np.ndarray, band: float) -> bool:
    """Return whether any sleeve's share is more than ``band`` (absolute) off its target.

    Exactly ``band`` off is within the band (no rebalance), so a band of 0.05 around 0.40
    tolerates 0.35 to 0.45.
    """
    off = np.abs(np.asarray(shares, dtype=np.float64) - np.asarray(targets, dtype=np.float64))
    return bool(np.any(off > band + _BOUND_EPS))
