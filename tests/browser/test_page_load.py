"""The page under load: played to the end, reset again and again, open in several tabs at once. No errors, and the
server's memory stays flat (a leaked model per reset or per tab would add tens of MB each time)."""

from __future__ import annotations

import time

import pytest

from sim.cli import build_parser
from sim.viz.serve import DEFAULT_HOST, solara_command
from tests.browser.conftest import open_page, reset, serve, shown_date, step

pytestmark = pytest.mark.browser

BASELINE_END = "2030-12"
RESETS_WARM_UP, RESETS_MEASURED = 4, 12
# Allowed growth of the server's memory between warm-up and the end of the test. One baseline model with its figures
# is about 15 MB, so keeping every reset's or every tab's model would break this several times over.
FLAT_MB = 60
CULL_SECONDS = 1


@pytest.fixture(scope="module")
def server():
    """A server that drops a closed tab's model after a second (2 minutes by default), so that what closed tabs
    cost can be measured."""
    yield from serve(closed_tab_kept_for=f"{CULL_SECONDS}s")


def test_playing_to_the_end_then_resetting_many_times_keeps_memory_flat(server, browser) -> None:
    page = open_page(browser, server.url)
    page.get_by_role("button", name="Play").first.click()
    page.wait_for_function(f"document.querySelector('.chipsim-date').innerText === '{BASELINE_END}'",
                           timeout=240_000)
    time.sleep(1.0)  # the model has stopped: the date stays at the scenario's end
    assert shown_date(page) == BASELINE_END
    for _ in range(RESETS_WARM_UP):
        reset(page)
        step(page, 2)
    warm = server.rss_mb()
    for _ in range(RESETS_MEASURED):
        reset(page)
        step(page, 2)
    grown = server.rss_mb() - warm
    print(f"server memory: {warm:.0f} MB after warm-up, {grown:+.1f} MB after {RESETS_MEASURED} more resets")
    assert grown < FLAT_MB, f"server memory grew {grown:.0f} MB over {RESETS_MEASURED} resets"
    assert page.console_errors == [] and page.failed_requests == []


def test_several_tabs_at_once_each_have_their_own_run_and_memory_stays_flat(server, browser) -> None:
    def round_of_tabs(count: int = 3) -> None:
        tabs = [open_page(browser, server.url) for _ in range(count)]
        for steps, tab in enumerate(tabs, start=1):  # interleaved: tab k takes k steps
            step(tab, steps)
        for steps, tab in enumerate(tabs, start=1):
            assert shown_date(tab) == f"2024-{steps:02d}", "a tab saw another tab's run"
            assert tab.console_errors == [] and tab.failed_requests == []
            tab.close()
        time.sleep(CULL_SECONDS + 2)  # the closed tabs' models are dropped

    round_of_tabs()
    warm = server.rss_mb()
    for _ in range(3):
        round_of_tabs()
    grown = server.rss_mb() - warm
    print(f"server memory: {warm:.0f} MB after 3 tabs, {grown:+.1f} MB after 9 more")
    assert grown < FLAT_MB, f"server memory grew {grown:.0f} MB over 9 more tabs, opened and closed"


def test_the_page_listens_on_this_machine_only_unless_told_otherwise() -> None:
    assert build_parser().parse_args(["viz"]).host == DEFAULT_HOST == "127.0.0.1"
    command = solara_command()
    assert command[command.index("--host") + 1] == "127.0.0.1"
