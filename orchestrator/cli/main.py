"""The command line: ``orchestrator run portfolio.toml`` and friends.

Commands::

    orchestrator run CONFIG [--start D] [--end D] [--capital X] [--rebalance S] [--out DIR] ...
    orchestrator strategies [--plugins DIR] [--json]
    orchestrator check-lookahead NAME [--params k=v ...] [--plugins DIR]
    orchestrator export-config [CONFIG] [--query LINK] [--format toml|query]

Every command takes ``--quiet``, ``--verbose`` and ``--debug``. Results go to stdout; progress,
warnings, log messages and errors go to stderr, so ``--quiet`` (results only: nothing on
stderr but an error) keeps stdout the same and silences the rest. An error is one line,
``orchestrator: error: ...`` (``orchestrator run: error: ...`` for a command's wrong
arguments), with exit status 2 for usage and configuration errors (unknown or malformed
arguments, a missing or invalid file, no strategies, an unknown strategy, parameter or
symbol, weights over 1.0, a date range without bars) and 1 for failures while running (bad
data, an output folder that cannot be written, a strategy that raised, a look-ahead found);
``--debug`` adds the traceback.

This module is the parser, the logging to stderr and the error handling; the commands'
bodies are in :mod:`orchestrator.cli.commands`, the progress bar in
:mod:`orchestrator.cli.progress`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

from orchestrator.app.catalogue import PLUGINS_ENV
from orchestrator.cli import commands
from orchestrator.cli.commands import EXIT_FAILURE, EXIT_USAGE, PROG
from orchestrator.cli.progress import ProgressBar
from orchestrator.errors import ConfigError, DataError, OrchestratorError, StrategyError

__all__ = ["ProgressBar", "build_parser", "main"]


# ---- logging to stderr --------------------------------------------------------------------------


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
    level = commands.log_level(args)
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


# ---- parser and main ------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the (sub)command, exit status 2:
    ``orchestrator run: error: unrecognized arguments: --bogus``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(message.split())}\n")


def _common() -> _Parser:
    """Options every command takes; SUPPRESS keeps a value given before the command."""
    common = _Parser(add_help=False)
    group = common.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only the results on stdout (the table and the summary); nothing on "
        "stderr but an error: no progress bar, warnings or notes",
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


def _symbol_list(text: str) -> str:
    """--symbols: at least one name (an empty list would silently mean every symbol)."""
    if not any(s.strip() for s in text.split(",")):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated symbols such as AAPL,MSFT; found {text!r} (leave the "
            f"option out to use every symbol)"
        )
    return text


def _overrides() -> _Parser:
    over = _Parser(add_help=False)
    group = over.add_argument_group("overrides (take precedence over the configuration file)")
    group.add_argument("--data", metavar="PATH", help='"demo", or a CSV/Parquet file or folder')
    group.add_argument(
        "--symbols", metavar="A,B,...", type=_symbol_list, help="comma-separated symbols"
    )
    group.add_argument("--start", metavar="DATE", help="first date, e.g. 2010-01-01")
    group.add_argument("--end", metavar="DATE", help="last date, e.g. 2015-12-31")
    group.add_argument("--capital", metavar="AMOUNT", help="initial capital, e.g. 250000")
    group.add_argument("--plugins", metavar="DIR", help="folder of plug-in strategies")
    group.add_argument(
        "--rebalance",
        metavar="SCHEDULE",
        help="rebalance the sleeves to their targets: none, weekly, monthly, quarterly or "
        "annually (the [rebalance] table's schedule)",
    )
    group.add_argument(
        "--rule",
        metavar="RULE",
        help="target weights at each rebalance: fixed, equal, inverse_volatility, "
        "risk_parity, min_variance, max_sharpe or hrp (the [rebalance] table's rule)",
    )
    return over


def _plugins_option(parser: argparse.ArgumentParser, text: str) -> None:
    """--plugins DIR, defaulting to the folder the dashboard reads too (ORCHESTRATOR_PLUGINS)."""
    parser.add_argument(
        "--plugins",
        metavar="DIR",
        default=os.environ.get(PLUGINS_ENV) or None,
        help=f"{text} (default: ${PLUGINS_ENV})",
    )


def _points(text: str) -> int | str:
    """``--points``: a whole number of at least 1, or ``all``."""
    if text.strip().lower() == "all":
        return "all"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1 or 'all'; found {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; found {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``orchestrator`` command."""
    from orchestrator import __version__

    common, over = _common(), _overrides()
    parser = _Parser(
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
        help="write comparison.csv, trades.csv, breaches.csv, equity.csv, transfers.csv, "
        "weights.csv, attribution.csv, result.json, report.html and config.toml into DIR",
    )
    run.add_argument("--wide", action="store_true", help="print every column of the table")
    run.set_defaults(handler=commands.run)

    strat = sub.add_parser(
        "strategies",
        parents=[common],
        help="list strategies and their parameters",
        description="List the built-in strategies (and plug-ins) with their parameters, "
        "ranges and defaults.",
    )
    _plugins_option(strat, "also list the strategies in DIR/*.py")
    strat.add_argument("--json", action="store_true", help="print JSON instead of text")
    strat.set_defaults(handler=commands.strategies)

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
    _plugins_option(look, "folder of plug-in strategies")
    look.add_argument(
        "--symbols",
        metavar="A,B,...",
        type=_symbol_list,
        default="AAPL,MSFT,BTC-USD",
        help="demo symbols to check on (default: %(default)s)",
    )
    look.add_argument("--start", metavar="DATE", help="first date of the demo data to use")
    look.add_argument("--end", metavar="DATE", help="last date of the demo data to use")
    look.add_argument(
        "--points",
        type=_points,
        default=None,
        metavar="N|all",
        help="number of truncation points, or 'all' for every timestamp (default: every "
        "timestamp on short data, 250 spread evenly on longer data)",
    )
    look.set_defaults(handler=commands.check_lookahead)

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
    export.set_defaults(handler=commands.export_config)
    from orchestrator.cli import sweep as sweep_command  # its body and options live there

    sweep_command.add_parser(sub, common)
    parser.commands.update(sub.choices)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; arguments a command does not know are that command's error."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands_of = getattr(parser, "commands", {})
        owner = commands_of.get(getattr(args, "command", None), parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


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
        args = _parse(parser, argv)
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
