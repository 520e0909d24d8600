"""Tests of orchestrator.core.engine: weights (FR-002), allocation (FR-003), no look-ahead (FR-015),
strategy ids and symbols, input forms, errors and logging."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestrator import (
    BarWindow,
    ConfigError,
    DataError,
    HistoricalDataBar,
    OrchestratorConfig,
    OrchestratorError,
    StrategyError,
    StrategyOrchestrator,
    StrategyState,
)
from tests.conftest import ohlc

OHLCV = ("open", "high", "low", "close", "volume")


def bars_of(symbol: str, frame: pd.DataFrame) -> list[HistoricalDataBar]:
    return [
        HistoricalDataBar(symbol, ts.to_pydatetime(), *(float(row[c]) for c in OHLCV))
        for ts, row in zip(pd.DatetimeIndex(frame.index), frame.to_dict("records"), strict=True)
    ]


class Never:
    """Never trades."""

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return False

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


class Scripted:
    """Enters and exits on given bar indices (0-based, per symbol)."""

    def __init__(
        self,
        enter: dict[str, set[int]],
        exit_: dict[str, set[int]] | None = None,
        name: str | None = None,
        symbols: list[str] | None = None,
    ) -> None:
        self.enter = enter
        self.exit = exit_ or {}
        if name is not None:
            self.name = name
        if symbols is not None:
            self.symbols = symbols

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) - 1 in self.enter.get(state.symbol, set())

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) - 1 in self.exit.get(state.symbol, set())


class Spy:
    """Records what it sees at every call and checks the future is out of reach."""

    def __init__(self, name: str = "spy") -> None:
        self.name = name
        self.seen: list[tuple[str, int, datetime, float, pd.Timestamp]] = []

    def _look(self, bars: BarWindow, state: StrategyState) -> None:
        n = len(bars)
        self.seen.append(
            (bars.symbol, n, bars[-1].timestamp, float(bars.close[-1]), state.timestamp)
        )
        for name in ("open", "high", "low", "close", "volume", "timestamp"):
            assert len(getattr(bars, name)) == n
        try:
            bars[n]
        except IndexError:
            pass
        else:  # pragma: no cover - would be look-ahead
            raise AssertionError("bars[len(bars)] returned a future bar")
        try:
            bars.close[0] = -1.0
        except ValueError:
            pass
        else:  # pragma: no cover - would let a strategy rewrite history
            raise AssertionError("bars.close is writable")

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        self._look(bars, state)
        return len(bars) % 3 == 1

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        self._look(bars, state)
        return len(bars) % 2 == 0


def run(
    pairs: list[tuple[Any, Any]],
    data: dict[str, Any],
    capital: Any = 10_000,
    **config: Any,
) -> Any:
    return StrategyOrchestrator(pairs, capital, OrchestratorConfig(**config)).run(data)


# ---- FR-002: weights -------------------------------------------------------------------------


def test_orchestrator_weights_035_065_accepted_exactly() -> None:
    orch = StrategyOrchestrator([(Never(), 0.35), (Never(), 0.65)], Decimal("100000"))
    assert [a.weight for a in orch.allocations.values()] == [Decimal("0.35"), Decimal("0.65")]
    assert orch.unallocated_cash == 0.0


def test_orchestrator_weights_08_07_raise_total_exceeds() -> None:
    with pytest.raises(ValueError, match=r"Total weight 1\.5 exceeds 1\.0") as info:
        StrategyOrchestrator([(Never(), 0.8), (Never(), 0.7)], 100_000)
    assert isinstance(info.value, ConfigError)
    assert "at most 1.0" in str(info.value)


def test_orchestrator_weights_decimal_over_one_by_tiny_amount_raises() -> None:
    with pytest.raises(ConfigError, match=r"Total weight 1\.0000000001 exceeds 1\.0"):
        StrategyOrchestrator([(Never(), Decimal("0.5")), (Never(), Decimal("0.5000000001"))], 1)


@pytest.mark.parametrize("weights", [[1], [0.1, 0.2, 0.3, 0.4], [Decimal("0.6"), 0.4], [0, 0]])
def test_orchestrator_weights_sum_at_most_one_accepted(weights: list[Any]) -> None:
    orch = StrategyOrchestrator([(Never(), w) for w in weights], 1000)
    assert len(orch.allocations) == len(weights)


def test_orchestrator_no_strategies_raises() -> None:
    with pytest.raises(ConfigError, match="strategies_with_weights is empty"):
        StrategyOrchestrator([], 100_000)


@pytest.mark.parametrize(
    ("weight", "fragment"),
    [
        (-0.1, "must be between 0 and 1; found -0.1"),
        (1.01, "must be between 0 and 1; found 1.01"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (True, "must be a number"),
        ("abc", "must be a number; found 'abc'"),
        (None, "must be a number"),
    ],
)
def test_orchestrator_bad_weight_raises_naming_strategy(weight: Any, fragment: str) -> None:
    with pytest.raises(ConfigError, match=r"weight of strategy #2") as info:
        StrategyOrchestrator([(Never(), 0.1), (Never(), weight)], 100_000)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("capital", "fragment"),
    [
        (0, "initial_capital must be > 0; found 0"),
        (-100, "initial_capital must be > 0; found -100"),
        (Decimal("-0.01"), "must be > 0"),
        (float("nan"), "finite"),
        (False, "must be a number"),
        ("lots", "must be a number"),
    ],
)
def test_orchestrator_bad_capital_raises(capital: Any, fragment: str) -> None:
    with pytest.raises(ConfigError, match="initial_capital") as info:
        StrategyOrchestrator([(Never(), 1)], capital)
    assert fragment in str(info.value)


def test_orchestrator_strategy_without_methods_raises_naming_it() -> None:
    class Half:
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            return False

    with pytest.raises(ConfigError, match=r"strategy #2 \(Half\) has no callable should_exit"):
        StrategyOrchestrator([(Never(), 0.5), (Half(), 0.5)], 1000)


@pytest.mark.parametrize("items", ["momentum", 5, [Never()], [(Never(), 0.5, 1)]])
def test_orchestrator_malformed_pairs_raise(items: Any) -> None:
    with pytest.raises(ConfigError, match="strategies_with_weights"):
        StrategyOrchestrator(items, 1000)


def test_orchestrator_config_wrong_type_raises() -> None:
    with pytest.raises(ConfigError, match="config must be an OrchestratorConfig; found dict"):
        StrategyOrchestrator([(Never(), 1)], 1000, {"fill": "close"})  # type: ignore[arg-type]


# ---- FR-003: allocation ----------------------------------------------------------------------


def test_orchestrator_allocation_100k_50_30_20_exact() -> None:
    strategies = [(Never(), 0.5), (Never(), 0.3), (Never(), 0.2)]
    orch = StrategyOrchestrator(strategies, Decimal("100000"))
    assert [a.allocated_capital for a in orch.allocations.values()] == [50_000, 30_000, 20_000]
    assert [a.available_capital for a in orch.allocations.values()] == [50_000, 30_000, 20_000]
    assert orch.unallocated_cash == 0.0
    result = orch.run({"X": ohlc([10, 11, 12])})
    assert [sr.allocated_capital for sr in result.strategy_results.values()] == [
        50_000.0,
        30_000.0,
        20_000.0,
    ]
    assert [sr.equity_curve.iloc[0] for sr in result.strategy_results.values()] == [
        50_000.0,
        30_000.0,
        20_000.0,
    ]


def test_orchestrator_allocation_remainder_stays_unallocated_cash() -> None:
    result = run([(Never(), 0.5), (Never(), 0.3)], {"X": ohlc([10, 11, 12])}, 100_000)
    assert result.unallocated_cash == 20_000.0
    assert result.portfolio_equity.tolist() == [100_000.0] * 3


def test_orchestrator_allocation_accepts_decimal_float_int_alike() -> None:
    data = {"X": ohlc([10, 11, 12, 13])}
    a = run([(Scripted({"X": {0}}), Decimal("0.6"))], data, Decimal("1000"))
    b = run([(Scripted({"X": {0}}), 0.6)], data, 1000.0)
    c = run([(Scripted({"X": {0}}), "0.6")], data, 1000)
    assert a == b == c


def test_orchestrator_run_leaves_allocations_untouched_and_repeats_identically() -> None:
    orch = StrategyOrchestrator([(Scripted({"X": {0}}, {"X": {2}}), 1)], 1000)
    data = {"X": ohlc([10, 11, 12, 13, 14])}
    first = orch.run(data)
    assert orch.allocations["scripted"].available_capital == 1000.0
    assert orch.run(data) == first


# ---- strategy ids ----------------------------------------------------------------------------


class MomentumStrategy(Never):
    pass


class MeanReversionStrategy(Never):
    pass


class HTTPSignalStrategy(Never):
    pass


class Strategy(Never):
    pass


class Named(Never):
    def __init__(self, name: Any) -> None:
        self.name = name


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (MomentumStrategy(), "momentum"),
        (MeanReversionStrategy(), "mean_reversion"),
        (HTTPSignalStrategy(), "http_signal"),
        (Strategy(), "strategy"),
        (Never(), "never"),
        (Named("my label"), "my label"),
        (Named("  padded  "), "padded"),
        (Named(""), "named"),
        (Named(None), "named"),
        (Named(42), "named"),
    ],
)
def test_orchestrator_strategy_id_from_name_or_class(strategy: object, expected: str) -> None:
    assert StrategyOrchestrator([(strategy, 1)], 1000).strategy_ids == [expected]


def test_orchestrator_strategy_id_duplicates_numbered_in_order() -> None:
    orch = StrategyOrchestrator(
        [
            (MomentumStrategy(), 0.2),
            (Never(), 0.2),
            (MomentumStrategy(), 0.2),
            (MomentumStrategy(), 0.2),
        ],
        1000,
    )
    assert orch.strategy_ids == ["momentum", "never", "momentum#2", "momentum#3"]
    result = orch.run({"X": ohlc([1, 2])})
    assert list(result.strategy_results) == orch.strategy_ids


def test_orchestrator_strategy_id_explicit_suffix_never_collides() -> None:
    orch = StrategyOrchestrator(
        [(Named("a"), 0.25), (Named("a#2"), 0.25), (Named("a"), 0.25), (Named("a#2"), 0.25)],
        1000,
    )
    assert orch.strategy_ids == ["a", "a#2", "a#3", "a#2#2"]
    assert len(orch.allocations) == 4
    result = orch.run({"X": ohlc([1, 2])})
    assert list(result.strategy_results) == orch.strategy_ids


# ---- symbols ---------------------------------------------------------------------------------


def test_orchestrator_symbols_attribute_restricts_strategy() -> None:
    spy_a = Spy("only_a")
    spy_a.symbols = ["A"]  # type: ignore[attr-defined]
    spy_all = Spy("all")
    data = {"B": ohlc([5, 6, 7]), "A": ohlc([1, 2, 3])}
    result = run([(spy_a, 0.5), (spy_all, 0.5)], data)
    assert {s for s, *_ in spy_a.seen} == {"A"}
    assert [s for s, *_ in spy_all.seen] == ["A", "B"] * 3  # symbols in sorted order per bar
    assert result.get_strategy_result("only_a").symbols == ("A",)
    assert result.get_strategy_result("all").symbols == ("A", "B")


def test_orchestrator_symbols_as_string_accepted() -> None:
    spy = Spy()
    spy.symbols = "B"  # type: ignore[attr-defined]
    run([(spy, 1)], {"A": ohlc([1, 2]), "B": ohlc([3, 4])})
    assert {s for s, *_ in spy.seen} == {"B"}


def test_orchestrator_symbols_unknown_raise_naming_it() -> None:
    strategy = Scripted({}, name="picky", symbols=["A", "ZZZ"])
    with pytest.raises(DataError) as info:
        run([(strategy, 1)], {"A": ohlc([1, 2]), "B": ohlc([1, 2])})
    message = str(info.value)
    assert "strategy 'picky' trades ['ZZZ']" in message
    assert "symbols in the data: A, B" in message


def test_orchestrator_symbols_empty_raise() -> None:
    with pytest.raises(DataError, match="strategy 'picky' trades no symbols"):
        run([(Scripted({}, name="picky", symbols=[]), 1)], {"A": ohlc([1, 2])})


def test_orchestrator_strategy_max_positions_attribute_overrides_config() -> None:
    strategy = Scripted({"A": {0}, "B": {0}})
    strategy.max_positions = 1  # type: ignore[attr-defined]
    data = {"A": ohlc([10, 10, 10]), "B": ohlc([10, 10, 10])}
    result = run([(strategy, 1)], data, 1000, max_positions=2)
    trades = result.get_strategy_result("scripted").trades
    # One slot: A takes the whole equity (100 shares), B gets nothing.
    assert trades["symbol"].tolist() == ["A"]
    assert trades["quantity"].tolist() == [100.0]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_orchestrator_strategy_max_positions_invalid_raises_naming_strategy(bad: Any) -> None:
    strategy = Scripted({"A": {0}}, name="slotted")
    strategy.max_positions = bad  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"strategy 'slotted': max_positions must be a whole"):
        run([(strategy, 1)], {"A": ohlc([10, 10, 10])})


def test_orchestrator_strategy_max_positions_none_uses_symbol_count() -> None:
    strategy = Scripted({"A": {0}, "B": {0}})
    strategy.max_positions = None  # type: ignore[attr-defined]
    result = run([(strategy, 1)], {"A": ohlc([10, 10, 10]), "B": ohlc([10, 10, 10])}, 1000)
    assert result.get_strategy_result("scripted").trades["quantity"].tolist() == [50.0, 50.0]


# ---- input forms -----------------------------------------------------------------------------


def test_orchestrator_bar_lists_and_frames_identical_results() -> None:
    a = ohlc([10, 11, 9, 12, 13, 12], opens=[10, 10.5, 10, 9.5, 12.5, 13])
    b = ohlc([50, 49, 51, 52, 50], start="2024-01-02", opens=[50, 50, 49, 51, 52])
    strategies = [
        (Scripted({"A": {0, 3}, "B": {1}}, {"A": {2}, "B": {3}}), 0.5),
        (Spy(), 0.3),
    ]
    frames = run(strategies, {"A": a, "B": b}, 10_000, commission_rate=0.001)
    bars = run(
        strategies, {"A": bars_of("A", a), "B": bars_of("B", b)}, 10_000, commission_rate=0.001
    )
    assert frames == bars
    assert len(frames.trades) > 0


def test_orchestrator_run_empty_input_raises() -> None:
    orch = StrategyOrchestrator([(Never(), 1)], 1000)
    with pytest.raises(DataError, match="historical_data must be a non-empty dict"):
        orch.run({})


def test_orchestrator_run_bad_bars_raise_naming_symbol_timestamp_problem() -> None:
    frame = ohlc([1, 2, 3])
    frame.loc[frame.index[1], "close"] = np.nan
    with pytest.raises(DataError) as info:
        run([(Never(), 1)], {"GOOD": ohlc([1, 2, 3]), "BAD": frame})
    message = str(info.value)
    assert "symbol 'BAD'" in message
    assert "2024-01-02T00:00:00" in message
    assert "close is nan" in message


# ---- FR-015: no look-ahead -------------------------------------------------------------------


def test_orchestrator_spy_sees_exactly_bars_up_to_now() -> None:
    crypto = ohlc(np.arange(1.0, 11.0), start="2024-01-05")  # 10 days, every day
    stock = ohlc(np.arange(101.0, 108.0), start="2024-01-05", freq="B")  # 7 weekdays
    data = {"BTC": crypto, "SPY": stock}
    spy = Spy()
    run([(spy, 1)], data)
    by_symbol: dict[str, list[tuple[int, datetime, float, pd.Timestamp]]] = {}
    for symbol, n, last_ts, last_close, state_ts in spy.seen:
        by_symbol.setdefault(symbol, []).append((n, last_ts, last_close, state_ts))
    for symbol, frame in data.items():
        calls = by_symbol[symbol]
        # Asked exactly once at each of the symbol's own bars, in order...
        assert [ts for _, ts, _, _ in calls] == list(frame.index)
        for k, (n, last_ts, last_close, state_ts) in enumerate(calls):
            # ...and at each call the window holds exactly the bars up to now, never more.
            assert n == k + 1
            assert last_ts == frame.index[k] == state_ts
            assert last_close == frame["close"].iloc[k]
    # Timeline order: at every call, nothing later than the current timestamp was shown before.
    stamps = [ts for _, _, ts, _, _ in spy.seen]
    assert stamps == sorted(stamps)


def test_orchestrator_spy_window_arrays_equal_history_prefix() -> None:
    closes = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    frame = ohlc(closes)
    prefixes: list[list[float]] = []
    stamps: list[list[np.datetime64]] = []

    class Recorder(Never):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            prefixes.append(bars.close.tolist())
            stamps.append(list(bars.timestamp))
            return False

    run([(Recorder(), 1)], {"X": frame})
    assert prefixes == [closes[: k + 1] for k in range(len(closes))]
    assert stamps == [list(frame.index.values.astype("datetime64[ns]")[: k + 1]) for k in range(8)]


def test_orchestrator_strategy_writing_window_raises_strategy_error_value_error() -> None:
    class Vandal(Never):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            bars.close[-1] = 0.0
            return False

    with pytest.raises(StrategyError) as info:
        run([(Vandal(), 1)], {"X": ohlc([1, 2])})
    assert isinstance(info.value.__cause__, ValueError)
    assert "read-only" in str(info.value.__cause__)


def test_orchestrator_strategy_peeking_past_now_raises_strategy_error_index_error() -> None:
    class Peeker(Never):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            return bars[len(bars)].close > bars[-1].close

    with pytest.raises(StrategyError, match="IndexError") as info:
        run([(Peeker(), 1)], {"X": ohlc([1, 2, 3])})
    assert isinstance(info.value.__cause__, IndexError)
    assert info.value.timestamp == pd.Timestamp("2024-01-01")


def test_orchestrator_prepare_called_once_per_symbol_with_whole_history_before_run() -> None:
    events: list[tuple[str, str, int]] = []

    class Prepared(Never):
        def prepare(self, bars: BarWindow) -> None:
            events.append(("prepare", bars.symbol, len(bars)))

        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            events.append(("enter", bars.symbol, len(bars)))
            return False

    run([(Prepared(), 1)], {"A": ohlc([1, 2, 3]), "B": ohlc([1, 2], start="2024-01-02")})
    assert events[:2] == [("prepare", "A", 3), ("prepare", "B", 2)]
    assert [e for e in events if e[0] == "prepare"] == events[:2]
    assert events[2:] == [
        ("enter", "A", 1),
        ("enter", "A", 2),
        ("enter", "B", 1),
        ("enter", "A", 3),
        ("enter", "B", 2),
    ]


def test_orchestrator_zero_weight_strategy_never_asked() -> None:
    class Explodes(Never):
        def prepare(self, bars: BarWindow) -> None:
            raise AssertionError("prepare called")

        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            raise AssertionError("asked")

    result = run([(Explodes(), 0), (Never(), 1)], {"X": ohlc([1, 2, 3])}, 1000)
    sr = result.get_strategy_result("explodes")
    assert sr.allocated_capital == 0.0
    assert sr.equity_curve.tolist() == [0.0, 0.0, 0.0]
    assert len(sr.trades) == 0


# ---- errors from strategies ------------------------------------------------------------------


class Boom(Never):
    def __init__(self, symbol: str, at: int, where: str = "enter") -> None:
        self.symbol, self.at, self.where = symbol, at, where

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        if self.where == "enter" and state.symbol == self.symbol and len(bars) - 1 == self.at:
            return 1 / 0 > 0
        return self.where == "exit"

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        if state.symbol == self.symbol and len(bars) - 1 == self.at:
            raise KeyError("missing indicator")
        return False


def test_orchestrator_strategy_raises_in_enter_strategy_error_names_id_symbol_time() -> None:
    data = {"A": ohlc([1, 2, 3, 4]), "B": ohlc([5, 6, 7, 8])}
    with pytest.raises(StrategyError) as info:
        run([(Never(), 0.5), (Boom("B", 2), 0.5)], data)
    err = info.value
    assert isinstance(err, OrchestratorError)
    assert isinstance(err, RuntimeError)
    assert str(err) == (
        "strategy 'boom' raised ZeroDivisionError on symbol 'B' at 2024-01-03T00:00:00: "
        "division by zero"
    )
    assert (err.strategy_id, err.symbol, err.timestamp) == ("boom", "B", pd.Timestamp("2024-01-03"))
    assert isinstance(err.__cause__, ZeroDivisionError)


def test_orchestrator_strategy_raises_in_exit_strategy_error_chained() -> None:
    with pytest.raises(StrategyError, match=r"'boom' raised KeyError on symbol 'A' at 2024-01-04"):
        run([(Boom("A", 3, where="exit"), 1)], {"A": ohlc([1, 2, 3, 4, 5])})


def test_orchestrator_strategy_raises_in_prepare_strategy_error() -> None:
    class BadPrepare(Never):
        def prepare(self, bars: BarWindow) -> None:
            raise TypeError("bad parameter")

    with pytest.raises(StrategyError) as info:
        run([(BadPrepare(), 1)], {"X": ohlc([1, 2])})
    assert str(info.value) == (
        "strategy 'bad_prepare' raised TypeError on symbol 'X' in prepare(): bad parameter"
    )
    assert info.value.timestamp is None
    assert isinstance(info.value.__cause__, TypeError)


@pytest.mark.parametrize("error", [DataError, ConfigError, StrategyError])
def test_orchestrator_strategy_raising_orchestrator_error_wrapped_with_context(
    error: type[Exception],
) -> None:
    class Raises(Never):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            if error is StrategyError:
                raise StrategyError("mine", strategy_id="x", symbol="Y", timestamp=None)
            raise error("my own data problem")

    with pytest.raises(StrategyError) as info:
        run([(Raises(), 1)], {"X": ohlc([1, 2])})
    if error is not StrategyError:  # a StrategyError of its own passes as raised
        assert str(info.value) == (
            f"strategy 'raises' raised {error.__name__} on symbol 'X' at "
            f"2024-01-01T00:00:00: my own data problem"
        )
        assert (info.value.strategy_id, info.value.symbol) == ("raises", "X")
        assert info.value.timestamp == pd.Timestamp("2024-01-01")
        assert isinstance(info.value.__cause__, error)


def test_orchestrator_strategy_returning_array_strategy_error_names_type() -> None:
    class Vector(Never):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> Any:
            return bars.close > 100  # an array, never a decision

    expected = r"answered array.* of type ndarray on symbol 'X' at 2024-01-01T00:00:00"
    with pytest.raises(StrategyError, match=expected):
        run([(Vector(), 1)], {"X": ohlc([1, 2, 3])})


# ---- logging and progress --------------------------------------------------------------------


def test_orchestrator_logging_level_applied_to_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    run([(Never(), 1)], {"X": ohlc([1, 2])}, logging_level="WARNING")
    assert logging.getLogger("orchestrator").level == logging.WARNING
    assert not [r for r in caplog.records if r.name == "orchestrator"]
    caplog.clear()
    run([(Never(), 1)], {"X": ohlc([1, 2])}, logging_level="info")
    assert logging.getLogger("orchestrator").level == logging.INFO
    (record,) = [r for r in caplog.records if r.name == "orchestrator"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("ran 1 strategies over 1 symbols and 2 timestamps")


def test_orchestrator_progress_called_to_completion() -> None:
    calls: list[tuple[int, int]] = []
    orch = StrategyOrchestrator([(Never(), 1)], 1000)
    orch.run(
        {"X": ohlc(np.linspace(1, 2, 500))},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (500, 500)
    assert all(total == 500 for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert 2 <= len(calls) < 500  # now and then, not at every bar


# ---- metrics wiring --------------------------------------------------------------------------


def test_orchestrator_large_capital_metrics_from_curve_without_spurious_bar() -> None:
    # 20,963,283.86 split 0.199 / 0.221 / 0.001 (+ cash) sums back 3.7e-9 off in floats; that
    # must not count as a first-bar fill that adds a starting point to the portfolio's curve.
    from orchestrator.core.metrics import annual_volatility, cagr

    data = {"X": ohlc([10, 11, 12, 11, 13, 14])}
    always = Scripted({"X": {0}})
    result = run(
        [(always, Decimal("0.199")), (always, Decimal("0.221")), (always, Decimal("0.001"))],
        data,
        Decimal("20963283.86"),
    )
    curve = result.portfolio_equity.to_numpy()
    ppy = result.periods_per_year
    assert result.aggregate_metrics.cagr == pytest.approx(cagr(curve, ppy), rel=1e-12)
    assert result.aggregate_metrics.annual_volatility == pytest.approx(
        annual_volatility(curve, ppy), rel=1e-12
    )


# ---- review regressions ----------------------------------------------------------------------


def test_orchestrator_metrics_of_a_strategy_independent_of_other_calendars() -> None:
    # A weekday stock strategy's CAGR, volatility and Sharpe must not change because another
    # strategy trades a 7-day symbol in the same run.
    stock = ohlc(
        100 * np.exp(np.linspace(0, 0.3, 120)) * (1 + 0.01 * np.sin(np.arange(120))),
        start="2024-01-01",
        freq="B",
    )
    coin = ohlc(50 + np.arange(170.0), start="2024-01-01", freq="D")
    # Fractional units, so that half the capital gives exactly the same returns.
    alone = run([(Scripted({"STK": {3}}, name="stk"), 1.0)], {"STK": stock}, fractional=True)
    beside = run(
        [
            (Scripted({"STK": {3}}, name="stk", symbols=["STK"]), 0.5),
            (Scripted({"BTC": {2}}, name="btc", symbols=["BTC"]), 0.5),
        ],
        {"STK": stock, "BTC": coin},
        fractional=True,
    )
    a, b = alone.get_strategy_result("stk"), beside.get_strategy_result("stk")
    assert a.periods_per_year == b.periods_per_year == 252.0
    assert beside.get_strategy_result("btc").periods_per_year == 365.0
    for field in ("total_return", "cagr", "annual_volatility", "sharpe_ratio", "exposure"):
        assert getattr(b.metrics, field) == pytest.approx(getattr(a.metrics, field), rel=1e-9)


def test_orchestrator_bars_mixing_aware_and_naive_times_raise_data_error() -> None:
    frame = ohlc([10, 11, 12])
    bars = bars_of("X", frame)
    aware = HistoricalDataBar("X", pd.Timestamp("2024-01-04", tz="America/New_York"), *[12.0] * 4)
    with pytest.raises(DataError, match="mix time zones and naive"):
        run([(Never(), 1.0)], {"X": [*bars, aware]})


def test_orchestrator_bars_in_different_time_zones_normalised_to_utc() -> None:
    stamps = [
        pd.Timestamp("2024-01-02 16:00", tz="America/New_York"),
        pd.Timestamp("2024-01-03 21:00", tz="UTC"),
    ]
    bars = [HistoricalDataBar("X", t, 10.0, 10.0, 10.0, 10.0) for t in stamps]
    result = run([(Never(), 1.0)], {"X": bars})
    assert list(result.portfolio_equity.index) == [
        pd.Timestamp("2024-01-02 21:00"),
        pd.Timestamp("2024-01-03 21:00"),
    ]


def test_orchestrator_fractional_drop_reports_minimum_commission_as_requested() -> None:
    # A slot budget of 40 cannot pay a 50 minimum commission: dropped, and what the smallest
    # order would need (the minimum) is reported, not the budget twice.
    result = run(
        [(Scripted({"X": {0}}), 1.0)],
        {"X": ohlc([10, 11, 12])},
        capital=40,
        fractional=True,
        commission_min=50.0,
    )
    (breach,) = result.breaches.itertuples()
    assert breach.action == "dropped"
    assert (breach.requested, breach.allowed) == (50.0, 40.0)
