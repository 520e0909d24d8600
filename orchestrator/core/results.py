"""Results of a run: frozen dataclasses holding pandas objects, with a lossless JSON form.

``to_dict()`` gives JSON-serialisable plain data (timestamps ISO 8601, NaN as null, infinities
as the strings "Infinity"/"-Infinity"); ``from_dict()`` rebuilds a result equal to the original.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import pandas as pd

from orchestrator.core.frames import (
    TRANSFER_COLUMNS,
    _concat,
    breaches_frame,
    empty_frame,
    frame_from_columns,
    trades_frame,
    transfers_frame,
)
from orchestrator.core.metrics import PerformanceMetrics
from orchestrator.core.models import OrchestratorConfig, Trade
from orchestrator.core.result_json import (
    _dec_float,
    _decode_records,
    _enc,
    _frame_to_records,
    _frames_equal,
    _metrics_from_dict,
    _series_from_dict,
    _series_to_dict,
)

__all__ = [
    "PORTFOLIO",
    "TRANSFER_COLUMNS",
    "OrchestratorResult",
    "StrategyResult",
    "breaches_frame",
    "empty_frame",
    "frame_from_columns",
    "trades_frame",
    "transfers_frame",
]

PORTFOLIO = "Portfolio"

# ---- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StrategyResult:
    """Everything one strategy did in a run, tracked on its own capital.

    ``equity_curve`` and ``cash_curve`` are on the run's global timeline; ``trades`` has one
    row per trade (open positions at the end included, with ``is_open``); ``breaches`` one row
    per order that wanted more capital than the strategy had.
    """

    strategy_id: str
    weight: Decimal
    allocated_capital: float
    symbols: tuple[str, ...]
    equity_curve: pd.Series
    cash_curve: pd.Series
    trades: pd.DataFrame
    breaches: pd.DataFrame
    metrics: PerformanceMetrics
    periods_per_year: float = 252.0  # of the strategy's own calendar (see the engine)

    @property
    def final_equity(self) -> float:
        return float(self.equity_curve.iloc[-1]) if len(self.equity_curve) else math.nan

    @property
    def positions_value(self) -> pd.Series:
        """Market value of the open positions at each bar (equity minus cash)."""
        return (self.equity_curve - self.cash_curve).rename(self.strategy_id)

    def trade_records(self) -> list[Trade]:
        """The trades as :class:`Trade` objects."""
        return [Trade(**row) for row in _decode_records(_frame_to_records(self.trades))]

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy_id": self.strategy_id,
            "weight": str(self.weight),
            "allocated_capital": _enc(self.allocated_capital),
            "symbols": list(self.symbols),
            "equity_curve": _series_to_dict(self.equity_curve),
            "cash_curve": _series_to_dict(self.cash_curve),
            "trades": _frame_to_records(self.trades),
            "breaches": _frame_to_records(self.breaches),
            "metrics": {k: _enc(v) for k, v in self.metrics.to_dict().items()},
            "periods_per_year": _enc(self.periods_per_year),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StrategyResult:
        sid = data["strategy_id"]
        return cls(
            strategy_id=sid,
            weight=Decimal(data["weight"]),
            allocated_capital=_dec_float(data["allocated_capital"]),
            symbols=tuple(data["symbols"]),
            equity_curve=_series_from_dict(data["equity_curve"], sid),
            cash_curve=_series_from_dict(data["cash_curve"], sid),
            trades=trades_frame(_decode_records(data["trades"])),
            breaches=breaches_frame(_decode_records(data["breaches"])),
            metrics=_metrics_from_dict(data["metrics"]),
            periods_per_year=_dec_float(data.get("periods_per_year", 252.0)),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StrategyResult):
            return NotImplemented
        return (
            self.strategy_id == other.strategy_id
            and self.weight == other.weight
            and self.allocated_capital == other.allocated_capital
            and self.symbols == other.symbols
            and self.metrics == other.metrics
            and self.periods_per_year == other.periods_per_year
            and all(
                _frames_equal(getattr(self, n), getattr(other, n))
                for n in ("equity_curve", "cash_curve", "trades", "breaches")
            )
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class OrchestratorResult:
    """The result of one orchestrated run: every strategy's result and the portfolio's.

    ``portfolio_equity`` is, at every bar, the sum of the strategies' equity curves plus the
    unallocated cash. ``comparison_table`` has one row per strategy plus "Portfolio".
    """

    strategy_results: dict[str, StrategyResult]
    portfolio_equity: pd.Series
    initial_capital: float
    unallocated_cash: float
    aggregate_metrics: PerformanceMetrics
    periods_per_year: float
    config: OrchestratorConfig
    warnings: tuple[str, ...] = ()
    transfers: pd.DataFrame = field(default_factory=lambda: empty_frame("transfers"))

    @property
    def rebalances(self) -> int:
        """How many rebalances the run made (timestamps with transfers)."""
        return int(self.transfers["timestamp"].nunique())

    @property
    def rebalance_costs(self) -> float:
        """The commission + slippage of every trade the rebalances caused."""
        return float(self.transfers["costs"].sum())

    @cached_property
    def weights(self) -> pd.DataFrame:
        """Each sleeve's share of portfolio equity at every timestamp, then the unallocated
        cash's (column ``"Cash"``); each row sums to 1 (see
        :func:`orchestrator.core.attribution.weights_over_time`)."""
        from orchestrator.core.attribution import weights_over_time

        return weights_over_time(self)

    @cached_property
    def attribution(self) -> pd.DataFrame:
        """The portfolio's P&L split by strategy, costs and cash (see
        :func:`orchestrator.core.attribution.attribution`); sums to the P&L to the cent."""
        from orchestrator.core.attribution import attribution

        return attribution(self)

    @cached_property
    def comparison_table(self) -> pd.DataFrame:
        """One row per strategy plus "Portfolio": weight, allocated capital, final equity and
        every metric (fractions, not percent; formatting belongs to the UI)."""
        rows = []
        for sid, sr in self.strategy_results.items():
            rows.append(
                {
                    "strategy_id": sid,
                    "weight": float(sr.weight),
                    "allocated_capital": sr.allocated_capital,
                    "final_equity": sr.final_equity,
                    **sr.metrics.to_dict(),
                }
            )
        total_weight = sum((sr.weight for sr in self.strategy_results.values()), Decimal(0))
        rows.append(
            {
                "strategy_id": PORTFOLIO,
                "weight": float(total_weight),
                "allocated_capital": self.initial_capital,
                "final_equity": float(self.portfolio_equity.iloc[-1]),
                **self.aggregate_metrics.to_dict(),
            }
        )
        return pd.DataFrame(rows).set_index("strategy_id")

    @property
    def strategy_ids(self) -> list[str]:
        return list(self.strategy_results)

    @property
    def trades(self) -> pd.DataFrame:
        """Every strategy's trades in one table, in strategy order."""
        return _concat([sr.trades for sr in self.strategy_results.values()], trades_frame([]))

    @property
    def breaches(self) -> pd.DataFrame:
        """Every strategy's capital breaches in one table, in time order."""
        frame = _concat([sr.breaches for sr in self.strategy_results.values()], breaches_frame([]))
        return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)

    @property
    def equity_curves(self) -> pd.DataFrame:
        """One column per strategy plus "Portfolio", on the global timeline."""
        frame = pd.DataFrame({sid: sr.equity_curve for sid, sr in self.strategy_results.items()})
        frame[PORTFOLIO] = self.portfolio_equity
        frame.index.name = "timestamp"
        return frame

    def get_strategy_result(self, strategy_id: str) -> StrategyResult:
        """Return one strategy's result; KeyError lists the known ids."""
        try:
            return self.strategy_results[strategy_id]
        except KeyError:
            raise KeyError(
                f"no strategy {strategy_id!r} in this result; known ids: "
                f"{', '.join(map(repr, self.strategy_results))}"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """Return the whole result as JSON-serialisable data (``json.dumps`` works)."""
        return {
            "initial_capital": _enc(self.initial_capital),
            "unallocated_cash": _enc(self.unallocated_cash),
            "periods_per_year": _enc(self.periods_per_year),
            "config": self.config.to_dict(),
            "portfolio_equity": _series_to_dict(self.portfolio_equity),
            "aggregate_metrics": {k: _enc(v) for k, v in self.aggregate_metrics.to_dict().items()},
            "strategy_results": [sr.to_dict() for sr in self.strategy_results.values()],
            "warnings": list(self.warnings),
            "transfers": _frame_to_records(self.transfers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrchestratorResult:
        """Rebuild a result from :meth:`to_dict` output (after a JSON round trip too)."""
        results = [StrategyResult.from_dict(d) for d in data["strategy_results"]]
        return cls(
            strategy_results={sr.strategy_id: sr for sr in results},
            portfolio_equity=_series_from_dict(data["portfolio_equity"], PORTFOLIO),
            initial_capital=_dec_float(data["initial_capital"]),
            unallocated_cash=_dec_float(data["unallocated_cash"]),
            aggregate_metrics=_metrics_from_dict(data["aggregate_metrics"]),
            periods_per_year=_dec_float(data["periods_per_year"]),
            config=OrchestratorConfig.from_dict(dict(data["config"])),
            warnings=tuple(data.get("warnings", ())),
            transfers=transfers_frame(_decode_records(data.get("transfers", []))),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrchestratorResult):
            return NotImplemented
        return (
            list(self.strategy_results) == list(other.strategy_results)
            and all(
                a == b
                for a, b in zip(
                    self.strategy_results.values(), other.strategy_results.values(), strict=True
                )
            )
            and _frames_equal(self.portfolio_equity, other.portfolio_equity)
            and self.initial_capital == other.initial_capital
            and self.unallocated_cash == other.unallocated_cash
            and self.aggregate_metrics == other.aggregate_metrics
            and self.periods_per_year == other.periods_per_year
            and self.config == other.config
            and self.warnings == other.warnings
            and _frames_equal(self.transfers, other.transfers)
        )

    __hash__ = None  # type: ignore[assignment]
