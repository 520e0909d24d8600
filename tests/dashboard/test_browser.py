"""The dashboard in a real browser: Playwright drives Debian's Chromium against `streamlit run`.

Skips when no Chromium is installed, except under CI (CI=true), where that fails. Saves a
screenshot of the final page to tests/artifacts/dashboard.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

TIMEOUT = 60_000
DEFAULT_IDS = ["sma_crossover", "rsi_reversion", "donchian_breakout"]


@pytest.fixture
def page(browser: Any, streamlit_server: str) -> Iterator[Any]:
    """A tall page (Streamlit scrolls inside its own container) that records JS errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(streamlit_server)
    yield page
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _settled(page: Any) -> None:
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator('[data-testid="stSpinner"]')).to_have_count(0, timeout=TIMEOUT)


def _choose(page: Any, label: str, option: str) -> None:
    """Pick an option of a selectbox. A click may only focus it (the popup then stays shut
    after a fresh page load), so open it with the keyboard when needed."""
    combo = page.get_by_role("combobox", name=label)
    combo.click()
    if combo.get_attribute("aria-expanded") != "true":
        combo.press("ArrowDown")
    expect(combo).to_have_attribute("aria-expanded", "true", timeout=TIMEOUT)
    page.get_by_role("option", name=option, exact=False).first.click()


def _traces(page: Any, chart: int = 0) -> list[tuple[str, int]]:
    """(name, number of points) of each trace of the chart, as Plotly drew it."""
    plot = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').nth(chart)
    return [
        (str(name), int(n))
        for name, n in plot.evaluate("el => el._fullData.map(t => [t.name, t.y.length])")
    ]


def _traces_when(page: Any, names: list[str]) -> list[tuple[str, int]]:
    """The first chart's traces once they are ``names``: while a rerun redraws the page, the
    first chart in the DOM can for a moment be another one, so poll rather than read once."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        traces = _traces(page)
        if [name for name, _ in traces] == names or time.monotonic() > deadline:
            return traces
        page.wait_for_timeout(200)


def _top(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not on screen"
    return float(box["y"])


def _lines(page: Any, chart: int = 0) -> int:
    plot = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').nth(chart)
    return int(plot.locator(".scatterlayer path.js-line").count())


def test_browser_weights_error_fix_and_run_draws_charts_and_table(page: Any) -> None:
    charts = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
    expect(charts.first).to_be_visible(timeout=TIMEOUT)
    _settled(page)
    # The default portfolio is on screen at once: Portfolio + three strategies.
    traces = _traces_when(page, ["Portfolio", *DEFAULT_IDS])
    assert [name for name, _ in traces] == ["Portfolio", *DEFAULT_IDS]
    assert _lines(page) == 4

    # Choose a fourth strategy; it takes the 0.10 of cash left, so the total is 1.00.
    _choose(page, "Add a strategy", "momentum")
    page.get_by_role("button", name="Add", exact=True).click()
    _settled(page)
    thumb = page.get_by_role("slider", name="Weight of momentum")
    expect(thumb).to_have_value("0.1", timeout=TIMEOUT)

    # Past 1.0 with the keyboard: an error says by how much, and Run is disabled.
    thumb.focus()
    for value in ("0.11", "0.12", "0.13"):
        thumb.press("ArrowRight")
        expect(thumb).to_have_value(value, timeout=TIMEOUT)
    _settled(page)
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("Total weight 1.03 exceeds 1.0 by 0.03", timeout=TIMEOUT)
    run = page.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_disabled()
    expect(page.get_by_text("fix them first (weights total more than 1.0)")).to_be_visible()
    # The total, the error and Run sit at the top of the Strategies section, above the
    # sliders, so they stay in view while the first slider moves.
    first = page.get_by_role("slider", name=f"Weight of {DEFAULT_IDS[0]}")
    assert _top(run) < _top(first)
    assert _top(error) < _top(first)
    assert _top(page.get_by_text("Total weight", exact=True)) < _top(first)
    error.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-weights-error.png"))

    # Fix it: normalise to 100 %; the error goes and Run comes back.
    page.get_by_role("button", name="Normalise to 100%").click()
    _settled(page)
    expect(error).to_have_count(0, timeout=TIMEOUT)
    expect(run).to_be_enabled()
    expect(thumb).to_have_value("0.13", timeout=TIMEOUT)  # 0.13 / 1.03 rounds to 0.13

    run.click()
    _settled(page)
    expect(page.get_by_text("The settings changed")).to_have_count(0, timeout=TIMEOUT)
    names = ["Portfolio", *DEFAULT_IDS, "momentum"]
    expect(charts.first.locator(".scatterlayer path.js-line")).to_have_count(5, timeout=TIMEOUT)
    traces = _traces_when(page, names)
    assert [name for name, _ in traces] == names
    assert len({n for _, n in traces}) == 1  # every curve spans the whole timeline
    assert traces[0][1] > 3000  # 2005-2017 of daily bars
    drawdown = charts.nth(1).locator(".scatterlayer path.js-line")
    expect(drawdown).to_have_count(5, timeout=TIMEOUT)
    assert "momentum" in page.url

    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    expect(page.get_by_test_id("glide-cell-0-3")).to_have_text("momentum", timeout=TIMEOUT)
    expect(page.get_by_test_id("glide-cell-0-4")).to_have_text("Portfolio", timeout=TIMEOUT)
    # The compact table fits: its last column (Costs) is on screen without scrolling.
    scroller = table.locator(".dvn-scroller")
    overflow = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, f"the comparison table scrolls sideways by {overflow} px"

    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))

    # A download is made when clicked, from the run on screen.
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="Comparison CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv.startswith("strategy_id,weight,")
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == [*names[1:], "Portfolio"]


MARKDOWN_LABEL = "**bold** [click me](http://x.invalid) ![x](http://x.invalid/x.png)"
SHORT_LABEL = "**b** [c](http://x.invalid) ![i](http://x.invalid/i.png)"  # under any length cap
HTML_LABEL = 'x <a href="http://x.invalid">y</a> & 5% %{y}'  # plotly reads HTML in names
SHOTS = {MARKDOWN_LABEL: "link", SHORT_LABEL: "short", HTML_LABEL: "html"}


def _plain(text: str) -> str:
    """Text as a reader sees it: without the invisible word joiners that keep bare links and
    short codes plain text (orchestrator.app.markdown.JOINER)."""
    return text.replace("\u2060", "").strip()


def _visible_text(page: Any) -> str:
    """The page's text as a reader sees it (the invisible word joiners that keep bare links
    plain text dropped)."""
    return str(page.evaluate("() => document.body.innerText.replaceAll('\\u2060', '')"))


def _assert_nothing_foreign(page: Any) -> None:
    assert page.locator('a[href^="http://x.invalid"]').count() == 0
    assert page.locator('a[href*="x.invalid"]').count() == 0
    assert page.locator('img[src^="http"]').count() == 0


@pytest.mark.parametrize("label", list(SHOTS), ids=list(SHOTS.values()))
def test_browser_markdown_label_from_link_shown_as_literal_text(
    browser: Any, streamlit_server: str, label: str
) -> None:
    query = urlencode({"s1": f"sma_crossover;w=0.5;label={label}", "s2": "macd;w=0.5"})
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{streamlit_server}/?{query}")
    expect(page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first).to_be_visible(
        timeout=TIMEOUT
    )
    _settled(page)
    page.wait_for_function(
        "label => document.body.innerText.replaceAll('\\u2060', '').includes(label)",
        arg=label,
        timeout=TIMEOUT,
    )
    _assert_nothing_foreign(page)
    assert label in _visible_text(page)
    if label == SHORT_LABEL:  # accepted: it heads its box and names its slider and curves
        sidebar = page.locator('[data-testid="stSidebar"]')
        headings = sidebar.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()
        assert label in [_plain(t) for t in headings]
        labels = sidebar.locator('[data-testid="stWidgetLabel"]').all_inner_texts()
        assert f"Weight of {label}" in [_plain(t) for t in labels]
        traces = _traces_when(page, ["Portfolio", label, "macd"])
        assert [name for name, _ in traces] == ["Portfolio", label, "macd"]
    if label == HTML_LABEL:  # the chart legends show it as written
        legends = page.eval_on_selector_all(".legendtext", "els => els.map(e => e.textContent)")
        assert label in legends
        assert page.locator("svg a").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-markdown-{SHOTS[label]}.png"))
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
