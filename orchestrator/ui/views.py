"""The three views of a run on screen, as tabs: its results, its allocation, and sweeps
around it. Tabs run lazily (only the open one is computed), and each view is guarded, so a
display bug in one shows as an error and leaves the page (and the sidebar) alive."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from orchestrator.app.spec import RunSpec
from orchestrator.app.sweep_link import SweepKeys
from orchestrator.core.results import OrchestratorResult
from orchestrator.ui.alerts import say
from orchestrator.ui.allocation import show_allocation
from orchestrator.ui.results import show_results
from orchestrator.ui.sweep import show_sweep

__all__ = ["VIEWS", "VIEW_KEY", "show_views"]

VIEWS = ("Results", "Allocation", "Sweep")
#: The session key of the open tab ("Results", "Allocation" or "Sweep").
VIEW_KEY = "view"


def _guarded(what: str, show: Callable[[], None]) -> None:
    try:
        show()
    except Exception as exc:  # a display bug must not take the page (and the sidebar) down
        say("error", f"Could not show the {what}: {type(exc).__name__}: {exc}")


def show_views(
    result: OrchestratorResult,
    spec: RunSpec,
    seconds: float,
    frames: Mapping[str, pd.DataFrame] | None,
    keys: tuple[str, str],
    param_specs: Callable[[str], Sequence[Any]],
) -> None:
    """The tabs of the run of ``spec``: ``keys`` are its cache key and its data's key."""
    cache_key, data_key = keys
    if st.session_state.get(SweepKeys.pending) is not None:  # a link's sweep opens its tab
        st.session_state[VIEW_KEY] = "Sweep"
    results, allocation, sweeps = st.tabs(list(VIEWS), key=VIEW_KEY, on_change="rerun")
    if results.open:
        with results:
            _guarded("results", lambda: show_results(result, spec, seconds))
    if allocation.open:
        with allocation:
            _guarded("allocation", lambda: show_allocation(result, spec, cache_key, param_specs))
    if sweeps.open:
        with sweeps:
            _guarded("sweep", lambda: show_sweep(spec, frames, seconds, data_key, param_specs))
