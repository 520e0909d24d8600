"""AppTest of the dashboard's Allocation tab: the suggestion beside the sliders with the
volatility and Sharpe ratio of both mixes, Apply setting the sliders (and the rerun using
them), the frontier, the walk-forward test with the in-sample optimum labelled, the
attribution waterfall and risk shares, and bad input shown as st.error with the page alive.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from orchestrator.app.markdown import unescape
from orchestrator.app.spec import DEFAULT_SPEC
from orchestrator.app.suggest import slider_weights, suggest
from orchestrator.app.walkforward import in_sample_label, out_of_sample_label

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
IDS = [s.name for s in DEFAULT_SPEC.strategies]
CHARTS = ["frontier_chart", "walk_forward_chart", "attribution_chart", "risk_chart"]


def _allocation_tab() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.session_state["view"] = "Allocation"
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


def _names(figure: dict[str, Any]) -> list[str]:
    return [str(t.get("name")) for t in figure["data"]]


def _errors(at: AppTest) -> str:
    return "\n".join(unescape(e.value) for e in at.error)


def _weights(at: AppTest) -> dict[str, float]:
    return {
        row["name"]: float(at.session_state[f"w_{row['uid']}"]) for row in at.session_state["rows"]
    }


def test_allocation_tab_shows_suggestion_beside_sliders_and_every_chart() -> None:
    at = _allocation_tab()
    _ok(at)
    assert at.selectbox(key="al_rule").value == "risk_parity"
    assert at.number_input(key="al_total").value == 0.9  # the sliders' total
    assert not at.button(key="al_apply").disabled
    table = at.dataframe[0].value
    assert list(table.index) == IDS
    assert table.iloc[:, 0].tolist() == [0.4, 0.3, 0.2]
    assert abs(sum(table.iloc[:, 1]) - 0.9) < 1e-9
    labels = [m.label for m in at.metric]
    assert "Expected volatility (suggested)" in labels
    assert "Sharpe ratio (suggested)" in labels
    charts = _charts(at)
    assert set(CHARTS) <= set(charts)
    assert "weights_chart" in charts
    frontier = _names(charts["frontier_chart"])
    assert "Current sliders" in frontier
    assert any(n.startswith("Suggested: Risk parity") for n in frontier)
    assert {f"{sid} alone" for sid in IDS} <= set(frontier)


def test_allocation_tab_walk_forward_shows_out_of_sample_and_labelled_in_sample() -> None:
    at = _allocation_tab()
    _ok(at)
    names = _names(_charts(at)["walk_forward_chart"])
    rule = str(at.selectbox(key="al_wf_rule").value)
    assert names[0] == out_of_sample_label(rule)
    assert in_sample_label(rule) in names
    assert "hindsight" in in_sample_label(rule)
    sample = at.dataframe[1].value["Sample"]
    assert sample[in_sample_label(rule)] == "in sample (hindsight)"
    assert sample[out_of_sample_label(rule)] == "out of sample"


def test_allocation_tab_waterfall_sums_to_the_portfolio_pnl() -> None:
    at = _allocation_tab()
    waterfall = _charts(at)["attribution_chart"]["data"][0]
    assert waterfall["type"] == "waterfall"
    steps = _values(waterfall["y"])[:-1]  # the last bar is the total
    result = DEFAULT_SPEC.run()
    pnl = float(result.portfolio_equity.iloc[-1]) - result.initial_capital
    assert abs(float(steps.sum()) - pnl) < 0.01


def test_allocation_tab_apply_sets_the_sliders_and_the_rerun_uses_them() -> None:
    at = _allocation_tab()
    at.selectbox(key="al_rule").set_value("inverse_volatility").run()
    _ok(at)
    expected = slider_weights(suggest(DEFAULT_SPEC.run(), "inverse_volatility").weights)
    at.button(key="al_apply").click().run()
    _ok(at)
    assert _weights(at) == {sid: float(w) for sid, w in expected.items()}
    spec, _ = at.session_state["applied"]
    assert [Decimal(s.weight) for s in spec.strategies] == list(expected.values())
    # The page now shows the run of those weights: the sliders' column is the suggestion.
    assert at.dataframe[0].value.iloc[:, 0].tolist() == [float(w) for w in expected.values()]
    assert at.session_state["view"] == "Allocation"


def test_allocation_tab_impossible_bounds_show_error_and_the_rest_stays() -> None:
    at = _allocation_tab()
    at.number_input(key="al_min").set_value(0.5).run()  # 3 x 0.5 > 0.9
    assert not at.exception
    assert [unescape(e.value) for e in at.error] == [
        "Minimum and maximum weight: min_weight=0.5 with 3 strategies needs a total weight of "
        "at least 1.5, but the weights total 0.9; lower min_weight to at most 0.3 or raise the "
        "weights"
    ]
    charts = _charts(at)
    assert "attribution_chart" in charts
    assert "frontier_chart" not in charts
    at.number_input(key="al_min").set_value(0.1).run()  # fixed: everything is back
    _ok(at)
    assert set(CHARTS) <= set(_charts(at))


def test_allocation_tab_walk_forward_windows_longer_than_the_run_show_error() -> None:
    at = _allocation_tab()
    at.number_input(key="al_train").set_value(5000).run()
    assert not at.exception
    assert "train (5000)" in _errors(at), _errors(at)
    charts = _charts(at)
    assert "walk_forward_chart" not in charts
    assert "frontier_chart" in charts
    assert "attribution_chart" in charts


def test_allocation_tab_closed_and_reopened_keeps_its_inputs() -> None:
    at = _allocation_tab()
    at.selectbox(key="al_rule").set_value("hrp").run()
    at.number_input(key="al_test").set_value(21).run()
    at.session_state["view"] = "Sweep"
    at.run()
    at.session_state["view"] = "Allocation"
    at.run()
    _ok(at)
    assert at.selectbox(key="al_rule").value == "hrp"
    assert at.number_input(key="al_test").value == 21
