"""The dashboard's rebalancing controls under AppTest: they rerun the run with rebalancing,
they live in the link, and a bad combination shows its ConfigError with the page alive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from orchestrator import Rebalance
from orchestrator.app.markdown import unescape
from orchestrator.app.rebalance_form import KEYS
from orchestrator.app.spec import DEFAULT_SPEC, RunSpec

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
SHORT = {"start": "2015-01-01"}  # a short run keeps each rerun quick


def _app(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(query)
    return at.run()


def _link(spec: RunSpec) -> dict[str, str]:
    return spec.to_query()


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_rebalance_controls_default_no_rebalancing_views() -> None:
    at = _app(_link(DEFAULT_SPEC.with_overrides(**SHORT)))
    _ok(at)
    assert at.selectbox(key=KEYS["schedule"]).value == "none"
    assert "Rebalances" not in _metrics(at)
    assert "rebalance_weights_chart" not in _charts(at)
    assert "rebalance" not in at.query_params


def test_rebalance_monthly_from_controls_reruns_with_rebalancing_and_link() -> None:
    at = _app(_link(DEFAULT_SPEC.with_overrides(**SHORT)))
    at.selectbox(key=KEYS["schedule"]).set_value("monthly").run()
    at.button(key="run").click().run()
    _ok(at)
    metrics = _metrics(at)
    assert int(metrics["Rebalances"].replace(",", "")) > 20  # monthly over almost three years
    assert float(metrics["Rebalancing costs"].replace(",", "")) > 0
    charts = _charts(at)
    weights = charts["rebalance_weights_chart"]
    names = [t["name"] for t in weights["data"]]
    assert names == [*(s.name for s in DEFAULT_SPEC.strategies), "Cash"]
    assert all(t.get("stackgroup") == "weights" for t in weights["data"])
    marks = [s for s in weights["layout"].get("shapes", []) if s.get("type") == "line"]
    assert len(marks) == int(metrics["Rebalances"].replace(",", ""))
    assert charts["rebalance_attribution_chart"]["data"][0]["type"] == "waterfall"
    assert at.query_params["rebalance"] in ("monthly", ["monthly"])
    spec = RunSpec.from_query(dict(at.query_params))
    assert spec.rebalance == Rebalance(schedule="monthly")


def test_rebalance_link_sets_every_control() -> None:
    rebalance = Rebalance(
        schedule="quarterly", drift=0.05, mode="cash", rule="equal", lookback=40, max_weight=0.5
    )
    at = _app(_link(DEFAULT_SPEC.with_overrides(rebalance=rebalance, **SHORT)))
    _ok(at)
    assert at.selectbox(key=KEYS["schedule"]).value == "quarterly"
    assert at.number_input(key=KEYS["drift"]).value == 5.0
    assert at.radio(key=KEYS["mode"]).value == "cash"
    assert at.selectbox(key=KEYS["rule"]).value == "equal"
    assert at.number_input(key=KEYS["lookback"]).value == 40
    assert at.number_input(key=KEYS["max_weight"]).value == 0.5
    assert "Rebalances" in _metrics(at)
    assert RunSpec.from_query(dict(at.query_params)).rebalance == rebalance


def test_rebalance_bad_bounds_show_config_error_and_page_stays() -> None:
    at = _app(_link(DEFAULT_SPEC.with_overrides(**SHORT)))
    at.selectbox(key=KEYS["schedule"]).set_value("monthly").run()
    at.selectbox(key=KEYS["rule"]).set_value("inverse_volatility").run()
    at.number_input(key=KEYS["min_weight"]).set_value(0.5).run()
    assert not at.exception
    errors = [unescape(e.value) for e in at.error]
    assert any("min_weight (0.5) is above max_weight" in e for e in errors) is False
    assert any("min_weight=0.5 with 3 strategies" in e for e in errors), errors
    assert at.button(key="run").disabled
    at.number_input(key=KEYS["max_weight"]).set_value(0.4).run()
    errors = [unescape(e.value) for e in at.error]
    assert any("min_weight (0.5) is above max_weight (0.4)" in e for e in errors), errors
    assert at.get("plotly_chart")  # the last results stay on screen


def test_rebalance_lookback_longer_than_data_shows_error() -> None:
    at = _app(_link(DEFAULT_SPEC.with_overrides(start="2017-06-01")))
    at.selectbox(key=KEYS["schedule"]).set_value("monthly").run()
    at.selectbox(key=KEYS["rule"]).set_value("equal").run()
    at.number_input(key=KEYS["lookback"]).set_value(500).run()
    at.button(key="run").click().run()
    assert not at.exception
    errors = [unescape(e.value) for e in at.error]
    assert any("rebalance lookback=500 bars is longer than the data allows" in e for e in errors)
