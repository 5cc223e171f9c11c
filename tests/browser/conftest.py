"""The page's server and a headless Chromium for the browser tests (Debian's chromium, driven by Playwright; no
browser is downloaded). Outside CI a machine without chromium skips these tests; in CI (where .ci/run installs
chromium) a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil
import pytest

from sim.viz.serve import (
    CHROMIUM_ARGS,
    FIGURES_AT_SHOWN_WIDTH,
    chromium_executable,
    free_port,
    start_server,
    wait_until_serving,
)

CHROMIUM = chromium_executable()
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def require_browser():
    """Playwright's sync API, or a skip (a failure under CI) when the browser or Playwright is missing."""
    if not os.environ.get("CI"):
        pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    return sync_playwright


class Server:
    def __init__(self, url: str, process) -> None:
        self.url = url
        self.process = process

    def rss_mb(self) -> float:
        """Resident memory of the server and anything it started, in MB."""
        root = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def serve(closed_tab_kept_for: str | None = None):
    require_browser()
    port = free_port()
    process = start_server(BASELINE, port, closed_tab_kept_for=closed_tab_kept_for)
    url = f"http://127.0.0.1:{port}/"
    if not wait_until_serving(url):
        process.terminate()
        pytest.fail("the page did not come up within 90 s")
    yield Server(url, process)
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def server():
    yield from serve()


@pytest.fixture
def browser():
    sync_playwright = require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, width: int = 1400, height: int = 1000):
    """A new tab on the page, loaded, recording console errors and failed requests."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.console_errors = []
    page.failed_requests = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: page.failed_requests.append(request.url))
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".chipsim-date", timeout=60_000)
    wait_for_figures_at_shown_width(page)
    return page


def wait_for_figures_at_shown_width(page) -> None:
    """Until the figures are shown, drawn for the width the page measured (a moment after loading)."""
    page.wait_for_function(FIGURES_AT_SHOWN_WIDTH, timeout=30_000)



def keep_screenshot(page, name: str) -> None:
    """Save a screenshot as NAME.png in $CHIPSIM_SCREENSHOT_DIR, when that is set."""
    keep = os.environ.get("CHIPSIM_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(keep) / f"{name}.png"), full_page=False)


@pytest.fixture
def page(server, browser):
    page = open_page(browser, server.url)
    yield page


def shown_date(page) -> str:
    return page.locator(".chipsim-date").first.inner_text()


def heading_numbers(page) -> dict[str, float]:
    """The exact headline numbers the heading shows (carried as data attributes)."""
    heading = page.locator(".chipsim-heading").first
    return {key: float(heading.get_attribute(f"data-{key}")) for key in ("ratio", "lead", "china")}


def shows_no_error(page) -> bool:
    text = page.locator("body").inner_text()
    return page.locator(".chipsim-error").count() == 0 and not re.search(r"Traceback|\w+(Error|Exception)\b", text)


def choose_scenario(page, file_name: str) -> None:
    page.locator(".chipsim-controls .v-select").first.click()
    item = page.locator(".v-menu__content .v-list-item", has_text=file_name).first
    # The menu renders its first 20 items and more as it is scrolled, as a user would scroll to a later scenario.
    for _ in range(10):
        if item.count():
            break
        page.locator(".v-menu__content").last.evaluate("menu => { menu.scrollTop = menu.scrollHeight; }")
        page.wait_for_timeout(200)
    item.click()
    # The server has taken the choice when the controls say it waits for RESET (or it is the run on screen).
    page.wait_for_function("""name => document.querySelector('.chipsim-pending')
        || document.querySelector('.chipsim-title').innerText === name.replace('.yaml', '')""",
                           arg=file_name, timeout=10_000)


def click_lever(page, label: str) -> None:
    """Toggle a checkbox lever by clicking its label, as a person would (Vuetify's ripple covers the box)."""
    page.get_by_text(label, exact=True).first.click()


def run_to_end(page) -> None:
    page.get_by_role("button", name="Run to end").first.click()
    page.wait_for_selector(".chipsim-ended", timeout=120_000)


def step(page, times: int = 1) -> None:
    for _ in range(times):
        before = shown_date(page)
        page.get_by_role("button", name="Step").first.click()
        page.wait_for_function(
            "before => document.querySelector('.chipsim-date').innerText !== before", arg=before, timeout=30_000
        )


def reset(page) -> None:
    """Click RESET and wait for the new run's first frame."""
    frame = page.locator(".chipsim-heading").first.get_attribute("data-frame")
    page.get_by_role("button", name="Reset").first.click()
    page.wait_for_function("""frame => document.querySelector('.chipsim-heading').dataset.frame !== frame
        && document.querySelector('.chipsim-date').innerText.startsWith('before')
        && !document.querySelector('.chipsim-pending')""", arg=frame, timeout=30_000)
