"""Rebalancing in a real browser: choose monthly rebalancing, run, see the weights drawn.

Skips when no Chromium is installed, except under CI (CI=true), where that fails. Saves
tests/artifacts/dashboard-rebalance.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

TIMEOUT = 60_000
# The stacked weights chart: every trace in the "weights" stack group.
WEIGHTS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .filter(el => el._fullData && el._fullData.length &&
                el._fullData.every(t => t.stackgroup === 'weights'))
  .map(el => ({names: el._fullData.map(t => t.name),
               points: el._fullData.map(t => t.y.length),
               marks: (el.layout.shapes || []).length,
               paths: el.querySelectorAll('.scatterlayer path.js-fill').length}))"""


@pytest.fixture
def page(browser: Any, streamlit_server: str) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{streamlit_server}/?start=2012-01-01")
    yield page
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _settled(page: Any) -> None:
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator('[data-testid="stSpinner"]')).to_have_count(0, timeout=TIMEOUT)


def test_browser_monthly_rebalancing_draws_weights_chart(page: Any) -> None:
    charts = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
    expect(charts.first).to_be_visible(timeout=TIMEOUT)
    _settled(page)
    assert page.evaluate(WEIGHTS_JS) == []  # no rebalancing: no rebalancing view

    page.get_by_text("Rebalancing", exact=True).first.click()
    combo = page.get_by_role("combobox", name="Rebalance to the targets")
    expect(combo).to_be_visible(timeout=TIMEOUT)
    combo.click()
    if combo.get_attribute("aria-expanded") != "true":
        combo.press("ArrowDown")
    expect(combo).to_have_attribute("aria-expanded", "true", timeout=TIMEOUT)
    page.get_by_role("option", name="Monthly", exact=True).click()
    _settled(page)
    page.get_by_role("button", name="Run", exact=True).click()
    _settled(page)

    expect(page.get_by_text("Rebalances", exact=True)).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function(f"() => ({WEIGHTS_JS})().length === 1", timeout=TIMEOUT)
    (found,) = page.evaluate(WEIGHTS_JS)
    assert found["names"] == ["sma_crossover", "rsi_reversion", "donchian_breakout", "Cash"]
    assert min(found["points"]) > 1000  # 2012 to 2017, daily
    assert found["paths"] == 4  # four filled areas drawn
    assert found["marks"] > 60  # a dotted line per monthly rebalance
    assert "rebalance=monthly" in page.url
    weights_chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".js-fill")
    )
    weights_chart.first.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-rebalance.png"))
