"""Hand a configuration from a view back to the sidebar: a suggested set of weights or a sweep's
cell becomes the sliders' and parameter controls' state, and the next run of the page runs it.

No Streamlit here: ``state`` is the session state (a plain dict in the tests), written from a
button's callback, which runs before the widgets are drawn, so the widgets show the new values.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from orchestrator.app import form, session
from orchestrator.app.session import ParamSpecs, RowKeys
from orchestrator.app.spec import RunSpec
from orchestrator.errors import ConfigError

__all__ = ["RUN_REQUEST", "adopt", "run_requested", "with_weights"]

#: Session key set by :func:`adopt`: the page runs the form's configuration as if Run was pressed.
RUN_REQUEST = "run_request"

State = MutableMapping[Any, Any]


def with_weights(spec: RunSpec, weights: Mapping[str, Decimal | float | str]) -> RunSpec:
    """``spec`` with the weights of the strategies ``weights`` names (by strategy id)."""
    ids = form.strategy_ids([s.label or s.name for s in spec.strategies])
    unknown = sorted(set(weights) - set(ids))
    if unknown:
        raise ConfigError(f"weights name unknown strategies {unknown}; known: {ids}")
    strategies = tuple(
        replace(s, weight=str(weights[sid])) if sid in weights else s
        for sid, s in zip(ids, spec.strategies, strict=True)
    )
    return replace(spec, strategies=strategies)


def adopt(state: State, spec: RunSpec, param_specs: ParamSpecs) -> None:
    """Set the sidebar to ``spec`` and ask the page to run it.

    When the sidebar's boxes are ``spec``'s strategies (same ids, same order, the usual case),
    only their weights and parameters change, so the user's other edits stay; otherwise the
    whole form is set from ``spec`` (:func:`orchestrator.app.session.apply_spec`).
    """
    rows = list(state.get("rows", []))
    ids = form.strategy_ids([s.label or s.name for s in spec.strategies])
    same = [r["name"] for r in rows] == [s.name for s in spec.strategies] and (
        form.strategy_ids(session.row_bases(state)) == ids
    )
    if same:
        for row, s in zip(rows, spec.strategies, strict=True):
            keys = RowKeys(row["uid"])
            state[keys.weight] = float(Decimal(s.weight))
            for p in param_specs(s.name):
                state[keys.param(p.name)] = s.params.get(p.name, p.kind(p.default))
    else:
        session.apply_spec(state, spec, param_specs)
    state[RUN_REQUEST] = True


def run_requested(state: State) -> bool:
    """Whether a view asked for a run (once: the request is cleared)."""
    return bool(state.pop(RUN_REQUEST, False))
