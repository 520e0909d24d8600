"""The command line: ``orchestrator run portfolio.toml`` and friends.

Commands::

    orchestrator run CONFIG [--start D] [--end D] [--capital X] [--out DIR] ...
    orchestrator strategies [--plugins DIR] [--json]
    orchestrator check-lookahead NAME [--params k=v ...] [--plugins DIR]
    orchestrator export-config [CONFIG] [--query LINK] [--format toml|query]

Every command takes ``--quiet``, ``--verbose`` and ``--debug``. Results go to stdout; progress,
log messages and errors go to stderr. An error is one line, ``orchestrator: error: ...``, with
exit status 2 for usage and configuration errors (a missing or invalid file, an unknown
strategy or parameter, weights over 1.0) and 1 for failures while running (bad data, a
strategy that raised, a look-ahead found); ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs, urlencode, urlsplit

from orchestrator.errors import ConfigError, DataError, OrchestratorError, StrategyError

if TYPE_CHECKING:
    from orchestrator.spec import RunSpec, StrategySpec

__all__ = ["ProgressBar", "build_parser", "main"]

PROG = "orchestrator"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
# The plug-in folder when --plugins is not given (the dashboard reads the same variable).
PLUGINS_ENV = "ORCHESTRATOR_PLUGINS"
# Seconds a run must last before its progress bar appears: short runs stay silent.
PROGRESS_DELAY = 0.3
logger = logging.getLogger("orchestrator.cli")


# ---- terminal output ----------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar redrawn in place with ``\\r``; a ``progress(done, total)`` callback.

    Nothing is drawn until ``delay`` seconds have passed, so short runs stay silent; the line is
    wiped by :meth:`close`, leaving the terminal as it was.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str = "running",
        *,
        width: int = 30,
        delay: float = 0.3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.shown = 0  # length of the line on screen, 0 when none
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 0 or (not self.shown and self.clock() - self.started < self.delay):
            return
        percent = min(100, 100 * done // total)
        if percent == self.last:
            return
        self.last = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "." * (self.width - filled)
        text = f"{self.label} [{bar}] {percent:3d}%  {done:,}/{total:,} timestamps"
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = max(self.shown, len(text))

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


class _LineFormatter(logging.Formatter):
    """``orchestrator: warning: message`` (the logger's name too under --debug)."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        where = f" [{record.name}]" if self.debug else ""
        message = record.getMessage().strip()
        if record.name == "py.warnings" and not self.debug:
            message = message.splitlines()[0]  # "file:line: Category: text", not the source
        return f"{PROG}: {record.levelname.lower()}{where}: {message}"


class _DefaultFilter(logging.Filter):
    """What the default verbosity shows: capital breaches are routine and the summary line
    counts them (the exports list them), so they are not logged one by one; any other message
    is shown at most ``limit`` times."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.seen: dict[tuple[str, object], int] = {}
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "capital breach" in record.msg:
            return False
        key = (record.name, record.msg)
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] > self.limit:
            self.dropped += 1
            return False
        return True


@contextmanager
def _logging(args: argparse.Namespace) -> Iterator[None]:
    """Send log records to stderr, one line each, for the duration of one command."""
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    if args.quiet:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(_LineFormatter(args.debug))
    limit = None
    if level >= logging.WARNING:  # the same warning 50 times helps nobody
        limit = _DefaultFilter(3)
        handler.addFilter(limit)
    root, ours = logging.getLogger(), logging.getLogger("orchestrator")
    old_levels = root.level, ours.level
    root.addHandler(handler)
    if old_levels[0] and level < old_levels[0]:
        root.setLevel(level)
    ours.setLevel(level)  # the engine sets it per run too; this covers loading and the CLI
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(old_levels[0])
        ours.setLevel(old_levels[1])
        if limit is not None and limit.dropped:
            sys.stderr.write(
                f"{PROG}: warning: {limit.dropped} more similar warning(s) not shown "
                "(--verbose shows them all)\n"
            )


def _engine_level(args: argparse.Namespace) -> str:
    if args.quiet:
        return "ERROR"
    return "DEBUG" if args.debug else "INFO" if args.verbose else "WARNING"


# ---- run --------------------------------------------------------------------------------------


def _load_spec(args: argparse.Namespace) -> RunSpec:
    """Read the run's configuration and apply the command-line overrides."""
    from orchestrator.spec import DEFAULT_SPEC, RunSpec

    query = getattr(args, "query", None)
    if args.config is not None and query is not None:
        raise ConfigError("give a configuration file or --query, not both")
    if args.config is not None:
        spec = RunSpec.from_toml(args.config)
    elif query is not None:
        text = query.strip()
        if "://" in text or text.startswith(("/", "?")):
            text = urlsplit(text).query
        spec = RunSpec.from_query(parse_qs(text, keep_blank_values=True))
    else:
        spec = DEFAULT_SPEC
    data = args.data
    if data is not None and data != "demo":
        data = str(Path(data).resolve())  # relative to where the command runs, as usual
    plugins = str(Path(args.plugins).resolve()) if args.plugins else None
    return spec.with_overrides(
        data=data,
        plugin_dir=plugins,
        symbols=args.symbols,
        start=args.start,
        end=args.end,
        initial_capital=args.capital,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from orchestrator import report
    from orchestrator.engine import StrategyOrchestrator

    spec = _load_spec(args)
    # Strategies, parameters and weights first: a typo should not wait for the data to load.
    level = _engine_level(args)
    pairs = [(strategy, Decimal(weight)) for strategy, weight in spec.build_strategies()]
    StrategyOrchestrator(pairs, spec.initial_capital, spec.config(level))
    started = time.perf_counter()
    frames = spec.load_data()
    bars = sum(len(f) for f in frames.values())
    logger.info(
        "loaded %d symbol(s), %s bars, in %.2f s",
        len(frames),
        f"{bars:,}",
        time.perf_counter() - started,
    )
    show = not args.quiet and sys.stderr.isatty()
    bar = ProgressBar(sys.stderr, delay=PROGRESS_DELAY) if show else None
    try:
        result = spec.run(frames, progress=bar, logging_level=level)
    finally:
        if bar is not None:
            bar.close()
    out = sys.stdout
    if not args.quiet:
        columns = report.ALL_COLUMNS if args.wide else report.DEFAULT_COLUMNS
        out.write(report.format_table(result.comparison_table, columns) + "\n\n")
    out.write(report.format_summary(result) + "\n")
    out.flush()
    if args.out is not None:
        written = report.write_all(result, spec, args.out)
        if not args.quiet:
            names = ", ".join(p.name for p in written)
            sys.stderr.write(f"{PROG}: wrote {names} to {args.out}\n")
    return EXIT_OK


# ---- strategies ---------------------------------------------------------------------------------


def _catalogue(plugin_dir: str | None) -> list[dict[str, Any]]:
    """Every available strategy: its name, origin, description and declared parameters."""
    import strategies as library
    from strategies import plugins

    entries: list[dict[str, Any]] = []
    found: list[tuple[str, type, str]] = [
        (name, cls, "built-in") for name, cls in library.REGISTRY.items()
    ]
    if plugin_dir is not None:
        folder = Path(plugin_dir)
        if not folder.is_dir():
            raise ConfigError(f"plug-in folder {plugin_dir!r} not found or not a folder")
        found += [(name, cls, "plug-in") for name, cls in plugins.discover(folder).items()]
    for name, cls, origin in found:
        param_specs = getattr(cls, "param_specs", None)  # plain protocol classes declare none
        specs = param_specs() if callable(param_specs) else None
        doc = (cls.__doc__ or "").strip().splitlines()
        entries.append(
            {
                "name": name,
                "origin": origin,
                "class": f"{cls.__module__}.{cls.__qualname__}",
                "description": getattr(cls, "description", None) or (doc[0] if doc else ""),
                "params": None
                if specs is None
                else [
                    {
                        "name": p.name,
                        "type": p.kind.__name__,
                        "default": p.default,
                        "min": p.min,
                        "max": p.max,
                        "step": p.step,
                        "help": p.help,
                    }
                    for p in specs
                ],
            }
        )
    return entries


def _number(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param_line(p: dict[str, Any]) -> list[str]:
    bounds = ""
    if p["min"] is not None or p["max"] is not None:
        low = _number(p["min"]) if p["min"] is not None else ""
        high = _number(p["max"]) if p["max"] is not None else ""
        bounds = f"{low}..{high}"
    step = f"step {_number(p['step'])}" if p["step"] is not None else ""
    return [p["name"], p["type"], f"= {_number(p['default'])}", bounds, step, p["help"]]


def _format_catalogue(entries: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for origin, title in (("built-in", "Built-in strategies"), ("plug-in", "Plug-in strategies")):
        group = [e for e in entries if e["origin"] == origin]
        if not group and origin == "plug-in":
            continue
        lines.append(f"{title} ({len(group)}):")
        rows = [_param_line(p) for e in group for p in (e["params"] or [])]
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(5)]
        for e in group:
            lines.append("")
            lines.append(f"  {e['name']}  -  {e['description']}")
            if origin == "plug-in":
                lines.append(f"    class {e['class']}")
            if e["params"] is None:
                lines.append("    (parameters not declared: passed to the class as given)")
            elif not e["params"]:
                lines.append("    (no parameters)")
            for p in e["params"] or []:
                cells = _param_line(p)
                text = "  ".join(c.ljust(w) for c, w in zip(cells[:5], widths, strict=True))
                lines.append(f"    {text}  {cells[5]}".rstrip())
        lines.append("")
    if not any(e["origin"] == "plug-in" for e in entries):
        lines.append("Plug-ins: add --plugins DIR to list the strategies in a folder of .py files.")
    return "\n".join(lines).rstrip() + "\n"


def _cmd_strategies(args: argparse.Namespace) -> int:
    entries = _catalogue(args.plugins)
    if args.json:
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    else:
        sys.stdout.write(_format_catalogue(entries))
    return EXIT_OK


# ---- check-lookahead ------------------------------------------------------------------------


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    from orchestrator.spec import parse_value

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
    from orchestrator.spec import StrategySpec

    if name.endswith(".py") or (":" in name and not Path(name).exists()):
        path, _, cls = name.rpartition(":") if not name.endswith(".py") else (name, "", "")
        if path.endswith(".py"):
            path = str(Path(path).resolve())
        plugin = f"{path}:{cls}" if cls else path
        label = cls or Path(path).stem
        return StrategySpec(name=label, weight="1", params=params, plugin=plugin)
    return StrategySpec(name=name, weight="1", params=params)


def _cmd_check_lookahead(args: argparse.Namespace) -> int:
    from orchestrator import data as loaders
    from orchestrator.lookahead import check_lookahead
    from orchestrator.spec import RunSpec

    plugin_dir = str(Path(args.plugins).resolve()) if args.plugins else None
    spec = RunSpec(
        strategies=(_strategy_spec(args.name, _parse_params(args.params)),),
        plugin_dir=plugin_dir,
    )
    strategy = spec.build_strategies()[0][0]
    symbols = None
    if args.symbols:
        symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    frames = loaders.load_demo(symbols, args.start, args.end)
    started = time.perf_counter()
    report = check_lookahead(strategy, frames, points=args.points)
    elapsed = time.perf_counter() - started
    sys.stdout.write(f"{str(report).rstrip()}\n")
    if report.ok:
        if not args.quiet:
            sys.stdout.write(f"no look-ahead found ({elapsed:.2f} s)\n")
        return EXIT_OK
    sys.stderr.write(
        f"{PROG}: error: strategy {args.name!r} uses future data: its decisions change when "
        "later bars are removed (see above); make every indicator causal\n"
    )
    return EXIT_FAILURE


# ---- export-config --------------------------------------------------------------------------


def _cmd_export_config(args: argparse.Namespace) -> int:
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


# ---- parser and main ------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    """Options every command takes; SUPPRESS keeps a value given before the command."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only results (no progress, no warnings)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log what happens (INFO) to stderr",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error and log at DEBUG",
    )
    return common


def _overrides() -> argparse.ArgumentParser:
    over = argparse.ArgumentParser(add_help=False)
    group = over.add_argument_group("overrides (take precedence over the configuration file)")
    group.add_argument("--data", metavar="PATH", help='"demo", or a CSV/Parquet file or folder')
    group.add_argument("--symbols", metavar="A,B,...", help="comma-separated symbols")
    group.add_argument("--start", metavar="DATE", help="first date, e.g. 2010-01-01")
    group.add_argument("--end", metavar="DATE", help="last date, e.g. 2015-12-31")
    group.add_argument("--capital", metavar="AMOUNT", help="initial capital, e.g. 250000")
    group.add_argument("--plugins", metavar="DIR", help="folder of plug-in strategies")
    return over


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``orchestrator`` command."""
    from orchestrator import __version__

    common, over = _common(), _overrides()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Backtest several strategies side by side, each on its own capital.",
        epilog="Run 'orchestrator COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        parents=[over, common],
        help="run a portfolio from a TOML file",
        description="Run the portfolio a TOML file describes, print the comparison table and "
        "a summary, and optionally write CSV/JSON/HTML exports.",
    )
    run.add_argument("config", type=Path, metavar="CONFIG", help="the portfolio's TOML file")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write comparison.csv, trades.csv, breaches.csv, equity.csv, result.json, "
        "report.html and config.toml into DIR",
    )
    run.add_argument("--wide", action="store_true", help="print every column of the table")
    run.set_defaults(handler=_cmd_run)

    strat = sub.add_parser(
        "strategies",
        parents=[common],
        help="list strategies and their parameters",
        description="List the built-in strategies (and plug-ins) with their parameters, "
        "ranges and defaults.",
    )
    strat.add_argument(
        "--plugins",
        metavar="DIR",
        default=os.environ.get(PLUGINS_ENV) or None,
        help=f"also list the strategies in DIR/*.py (default: ${PLUGINS_ENV})",
    )
    strat.add_argument("--json", action="store_true", help="print JSON instead of text")
    strat.set_defaults(handler=_cmd_strategies)

    look = sub.add_parser(
        "check-lookahead",
        parents=[common],
        help="check a strategy for look-ahead bias",
        description="Run a strategy on the demo data, full and truncated at several points, "
        "and report every decision that changes (a strategy that peeks at the future). Exit "
        "status 1 when one is found.",
    )
    look.add_argument(
        "name",
        metavar="NAME",
        help="a built-in name, a plug-in's name (with --plugins), or path/file.py[:Class]",
    )
    look.add_argument(
        "--params",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="strategy parameters, e.g. --params fast=10 slow=50",
    )
    look.add_argument(
        "--plugins",
        metavar="DIR",
        default=os.environ.get(PLUGINS_ENV) or None,
        help=f"folder of plug-in strategies (default: ${PLUGINS_ENV})",
    )
    look.add_argument(
        "--symbols",
        metavar="A,B,...",
        default="AAPL,MSFT,BTC-USD",
        help="demo symbols to check on (default: %(default)s)",
    )
    look.add_argument("--start", metavar="DATE", help="first date of the demo data to use")
    look.add_argument("--end", metavar="DATE", help="last date of the demo data to use")
    look.add_argument(
        "--points",
        type=int,
        default=8,
        metavar="N",
        help="number of truncation points (default: %(default)s)",
    )
    look.set_defaults(handler=_cmd_check_lookahead)

    export = sub.add_parser(
        "export-config",
        parents=[over, common],
        help="print a run's configuration",
        description="Print a run's configuration as TOML (or as a dashboard query string): "
        "from a TOML file, from a dashboard link (--query), or the dashboard's default.",
    )
    export.add_argument("config", type=Path, nargs="?", metavar="CONFIG", help="a TOML file")
    export.add_argument(
        "--query", metavar="LINK", help="a dashboard link or its query string (?s1=...)"
    )
    export.add_argument(
        "--format",
        choices=("toml", "query"),
        default="toml",
        help="print TOML (default) or a query string for the dashboard link",
    )
    export.set_defaults(handler=_cmd_export_config)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _fail(
    exc: BaseException, status: int, debug: bool, stream: IO[str], message: str | None = None
) -> int:
    if debug:
        traceback.print_exception(exc, file=stream)
    stream.write(f"{PROG}: error: {message or _one_line(exc)}\n")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    stderr = sys.stderr
    with _logging(args):
        try:
            status: int = args.handler(args)
            return status
        except ConfigError as exc:
            return _fail(exc, EXIT_USAGE, args.debug, stderr)
        except (DataError, StrategyError, OrchestratorError) as exc:
            return _fail(exc, EXIT_FAILURE, args.debug, stderr)
        except OSError as exc:  # e.g. the --out folder cannot be written
            name = f" {str(exc.filename)!r}" if exc.filename else ""
            message = f"cannot write or read{name}: {exc.strerror or _one_line(exc)}"
            return _fail(exc, EXIT_FAILURE, args.debug, stderr, message)
        except KeyboardInterrupt:
            stderr.write(f"\n{PROG}: interrupted\n")
            return 130
        except Exception as exc:
            message = (
                f"unexpected {type(exc).__name__}: {_one_line(exc)} "
                "(rerun with --debug for the traceback, and please report it)"
            )
            return _fail(exc, EXIT_FAILURE, args.debug, stderr, message)
