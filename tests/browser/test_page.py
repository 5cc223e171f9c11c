"""The page in a real headless Chromium (Debian's, driven by Playwright; no browser is downloaded).

Set CHIPSIM_SCREENSHOT_DIR to keep the screenshots. Outside CI a machine without chromium skips these tests; in CI
(where .ci/run installs chromium) a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.viz.serve import CHROMIUM_ARGS, chromium_executable, free_port, start_server, wait_until_serving

pytestmark = pytest.mark.browser

CHROMIUM = chromium_executable()
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _require_browser():
    playwright = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else None
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    return playwright, sync_playwright


@pytest.fixture(scope="module")
def server():
    _require_browser()
    port = free_port()
    process = start_server(BASELINE, port)
    url = f"http://127.0.0.1:{port}/"
    if not wait_until_serving(url):
        process.terminate()
        pytest.fail("the page did not come up within 90 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def page(server):
    _playwright, sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.console_errors = []
        page.failed_requests = []
        page.on("console",
                lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
        page.on("requestfailed", lambda request: page.failed_requests.append(request.url))
        page.goto(server, wait_until="networkidle")
        page.wait_for_selector(".chipsim-date", timeout=60_000)
        yield page
        keep = os.environ.get("CHIPSIM_SCREENSHOT_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(keep) / "viz.png"))
        browser.close()


def _date(page) -> str:
    return page.locator(".chipsim-date").first.inner_text()


def _step(page, times: int = 1) -> None:
    for _ in range(times):
        before = _date(page)
        page.get_by_role("button", name="Step").first.click()
        page.wait_for_function(
            "before => document.querySelector('.chipsim-date').innerText !== before", arg=before, timeout=30_000
        )


def test_page_loads_offline_without_errors_and_draws_network_and_plots(page) -> None:
    assert _date(page) == "before 2025-01"
    images = page.locator("img")
    assert images.count() >= 4  # the network and the three plot panels
    assert page.console_errors == [] and page.failed_requests == []


def test_step_advances_the_date_and_redraws(page) -> None:
    first_plot = page.locator("img").nth(1).get_attribute("src")
    _step(page, 2)
    assert _date(page) == "2025-02"
    assert page.locator("img").nth(1).get_attribute("src") != first_plot
    assert page.console_errors == []


def test_a_changed_lever_and_reset_change_the_run(page) -> None:
    _step(page, 3)
    default = page.locator(".chipsim-summary").first.inner_text()
    # Click the label, as a person would (Vuetify's ripple sits over the box itself).
    page.get_by_text("cloud KYC + remote-access rule").first.click()
    page.get_by_role("button", name="Reset").first.click()
    page.wait_for_function("document.querySelector('.chipsim-date').innerText.startsWith('before')", timeout=30_000)
    _step(page, 3)
    assert _date(page) == "2025-03"
    assert page.locator(".chipsim-summary").first.inner_text() != default
