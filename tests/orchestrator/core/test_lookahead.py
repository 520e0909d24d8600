"""check_lookahead: built-ins pass; strategies that peek at the future are caught."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from orchestrator import (
    BarWindow,
    ConfigError,
    LookaheadReport,
    StrategyError,
    StrategyState,
    check_lookahead,
)
from orchestrator.core.lookahead import LookaheadDifference
from strategies import REGISTRY, SignalStrategy, create
from tests.conftest import random_walk

# Windows small enough that a few hundred bars see many signals.
SMALL = {
    "buy_and_hold": {},
    "sma_crossover": {"fast": 3, "slow": 8},
    "ema_crossover": {"fast": 3, "slow": 8},
    "macd": {"fast": 3, "slow": 8, "signal": 4},
    "rsi_reversion": {"period": 5, "oversold": 35, "exit_level": 55},
    "bollinger_reversion": {"period": 6, "k": 1.0},
    "donchian_breakout": {"entry": 6, "exit": 3},
    "momentum": {"lookback": 5},
}


def _data(symbols: int = 2, n: int = 160, seed: int = 5) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    # Different calendars: each symbol starts three days after the one before.
    return {
        f"S{k}": random_walk(rng, n, start_price=40.0, vol=0.03, start=f"2021-01-{1 + 3 * k:02d}")
        for k in range(symbols)
    }


class CentredMean(SignalStrategy):
    """Cheats: a centred rolling mean uses the next two closes."""

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        close = pd.Series(bars.close)
        middle = close.rolling(5, center=True).mean().to_numpy()
        with np.errstate(invalid="ignore"):
            return bars.close < middle, bars.close > middle


class TomorrowUp:
    """Cheats without a base class: prepare() shifts the closes back one bar (shift(-1))."""

    name = "tomorrow_up"

    def __init__(self) -> None:
        self.up: dict[str, np.ndarray] = {}

    def prepare(self, bars: BarWindow) -> None:
        tomorrow = pd.Series(bars.close).shift(-1).to_numpy()
        with np.errstate(invalid="ignore"):
            self.up[bars.symbol] = tomorrow > bars.close

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return bool(self.up[bars.symbol][bars.index])

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return not self.up[bars.symbol][bars.index]


class LastBarOfHistory(SignalStrategy):
    """Cheats subtly: normalises by the last close of the whole history."""

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        ratio = bars.close / bars.close[-1]
        return ratio < 0.9, ratio > 1.0


@pytest.mark.parametrize("name", list(REGISTRY))
def test_check_lookahead_every_built_in_passes_cut_after_every_timestamp(name: str) -> None:
    report = check_lookahead(create(name, **SMALL[name]), _data())
    assert report.ok, str(report)
    assert report.every_timestamp
    assert len(report.cuts) == 162  # 163 timestamps: S1 starts 3 days after S0
    # Every decision but those at the last timestamp was checked at a truncated run's end.
    assert report.last_bar_decisions == report.full_decisions - 2


def test_check_lookahead_number_of_points_spreads_that_many_cuts() -> None:
    report = check_lookahead(create("sma_crossover", fast=3, slow=8), _data(), points=6)
    assert report.ok
    assert len(report.cuts) == 6
    assert not report.every_timestamp
    assert 0 < report.last_bar_decisions < report.full_decisions


@pytest.mark.parametrize("name", list(REGISTRY))
def test_check_lookahead_every_built_in_with_default_params_passes(name: str) -> None:
    report = check_lookahead(create(name), _data(n=400, seed=9))
    assert report.ok, str(report)


def test_check_lookahead_centred_window_is_caught_with_symbol_time_and_answers() -> None:
    data = _data()
    report = check_lookahead(CentredMean(), data)
    assert not report.ok
    cuts = set(report.cuts)
    for d in report.differences:
        assert isinstance(d, LookaheadDifference)
        assert d.cut in cuts
        # Only the last two bars before a cut can see the missing future.
        assert d.timestamp <= d.cut
        assert d.timestamp >= data[d.symbol].loc[: d.cut].index[-2]
        assert d.question in ("should_enter", "should_exit")
        assert d.full is not None
        assert d.truncated is not None
        assert d.full != d.truncated
    text = str(report)
    assert "FAILED" in text
    first = report.differences[0]
    assert f"{first.symbol} {first.timestamp.isoformat()} {first.question}" in text


def test_check_lookahead_negative_shift_in_prepare_is_caught() -> None:
    report = check_lookahead(TomorrowUp(), _data(), points=8)
    assert not report.ok
    assert report.strategy_id == "tomorrow_up"
    # Stateful (no `stateless`): only the question the engine asked is compared.
    assert all(d.question in ("should_enter", "should_exit") for d in report.differences)


def test_check_lookahead_whole_history_normalisation_is_caught() -> None:
    assert not check_lookahead(LastBarOfHistory(), _data()).ok


def test_check_lookahead_given_timestamps_cut_there() -> None:
    data = _data()
    cuts = [data["S0"].index[50], "2021-03-15"]
    report = check_lookahead(create("sma_crossover", fast=3, slow=8), data, points=cuts)
    assert report.cuts == (pd.Timestamp(data["S0"].index[50]), pd.Timestamp("2021-03-15"))
    assert report.ok


def test_check_lookahead_cut_before_a_symbol_starts_keeps_the_others() -> None:
    data = _data()  # S1 starts on 2021-01-04
    report = check_lookahead(create("buy_and_hold"), data, points=["2021-01-02"])
    assert report.ok
    assert report.decisions == 4  # S0's two bars, both questions


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (0, "points must be >= 1"),
        (["2019-01-01"], "cut point 2019-01-01T00:00:00 is outside the data"),
        (["not a date"], "cut point 'not a date' is not a timestamp"),
        ([], "points is an empty list"),
        ("2021-02-01", "points must be None (cut after every timestamp on short data), 'all'"),
        ("every", "a number of cut points or a list of timestamps; found 'every'"),
    ],
)
def test_check_lookahead_bad_points_raise_config_error(points, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_lookahead(create("buy_and_hold"), _data(), points=points)


def test_check_lookahead_does_not_touch_the_given_strategy() -> None:
    strategy = create("sma_crossover", fast=3, slow=8)
    check_lookahead(strategy, _data())
    assert strategy._enter_at == {}  # every run used a deep copy


def test_check_lookahead_respects_strategy_symbols() -> None:
    report = check_lookahead(create("momentum", lookback=5, symbols=["S1"]), _data(), points=3)
    assert report.ok
    assert report.decisions > 0


def test_check_lookahead_stateless_asks_both_questions_at_every_bar() -> None:
    data = {"S0": _data(1)["S0"].iloc[:20]}
    both = check_lookahead(create("buy_and_hold"), data, points=[data["S0"].index[9]])
    one = check_lookahead(create("buy_and_hold"), data, points=[data["S0"].index[9]], both=False)
    assert (both.decisions, one.decisions) == (20, 10)


def test_lookahead_report_str_ok_lists_cuts() -> None:
    report = LookaheadReport("x", (pd.Timestamp("2021-01-05"),), 12, ())
    assert report.ok
    assert str(report) == (
        "look-ahead check of 'x': 12 decisions compared at 1 cut point(s) "
        "(2021-01-05T00:00:00): OK, none differs"
    )


def test_lookahead_report_str_failed_shows_first_twenty() -> None:
    cut = pd.Timestamp("2021-02-01")
    diffs = tuple(
        LookaheadDifference("S0", cut - pd.Timedelta(days=i), "should_enter", True, None, cut)
        for i in range(25)
    )
    text = str(LookaheadReport("x", (cut,), 50, diffs))
    lines = text.splitlines()
    assert "FAILED, 25 differ" in lines[0]
    assert lines[1] == (
        "  S0 2021-02-01T00:00:00 should_enter: True on the full data, not asked on data cut "
        "after 2021-02-01T00:00:00"
    )
    assert lines[-1] == "  ... and 5 more"
    assert len(lines) == 22


_CACHE: dict[str, np.ndarray] = {}


class CachedShift(SignalStrategy):
    """Cheats twice: a negative shift, memoised outside the instance (a module cache)."""

    name = "cached_shift"
    description = "uses tomorrow's close, cached per symbol"
    stateless = True

    def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
        if bars.symbol not in _CACHE:
            close = pd.Series(bars.close)
            _CACHE[bars.symbol] = (close.shift(-1) > close).to_numpy()
        up = _CACHE[bars.symbol][: len(bars)]
        return up, ~up


def test_check_lookahead_strategy_caching_across_runs_is_not_certified() -> None:
    # Run full-history first, this cheat would fill its cache with the future and pass every
    # truncated run. The checker runs the shortest history first, so the cache it fills is
    # too short for the longer runs: the cheat fails loudly instead of passing.
    _CACHE.clear()
    with pytest.raises(StrategyError, match="cached_shift"):
        check_lookahead(CachedShift(), _data(1), points=4)


def test_check_lookahead_cuts_on_the_calendar_of_the_traded_symbols() -> None:
    # S1 starts 3 days after S0: a strategy on S1 alone is cut after each of S1's bars but
    # its last, not after S0's first three timestamps (which would repeat the same run).
    data = _data(n=30)
    report = check_lookahead(create("momentum", lookback=5, symbols=["S1"]), data)
    assert report.every_timestamp
    assert report.cuts == tuple(data["S1"].index[:-1])
    assert report.last_bar_decisions == report.full_decisions - 2
