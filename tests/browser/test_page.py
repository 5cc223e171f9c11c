"""The page in a real headless Chromium (Debian's, driven by Playwright; no browser is downloaded).

Set CHIPSIM_SCREENSHOT_DIR to keep the screenshots. Outside CI a machine without chromium skips these tests; in CI
(where .ci/run installs chromium) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
APP = Path(__file__).resolve().parents[2] / "sim" / "viz" / "app.py"


def _require_browser():
    playwright = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else None
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    return playwright, sync_playwright


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    _require_browser()
    port = _free_port()
    env = dict(os.environ, CHIPSIM_VIZ_SCENARIO="baseline.yaml")
    process = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", str(APP), "--production", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.terminate()
        pytest.fail("the page did not come up within 90 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def page(server):
    _playwright, sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
