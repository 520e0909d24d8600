"""The dashboard's session as plain data: the keys of each strategy row's controls, rows set
from a configuration, the symbols and dates fitted to the data with their notices, and the
decision which configuration's results are on screen (applied, stale or held).

No Streamlit here: ``state`` is any mutable mapping (Streamlit's ``st.session_state`` in the
page, a plain dict in the tests), read and written before the widgets that own its keys are
drawn. The keys of the page-wide controls are :func:`orchestrator.app.form.control_values`';
the ones this module adds:

- ``rows``: one ``{"uid": "r1", "name": "sma_crossover"}`` per strategy box, in order;
  ``next_uid`` numbers them (a removed row's uid is never reused, so its widgets' state
  cannot leak into a new row);
- per row, the keys of :class:`RowKeys`;
- ``applied``: ``(RunSpec, data key)`` of the results on screen, or None;
- ``hold``: True while a link's run is refused (its dates miss the data) until Run is pressed;
- ``notices``: ``{topic: (level, message)}`` of settings changed to fit the data;
- ``link_errors``: what a link got wrong (corrected or dropped);
- ``pending_symbols``: a link's symbols, waiting for the uploads that hold them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from orchestrator.app import form
from orchestrator.app.spec import RunSpec
from orchestrator.core.weights import check_weights, normalise_weights, to_weight

__all__ = [
    "UPLOAD_LINK_NOTICE",
    "Applied",
    "ParamSpecs",
    "RowKeys",
    "add_row",
    "apply_spec",
    "data_span",
    "decide",
    "fit_dates",
    "fit_symbols",
    "new_row",
    "normalise_rows",
    "remove_row",
    "row_bases",
    "row_weights",
    "stale_note",
    "start_session",
    "waiting_note",
]

# Keys are text; Any, because Streamlit types its session state as keyed by str | int.
State = MutableMapping[Any, Any]
# The declared parameters (``strategies.ParamSpec``) of a strategy, by its name.
ParamSpecs = Callable[[str], Sequence[Any]]
# The configuration whose results are on screen and the identity of the data it ran on.
Applied = tuple[RunSpec, str]

UPLOAD_LINK_NOTICE = (
    "This link was made from uploaded files, which a link cannot carry: upload them again "
    "(Data → Uploaded files) to reopen its run."
)


@dataclass(frozen=True)
class RowKeys:
    """The session keys of one strategy row's controls, built in this one place."""

    uid: str

    @property
    def weight(self) -> str:
        return f"w_{self.uid}"

    @property
    def symbols(self) -> str:
        return f"sym_{self.uid}"

    @property
    def label(self) -> str:
        return f"label_{self.uid}"

    @property
    def remove(self) -> str:
        return f"rm_{self.uid}"

    def param(self, name: str) -> str:
        """The key of the row's control of the declared parameter ``name``."""
        return f"p_{self.uid}_{name}"


# ---- rows -------------------------------------------------------------------------------------


def new_row(state: State, name: str, params: Sequence[Any]) -> str:
    """Append a row for strategy ``name`` with its declared ``params`` at their defaults;
    return its uid. The weight, symbols and label are left to the caller (or the widgets'
    own defaults)."""
    state["next_uid"] = state.get("next_uid", 0) + 1
    uid = f"r{state['next_uid']}"
    state.setdefault("rows", []).append({"uid": uid, "name": name})
    keys = RowKeys(uid)
    for p in params:
        state[keys.param(p.name)] = p.kind(p.default)
    return uid


def apply_spec(state: State, spec: RunSpec, param_specs: ParamSpecs) -> None:
    """Set every control's state from ``spec`` (before the controls are drawn): the page-wide
    controls (:func:`orchestrator.app.form.control_values`) and one row per strategy."""
    state.update(form.control_values(spec))
    state["rows"] = []
    for s in spec.strategies:
        keys = RowKeys(new_row(state, s.name, param_specs(s.name)))
        state[keys.weight] = float(Decimal(s.weight))
        state[keys.symbols] = list(s.symbols or [])
        state[keys.label] = s.label or ""
        for key, value in s.params.items():
            state[keys.param(key)] = value


def start_session(
    state: State, spec: RunSpec, link_errors: list[str], param_specs: ParamSpecs
) -> None:
    """A session's first state: the controls set from ``spec`` (a link's configuration made
    safe, or the default), nothing applied yet, and the link's errors to show. A link made
    from uploaded files asks for them again and keeps its symbols waiting for them."""
    apply_spec(state, spec, param_specs)
    state["link_errors"] = list(link_errors)
    state["applied"] = None
    state["notices"] = {}
    state["hold"] = False
    if spec.data == "upload":
        state["notices"]["upload"] = ("info", UPLOAD_LINK_NOTICE)
        if spec.symbols:  # chosen again once the files are there
            state["pending_symbols"] = list(spec.symbols)


def row_weights(state: State) -> list[Decimal]:
    """Every row's weight, exactly on the sliders' grid."""
    return [to_weight(state[RowKeys(row["uid"]).weight]) for row in state["rows"]]


def row_bases(state: State) -> list[str]:
    """What each row's strategy id is made from: its label (stripped), else its name."""
    return [(state.get(RowKeys(r["uid"]).label) or "").strip() or r["name"] for r in state["rows"]]


def add_row(state: State, name: str, params: Sequence[Any]) -> str:
    """Add strategy ``name`` with the weight that is still cash (0 to 1); return its uid."""
    remaining = check_weights(row_weights(state)).cash
    uid = new_row(state, name, params)
    state[RowKeys(uid).weight] = float(min(max(remaining, Decimal(0)), Decimal(1)))
    return uid


def remove_row(state: State, uid: str) -> None:
    """Drop the row ``uid`` (its widgets' state goes with the widgets)."""
    state["rows"] = [r for r in state["rows"] if r["uid"] != uid]


def normalise_rows(state: State) -> None:
    """Scale the rows' weights so that they sum to exactly 1.0 on the sliders' grid."""
    for row, w in zip(state["rows"], normalise_weights(row_weights(state)), strict=True):
        state[RowKeys(row["uid"]).weight] = float(w)


# ---- symbols and dates fitted to the data ------------------------------------------------------


def fit_symbols(state: State, options: Sequence[str] | None, where: str) -> None:
    """Keep of the chosen symbols (a link's waiting ones first) those that ``options`` (the
    data's symbols; None without data) has, with a warning naming the others; ``where``
    names the data in it ("demo dataset")."""
    if not options:
        state["symbols"] = []
        return
    wanted = state.pop("pending_symbols", None) or list(state.get("symbols", []))
    missing = [s for s in wanted if s not in options]
    if missing:
        state["notices"]["symbols"] = (
            "warning",
            f"Symbol(s) {', '.join(missing)} not in the {where}, so left out; "
            f"available: {', '.join(options)}.",
        )
    state["symbols"] = [s for s in wanted if s in options]


def data_span(
    frames: Mapping[str, pd.DataFrame], symbols: Sequence[str]
) -> tuple[list[str], dt.date, dt.date] | None:
    """The symbols of ``symbols`` (all of ``frames`` when empty) that have bars, and the first
    and last day of their bars; None when none has any."""
    names = [s for s in (symbols or sorted(frames)) if s in frames and len(frames[s])]
    if not names:
        return None
    lo = min(frames[s].index[0] for s in names).date()
    hi = max(frames[s].index[-1] for s in names).date()
    return names, lo, hi


def fit_dates(state: State, names: Sequence[str], lo: dt.date, hi: dt.date) -> None:
    """Fit the date range control's state within ``lo`` to ``hi`` (the data of ``names``):
    a range that covered the whole earlier data keeps covering the whole data, a changed one
    comes with a warning, and one that misses the data entirely with an error; such a range
    is not run, even from a link, until the user presses Run (``hold``)."""
    stored = form.open_ends(state.get("dates"), state.get("date_bounds"))
    fit = form.fit_date_range(stored, lo, hi, form.data_span_name(names))
    state["date_bounds"] = (lo, hi)
    if fit.note:
        state["notices"]["dates"] = ("warning" if fit.overlaps else "error", fit.note)
        state["hold"] = state.get("hold", False) or (
            not fit.overlaps and state.get("applied") is None
        )
    if state.get("dates") != fit.dates:
        state["dates"] = fit.dates


# ---- which results are on screen --------------------------------------------------------------


def decide(
    state: State, current: RunSpec | None, why: str | None, clicked: bool, data_key: str
) -> Applied | None:
    """Decide which configuration's results the page shows, and store it as ``applied``:
    Run clears the notices and the hold and applies the form's configuration; without a
    click, a session's first valid configuration applies at once (the default or a link's),
    unless it is held; otherwise the results on screen stay (possibly stale, see
    :func:`stale_note`). ``current`` is the form's configuration (None when invalid) and
    ``why`` why it cannot run (None when it can)."""
    if clicked:
        state["link_errors"], state["notices"], state["hold"] = [], {}, False
    first = state.get("applied") is None and not state.get("hold", False)
    if current is not None and why is None and (clicked or first):
        state["applied"] = (current, data_key)
    applied: Applied | None = state.get("applied")
    return applied


def waiting_note(why: str | None) -> str:
    """What the page says while no results are on screen."""
    if why:
        return f"Fix the configuration in the sidebar ({why}), then press Run."
    return "Press Run to see results."


def stale_note(
    current: RunSpec | None, applied: Applied, data_key: str, why: str | None
) -> str | None:
    """The note over results that no longer match the form (its configuration or its data
    changed), or None when they match."""
    spec, key = applied
    if current is not None and current.to_query() == spec.to_query() and key == data_key:
        return None
    then = f"fix them first ({why}), then press Run" if why else "press Run to update"
    return f"The settings changed since these results were computed: {then}."
