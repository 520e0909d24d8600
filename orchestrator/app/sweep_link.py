"""A sweep in a shared link: the grid the sweep view's controls held, as one query parameter,
read back safely and within the dashboard's cap.

The page's link already carries the run (:meth:`RunSpec.to_query`); a sweep adds
``sweep=<JSON>`` to it, for example ``{"kind": "params", "strategy": "sma_crossover",
"ranges": {"fast": [5, 35, 5]}, "metric": "Portfolio.sharpe_ratio"}`` or ``{"kind":
"weights", "strategies": ["sma_crossover", "rsi_reversion"], "step": 0.1, "keep": true,
"metric": ...}``. A link is untrusted: :func:`read_request` accepts only strategies of the run,
declared numeric parameters within their declared range, at most two of them, a known metric
and a bounded text; anything else is one message and no sweep. The combination cap
(:data:`orchestrator.app.sweep_view.DASHBOARD_MAX_COMBINATIONS`) is checked when the sweep is
planned, exactly as for the button, so a link can never start a bigger sweep.

This module also names the sweep view's session keys (:class:`SweepKeys`), so that the view
and a link set the same controls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestrator.app.grid import strategy_ids
from orchestrator.app.robustness import DEFAULT_METRIC, metric_names
from orchestrator.app.spec import RunSpec
from orchestrator.app.sweep_view import param_grid, weight_grid
from orchestrator.errors import ConfigError

__all__ = [
    "MAX_LINK_TEXT",
    "NONE",
    "SWEEP_PARAM",
    "SweepKeys",
    "SweepRequest",
    "link_query",
    "read_request",
    "remember",
]

SWEEP_PARAM = "sweep"
#: Longest ``sweep`` text a link may hold.
MAX_LINK_TEXT = 1_000
#: The second-parameter choice that means "only one parameter".
NONE = "(none)"

ParamSpecs = Callable[[str], Sequence[Any]]
Range = tuple[float, float, float]


class SweepKeys:
    """The session keys of the sweep view's controls, built in this one place."""

    kind = "sw_kind"
    metric = "sw_metric"
    strategy = "sw_strategy"
    weigh = "sw_weigh"
    weight_step = "sw_wstep"
    keep_total = "sw_keep"
    #: A link's request waiting for the view to draw its controls, and its run.
    pending = "sw_link"
    autorun = "sw_autorun"
    #: (sweep key, table, request) of the last sweep this session ran.
    done = "sw_done"

    @staticmethod
    def param(strategy_id: str, n: int) -> str:
        """The key of the ``n``-th (1 or 2) parameter choice for a strategy."""
        return f"sw_p{n}_{strategy_id}"

    @staticmethod
    def bound(strategy_id: str, name: str, part: Literal["from", "to", "step"]) -> str:
        """The key of one end (or the step) of a parameter's range."""
        return f"sw_{strategy_id}_{name}_{part}"


@dataclass(frozen=True)
class SweepRequest:
    """What the sweep view runs: one strategy's parameter ranges, or a weight grid."""

    kind: Literal["params", "weights"]
    metric: str = DEFAULT_METRIC
    strategy: str = ""
    ranges: Mapping[str, Range] = field(default_factory=dict)
    strategies: tuple[str, ...] = ()
    step: float = 0.1
    keep: bool = True

    def grid(self, spec: RunSpec) -> dict[str, Any]:
        """The sweep grid over ``spec`` (see :mod:`orchestrator.app.grid`)."""
        if self.kind == "params":
            return param_grid(self.strategy, dict(self.ranges))
        return weight_grid(spec, list(self.strategies), self.step, self.keep)

    def to_query(self) -> dict[str, str]:
        """The link's ``sweep`` parameter."""
        body: dict[str, Any] = {"kind": self.kind, "metric": self.metric}
        if self.kind == "params":
            body |= {
                "strategy": self.strategy,
                "ranges": {k: list(v) for k, v in self.ranges.items()},
            }
        else:
            body |= {"strategies": list(self.strategies), "step": self.step, "keep": self.keep}
        return {SWEEP_PARAM: json.dumps(body, separators=(",", ":"))}

    def widget_state(self, spec: RunSpec) -> dict[str, Any]:
        """The sweep view's control values that show this request (for :class:`SweepKeys`)."""
        state: dict[str, Any] = {SweepKeys.kind: self.kind, SweepKeys.metric: self.metric}
        if self.kind == "weights":
            return state | {
                SweepKeys.weigh: list(self.strategies),
                SweepKeys.weight_step: float(self.step),
                SweepKeys.keep_total: bool(self.keep),
            }
        sid = self.strategy
        names = list(self.ranges)
        state[SweepKeys.strategy] = strategy_ids(spec).index(sid)
        state[SweepKeys.param(sid, 1)] = names[0]
        state[SweepKeys.param(sid, 2)] = names[1] if len(names) > 1 else NONE
        for name, (start, stop, step) in self.ranges.items():
            state[SweepKeys.bound(sid, name, "from")] = start
            state[SweepKeys.bound(sid, name, "to")] = stop
            state[SweepKeys.bound(sid, name, "step")] = step
        return state


def _number(value: Any, p: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{what} must be a number; found {value!r}")
    if p.kind is int:
        if not float(value).is_integer():
            raise ConfigError(f"{what} must be a whole number; found {value!r}")
        return int(value)
    return float(value)


def _ranges(raw: Any, spec: RunSpec, sid: str, param_specs: ParamSpecs) -> dict[str, Range]:
    ids = strategy_ids(spec)
    declared = {p.name: p for p in param_specs(spec.strategies[ids.index(sid)].name)}
    if not isinstance(raw, Mapping) or not 1 <= len(raw) <= 2:
        raise ConfigError("ranges must name one or two parameters")
    out: dict[str, Range] = {}
    for name, bounds in raw.items():
        p = declared.get(name)
        if p is None or p.kind is bool:
            numeric = [n for n, q in declared.items() if q.kind is not bool]
            raise ConfigError(f"{sid} has no numeric parameter {name!r} (parameters: {numeric})")
        if not isinstance(bounds, list) or len(bounds) != 3:
            raise ConfigError(f"the range of {name} must be [from, to, step]; found {bounds!r}")
        start, stop, step = (_number(v, p, f"the range of {name}") for v in bounds)
        for v in (start, stop):
            if (p.min is not None and v < p.min) or (p.max is not None and v > p.max):
                raise ConfigError(f"the range of {name} leaves {p.min} to {p.max}: {bounds!r}")
        if step <= 0:
            raise ConfigError(f"the step of {name} must be > 0; found {step!r}")
        out[name] = (start, stop, step)
    return out


def read_request(
    query: Mapping[str, Any], spec: RunSpec, param_specs: ParamSpecs
) -> tuple[SweepRequest | None, str | None]:
    """The sweep a link's query asks for over ``spec``: (request, None), (None, why not) or
    (None, None) when it asks for none. Never raises on a link's content."""
    text = query.get(SWEEP_PARAM)
    if isinstance(text, list):
        text = text[-1] if text else None
    if not text:
        return None, None
    try:
        request = _parse(str(text), spec, param_specs)
    except ConfigError as exc:
        return None, f"The link's sweep was left out: {exc}"
    return request, None


def _parse(text: str, spec: RunSpec, param_specs: ParamSpecs) -> SweepRequest:
    if len(text) > MAX_LINK_TEXT:
        raise ConfigError(f"it is {len(text):,} characters long; at most {MAX_LINK_TEXT:,}")
    try:
        body = json.loads(text)
    except ValueError:
        raise ConfigError("it is not valid JSON") from None
    if not isinstance(body, dict):
        raise ConfigError("it must be a JSON object")
    ids = strategy_ids(spec)
    metric = body.get("metric", DEFAULT_METRIC)
    if metric not in metric_names(ids):
        raise ConfigError(f"unknown metric {str(metric)[:80]!r}")
    kind = body.get("kind")
    if kind == "params":
        sid = body.get("strategy")
        if sid not in ids:
            raise ConfigError(f"no strategy {str(sid)[:80]!r} in the run (strategies: {ids})")
        ranges = _ranges(body.get("ranges"), spec, sid, param_specs)
        request = SweepRequest("params", metric, strategy=sid, ranges=ranges)
    elif kind == "weights":
        chosen = body.get("strategies")
        step, keep = body.get("step", 0.1), body.get("keep", True)
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise ConfigError("strategies must be a list of strategy ids")
        if isinstance(step, bool) or not isinstance(step, int | float) or not 0.01 <= step <= 0.5:
            raise ConfigError(f"the weight step must be from 0.01 to 0.5; found {step!r}")
        if not isinstance(keep, bool):
            raise ConfigError(f"keep must be true or false; found {keep!r}")
        request = SweepRequest("weights", metric, strategies=tuple(chosen), step=float(step),
                               keep=keep)  # fmt: skip
    else:
        raise ConfigError(f"kind must be 'params' or 'weights'; found {str(kind)[:40]!r}")
    request.grid(spec)  # the grid's own rules (e.g. two or three strategies) before any state
    return request


def remember(
    state: MutableMapping[Any, Any],
    query: Mapping[str, Any],
    spec: RunSpec,
    param_specs: ParamSpecs,
) -> None:
    """On a session's first run: keep a link's sweep request for the sweep view (which sets its
    controls from it and runs it once), or add why it was refused to the link's errors."""
    request, problem = read_request(query, spec, param_specs)
    if problem:
        state.setdefault("link_errors", []).append(problem)
    if request is not None:
        state[SweepKeys.pending] = request


def link_query(state: Mapping[Any, Any]) -> dict[str, str]:
    """The ``sweep`` parameter of the page's link: the last sweep run in this session, or a
    link's request still waiting to run; none otherwise."""
    done = state.get(SweepKeys.done)
    request = done[2] if done else state.get(SweepKeys.pending)
    return request.to_query() if isinstance(request, SweepRequest) else {}
