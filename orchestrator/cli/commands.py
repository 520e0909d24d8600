"""The bodies of the command line's commands (private; see :mod:`orchestrator.cli`).

Each command takes the parsed arguments, writes results to stdout and notes to stderr, and
returns an exit status; errors are raised (an :class:`~orchestrator.OrchestratorError` or an
``OSError``) for :func:`orchestrator.cli.main` to turn into one line and a status.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from orchestrator.errors import ConfigError, DataError, OrchestratorError, closest_match

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.app.spec import RunSpec, StrategySpec
    from orchestrator.core.allocation import Rebalance

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "check_lookahead",
    "export_config",
    "log_level",
    "run",
    "strategies",
]

PROG = "orchestrator"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
logger = logging.getLogger("orchestrator.cli")


# ---- run --------------------------------------------------------------------------------------


def log_level(args: argparse.Namespace) -> int:
    """The logging level --quiet, --verbose and --debug ask for (WARNING by default)."""
    if args.quiet:
        return logging.ERROR
    return logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING


def _load_spec(args: argparse.Namespace) -> RunSpec:
    """Read the run's configuration and apply the command-line overrides."""
    from orchestrator.app.links import without_paths
    from orchestrator.app.spec import DEFAULT_SPEC, RunSpec

    query = getattr(args, "query", None)
    if args.config is not None and query is not None:
        raise ConfigError("give a configuration file or --query, not both")
    if args.config is not None:
        spec = RunSpec.from_toml(args.config)
    elif query is not None:
        text = query.strip()
        if "://" in text or text.startswith(("/", "?")):
            text = urlsplit(text).query
        spec, dropped = without_paths(RunSpec.from_query(parse_qs(text, keep_blank_values=True)))
        for message in dropped:
            logger.warning("--query: %s", message)
    else:
        spec = DEFAULT_SPEC
    data = args.data
    if data is not None and data != "demo":
        data = str(Path(data).resolve())  # relative to where the command runs, as usual
    return spec.with_overrides(
        data=data,
        plugin_dir=_folder(args.plugins),
        symbols=args.symbols,
        start=args.start,
        end=args.end,
        initial_capital=args.capital,
        rebalance=_rebalance(args, spec),
    )


def _rebalance(args: argparse.Namespace, spec: RunSpec) -> Rebalance | None:
    """The rebalancing --rebalance and --rule ask for (None when neither is given); a
    schedule replaces the file's ``every_bars``. Errors name the option."""
    rebalance = spec.rebalance
    for option, key in (("--rebalance", "schedule"), ("--rule", "rule")):
        value = getattr(args, option[2:], None)
        if value is None:
            continue
        changes: dict[str, Any] = {key: value.strip()}
        if key == "schedule":
            changes["every_bars"] = None
        try:
            rebalance = replace(rebalance, **changes)
        except ConfigError as exc:
            raise ConfigError(f"{option} {value!r}: {exc}") from None
    return None if rebalance is spec.rebalance else rebalance


def _folder(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


def _no_strategies(args: argparse.Namespace) -> ConfigError:
    return ConfigError(
        f"{args.config}: no strategies; add at least one [[strategies]] table with a name and "
        "a weight"
    )


def _check_out(folder: Path) -> None:
    """Make sure the --out folder exists and takes files, before any work is done."""
    if folder.exists() and not folder.is_dir():
        raise OrchestratorError(
            f"--out {str(folder)!r} is a file, not a folder; choose a folder to write into"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OrchestratorError(
            f"--out {str(folder)!r}: cannot create or write to this folder "
            f"({exc.strerror or exc}); choose a folder you can write to"
        ) from None


def _hint(name: str, known: Sequence[str]) -> str:
    """ " (did you mean 'MSFT'?)" for a near miss, case aside; "" when nothing is close."""
    match = closest_match(name, known)
    return f" (did you mean {match!r}?)" if match is not None else ""


def _unknown_symbols(
    args: argparse.Namespace, spec: RunSpec, known: Sequence[str], where: str
) -> None:
    """Raise ConfigError for symbols the configuration names that ``where`` does not have."""
    unknown = [s for s in spec.symbols or () if s not in known]
    if not unknown:
        return
    origin = "--symbols" if args.symbols else f"{args.config}: [data] symbols"
    names = ", ".join(f"{s!r}{_hint(s, known)}" for s in unknown)
    raise ConfigError(
        f"{origin}: unknown symbol{'s' if len(unknown) > 1 else ''} {names}; "
        f"{where} has {', '.join(known)}"
    )


def _load_frames(args: argparse.Namespace, spec: RunSpec) -> dict[str, pd.DataFrame]:
    """Load the run's data; symbols the data do not have are a configuration error (2)."""
    from orchestrator import data as loaders

    if spec.data == "demo":
        _unknown_symbols(args, spec, loaders.DEMO_TICKERS, "the demo data")
        return spec.load_data()
    frames = replace(spec, symbols=None).load_data()
    _unknown_symbols(args, spec, sorted(frames), spec.data)
    return {s: frames[s] for s in spec.symbols} if spec.symbols else frames


def _in_range(spec: RunSpec, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames cut to the run's dates; a range without bars is a configuration error (2).

    As in :meth:`RunSpec.select`, named symbols must all have bars in the range; with all
    symbols, those without are left out (the run says so in its warnings).
    """
    from orchestrator import data as loaders

    if not (spec.start or spec.end):
        return frames
    try:
        return loaders.slice_dates(frames, spec.start, spec.end, drop_empty=not spec.symbols)
    except DataError as exc:  # the loaded frames are sound: only the dates can be at fault
        raise ConfigError(str(exc)) from exc


class _Seen(logging.Handler):
    """Remembers the warnings logged while it is attached (to print each only once)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.add(record.getMessage())


@contextmanager
def _seen_warnings() -> Iterator[set[str]]:
    seen = _Seen()
    ours = logging.getLogger("orchestrator")
    ours.addHandler(seen)
    try:
        yield seen.messages
    finally:
        ours.removeHandler(seen)


def run(args: argparse.Namespace) -> int:
    """``orchestrator run``: the comparison table and summary, and the exports with --out.

    Everything that can be checked before the run is: the strategies, their parameters and
    weights, the --out folder, the symbols and the dates (configuration errors exit 2, an
    unwritable folder 1). Warnings (the run's, and symbols whose data end early) go to
    stderr unless --quiet, and into the exports.
    """
    from orchestrator import report
    from orchestrator.cli.progress import ProgressBar
    from orchestrator.core.engine import StrategyOrchestrator

    spec = _load_spec(args)
    if not spec.strategies:
        raise _no_strategies(args)
    if args.out is not None:
        _check_out(args.out)
    # Strategies, parameters and weights first: a typo should not wait for the data to load.
    level = logging.getLevelName(log_level(args))
    pairs = [(strategy, Decimal(weight)) for strategy, weight in spec.build_strategies()]
    StrategyOrchestrator(pairs, spec.initial_capital, spec.config(level))
    started = time.perf_counter()
    frames = _load_frames(args, spec)
    used = _in_range(spec, frames)
    bars = sum(len(f) for f in used.values())
    logger.info(
        "loaded %d symbol(s), %s bars, in %.2f s",
        len(used),
        f"{bars:,}",
        time.perf_counter() - started,
    )
    show = not args.quiet and sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show else None
    try:
        with _seen_warnings() as logged:
            result = spec.run(frames, progress=bar, logging_level=level)
    finally:
        if bar is not None:
            bar.close()
    for note in result.warnings:
        if note not in logged:  # the engine logs some as they happen
            logger.warning(note)
    out = sys.stdout
    columns = report.ALL_COLUMNS if args.wide else report.DEFAULT_COLUMNS
    out.write(report.format_table(result.comparison_table, columns) + "\n\n")
    rebalancing = report.format_rebalancing(result)
    if rebalancing:
        out.write(rebalancing + "\n")
    out.write(report.format_summary(result) + "\n")
    out.flush()
    if args.out is not None:
        written = report.write_all(result, spec, args.out)
        if not args.quiet:
            names = ", ".join(p.name for p in written)
            sys.stderr.write(f"{PROG}: wrote {names} to {args.out}\n")
    return EXIT_OK


# ---- strategies ---------------------------------------------------------------------------------


def strategies(args: argparse.Namespace) -> int:
    """``orchestrator strategies``: every strategy with its parameters, as text or JSON."""
    from orchestrator.cli.listing import catalogue_entries, format_catalogue

    entries = catalogue_entries(args.plugins)
    if args.json:
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    else:
        sys.stdout.write(format_catalogue(entries))
    return EXIT_OK


# ---- check-lookahead ------------------------------------------------------------------------


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    from orchestrator.app.spec import parse_value

    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--params expects name=value pairs (e.g. --params fast=10 slow=30); found {item!r}"
            )
        params[key.strip()] = parse_value(value)
    return params


def _strategy_spec(name: str, params: dict[str, Any]) -> StrategySpec:
    """A StrategySpec for a registry name, a plug-in's name, or ``file.py[:Class]``."""
    from orchestrator.app.spec import StrategySpec

    if name.endswith(".py") or (":" in name and not Path(name).exists()):
        path, _, cls = name.rpartition(":") if not name.endswith(".py") else (name, "", "")
        if path.endswith(".py"):
            path = str(Path(path).resolve())
        plugin = f"{path}:{cls}" if cls else path
        label = cls or Path(path).stem
        return StrategySpec(name=label, weight="1", params=params, plugin=plugin)
    return StrategySpec(name=name, weight="1", params=params)


def check_lookahead(args: argparse.Namespace) -> int:
    """``orchestrator check-lookahead``: exit status 1 when the strategy peeks ahead."""
    from orchestrator import data as loaders
    from orchestrator.app.spec import RunSpec
    from orchestrator.core.lookahead import check_lookahead as check

    spec = RunSpec(
        strategies=(_strategy_spec(args.name, _parse_params(args.params)),),
        plugin_dir=_folder(args.plugins),
    )
    strategy = spec.build_strategies()[0][0]
    symbols = None
    if args.symbols:
        symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    frames = loaders.load_demo(symbols, args.start, args.end)
    started = time.perf_counter()
    found = check(strategy, frames, points=args.points)
    elapsed = time.perf_counter() - started
    sys.stdout.write(f"{str(found).rstrip()}\n")
    if found.ok:
        if not args.quiet:
            sys.stdout.write(f"no look-ahead found ({elapsed:.2f} s)\n")
        return EXIT_OK
    sys.stderr.write(
        f"{PROG}: error: strategy {args.name!r} uses future data: its decisions change when "
        "later bars are removed (see above); make every indicator causal\n"
    )
    return EXIT_FAILURE


# ---- export-config --------------------------------------------------------------------------


def export_config(args: argparse.Namespace) -> int:
    """``orchestrator export-config``: a run's configuration as TOML or a query string."""
    spec = _load_spec(args)
    if spec.data == "upload":
        logger.warning(
            "the link's data were files uploaded in the browser; set [data] source to the "
            "path of those files (or pass --data PATH) before running this configuration"
        )
    if args.format == "query":
        sys.stdout.write("?" + urlencode(spec.to_query()) + "\n")
    else:
        sys.stdout.write(spec.to_toml().rstrip() + "\n")
    return EXIT_OK
