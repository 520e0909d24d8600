"""The look-ahead checker: find a strategy's decisions that depend on later bars, by truncation.

A causal strategy decides at bar t from bars up to t only, so cutting the data after t must not
change its decision at t. :func:`check_lookahead` runs the strategy on the full data and on
copies cut after many timestamps (a fresh deep copy of the strategy, and fresh market arrays,
for every run) and compares, for every symbol and bar of each truncated run, its answer with
the full run's. The decision at the *last* bar of a truncated run is the one that matters: no
later bar exists there, however the strategy reaches for one (a centred window, a negative
shift, an indicator normalised over the whole history in ``prepare``, ``bars.close.base``,
``bars._data``, ``np.lib.stride_tricks.as_strided``), so any difference from the full run is
look-ahead, and every one is reported.

What it proves, exactly: with a cut after every timestamp (the default on short data, or
``points="all"``), every decision of the full run that changes when the bars after it are
removed is found. It cannot see a peek that changes no decision on this data (try more or other
data), nor a strategy that carries its own copy of the data (a global, a closure) instead of
reading the bars it is given. On long data the default cuts at a dense sample of timestamps;
the report says how many decisions were checked at a last bar, out of how many.

For strategies that declare ``stateless = True`` (every built-in does) both questions are
asked at every bar; otherwise only the one the engine asks (``should_enter`` while flat,
``should_exit`` while holding). Signals a strategy declares for the engine's sparse path
(``declared_signals``) are compared at every bar, as the engine uses them.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.core.engine import StrategyOrchestrator
from orchestrator.core.market import BarWindow, Market
from orchestrator.core.models import OrchestratorConfig
from orchestrator.core.protocol import declared_arrays, default_strategy_id
from orchestrator.core.state import StrategyState
from orchestrator.errors import ConfigError

__all__ = ["EVERY_BAR_LIMIT", "LookaheadDifference", "LookaheadReport", "check_lookahead"]

#: With the default ``points``, data of at most this many timestamps (less one) is cut after
#: every timestamp; longer data after this many, spread evenly from the strategy's warm-up on.
EVERY_BAR_LIMIT = 250
_QUESTIONS = ("should_enter", "should_exit")
_NOT_ASKED = 2  # recorded answers: 0 False, 1 True, 2 not asked
_SHOWN = 20  # differences listed by str(report)
_LISTED_CUTS = 8  # cut points listed by str(report); beyond, the first and the last


@dataclass(frozen=True)
class LookaheadDifference:
    """One decision that changed when the future was cut off.

    ``full`` is the answer on the full data, ``truncated`` the answer on the data cut after
    ``cut`` (the earliest cut that showed the difference); None means the question was not
    asked in that run (the strategy's position had already diverged).
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
    """The outcome of :func:`check_lookahead`; ``ok`` is True when no decision differed.

    ``decisions`` counts the answers compared over all truncated runs (every bar of each);
    ``last_bar_decisions`` the distinct decisions of the full run checked at the last bar of a
    truncated run (where no later bar exists), out of ``full_decisions``, all the full run's;
    ``timestamps`` is the length of the data's timeline. Each differing decision is listed
    once, in ``differences``.
    """

    strategy_id: str
    cuts: tuple[pd.Timestamp, ...]
    decisions: int
    differences: tuple[LookaheadDifference, ...]
    last_bar_decisions: int = 0
    full_decisions: int = 0
    timestamps: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def every_timestamp(self) -> bool:
        """Whether the data was cut after every timestamp but the last (which has no future)."""
        return self.timestamps > 1 and len(self.cuts) == self.timestamps - 1

    def __str__(self) -> str:
        head = (
            f"look-ahead check of {self.strategy_id!r}: {self.decisions:,} decisions compared "
            f"at {self._where()}"
        )
        if self.full_decisions:
            head += (
                f"; {self.last_bar_decisions:,} of the full run's {self.full_decisions:,} "
                f"decisions checked at the last bar of a truncated run"
            )
        if self.ok:
            if self.timestamps and not self.every_timestamp:
                return (
                    f"{head}: OK, none differs (only these cuts were tried: pass points='all' "
                    f"to cut after every timestamp)"
                )
            return f"{head}: OK, none differs"
        lines = [
            f"{head}: FAILED, {len(self.differences):,} differ (the strategy uses future "
            f"bars, e.g. a centred window or a negative shift in prepare, or reads past the "
            f"window through numpy internals or private fields):"
        ]
        lines += [f"  {d}" for d in self.differences[:_SHOWN]]
        if len(self.differences) > _SHOWN:
            lines.append(f"  ... and {len(self.differences) - _SHOWN:,} more")
        return "\n".join(lines)

    def _where(self) -> str:
        n = len(self.cuts)
        if self.every_timestamp:
            scope = f"every timestamp but the last ({n:,})"
        elif self.timestamps:
            scope = f"{n:,} of {self.timestamps - 1:,} timestamps"
        else:
            scope = f"{n:,}"
        if n <= _LISTED_CUTS:
            listed = ", ".join(c.isoformat() for c in self.cuts)
        else:
            listed = f"{self.cuts[0].isoformat()} ... {self.cuts[-1].isoformat()}"
        if self.every_timestamp or self.timestamps:
            return f"cut points after {scope} ({listed})"
        return f"{scope} cut point(s) ({listed})"


class _Done(BaseException):
    """Raised by the recorder once every bar has been decided: the run's results are not
    needed. A BaseException, so the engine's wrapping of strategy errors lets it through."""


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
        self.lengths = dict(lengths)
        self.waiting = {s for s, n in lengths.items() if n}  # last bar not decided yet
        # Forward the optional parts of the protocol the engine looks for, so that the run is
        # the one the engine would make of the strategy itself.
        if callable(getattr(strategy, "prepare", None)):
            self.prepare = strategy.prepare
        if callable(getattr(strategy, "entry_size", None)):
            self.entry_size = strategy.entry_size
        if callable(getattr(strategy, "declared_signals", None)):
            self.declared_signals = self._declared

    def _declared(self, symbol: str) -> tuple[np.ndarray, np.ndarray] | None:
        arrays = declared_arrays(self.inner, symbol, self.lengths[symbol])
        if arrays is not None:
            # The engine decides from these arrays at every bar: record them as the answers.
            for q in (0, 1):
                self.answers[symbol][q][:] = arrays[q].astype(np.uint8).tobytes()
            self._done(symbol)
        return arrays

    def _done(self, symbol: str) -> None:
        self.waiting.discard(symbol)
        if not self.waiting:
            raise _Done

    def _ask(self, q: int, bars: BarWindow, state: StrategyState) -> Any:
        first = (self.inner.should_enter, self.inner.should_exit)[q]
        answer = first(bars, state)
        i = bars.index
        record = self.answers[bars.symbol]
        if isinstance(answer, bool | np.bool_):
            record[q][i] = bool(answer)
        # (Any other answer goes back to the engine, which rejects it with a StrategyError.)
        if self.both:
            other = (self.inner.should_enter, self.inner.should_exit)[1 - q](bars, state)
            if not isinstance(other, bool | np.bool_):
                raise TypeError(
                    f"{_QUESTIONS[1 - q]} returned {type(other).__name__} {other!r}; expected "
                    f"True or False (bool or numpy.bool_)"
                )
            record[1 - q][i] = bool(other)
        if i == self.lengths[bars.symbol] - 1:
            self._done(bars.symbol)
        return answer

    def should_enter(self, bars: BarWindow, state: StrategyState) -> Any:
        return self._ask(0, bars, state)

    def should_exit(self, bars: BarWindow, state: StrategyState) -> Any:
        return self._ask(1, bars, state)


def check_lookahead(
    strategy: object,
    data: Mapping[str, Any],
    points: int | str | Iterable[Any] | None = None,
    *,
    both: bool | None = None,
    config: OrchestratorConfig | None = None,
) -> LookaheadReport:
    """Check that ``strategy`` decides from past bars only; return a :class:`LookaheadReport`.

    Args:
        strategy: any strategy object (it is deep-copied for every run, never changed).
        data: ``{symbol: DataFrame | list[HistoricalDataBar]}``, as for
            :meth:`StrategyOrchestrator.run`.
        points: where to cut. None (default): after every timestamp but the last when there
            are at most :data:`EVERY_BAR_LIMIT` of them, else after that many spread evenly
            from the strategy's ``warmup``; ``"all"``: after every timestamp but the last,
            however many (a run per timestamp: quadratic in the length); a number: that many
            cut points, spread evenly from the ``warmup``; or the timestamps to cut after.
        both: ask both questions at every bar; default: when the strategy declares
            ``stateless = True``.
        config: the run's options; default ``fill="close"``, fractional quantities.

    >>> report = check_lookahead(create("sma_crossover"), data)  # doctest: +SKIP
    >>> report.ok, print(report)  # doctest: +SKIP
    """
    wanted = getattr(strategy, "symbols", None)
    if isinstance(wanted, str):
        wanted = [wanted]
    # Cut on the calendar of the symbols the strategy trades (all when it names none, or
    # none of its symbols is in the data: then the full run raises the engine's own error).
    traded = None
    if wanted is not None and isinstance(data, Mapping):
        traded = sorted({str(s) for s in wanted if str(s) in data}) or None
    market = Market.from_data(data, traded)
    frames = {name: market.frame(name) for name in market.symbols}
    timeline = market.index
    cuts = _cut_points(points, timeline, int(getattr(strategy, "warmup", 0) or 0))
    if both is None:
        both = getattr(strategy, "stateless", False) is True
    if config is None:
        config = OrchestratorConfig(fill="close", fractional=True, logging_level="ERROR")

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
    finally:
        logger.setLevel(level)
    found: dict[tuple[str, int, int], LookaheadDifference] = {}
    decisions = 0
    checked: set[tuple[str, int]] = set()  # (symbol, bar) seen as a truncated run's last bar
    last_bar = 0
    for cut, part in parts:
        for symbol, answers in part.items():
            n, diffs = _compare(full[symbol], answers)
            decisions += n
            last = len(answers[0]) - 1
            if last >= 0 and (symbol, last) not in checked:
                checked.add((symbol, last))
                last_bar += _asked_at(full[symbol], answers, last)
            index = frames[symbol].index
            for i, q, a, b in diffs:
                key = (symbol, i, q)
                if key not in found:  # the earliest cut that shows it
                    found[key] = LookaheadDifference(
                        symbol=symbol,
                        timestamp=index[i],
                        question=_QUESTIONS[q],
                        full=_answer(a),
                        truncated=_answer(b),
                        cut=cut,
                    )
    differences = sorted(found.values(), key=lambda d: (d.timestamp, d.symbol, d.question))
    full_decisions = sum(
        int(np.count_nonzero(np.frombuffer(a, dtype=np.uint8) != _NOT_ASKED))
        for pair in full.values()
        for a in pair
    )
    return LookaheadReport(
        strategy_id=default_strategy_id(strategy),
        cuts=tuple(cuts),
        decisions=decisions,
        differences=tuple(differences),
        last_bar_decisions=last_bar,
        full_decisions=full_decisions,
        timestamps=len(timeline),
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
    traded = list(frames) if symbols is None else symbols
    recorder = _Recorder(
        copy.deepcopy(strategy), {s: len(frames[s]) for s in traded}, symbols, both
    )
    # _Done: every bar decided, so the rest of the run (results, metrics) is not needed.
    with contextlib.suppress(_Done):
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


def _asked_at(full: tuple[bytearray, bytearray], cut: tuple[bytearray, bytearray], i: int) -> int:
    """The questions asked at bar ``i`` in either run (0, 1 or 2)."""
    return sum(1 for q in (0, 1) if full[q][i] != _NOT_ASKED or cut[q][i] != _NOT_ASKED)


def _cut_points(
    points: int | str | Iterable[Any] | None, timeline: pd.DatetimeIndex, warmup: int
) -> list[pd.Timestamp]:
    n = len(timeline)
    if n < 2:
        raise ConfigError(
            f"the look-ahead check needs at least 2 timestamps to cut the data; found {n}"
        )
    first, last = timeline[0], timeline[-1]
    every = isinstance(points, str) and points == "all"
    if points is None or every:
        if every or n - 1 <= EVERY_BAR_LIMIT:
            return list(timeline[:-1])
        points = EVERY_BAR_LIMIT
    if isinstance(points, int) and not isinstance(points, bool):
        if points < 1:
            raise ConfigError(f"points must be >= 1 (cut points); found {points}")
        lo = min(max(warmup, 0), n - 2)
        positions = np.unique(np.linspace(lo, n - 2, points).round().astype(np.int64))
        return [timeline[int(i)] for i in positions]
    if isinstance(points, str | bytes) or not isinstance(points, Iterable):
        raise ConfigError(
            f"points must be None (cut after every timestamp on short data), 'all', a number "
            f"of cut points or a list of timestamps; found {points!r}"
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
