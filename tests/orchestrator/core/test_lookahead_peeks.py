"""check_lookahead against strategies that reach past their window (issue 9, item 15).

Every peek here fires rarely (on a few randomly placed bars, when tomorrow's close rises more
than 3 %) and reads the next bar through a different back door: the array's ``.base``, the
window's private ``_data``, the state's account, or ``np.lib.stride_tricks.as_strided``. With a
cut after every timestamp the checker must find every decision such a peek changed, on every
seed, and nothing else.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestrator import (
    BarWindow,
    OrchestratorConfig,
    StrategyError,
    StrategyOrchestrator,
    StrategyState,
    check_lookahead,
)
from tests.conftest import random_walk

KINDS = ("base", "private", "state", "strided")
SEEDS = range(20)
RISE = 0.03  # the peek fires when tomorrow's close is more than 3 % above today's


def _data(seed: int, n: int = 45) -> dict[str, pd.DataFrame]:
    """Two symbols on different calendars (the second starts three days later)."""
    rng = np.random.default_rng(seed)
    # Different calendars: each symbol starts three days after the one before.
    return {
        f"S{k}": random_walk(rng, n, start_price=40.0, vol=0.03, start=f"2021-01-{1 + 3 * k:02d}")
        for k in range(2)
    }


def _tomorrow(kind: str, bars: BarWindow, state: StrategyState) -> float:
    """The next bar's close through a back door, or NaN when there is no next bar."""
    i = bars.index
    full: Any
    if kind == "base":
        full = bars.close.base
    elif kind == "private":
        full = bars._data.close
    elif kind == "state":
        full = state.account.symbols[state.si].close
    else:  # strided: one element past the window, wherever its end is
        close = bars.close
        return float(np.lib.stride_tricks.as_strided(close, (len(close) + 1,), close.strides)[-1])
    return float(full[i + 1]) if i + 1 < len(full) else math.nan


def _causal_enter(close: np.ndarray) -> bool:
    return len(close) > 2 and bool(close[-1] < close[-2] < close[-3])


class Peeker:
    """Causal rules, plus a rare peek at tomorrow on the armed bars of each symbol."""

    def __init__(self, kind: str, armed: dict[str, set[int]], stateless: bool = True) -> None:
        self.kind = kind
        self.armed = armed
        self.stateless = stateless
        self.name = f"peek_{kind}"

    def _peek(self, bars: BarWindow, state: StrategyState) -> bool:
        if bars.index not in self.armed[bars.symbol]:
            return False
        return bool(_tomorrow(self.kind, bars, state) > bars.close[-1] * (1 + RISE))

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return _causal_enter(bars.close) or self._peek(bars, state)

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) > 1 and bool(bars.close[-1] > bars.close[-2])


def _armed(seed: int, data: dict[str, pd.DataFrame]) -> tuple[dict[str, set[int]], set]:
    """Randomly placed armed bars (about one in twelve), at least one of which fires, and the
    ground truth: the (symbol, timestamp) whose should_enter the peek changes."""
    rng = np.random.default_rng(1000 + seed)
    armed: dict[str, set[int]] = {}
    changed = set()
    for symbol, frame in data.items():
        close = frame["close"].to_numpy()
        n = len(close)
        fires = [
            i
            for i in range(n - 1)
            if close[i + 1] > close[i] * (1 + RISE) and not _causal_enter(close[: i + 1])
        ]
        bars = set(rng.choice(n, size=n // 12, replace=False).tolist())
        if symbol == "S0":
            bars.add(int(rng.choice(fires)))  # the seed's data always has such a bar
        armed[symbol] = bars
        changed |= {(symbol, frame.index[i]) for i in sorted(bars) if i in fires}
    return armed, changed


@pytest.mark.parametrize("kind", KINDS)
def test_check_lookahead_rare_peeks_through_each_back_door_caught_on_every_seed(
    kind: str,
) -> None:
    for seed in SEEDS:
        data = _data(seed)
        armed, changed = _armed(seed, data)
        report = check_lookahead(Peeker(kind, armed), data)
        assert report.every_timestamp
        assert not report.ok, f"seed {seed}: {report}"
        found = {(d.symbol, d.timestamp) for d in report.differences}
        assert found == changed, f"seed {seed}"
        for d in report.differences:
            assert (d.question, d.full, d.truncated) == ("should_enter", True, False)
            assert d.cut == d.timestamp  # seen at the last bar of the run cut right there


class _Logged(Peeker):
    """A Peeker that logs every question the engine asks it, and its answer."""

    def __init__(self, kind: str, armed: dict[str, set[int]]) -> None:
        super().__init__(kind, armed, stateless=False)
        self.log: list[tuple[str, int, str, bool]] = []

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        answer = super().should_enter(bars, state)
        self.log.append((bars.symbol, bars.index, "should_enter", answer))
        return answer

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        answer = super().should_exit(bars, state)
        self.log.append((bars.symbol, bars.index, "should_exit", answer))
        return answer


def _first_changed(kind: str, armed: dict[str, set[int]], data: dict) -> tuple | None:
    """The first decision the peek changed in a full run, by comparison with a twin that is
    never armed (what the strategy does without a future), or None if it changed none."""
    config = OrchestratorConfig(fill="close", fractional=True, logging_level="ERROR")
    logs = []
    never: dict[str, set[int]] = {s: set() for s in armed}
    for arming in (armed, never):
        strategy = _Logged(kind, arming)
        StrategyOrchestrator([(strategy, 1)], 1_000_000, config).run(data)
        logs.append(strategy.log)
    for peeked, honest in zip(*logs, strict=True):
        if peeked != honest:  # the same history up to here, so the same question
            symbol, i, question, _ = peeked
            return symbol, data[symbol].index[i], question
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_check_lookahead_rare_peeks_in_a_stateful_strategy_caught_on_every_seed(
    kind: str,
) -> None:
    # Only the question the engine asks is compared, so a peek in should_enter matters only
    # while flat. Wherever it changed a decision, the first such bar must be reported (the
    # run cut there repeats the full run up to it); where it changed none, the check passes.
    caught = 0
    for seed in SEEDS:
        data = _data(seed)
        armed, _ = _armed(seed, data)
        report = check_lookahead(Peeker(kind, armed, stateless=False), data)
        first = _first_changed(kind, armed, data)
        if first is None:
            assert report.ok, f"seed {seed}: {report}"
            continue
        caught += 1
        assert not report.ok, f"seed {seed}: {report}"
        assert first in {(d.symbol, d.timestamp, d.question) for d in report.differences}
    assert caught >= len(SEEDS) // 2  # the peek did change decisions on most seeds


def test_check_lookahead_peek_on_a_few_sampled_cuts_can_be_missed_and_says_so() -> None:
    # The old default (5 cuts) missed most rare peeks; a sampled check says what it tried.
    data = _data(3)
    armed, _ = _armed(3, data)
    report = check_lookahead(Peeker("base", armed), data, points=2)
    assert not report.every_timestamp
    if report.ok:
        assert "only these cuts were tried: pass points='all'" in str(report)


class DeclaredPeek:
    """Declares signals for the engine's sparse path that use tomorrow's close, while its
    own should_enter is causal: the engine trades on the declared arrays, so must the check."""

    name = "declared_peek"
    stateless = True

    def __init__(self) -> None:
        self.arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def prepare(self, bars: BarWindow) -> None:
        close = pd.Series(bars.close)
        with np.errstate(invalid="ignore"):
            up = (close.shift(-1) > close * (1 + RISE)).to_numpy()
        self.arrays[bars.symbol] = (up, np.zeros(len(up), dtype=bool))

    def declared_signals(self, symbol: str) -> tuple[np.ndarray, np.ndarray] | None:
        return self.arrays.get(symbol)

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return False

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return False


def test_check_lookahead_declared_signals_that_peek_are_caught() -> None:
    data = _data(1)
    report = check_lookahead(DeclaredPeek(), data)
    assert not report.ok
    close = data["S0"]["close"].to_numpy()
    rises = {data["S0"].index[i] for i in range(len(close) - 1) if close[i + 1] > close[i] * 1.03}
    assert {d.timestamp for d in report.differences if d.symbol == "S0"} == rises


class Honest:
    """Causal and stateless: the counts of a passing check, by hand."""

    name = "honest"
    stateless = True

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) % 2 == 0

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return len(bars) % 3 == 0


def test_check_lookahead_counts_every_decision_at_a_last_bar() -> None:
    # One symbol, 5 bars, both questions at every bar. Cuts after bars 0..3 (4 runs of 1..4
    # bars): 2 + 4 + 6 + 8 = 20 answers compared; each cut's last bar holds 2 decisions
    # never seen at a last bar before: 8, out of the full run's 10 (bar 4 has no future).
    data = {"S0": _data(0, n=5)["S0"]}
    report = check_lookahead(Honest(), data)
    assert report.ok
    assert report.every_timestamp
    assert len(report.cuts) == 4
    assert (report.decisions, report.last_bar_decisions, report.full_decisions) == (20, 8, 10)
    assert str(report) == (
        "look-ahead check of 'honest': 20 decisions compared at cut points after every "
        "timestamp but the last (4) (2021-01-01T00:00:00, 2021-01-02T00:00:00, "
        "2021-01-03T00:00:00, 2021-01-04T00:00:00); 8 of the full run's 10 decisions checked "
        "at the last bar of a truncated run: OK, none differs"
    )


def test_check_lookahead_long_data_default_samples_and_says_how_many() -> None:
    data = {"S0": _data(0, n=400)["S0"]}
    report = check_lookahead(Honest(), data)
    assert report.ok
    assert len(report.cuts) == 250
    assert report.timestamps == 400
    text = str(report)
    assert "at cut points after 250 of 399 timestamps (2021-01-01T00:00:00 ... " in text
    assert "500 of the full run's 800 decisions checked at the last bar" in text
    assert text.endswith(
        "(only these cuts were tried: pass points='all' to cut after every timestamp)"
    )


def test_check_lookahead_points_all_cuts_after_every_timestamp_of_long_data() -> None:
    data = {"S0": _data(0, n=300)["S0"]}
    report = check_lookahead(Honest(), data, points="all")
    assert report.every_timestamp
    assert len(report.cuts) == 299
    assert report.last_bar_decisions == report.full_decisions - 2


class SecondAnswerNotBool(Honest):
    name = "second_not_bool"

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return "False"  # type: ignore[return-value]


def test_check_lookahead_non_bool_second_answer_raises_strategy_error() -> None:
    with pytest.raises(StrategyError, match=r"second_not_bool.*should_exit returned str"):
        check_lookahead(SecondAnswerNotBool(), {"S0": _data(0, n=5)["S0"]})
