"""Results of a run: frozen dataclasses holding pandas objects, with a lossless JSON form.

``to_dict()`` gives JSON-serialisable plain data (timestamps ISO 8601, NaN as null, infinities
as the strings "Infinity"/"-Infinity"); ``from_dict()`` rebuilds a result equal to the original.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.metrics import PerformanceMetrics
from orchestrator.core.models import (
    BREACH_COLUMNS,
    TRADE_COLUMNS,
    CapitalBreach,
    OrchestratorConfig,
    Trade,
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
#: One row per sleeve per rebalance: the transfer (+ into the sleeve, - out of it, to the
#: unallocated cash pool), why (``schedule`` or ``drift``), the commission + slippage of the
#: trades it caused in that sleeve, and the part of the wanted move that could not be made.
TRANSFER_COLUMNS = ["timestamp", "strategy_id", "amount", "reason", "costs", "shortfall"]
_TIME_COLUMNS = {"entry_time", "exit_time", "timestamp", "last_timestamp"}
_INT_COLUMNS = {"bars_held", "bars"}
_BOOL_COLUMNS = {"is_open"}
_STR_COLUMNS = {"strategy_id", "symbol", "action", "reason"}


def _retype(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every known column its one dtype, so equal tables compare equal."""
    for col in frame.columns:
        if col in _TIME_COLUMNS:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif col in _INT_COLUMNS:
            frame[col] = frame[col].astype(np.int64)
        elif col in _BOOL_COLUMNS:
            frame[col] = frame[col].astype(bool)
        elif col in _STR_COLUMNS:
            frame[col] = frame[col].astype(object)
        else:
            frame[col] = frame[col].astype(np.float64)
    return frame


def frame_from_columns(columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Build a trades or breaches table from whole columns (numpy arrays of the final dtypes:
    datetime64[ns], int64, bool, float64, object), typed as :func:`trades_frame` and
    :func:`breaches_frame` type theirs: the engine's column-wise path, with no per-row work."""
    data: dict[str, Any] = dict(columns)
    for col in _STR_COLUMNS.intersection(data):
        # An explicit object Series: pandas 3 would otherwise infer its string dtype.
        data[col] = pd.Series(data[col], dtype=object, copy=False)
    return pd.DataFrame(data, copy=False)


def _typed_frame(items: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    """Build a table column by column from records (mappings) or dataclass instances."""
    rows = list(items)
    data = {c: [r[c] if isinstance(r, Mapping) else getattr(r, c) for r in rows] for c in columns}
    return _retype(pd.DataFrame(data, columns=columns))


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(kind: str) -> pd.DataFrame:
    """An empty trades (``kind="trades"``) or breaches table with every column typed: a copy
    of one built once, so that results for many sleeves pay no construction cost for it."""
    if kind not in _EMPTY:
        if kind == "trades":
            _EMPTY[kind] = trades_frame([])
        elif kind == "transfers":
            _EMPTY[kind] = transfers_frame([])
        else:
            _EMPTY[kind] = breaches_frame([])
    # A shallow copy: pandas copies on write, so a change to one never reaches the others.
    return _EMPTY[kind].copy(deep=False)


def trades_frame(trades: Iterable[Trade | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per trade, columns as :class:`~orchestrator.core.models.Trade`'s fields (a
    record without ``reason``, from before trades had one, is a ``"signal"`` trade)."""
    rows = [
        {**r, "reason": "signal"} if isinstance(r, Mapping) and "reason" not in r else r
        for r in trades
    ]
    return _typed_frame(rows, TRADE_COLUMNS)


def transfers_frame(transfers: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per sleeve per rebalance, columns :data:`TRANSFER_COLUMNS` (``shortfall``
    0 when a record has none)."""
    rows = [{"shortfall": 0.0, **r} for r in transfers]
    return _typed_frame(rows, TRANSFER_COLUMNS)


def breaches_frame(breaches: Iterable[CapitalBreach | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per breach episode, columns as :class:`~orchestrator.core.models.CapitalBreach`'s.

    A record without ``last_timestamp`` (or with None) ends on its first bar; one without
    ``bars`` lasted one bar (the form of single-bar breaches before episodes).
    """
    rows = []
    for r in breaches:
        row = dict(r) if isinstance(r, Mapping) else {c: getattr(r, c) for c in BREACH_COLUMNS}
        last = row.get("last_timestamp")
        if last is None or last is pd.NaT:
            row["last_timestamp"] = row["timestamp"]
        row.setdefault("bars", 1)
        rows.append(row)
    return _typed_frame(rows, BREACH_COLUMNS)


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return _retype(pd.concat(frames, ignore_index=True)) if frames else empty


# ---- JSON helpers -----------------------------------------------------------------------------


def _enc(value: Any) -> Any:
    """Encode one scalar for JSON."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _dec_float(value: Any) -> float:
    if value is None:
        return math.nan
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    return float(value)


def _series_to_dict(series: pd.Series) -> dict[str, Any]:
    return {
        "index": [ts.isoformat() for ts in series.index],
        "values": [_enc(v) for v in series.to_numpy(dtype=float)],
    }


def _series_from_dict(data: Mapping[str, Any], name: str) -> pd.Series:
    index = pd.DatetimeIndex(pd.to_datetime(data["index"])).as_unit("ns")
    values = np.array([_dec_float(v) for v in data["values"]], dtype=np.float64)
    return pd.Series(values, index=index, name=name)


def _frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [
        {c: _enc(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _decode_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if k in _TIME_COLUMNS:
                row[k] = pd.Timestamp(v) if v is not None else pd.NaT
            elif k in _INT_COLUMNS or k in _BOOL_COLUMNS or k in _STR_COLUMNS:
                row[k] = v
            else:
                row[k] = _dec_float(v)
        out.append(row)
    return out


def _metrics_from_dict(data: Mapping[str, Any]) -> PerformanceMetrics:
    kwargs: dict[str, Any] = {}
    for f in fields(PerformanceMetrics):
        v = data[f.name]
        kwargs[f.name] = int(v) if f.type == "int" else _dec_float(v)
    return PerformanceMetrics(**kwargs)


def _frames_equal(a: Any, b: Any) -> bool:
    """Equal pandas objects: same index, dtypes and values, NaN matching NaN."""
    return type(a) is type(b) and bool(a.equals(b))


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
