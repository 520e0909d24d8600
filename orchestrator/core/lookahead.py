"""The look-ahead checker: prove a strategy causal by running it on truncated histories.

A causal strategy decides at bar t from bars up to t only, so cutting the data after some
timestamp T must not change any decision at or before T. :func:`check_lookahead` runs the
strategy on the full data and on copies cut at several points (a fresh deep copy of the
strategy for every run) and compares, for every symbol and bar, the answers it gave. A
strategy that peeks at the future (a centred rolling window, a negative shift, an indicator
normalised over the whole history in ``prepare``) answers differently near a cut, and every
such answer is reported.

For strategies that declare ``stateless = True`` (every built-in does) both questions are
asked at every bar; otherwise only the one the engine asks (``should_enter`` while flat,
``should_exit`` while holding).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.accounts import StrategyState
from orchestrator.core.engine import StrategyOrchestrator
from orchestrator.core.market import BarWindow, Market
from orchestrator.core.models import OrchestratorConfig
from orchestrator.core.protocol import default_strategy_id
from orchestrator.errors import ConfigError

__all__ = ["LookaheadDifference", "LookaheadReport", "check_lookahead"]

_QUESTIONS = ("should_enter", "should_exit")
_NOT_ASKED = 2  # recorded answers: 0 False, 1 True, 2 not asked
_SHOWN = 20  # differences listed by str(report)


@dataclass(frozen=True)
class LookaheadDifference:
    """One decision that changed when the future was cut off.

    ``full`` is the answer on the full data, ``truncated`` the answer on the data cut after
    ``cut``; None means the question was not asked in that run (the strategy's position had
    already diverged).
    """

    symbol: str
    timestamp: pd.Timestamp
    question: str  # "should_enter" or "should_exit"
    full: bool | None
    truncated: bool | None
    cut: pd.Timestamp

    def __str__(self) -> str:
        def say(answer: bool | None) -> str:
            return "not asked" if answer is None else str(answer)

        return (
            f"{self.symbol} {self.timestamp.isoformat()} {self.question}: {say(self.full)} "
            f"on the full data, {say(self.truncated)} on data cut after {self.cut.isoformat()}"
        )


@dataclass(frozen=True)
class LookaheadReport:
    """The outcome of :func:`check_lookahead`; ``ok`` is True when no decision differed."""

    strategy_id: str
    cuts: tuple[pd.Timestamp, ...]
    decisions: int  # answers compared, over all cuts
    differences: tuple[LookaheadDifference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    def __str__(self) -> str:
        cuts = ", ".join(c.isoformat() for c in self.cuts)
        head = (
            f"look-ahead check of {self.strategy_id!r}: {self.decisions:,} decisions compared "
            f"at {len(self.cuts)} cut point(s) ({cuts})"
        )
        if self.ok:
            return f"{head}: OK, none differs"
        lines = [
            f"{head}: FAILED, {len(self.differences):,} differ (the strategy uses future "
            f"bars, e.g. a centred window or a negative shift in prepare):"
        ]
        lines += [f"  {d}" for d in self.differences[:_SHOWN]]
        if len(self.differences) > _SHOWN:
            lines.append(f"  ... and {len(self.differences) - _SHOWN:,} more")
        return "\n".join(lines)


class _Recorder:
    """Wraps a strategy for one run and records its answers per symbol and bar."""

    def __init__(
        self,
        strategy: Any,
        lengths: Mapping[str, int],
        symbols: Sequence[str] | None,
        both: bool,
    ) -> None:
        self.inner = strategy
        self.name = default_strategy_id(strategy)
        self.symbols = symbols
        self.max_positions = getattr(strategy, "max_positions", None)
        self.both = both
        self.answers = {
            s: (bytearray([_NOT_ASKED]) * n, bytearray([_NOT_ASKED]) * n)
            for s, n in lengths.items()
        }
        if callable(getattr(strategy, "prepare", None)):
            self.prepare = strategy.prepare

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        enter, exit_ = self.answers[bars.symbol]
        i = bars.index
        answer = bool(self.inner.should_enter(bars, state))
        enter[i] = answer
        if self.both:
            exit_[i] = bool(self.inner.should_exit(bars, state))
        return answer

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        enter, exit_ = self.answers[bars.symbol]
        i = bars.index
        answer = bool(self.inner.should_exit(bars, state))
        exit_[i] = answer
        if self.both:
            enter[i] = bool(self.inner.should_enter(bars, state))
        return answer


def check_lookahead(
    strategy: object,
    data: Mapping[str, Any],
    points: int | Iterable[Any] = 5,
    *,
    both: bool | None = None,
    config: OrchestratorConfig | None = None,
) -> LookaheadReport:
    """Check that ``strategy`` decides from past bars only; return a :class:`LookaheadReport`.

    Args:
        strategy: any strategy object (it is deep-copied for every run, never changed).
        data: ``{symbol: DataFrame | list[HistoricalDataBar]}``, as for
            :meth:`StrategyOrchestrator.run`.
        points: the number of cut points, spread evenly over the timeline after the
            strategy's ``warmup``; or the timestamps to cut after.
        both: ask both questions at every bar; default: when the strategy declares
            ``stateless = True``.
        config: the run's options; default ``fill="close"``, fractional quantities.

    >>> report = check_lookahead(create("sma_crossover"), data)  # doctest: +SKIP
    >>> report.ok, print(report)  # doctest: +SKIP
    """
    market = Market.from_data(data)
    frames = {name: market.frame(name) for name in market.symbols}
    timeline = market.index
    cuts = _cut_points(points, timeline, int(getattr(strategy, "warmup", 0) or 0))
    if both is None:
        both = getattr(strategy, "stateless", False) is True
    if config is None:
        config = OrchestratorConfig(fill="close", fractional=True, logging_level="ERROR")
    wanted = getattr(strategy, "symbols", None)
    if isinstance(wanted, str):
        wanted = [wanted]

    logger = logging.getLogger("orchestrator")
    level = logger.level  # the engine sets the logger's level: restore it afterwards
    try:
        # The truncated runs go first, shortest first, and the full run last: a strategy that
        # keeps indicators outside its instance (a module-level cache) would otherwise fill it
        # from the full history and hand the future to every truncated run.
        parts = []
        for cut in sorted(cuts):
            cut_frames = {s: f.loc[:cut] for s, f in frames.items()}
            cut_frames = {s: f for s, f in cut_frames.items() if len(f)}
            if wanted is not None and not any(s in cut_frames for s in wanted):
                continue
            parts.append((cut, _run(strategy, cut_frames, wanted, both, config)))
        full = _run(strategy, frames, wanted, both, config)
        differences: list[LookaheadDifference] = []
        decisions = 0
        for cut, part in parts:
            for symbol, answers in part.items():
                n, diffs = _compare(full[symbol], answers)
                decisions += n
                index = frames[symbol].index
                differences += [
                    LookaheadDifference(
                        symbol=symbol,
                        timestamp=index[i],
                        question=_QUESTIONS[q],
                        full=_answer(a),
                        truncated=_answer(b),
                        cut=cut,
                    )
                    for i, q, a, b in diffs
                ]
    finally:
        logger.setLevel(level)
    differences.sort(key=lambda d: (d.timestamp, d.symbol, d.question, d.cut))
    return LookaheadReport(
        strategy_id=default_strategy_id(strategy),
        cuts=tuple(cuts),
        decisions=decisions,
        differences=tuple(differences),
    )


def _answer(code: int) -> bool | None:
    return None if code == _NOT_ASKED else bool(code)


def _run(
    strategy: object,
    frames: Mapping[str, pd.DataFrame],
    wanted: Sequence[str] | None,
    both: bool,
    config: OrchestratorConfig,
) -> dict[str, tuple[bytearray, bytearray]]:
    symbols = None if wanted is None else [s for s in wanted if s in frames]
    recorder = _Recorder(
        copy.deepcopy(strategy), {s: len(f) for s, f in frames.items()}, symbols, both
    )
    StrategyOrchestrator([(recorder, 1)], 1_000_000, config).run(frames)
    return recorder.answers


def _compare(
    full: tuple[bytearray, bytearray], cut: tuple[bytearray, bytearray]
) -> tuple[int, list[tuple[int, int, int, int]]]:
    """Count the answers of the cut run and list (bar, question, full, cut) that differ."""
    compared = 0
    out: list[tuple[int, int, int, int]] = []
    for q in (0, 1):
        b = np.frombuffer(cut[q], dtype=np.uint8)
        a = np.frombuffer(full[q], dtype=np.uint8)[: len(b)]
        asked = (a != _NOT_ASKED) | (b != _NOT_ASKED)
        compared += int(np.count_nonzero(asked))
        for i in np.flatnonzero(asked & (a != b)).tolist():
            out.append((i, q, int(a[i]), int(b[i])))
    return compared, out


def _cut_points(
    points: int | Iterable[Any], timeline: pd.DatetimeIndex, warmup: int
) -> list[pd.Timestamp]:
    n = len(timeline)
    if n < 2:
        raise ConfigError(
            f"the look-ahead check needs at least 2 timestamps to cut the data; found {n}"
        )
    first, last = timeline[0], timeline[-1]
    if isinstance(points, int) and not isinstance(points, bool):
        if points < 1:
            raise ConfigError(f"points must be >= 1 (cut points); found {points}")
        lo = min(max(warmup, 0), n - 2)
        positions = np.unique(np.linspace(lo, n - 2, points).round().astype(np.int64))
        return [timeline[int(i)] for i in positions]
    if isinstance(points, str | bytes) or not isinstance(points, Iterable):
        raise ConfigError(
            f"points must be a number of cut points or a list of timestamps; found {points!r}"
        )
    cuts = []
    for value in points:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise ConfigError(f"cut point {value!r} is not a timestamp") from None
        if pd.isna(stamp):
            raise ConfigError(f"cut point {value!r} is not a timestamp")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        if not first <= stamp < last:
            raise ConfigError(
                f"cut point {stamp.isoformat()} is outside the data; expected a timestamp from "
                f"{first.isoformat()} up to (not including) the last, {last.isoformat()}"
            )
        cuts.append(stamp)
    if not cuts:
        raise ConfigError("points is an empty list; give at least one timestamp to cut after")
    return sorted(set(cuts))
