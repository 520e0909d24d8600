"""AppTest of the dashboard's Sweep tab: controls, count and estimate, a small sweep on an
in-process Dask worker (ORCHESTRATOR_SWEEP_CLUSTER=threads), its chart with the run on screen
marked, the robustness figures, a cell applied to the main run, and bad input as st.error.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from orchestrator.app.markdown import unescape
from orchestrator.app.sweep_view import CLUSTER_ENV

APP = Path(__file__).resolve().parents[2] / "dashboard.py"


@pytest.fixture(autouse=True)
def _threads_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep's cluster in-process: it starts at once and needs no worker processes."""
    monkeypatch.setenv(CLUSTER_ENV, "threads")
    monkeypatch.delenv("ORCHESTRATOR_DASK_SCHEDULER", raising=False)


def _sweep_tab() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.session_state["view"] = "Sweep"
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [unescape(e.value) for e in at.error]


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    return {str(c.key): json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _values(array: Any) -> np.ndarray:
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


def _traces(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(t.get("name", t["type"])): t for t in figure["data"]}


def _metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def _set_range(at: AppTest, name: str, start: float, stop: float, step: float) -> None:
    at.number_input(key=f"sw_sma_crossover_{name}_from").set_value(start)
    at.number_input(key=f"sw_sma_crossover_{name}_to").set_value(stop)
    at.number_input(key=f"sw_sma_crossover_{name}_step").set_value(step)


def test_sweep_tab_default_shows_controls_count_and_estimate() -> None:
    at = _sweep_tab()
    _ok(at)
    assert at.radio(key="sw_kind").value == "params"
    assert at.selectbox(key="sw_metric").value == "Portfolio.sharpe_ratio"
    assert at.selectbox(key="sw_p1_sma_crossover").value == "fast"
    # fast = 20 (step 1): seven values a quarter of it apart, 5 to 35.
    assert at.number_input(key="sw_sma_crossover_fast_from").value == 5
    assert at.number_input(key="sw_sma_crossover_fast_to").value == 35
    assert _metric(at, "Combinations") == "7"
    assert _metric(at, "Estimated time").startswith("about ")
    assert not at.button(key="sw_go").disabled
    assert "sweep_chart" not in _charts(at)  # nothing runs before the button


def test_sweep_tab_two_parameters_run_draws_heatmap_with_run_on_screen_marked() -> None:
    at = _sweep_tab()
    at.selectbox(key="sw_p2_sma_crossover").set_value("slow").run()
    _set_range(at, "fast", 10, 20, 10)
    _set_range(at, "slow", 50, 100, 50)
    at.run()
    assert _metric(at, "Combinations") == "4"
    at.button(key="sw_go").click().run()
    _ok(at)
    charts = _charts(at)
    traces = _traces(charts["sweep_chart"])
    heatmap = traces["Portfolio.sharpe_ratio"]
    assert heatmap["type"] == "heatmap"
    assert list(_values(heatmap["x"])) == [10.0, 20.0]
    assert list(_values(heatmap["y"])) == [50.0, 100.0]
    z = np.array(heatmap["z"], dtype=float)
    assert z.shape == (2, 2)
    assert np.isfinite(z).all()
    here = traces["Run on screen"]
    assert (list(_values(here["x"])), list(_values(here["y"]))) == ([20.0], [100.0])
    best = traces["Best cell"]
    assert float(_values(best["x"])[0]) in (10.0, 20.0)
    assert "sweep_hist" in charts
    texts = "\n".join(unescape(m.value) for m in at.markdown)
    assert "Plateau or spike?" in texts
    assert "Spread of Portfolio: Sharpe" in texts
    assert any("in-sample result" in unescape(w.value) for w in at.warning)
    assert any("walk-forward" in i.value for i in at.info)


def test_sweep_tab_apply_cell_sets_the_parameter_and_reruns_the_main_run() -> None:
    at = _sweep_tab()
    _set_range(at, "fast", 10, 30, 10)
    at.run()
    at.button(key="sw_go").click().run()
    _ok(at)
    cells = at.selectbox(key="sw_cell")
    assert len(cells.options) == 3
    worst = cells.options[-1]
    value = int(worst.split("=")[1].split("→")[0])
    cells.select_index(len(cells.options) - 1).run()
    assert at.selectbox(key="sw_cell").index == 2
    at.button(key="sw_apply").click().run()
    _ok(at)
    spec, _ = at.session_state["applied"]
    assert spec.strategies[0].params["fast"] == value
    uid = at.session_state["rows"][0]["uid"]
    assert at.session_state[f"p_{uid}_fast"] == value
    # The sweep stays on screen, the run on screen now marked at the applied value.
    here = _traces(_charts(at)["sweep_chart"])["Run on screen"]
    assert list(_values(here["x"])) == [float(value)]


def test_sweep_tab_weight_grid_keeps_the_total_and_draws_a_line() -> None:
    at = _sweep_tab()
    at.radio(key="sw_kind").set_value("weights").run()
    _ok(at)
    assert at.multiselect(key="sw_weigh").value == ["sma_crossover", "rsi_reversion"]
    # 0.4 + 0.3 = 0.7 shared out in steps of 0.1: eight splits.
    assert _metric(at, "Combinations") == "8"
    at.button(key="sw_go").click().run()
    _ok(at)
    line = _traces(_charts(at)["sweep_chart"])["Portfolio.sharpe_ratio"]
    assert line["type"] == "scatter"
    assert np.allclose(_values(line["x"]), np.arange(8) / 10)
    here = _traces(_charts(at)["sweep_chart"])["Run on screen"]
    assert list(_values(here["x"])) == [0.4]


def test_sweep_tab_over_the_cap_shows_error_and_no_run_button() -> None:
    at = _sweep_tab()
    at.selectbox(key="sw_p2_sma_crossover").set_value("slow").run()
    _set_range(at, "fast", 1, 100, 1)
    _set_range(at, "slow", 2, 200, 1)
    at.run()
    assert not at.exception
    errors = [unescape(e.value) for e in at.error]
    assert any("19,900 combinations" in e and "at most 2,000" in e for e in errors), errors
    assert not [b for b in at.button if b.key == "sw_go"]


def test_sweep_tab_empty_range_and_bad_weight_step_show_errors_page_alive() -> None:
    at = _sweep_tab()
    _set_range(at, "fast", 30, 10, 5)
    at.run()
    assert not at.exception
    assert any("below start" in unescape(e.value) for e in at.error)
    at.radio(key="sw_kind").set_value("weights").run()
    at.number_input(key="sw_wstep").set_value(0.25).run()
    assert not at.exception
    assert any("not a multiple of the step" in unescape(e.value) for e in at.error)
    assert at.tabs  # the page (tabs, sidebar) is still there
    assert at.button(key="run")


def _link(body: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["sweep"] = json.dumps(body)
    return at.run()


def test_sweep_link_opens_the_tab_sets_the_controls_and_runs_once() -> None:
    body = {
        "kind": "params",
        "strategy": "sma_crossover",
        "ranges": {"fast": [10, 30, 10], "slow": [50, 100, 50]},
        "metric": "Portfolio.total_return",
    }
    at = _link(body)
    _ok(at)
    assert at.session_state["view"] == "Sweep"
    assert at.selectbox(key="sw_metric").value == "Portfolio.total_return"
    assert at.selectbox(key="sw_p2_sma_crossover").value == "slow"
    assert _metric(at, "Combinations") == "6"
    heatmap = _traces(_charts(at)["sweep_chart"])["Portfolio.total_return"]
    assert np.array(heatmap["z"], dtype=float).shape == (2, 3)
    # The page's own link carries the sweep on, so a copied address reopens it.
    carried = at.query_params["sweep"]
    assert json.loads(carried if isinstance(carried, str) else carried[-1]) == body


def test_sweep_link_over_the_cap_shows_error_and_runs_nothing() -> None:
    body = {
        "kind": "params",
        "strategy": "sma_crossover",
        "ranges": {"fast": [1, 500, 1], "slow": [2, 1000, 1]},
    }
    at = _link(body)
    assert not at.exception
    errors = [unescape(e.value) for e in at.error]
    assert any("499,500 combinations" in e and "at most 2,000" in e for e in errors), errors
    assert "sweep_chart" not in _charts(at)


def test_sweep_link_unreadable_is_one_error_and_the_results_show() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["sweep"] = "{not json"
    at.run()
    assert not at.exception
    assert [unescape(e.value) for e in at.error] == [
        "The link's sweep was left out: it is not valid JSON"
    ]
    assert "equity_chart" in _charts(at)


def test_sweep_tab_closed_and_reopened_keeps_its_controls_and_results() -> None:
    at = _sweep_tab()
    _set_range(at, "fast", 10, 20, 10)
    at.run()
    at.button(key="sw_go").click().run()
    at.session_state["view"] = "Results"
    at.run()
    assert "sweep_chart" not in _charts(at)
    at.session_state["view"] = "Sweep"
    at.run()
    _ok(at)
    assert at.number_input(key="sw_sma_crossover_fast_from").value == 10
    line = _traces(_charts(at)["sweep_chart"])["Portfolio.sharpe_ratio"]
    assert list(_values(line["x"])) == [10.0, 20.0]
