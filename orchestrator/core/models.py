"""Plain data types of the orchestrator: bars, configuration, capital allocation, trades, breaches.

Everything here is small and typed. Numbers are float64 (as in backtrader, vectorbt and bt);
capital and weights may be given as Decimal, float or int and are validated exactly where they
enter (see :func:`to_decimal`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import pandas as pd

from orchestrator.core.allocation import Rebalance
from orchestrator.errors import ConfigError

__all__ = [
    "CAPITAL_MAX",
    "CAPITAL_MIN",
    "LOGGING_LEVELS",
    "CapitalBreach",
    "HistoricalDataBar",
    "OrchestratorConfig",
    "StrategyAllocation",
    "Trade",
    "to_capital",
    "to_decimal",
]

LOGGING_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FillRule = Literal["next_open", "close"]
# Money comparisons: an amount within this many currency units of a limit is within it.
MONEY_EPS = 1e-9
#: A portfolio's starting capital, in currency units, inclusive bounds. Below one unit a run is
#: a typo; above 1e12 float64 money loses the cent (2**53 cents is about 9e13 units) once
#: the run has grown it a little, and a capital of 1e308 would overflow sizing to infinity.
CAPITAL_MIN = Decimal(1)
CAPITAL_MAX = Decimal(10**12)


def to_decimal(value: object, name: str) -> Decimal:
    """Return ``value`` as an exact Decimal of its string form, or raise ConfigError.

    The string form is what makes 0.35 + 0.65 exactly 1: ``Decimal(str(0.35))`` is ``0.35``,
    whereas ``Decimal(0.35)`` is the binary float 0.34999999999999997779...
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ConfigError(
            f"{name} must be a number (Decimal, float or int); found {value!r} "
            f"of type {type(value).__name__}"
        )
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"{name} must be a number; found {value!r}") from None
    if not result.is_finite():
        raise ConfigError(f"{name} must be a finite number; found {value!r}")
    return result


def to_capital(value: object, name: str = "initial_capital") -> Decimal:
    """Return a starting capital as an exact Decimal, or raise ConfigError naming ``name``.

    The one rule for capital, wherever it enters (the engine, a RunSpec, a link, a TOML file):
    a finite number from :data:`CAPITAL_MIN` (1) to :data:`CAPITAL_MAX` (1e12), inclusive.
    """
    capital = to_decimal(value, name)
    span = f"give a capital from {CAPITAL_MIN} to {CAPITAL_MAX:,} (1e12), inclusive"
    if capital <= 0:
        raise ConfigError(f"{name} must be > 0; found {value!r}; {span}")
    if capital < CAPITAL_MIN:
        raise ConfigError(f"{name} must be at least {CAPITAL_MIN}; found {value!r}; {span}")
    if capital > CAPITAL_MAX:
        raise ConfigError(f"{name} must be at most {CAPITAL_MAX:,} (1e12); found {value!r}; {span}")
    return capital


def _finite_float(value: object, name: str, *, minimum: float = 0.0) -> float:
    number = float(to_decimal(value, name))
    if not math.isfinite(number) or number < minimum:
        raise ConfigError(f"{name} must be a finite number >= {minimum:g}; found {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class HistoricalDataBar:
    """One OHLCV bar of one symbol (the seed's bar type)."""

    symbol: str
    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


@dataclass(frozen=True)
class OrchestratorConfig:
    """How a run executes orders, charges costs and reports.

    Attributes:
        logging_level: level of the ``orchestrator`` logger (DEBUG/INFO/WARNING/ERROR/CRITICAL).
        fill: ``"next_open"`` (default) fills a signal taken at bar t's close at the symbol's
            next bar's open; ``"close"`` fills it at bar t's close.
        commission_rate: commission as a fraction of the notional (0.001 = 0.1 %).
        commission_per_share: commission per share (or unit) traded.
        commission_min: minimum commission per order (applies when any commission is charged).
        slippage_bps: slippage in basis points of the price, always against the trader.
        fractional: allow fractional quantities (crypto); whole shares otherwise.
        max_positions: slots per strategy for sizing; ``None`` means the number of symbols the
            strategy trades. A strategy's own ``max_positions`` attribute overrides it.
        close_at_end: close positions still open at the end at each symbol's last close (with
            costs); otherwise they are marked at the last close and reported as open trades.
        risk_free_rate: annual risk-free rate for Sharpe and Sortino.
        periods_per_year: annualisation factor; ``None`` infers it from the bar spacing.
        rebalance: when and how the sleeves go back to their target weights (see
            :class:`~orchestrator.core.allocation.Rebalance` and
            :mod:`orchestrator.core.rebalancing`); the default never rebalances.
    """

    logging_level: str = "INFO"
    fill: FillRule = "next_open"
    commission_rate: float = 0.0
    commission_per_share: float = 0.0
    commission_min: float = 0.0
    slippage_bps: float = 0.0
    fractional: bool = False
    max_positions: int | None = None
    close_at_end: bool = False
    risk_free_rate: float = 0.0
    periods_per_year: float | None = None
    rebalance: Rebalance = field(default_factory=Rebalance)

    def __post_init__(self) -> None:
        level = self.logging_level
        if not isinstance(level, str) or level.upper() not in LOGGING_LEVELS:
            raise ConfigError(
                f"logging_level must be one of {', '.join(LOGGING_LEVELS)}; found {level!r}"
            )
        object.__setattr__(self, "logging_level", level.upper())
        if self.fill not in ("next_open", "close"):
            raise ConfigError(f"fill must be 'next_open' or 'close'; found {self.fill!r}")
        for name in ("commission_rate", "commission_per_share", "commission_min", "slippage_bps"):
            object.__setattr__(self, name, _finite_float(getattr(self, name), name))
        if self.commission_rate >= 1:
            raise ConfigError(
                f"commission_rate is a fraction of the notional and must be < 1; found "
                f"{self.commission_rate!r} (for 0.1 % write 0.001)"
            )
        if self.slippage_bps >= 10_000:
            raise ConfigError(f"slippage_bps must be < 10000; found {self.slippage_bps!r}")
        for name in ("fractional", "close_at_end"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False; found {getattr(self, name)!r}")
        mp = self.max_positions
        if mp is not None and (isinstance(mp, bool) or not isinstance(mp, int) or mp < 1):
            raise ConfigError(f"max_positions must be a whole number >= 1 or None; found {mp!r}")
        rf = float(to_decimal(self.risk_free_rate, "risk_free_rate"))
        if not -1 < rf < 1:
            raise ConfigError(f"risk_free_rate is annual, as a fraction; found {rf!r}")
        object.__setattr__(self, "risk_free_rate", rf)
        if self.periods_per_year is not None:
            ppy = _finite_float(self.periods_per_year, "periods_per_year")
            if ppy <= 0:
                raise ConfigError(f"periods_per_year must be > 0; found {self.periods_per_year!r}")
            object.__setattr__(self, "periods_per_year", ppy)
        if isinstance(self.rebalance, dict):
            object.__setattr__(self, "rebalance", Rebalance.from_dict(self.rebalance))
        if not isinstance(self.rebalance, Rebalance):
            raise ConfigError(
                f"rebalance must be a Rebalance (e.g. Rebalance(schedule='monthly')); found "
                f"{type(self.rebalance).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-serialisable plain values."""
        return {
            "logging_level": self.logging_level,
            "fill": self.fill,
            "commission_rate": self.commission_rate,
            "commission_per_share": self.commission_per_share,
            "commission_min": self.commission_min,
            "slippage_bps": self.slippage_bps,
            "fractional": self.fractional,
            "max_positions": self.max_positions,
            "close_at_end": self.close_at_end,
            "risk_free_rate": self.risk_free_rate,
            "periods_per_year": self.periods_per_year,
            "rebalance": self.rebalance.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrchestratorConfig:
        """Rebuild a configuration from :meth:`to_dict` output; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown configuration option(s) {unknown}; known: {sorted(known)}")
        return cls(**data)


class StrategyAllocation:
    """The capital account of one strategy: its share of the portfolio and its cash.

    Capital moves only through :meth:`allocate` (cash into a position) and :meth:`release`
    (cash back from a position), as in bt's ``allocate``; ``available_capital`` is the cash the
    strategy can still spend and is never negative.
    """

    __slots__ = ("_cash", "allocated_capital", "strategy_id", "weight")

    def __init__(self, strategy_id: str, weight: Decimal, allocated_capital: float) -> None:
        if allocated_capital < 0 or not math.isfinite(allocated_capital):
            raise ConfigError(
                f"allocated capital of {strategy_id!r} must be finite and >= 0; "
                f"found {allocated_capital!r}"
            )
        self.strategy_id = strategy_id
        self.weight = weight
        self.allocated_capital = float(allocated_capital)
        self._cash = float(allocated_capital)

    @property
    def available_capital(self) -> float:
        """Cash this strategy can spend now."""
        return self._cash

    def can_allocate(self, amount: float) -> bool:
        """Return whether ``amount`` (>= 0) fits in the available capital."""
        return 0 <= amount <= self._cash + MONEY_EPS

    def allocate(self, amount: float) -> None:
        """Take ``amount`` of cash for a position; raise ConfigError if it does not fit."""
        if not math.isfinite(amount) or amount < 0:
            raise ConfigError(
                f"{self.strategy_id}: amount to allocate must be >= 0; found {amount}"
            )
        if not self.can_allocate(amount):
            raise ConfigError(
                f"{self.strategy_id}: cannot allocate {amount:.2f}; only "
                f"{self._cash:.2f} of its capital is available"
            )
        self._cash = max(self._cash - amount, 0.0)

    def release(self, amount: float) -> None:
        """Return ``amount`` of cash from a position (sale proceeds) to this strategy."""
        if not math.isfinite(amount) or amount < 0:
            raise ConfigError(f"{self.strategy_id}: amount to release must be >= 0; found {amount}")
        self._cash += amount

    def __repr__(self) -> str:
        return (
            f"StrategyAllocation(strategy_id={self.strategy_id!r}, weight={self.weight}, "
            f"allocated_capital={self.allocated_capital:.2f}, "
            f"available_capital={self._cash:.2f})"
        )


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip (or an open position at the end) of one strategy in one symbol.

    Prices are fill prices after slippage. ``pnl`` is exit proceeds net of exit commission
    minus entry cost including entry commission; ``return_pct`` is ``pnl / entry cost``
    (a fraction). An open trade (``is_open``) is marked at the symbol's last close, without
    exit costs, exactly as the equity curve marks it.

    ``reason`` says what caused the trade: ``"signal"`` (the strategy's own entry and exit, and
    positions still open at the end), ``"end"`` (closed by ``close_at_end``) or
    ``"rebalance"`` (a trim or a top-up by a ``scale`` rebalance, see
    :mod:`orchestrator.core.rebalancing`).
    """

    strategy_id: str
    symbol: str
    entry_time: pd.Timestamp
    entry_price: float
    exit_time: pd.Timestamp
    exit_price: float
    quantity: float
    pnl: float
    return_pct: float
    commission: float
    slippage: float
    bars_held: int
    is_open: bool = False
    reason: str = "signal"


@dataclass(frozen=True, slots=True)
class CapitalBreach:
    """An episode of entries that wanted more capital than their strategy had.

    One record per strategy x symbol x run of consecutive bars of that symbol on which the
    same kind of unaffordable entry was retried: ``timestamp`` is its first bar,
    ``last_timestamp`` its last (None: the same bar) and ``bars`` how many bars it lasted.
    ``requested`` and ``allowed`` are the first bar's currency amounts; ``action`` is
    ``"reduced"`` (filled with what fits) or ``"dropped"`` (not even one share fitted).
    """

    timestamp: pd.Timestamp
    strategy_id: str
    symbol: str
    requested: float
    allowed: float
    action: Literal["reduced", "dropped"]
    last_timestamp: pd.Timestamp | None = None
    bars: int = 1


TRADE_COLUMNS = [f for f in Trade.__dataclass_fields__]
BREACH_COLUMNS = [f for f in CapitalBreach.__dataclass_fields__]
