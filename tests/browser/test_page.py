"""The page in a real headless Chromium: it loads offline, draws, steps and resets.

Set CHIPSIM_SCREENSHOT_DIR to keep a screenshot.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import reset, shown_date, step

pytestmark = pytest.mark.browser


def test_page_loads_offline_without_errors_and_draws_network_and_plots(page) -> None:
    assert shown_date(page) == "before 2025-01"
    images = page.locator("img")
    assert images.count() >= 4  # the network and the three plot panels
    assert page.console_errors == [] and page.failed_requests == []


def test_step_advances_the_date_and_redraws(page) -> None:
    first_plot = page.locator("img").nth(1).get_attribute("src")
    step(page, 2)
    assert shown_date(page) == "2025-02"
    assert page.locator("img").nth(1).get_attribute("src") != first_plot
    assert page.console_errors == []


def test_a_changed_lever_and_reset_change_the_run(page) -> None:
    step(page, 3)
    default = page.locator(".chipsim-summary").first.inner_text()
    # Click the label, as a person would (Vuetify's ripple sits over the box itself).
    page.get_by_text("cloud KYC + remote-access rule").first.click()
    reset(page)
    step(page, 3)
    assert shown_date(page) == "2025-03"
    assert page.locator(".chipsim-summary").first.inner_text() != default
