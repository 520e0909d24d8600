"""``orchestrator sweep FILE.toml``: run a grid of settings on Dask and report the spread.

The TOML file is a run configuration plus a ``[sweep]`` table::

    [sweep]
    metric = "sharpe_ratio"      # the portfolio's; or "<strategy>.<figure>"
    max = 2000                   # refuse more combinations than this (--max)
    # sample = 100               # draw 100 combinations at random (--sample), seed = 0 (--seed)
    # scheduler = "tcp://host:8786"   # an existing Dask cluster (--scheduler)

    [sweep.grid]
    "sma_crossover.fast" = [5, 10, 20]
    "sma_crossover.slow" = { start = 50, stop = 150, step = 50 }
    weights = { step = 0.25 }
    commission_rate = [0.0, 0.001]

The terminal shows the best rows, the spread of the metric and how the best cell's
neighbours do; ``--out DIR`` writes ``sweep.parquet``, ``config.toml`` (this file, with the
command line's choices) and ``sweep.html``. Bad input is one line and exit status 2 before any
work is sent; Ctrl-C cancels, keeps the finished rows (written with --out) and exits 130.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.cli.progress import ProgressBar
from orchestrator.errors import ConfigError, OrchestratorError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.app.spec import RunSpec

__all__ = ["OPTIONS", "add_parser", "read_sweep_toml", "run", "sweep_toml"]

#: Keys of the ``[sweep]`` table.
OPTIONS = ("grid", "metric", "max", "sample", "seed", "workers", "scheduler", "batch")
_INTS = ("max", "sample", "seed", "workers", "batch")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register the ``sweep`` command on the CLI's subparsers."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "sweep",
        parents=[common],
        help="run a grid of settings on Dask and report the spread",
        description="Run every combination of the [sweep.grid] table of a TOML file (or a "
        "random sample), on a local Dask cluster or an existing one, and print the best rows "
        "and the spread of a metric.",
    )
    parser.add_argument("config", type=Path, metavar="FILE", help="a TOML file with [sweep]")
    parser.add_argument("--workers", type=int, metavar="N", help="local worker processes")
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="an existing Dask scheduler, tcp://host:8786 (default: $ORCHESTRATOR_DASK_SCHEDULER, "
        "else a local cluster)",
    )
    parser.add_argument("--sample", type=int, metavar="N", help="run N random combinations")
    parser.add_argument("--seed", type=int, metavar="S", help="seed of --sample (default 0)")
    parser.add_argument(
        "--max", type=int, metavar="N", help="refuse more combinations than N (default 10,000)"
    )
    parser.add_argument("--metric", metavar="NAME", help="metric to rank by (sharpe_ratio)")
    parser.add_argument("--top", type=int, default=5, metavar="N", help="best rows to print")
    parser.add_argument("--batch", type=int, metavar="N", help="combinations per Dask task")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="write sweep.parquet, config.toml, sweep.html"
    )
    parser.set_defaults(handler=run)
    return parser


# ---- the file -----------------------------------------------------------------------------------


def read_sweep_toml(path: Path) -> tuple[RunSpec, dict[str, Any]]:
    """Read a run configuration with a ``[sweep]`` table: (the run, the sweep's options)."""
    from orchestrator.app.spec import RunSpec

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {str(path)!r} not found") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    options = raw.pop("sweep", None)
    if not isinstance(options, Mapping):
        raise ConfigError(
            f"{path}: no [sweep] table; add one with a [sweep.grid] of settings to vary, e.g. "
            '"sma_crossover.fast" = [10, 20, 30]'
        )
    for key, value in options.items():
        if key not in OPTIONS:
            raise ConfigError(
                f"{path}: unknown key {key!r} in [sweep]{did_you_mean(key, OPTIONS)} "
                f"(known: {', '.join(OPTIONS)})"
            )
        if key in _INTS and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{path}: [sweep] {key} must be a whole number; found {value!r}")
    if not isinstance(options.get("grid"), Mapping) or not options["grid"]:
        raise ConfigError(
            f"{path}: the sweep grid is empty; add a [sweep.grid] table naming at least one "
            'setting to vary, e.g. "sma_crossover.fast" = [10, 20, 30]'
        )
    try:
        spec = RunSpec.from_dict(raw).resolved(path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return spec, dict(options)


def _toml(value: Any) -> str:
    if isinstance(value, datetime.date | datetime.time):  # TOML dates and times are bare
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise ConfigError(f"cannot write {value!r} to TOML")


def sweep_toml(spec: RunSpec, options: Mapping[str, Any]) -> str:
    """The run and its ``[sweep]`` table as TOML text that :func:`read_sweep_toml` reads back."""
    lines = [spec.to_toml().rstrip(), "", "[sweep]"]
    lines += [f"{k} = {_toml(v)}" for k, v in options.items() if k != "grid" and v is not None]
    lines += ["", "[sweep.grid]"]
    lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in options["grid"].items()]
    return "\n".join(lines) + "\n"


# ---- the command --------------------------------------------------------------------------------


def _check_out(folder: Path) -> None:
    """Make sure the --out folder exists and takes files, before any work is sent."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {str(folder)!r} is a file, not a folder; choose a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(
            f"--out {str(folder)!r}: cannot create or write to this folder "
            f"({exc.strerror or exc}); choose a folder you can write to"
        ) from None


def _options(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    """The file's [sweep] options with the command line's on top, checked."""
    for key in ("workers", "scheduler", "sample", "seed", "max", "metric", "batch"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    for key in ("workers", "sample", "max", "batch"):
        value = options.get(key)
        if value is not None and value < 1:
            raise ConfigError(f"--{key} must be >= 1; found {value}")
    if options.get("seed") is not None and options["seed"] < 0:
        raise ConfigError(f"--seed must be >= 0; found {options['seed']}")
    if options.get("workers") is not None and options.get("scheduler"):
        raise ConfigError(
            "give --workers (a local cluster) or --scheduler (an existing one), not both"
        )
    if args.top < 1:
        raise ConfigError(f"--top must be >= 1; found {args.top}")
    return options


def run(args: argparse.Namespace) -> int:
    """Plan (every check before any work), run on Dask, print the best rows and the spread."""
    from orchestrator.app import robustness
    from orchestrator.app.sweep import MAX_COMBINATIONS, SweepInterrupted, plan_sweep, sweep

    spec, options = read_sweep_toml(args.config)
    options = _options(args, options)
    if args.out is not None:
        _check_out(args.out)
    limit = options.get("max", MAX_COMBINATIONS)
    plan = plan_sweep(
        spec,
        options["grid"],
        sample=options.get("sample"),
        seed=options.get("seed", 0),
        max_combinations=limit,
    )
    metric = robustness.metric_column(
        robustness.metric_names(plan.strategy_ids), options.get("metric", "sharpe_ratio")
    )
    quiet = args.quiet

    def note(text: str) -> None:
        if not quiet:
            sys.stderr.write(f"orchestrator: {text}\n")

    if options.get("sample") is not None and options["sample"] >= plan.grid.size:
        note(f"--sample {options['sample']} covers the whole grid: running all {plan.count:,}")
    if plan.invalid:
        note(
            f"{len(plan.invalid):,} combination(s) break a rule across settings (e.g. fast < "
            "slow); their rows hold the error and no figures"
        )
    bar = None if quiet else ProgressBar(sys.stderr, "sweep", unit="runs")
    try:
        table = sweep(
            spec,
            plan,
            workers=options.get("workers"),
            scheduler=options.get("scheduler"),
            batch=options.get("batch"),
            progress=bar or False,
        )
    except SweepInterrupted as stop:
        if bar is not None:
            bar.close()  # before the note, so the note is not drawn over
        if args.out is not None and len(stop.table):
            _write(args.out, stop.table, metric, spec, options, strict=False)
            note(f"{len(stop.table):,} of {stop.total:,} finished rows written to {args.out}")
        raise KeyboardInterrupt from None
    finally:
        if bar is not None:
            bar.close()
    _print(table, metric, args.top)
    if args.out is not None:
        _write(args.out, table, metric, spec, options)
    failed = int(table["error"].notna().sum())
    if failed:
        note(f"{failed:,} of {len(table):,} combinations failed; the 'error' column says why")
    return 1 if failed == len(table) else 0


def _print(table: pd.DataFrame, metric: str, top: int) -> None:
    from orchestrator.app import robustness

    settings = table.attrs["sweep"]["settings"]
    out = sys.stdout
    best = robustness.best_rows(table, metric, top)
    shown = [c for c in dict.fromkeys(["combination", *settings, metric]) if c in best]
    out.write(f"Best {min(top, len(best))} of {len(table):,} combinations by {metric}:\n")
    out.write(best[shown].to_string(index=False) + "\n\n")
    spread = robustness.metric_spread(table, metric)
    out.write(f"Spread of {metric}: {spread.text()}\n")
    if spread.count:
        out.write(f"Neighbours: {robustness.neighbours(table, metric).text()}\n")
    out.write(robustness.caveat_text(len(table), metric) + "\n")


def _write(
    folder: Path,
    table: pd.DataFrame,
    metric: str,
    spec: RunSpec,
    options: Mapping[str, Any],
    strict: bool = True,
) -> None:
    """Write sweep.parquet, config.toml and (when the metric has a value) sweep.html; without
    one, ``strict`` makes that an error (an interrupted sweep just leaves the page out)."""
    from orchestrator.report.sweep_html import sweep_page

    text = sweep_toml(spec, options)
    table.to_parquet(folder / "sweep.parquet", index=False)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    has_values = metric in table and bool(table[metric].map(math.isfinite).any())
    if has_values:
        page = sweep_page(table, metric, config_text=text)
        (folder / "sweep.html").write_text(page, encoding="utf-8")
    elif strict:
        raise OrchestratorError(
            f"no combination has a value of {metric}, so sweep.html was not written "
            f"(sweep.parquet has the errors)"
        )
