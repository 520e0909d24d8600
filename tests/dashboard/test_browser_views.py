"""The Allocation and Sweep tabs in a real browser: Playwright drives Debian's Chromium against
`streamlit run` (the fixtures of conftest.py). The sweep runs on the dashboard's own local Dask
cluster of worker processes, as on a server.

Skips when no Chromium is installed, except under CI (CI=true), where that fails. Saves
screenshots to tests/artifacts/dashboard-allocation.png and dashboard-sweep.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

TIMEOUT = 120_000
CHARTS = '[data-testid="stPlotlyChart"] .js-plotly-plot'


@pytest.fixture
def page(browser: Any, streamlit_server: str) -> Iterator[Any]:
    """A tall page (Streamlit scrolls inside its own container) that records JS errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 3000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(streamlit_server)
    expect(page.locator(CHARTS).first).to_be_visible(timeout=TIMEOUT)
    _settled(page)
    yield page
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _settled(page: Any) -> None:
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator('[data-testid="stSpinner"]')).to_have_count(0, timeout=TIMEOUT)


def _open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true", timeout=TIMEOUT
    )
    _settled(page)


def _points(page: Any, title: str) -> list[tuple[str, int]]:
    """(name, points) of each trace of the chart whose title starts with ``title``; polled,
    since a rerun redraws the charts one by one."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        titles = []
        for plot in page.locator(CHARTS).all():
            text = str(
                plot.evaluate("el => (el.layout && el.layout.title && el.layout.title.text) || ''")
            )
            titles.append(text)
            if text.startswith(title) and plot.evaluate("el => Boolean(el._fullData)"):
                traces = plot.evaluate(
                    "el => el._fullData.map("
                    "t => [t.name, (t.type === 'histogram' ? t.x : t.y).length])"
                )
                return [(str(name), int(n)) for name, n in traces]
        if time.monotonic() > deadline:
            raise AssertionError(f"no chart titled {title!r} on the page: {titles}")
        page.wait_for_timeout(250)


def _no_errors(page: Any) -> None:
    alerts = page.locator('[data-testid="stAlertContentError"]')
    assert alerts.count() == 0, alerts.all_inner_texts()


def test_browser_allocation_tab_draws_frontier_walk_forward_and_attribution(page: Any) -> None:
    _open_tab(page, "Allocation")
    expect(page.locator(CHARTS)).to_have_count(5, timeout=TIMEOUT)
    _no_errors(page)
    frontier = dict(_points(page, "Risk and return"))
    assert frontier["Current sliders"] == 1
    assert any(name.startswith("Efficient frontier") and n > 5 for name, n in frontier.items())
    assert any(name.startswith("Suggested") for name in frontier)
    walk = dict(_points(page, "Out of sample"))
    assert any("out of sample" in name and n > 100 for name, n in walk.items())
    assert any("in sample" in name for name in walk)
    waterfall = _points(page, "Where the P&L")
    assert waterfall
    assert waterfall[0][1] >= 5
    expect(page.get_by_role("button", name="Apply the suggestion")).to_be_enabled()
    page.screenshot(path=str(ARTIFACTS / "dashboard-allocation.png"))


def test_browser_sweep_tab_runs_a_tiny_sweep_and_applies_a_cell(page: Any) -> None:
    _open_tab(page, "Sweep")
    _no_errors(page)
    expect(page.get_by_text("Combinations", exact=True)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Run sweep").click()
    expect(page.locator(CHARTS)).to_have_count(2, timeout=TIMEOUT)
    _settled(page)
    _no_errors(page)
    line = dict(_points(page, "Portfolio.sharpe_ratio by"))
    assert line["Portfolio.sharpe_ratio"] == 7
    assert line["Run on screen"] == 1
    assert line["Best cell"] == 1
    assert sum(n for _, n in _points(page, "Distribution")) >= 1
    expect(page.get_by_text("in-sample result", exact=False)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-sweep.png"))

    # The best cell applied to the main run: the sidebar's control follows, the sweep stays.
    best = int(_trace_x(page, "Portfolio.sharpe_ratio by", "Best cell"))
    page.get_by_role("button", name="Apply cell").click()
    _settled(page)
    page.get_by_text("Parameters and symbols").first.click()  # sma_crossover's box
    fast = page.get_by_role("spinbutton", name="fast (sma_crossover)")
    expect(fast).to_have_value(str(best), timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT / 1000
    while _trace_x(page, "Portfolio.sharpe_ratio by", "Run on screen") != best:
        assert time.monotonic() < deadline, "the run on screen was not marked at the best cell"
        page.wait_for_timeout(250)
    _no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-sweep-applied.png"))


def _trace_x(page: Any, title: str, name: str) -> float:
    """The first x of the trace ``name`` of the chart whose title starts with ``title``."""
    _points(page, title)  # waits for the chart
    for plot in page.locator(CHARTS).all():
        found = plot.evaluate(
            "(el, name) => { const t = (el._fullData || []).find(t => t.name === name);"
            " return t ? t.x[0] : null; }",
            name,
        )
        if found is not None:
            return float(found)
    raise AssertionError(f"no trace {name!r} on the page")
