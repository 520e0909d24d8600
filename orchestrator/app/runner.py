"""Running a RunSpec: build its strategies, load and select its data, run the engine.

These are the bodies of :meth:`RunSpec.build_strategies`, :meth:`RunSpec.load_data`,
:meth:`RunSpec.select` and :meth:`RunSpec.run`. Strategies are built through
:meth:`orchestrator.app.catalogue.Catalogue.build`, the same path the dashboard validates its
form with, so what the form accepts is what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.errors import ConfigError, DataError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.app.spec import RunSpec
    from orchestrator.core.results import OrchestratorResult

__all__ = [
    "build_strategies",
    "check_rebalance",
    "check_strategy_symbols",
    "load_data",
    "run_spec",
    "select",
]


def build_strategies(spec: RunSpec) -> list[tuple[object, str]]:
    """Instantiate the spec's strategies with their parameters: ``[(strategy, weight), ...]``.

    A strategy with a ``plugin`` reference loads that class; any other name is looked up in
    the built-ins and then the spec's plug-in folder (a plug-in never shadows a built-in).
    """
    from orchestrator.app.catalogue import instantiate, load_catalogue
    from strategies import plugins

    catalogue = load_catalogue(spec.plugin_dir, strict=True)
    out: list[tuple[object, str]] = []
    for s in spec.strategies:
        symbols = list(s.symbols) if s.symbols else None
        if s.plugin:
            cls = plugins.load_strategy(s.plugin)
            instance = instantiate(cls, s.name, s.params, symbols, s.label)
        else:
            instance = catalogue.build(s.name, s.params, symbols, s.label)
        out.append((instance, s.weight))
    return out


def load_data(spec: RunSpec) -> dict[str, pd.DataFrame]:
    """Load the data the spec names, keeping its symbols (all when none are chosen).

    The date range is applied by :func:`select` (and so by :func:`run_spec`), which also says
    which symbols the range leaves out.
    """
    from orchestrator import data as loaders

    if spec.data == "demo":
        return loaders.load_demo(spec.symbols)
    path = Path(spec.data)
    if not path.exists():
        raise DataError(f"data file or folder {str(path)!r} not found")
    frames = loaders.load_file(path)  # a folder loads every CSV/Parquet file in it
    return _symbols_of(spec, frames)


def _unknown(names: list[str], available: list[str], what: str) -> ConfigError:
    shown = ", ".join(repr(n) for n in names[:10]) + (" ..." if len(names) > 10 else "")
    return ConfigError(
        f"{what} {shown} not in the data{did_you_mean(names[0], available)}; available: "
        f"{', '.join(sorted(available)) or 'none'} (choose symbols the data has)"
    )


def _symbols_of(spec: RunSpec, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The spec's symbols of ``frames``; a named symbol the data lack is a ConfigError."""
    chosen = dict(frames)
    if spec.symbols:
        missing = [s for s in spec.symbols if s not in chosen]
        if missing:
            raise _unknown(missing, list(chosen), "symbol(s)")
        chosen = {s: chosen[s] for s in spec.symbols}
    return chosen


def check_strategy_symbols(
    spec: RunSpec, available: list[str], loaded: Sequence[str] | None = None
) -> None:
    """Raise ConfigError when a strategy trades a symbol the run's data do not have.

    ``available`` are the symbols selected for the run; ``loaded`` (optional) the symbols of
    the data before the date range, so a symbol the range left out is named as such.
    """
    for s in spec.strategies:
        missing = [x for x in s.symbols or () if x not in available]
        if not missing:
            continue
        who = f"strategy {s.label or s.name!r} trades"
        cut = [x for x in missing if loaded is not None and x in loaded]
        if cut:
            raise ConfigError(
                f"{who} {cut[0]!r}, which has no bars from {spec.start or 'the start'} to "
                f"{spec.end or 'the end'}; widen the dates or choose other symbols"
            )
        raise _unknown(missing, available, who)


def check_rebalance(spec: RunSpec, frames: Mapping[str, pd.DataFrame]) -> None:
    """Raise the ConfigError a run of ``spec`` on ``frames`` would meet in its rebalancing,
    before it starts: a computed rule's bounds that no weights summing to the total can meet,
    or a lookback longer than the run's timeline (the union of the frames' timestamps)."""
    import numpy as np
    import pandas as pd

    rebalance = spec.rebalance
    if not rebalance.enabled or rebalance.rule == "fixed":
        return
    stamps = [pd.DatetimeIndex(f.index).asi8 for f in frames.values() if len(f)]
    bars = len(np.unique(np.concatenate(stamps))) if stamps else 0
    total = float(sum(Decimal(s.weight) for s in spec.strategies))
    rebalance.check_run(total, len(spec.strategies), bars)


def select(
    spec: RunSpec, frames: Mapping[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The spec's symbols and date range of ``frames``, and a note per symbol the range leaves
    out.

    Symbols the spec names must all have bars in the range (else DataError); with no symbols
    named ("all symbols"), those without bars in the range are left out.
    """
    chosen = _symbols_of(spec, frames)
    notes: list[str] = []
    if spec.start or spec.end:
        from orchestrator import data as loaders

        every = not spec.symbols
        sliced = loaders.slice_dates(chosen, spec.start, spec.end, drop_empty=every)
        for name in chosen:
            if name not in sliced:
                index = chosen[name].index
                notes.append(
                    f"{name} left out: it has no bars from {spec.start or 'the start'} to "
                    f"{spec.end or 'the end'} (its data runs {index[0].date()} to "
                    f"{index[-1].date()})"
                )
        chosen = sliced
    return chosen, notes


def run_spec(
    spec: RunSpec,
    data: Mapping[str, pd.DataFrame] | None = None,
    progress: Callable[[int, int], None] | None = None,
    logging_level: str = "WARNING",
) -> OrchestratorResult:
    """Load the data (or select from ``data``), build the strategies and run them.

    Symbols that the date range leaves out (when no symbols are named), and symbols whose
    data stop well before the run's end, are reported in the result's ``warnings``. A
    strategy trading a symbol the selected data lack is a ConfigError, raised before the run.
    """
    from orchestrator.core.engine import StrategyOrchestrator
    from orchestrator.data._ranges import data_end_warnings

    if not spec.strategies:
        raise ConfigError("no strategy selected; add at least one strategy with a weight")
    built = build_strategies(spec)
    loaded = load_data(spec) if data is None else data
    frames, notes = select(spec, loaded)
    check_strategy_symbols(spec, list(frames), list(loaded))
    check_rebalance(spec, frames)
    orch = StrategyOrchestrator(built, spec.initial_capital, spec.config(logging_level))
    result = orch.run(frames, progress=progress)
    notes += data_end_warnings(frames)
    if notes:
        result = replace(result, warnings=(*notes, *result.warnings))
    return result
