"""Shared links: a run configuration read from a URL query string, made safe to serve.

A link is untrusted input: anyone can write one. :func:`spec_from_link` keeps only what a
dashboard offers, namely the demo data or the user's own uploads, the strategies this server
knows and their declared parameters within their ranges, and reports everything it dropped or
corrected, so the page can say so instead of failing. It never lets a link name a file or folder
on the server (no data path, no plug-in path: plug-ins come from the folder the operator gave).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from orchestrator.app.checks import clip
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec, StrategySpec
from orchestrator.errors import OrchestratorError

__all__ = [
    "DATA_CHOICES",
    "coerce_param",
    "is_link",
    "share_query",
    "spec_from_link",
    "without_paths",
]

DATA_CHOICES = ("demo", "upload")


def is_link(query: Mapping[str, Any]) -> bool:
    """Whether a query string carries a run configuration: a strategy (``s1``...) or any run
    setting that differs from the default (a query the spec cannot read counts too, so that
    the page can say what is wrong with it)."""
    if any(k.startswith("s") and k[1:].isdigit() for k in query):
        return True
    try:
        return RunSpec.from_query(query) != RunSpec()
    except OrchestratorError:
        return True


def share_query(spec: RunSpec) -> dict[str, str]:
    """The query string of a link to ``spec``: :meth:`RunSpec.to_query` without the plug-in
    folder, a path on the server that stays private (:func:`spec_from_link` drops it anyway)."""
    return {k: v for k, v in spec.to_query().items() if k != "plugins"}


def without_paths(spec: RunSpec) -> tuple[RunSpec, list[str]]:
    """``spec`` without the file and folder paths a link may not name, and one message per
    path dropped: a data path (anything but the demo data or uploads), the plug-in folder and
    each strategy's plug-in reference. Running a link must never read or import a file the
    link chose; a strategy whose plug-in was dropped is looked up by its name instead."""
    messages: list[str] = []
    data = spec.data
    if data not in DATA_CHOICES:
        messages.append(
            f"The link names data {clip(data)!r}; a link never names files, so the demo data "
            f"are used"
        )
        data = "demo"
    if spec.plugin_dir is not None:
        messages.append(
            f"The link names a plug-in folder {clip(spec.plugin_dir)!r}; a link never names "
            f"files, so it was dropped"
        )
    kept: list[StrategySpec] = []
    for s in spec.strategies:
        if s.plugin is not None:
            messages.append(
                f"{s.name}: the link names a plug-in {clip(s.plugin)!r}; a link never names "
                f"files, so it was dropped and {s.name!r} is looked up by name"
            )
        kept.append(replace(s, plugin=None))
    return replace(spec, data=data, plugin_dir=None, strategies=tuple(kept)), messages


def coerce_param(spec: Any, value: object) -> tuple[int | float | bool, str | None]:
    """Return ``value`` as the declared parameter's type within its range, or its default and
    a message saying why the value was refused. ``spec`` is a ``strategies.ParamSpec``."""
    kind, lo, hi = spec.kind, spec.min, spec.max
    if kind is bool:
        if isinstance(value, bool):
            return value, None
        return spec.default, f"{spec.name}={clip(repr(value))} is not true/false"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return spec.default, f"{spec.name}={clip(repr(value))} is not a number"
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"{'' if lo is None else lo} to {'' if hi is None else hi}"
        return spec.default, f"{spec.name}={clip(repr(value))} is outside {bounds}"
    if kind is int and not float(value).is_integer():
        return spec.default, f"{spec.name}={clip(repr(value))} is not a whole number"
    return kind(value), None


def spec_from_link(
    query: Mapping[str, str | Sequence[str]],
    param_specs: Mapping[str, Callable[[], Sequence[Any]]],
) -> tuple[RunSpec, list[str]]:
    """Read a run from a link's query parameters, keeping only what this server offers.

    ``param_specs`` maps each strategy name the server offers to a function returning its
    declared parameters. Returns the spec and one message per thing that was dropped or
    corrected; a link that cannot be read at all gives :data:`DEFAULT_SPEC` and a message.
    """
    try:
        spec = RunSpec.from_query(query)
    except OrchestratorError as exc:
        return DEFAULT_SPEC, [f"The link's configuration is invalid ({exc}); showing the default"]
    spec, messages = without_paths(spec)
    kept: list[StrategySpec] = []
    for s in spec.strategies:
        if s.name not in param_specs:
            messages.append(f"Unknown strategy {s.name!r} in the link; it was left out")
            continue
        declared = {p.name: p for p in param_specs[s.name]()}
        params: dict[str, int | float | bool] = {}
        for key, value in s.params.items():
            if key not in declared:
                messages.append(f"{s.name}: unknown parameter {key!r} in the link; ignored")
                continue
            params[key], problem = coerce_param(declared[key], value)
            if problem:
                messages.append(f"{s.name}: {problem}; using {params[key]!r}")
        weight = min(max(Decimal(s.weight), Decimal(0)), Decimal(1))
        if weight != Decimal(s.weight):
            messages.append(f"{s.name}: weight {s.weight} is outside 0 to 1; using {weight}")
        kept.append(replace(s, weight=str(weight), params=params))
    if not spec.strategies:
        names = ", ".join(s.name for s in DEFAULT_SPEC.strategies)
        messages.append(
            f"The link names no strategies (s1=NAME;w=WEIGHT...); the default portfolio's "
            f"strategies ({names}) are used with the link's other settings"
        )
        kept = list(DEFAULT_SPEC.strategies)
    return replace(spec, strategies=tuple(kept)), messages
