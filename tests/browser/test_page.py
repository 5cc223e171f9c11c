"""The page in a real headless Chromium: faithful to the scenario, readable, comparative and safe.

Set CHIPSIM_SCREENSHOT_DIR to keep screenshots at 1280x720 and 1920x1080.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from sim import run_scenario
from sim.viz.network import KEY_PX, ROW_PX, TOP_PX
from tests.browser.conftest import (
    BASELINE,
    choose_scenario,
    click_lever,
    heading_numbers,
    keep_screenshot,
    open_page,
    reset,
    run_to_end,
    shown_date,
    shows_no_error,
    step,
    wait_for_figures_at_shown_width,
)

pytestmark = pytest.mark.browser
TIGHT_LEVERS = ("Cloud KYC + remote-access rule", "Chip-tool (SME) controls coordinated with allies",
                "Distillation ban")  # what tight.yaml switches on
CHECKBOX_LEVERS = (*TIGHT_LEVERS, "Training-run monitoring", "Weight vaults (SL4) at US labs",
                   "Export control on frontier weights")
SLIDERS = 6  # the seed and five levers: enforcement funding, the threshold, packaging tools, HBM, alliance pressure
SMALLEST_FONT_PX = 10
# The month the heading shows, as "2024-03", or "" before the first (when it reads "before 2024-01").
SHOWN_MONTH = "document.querySelector('.chipsim-date').innerText.replace(/^before .*/, '')"
ALL_TEXT_FONT_SIZES = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(e => [e.innerText.slice(0, 40), parseFloat(getComputedStyle(e).fontSize)])"""
# How many pixels of an image on the page, left of its right-most `right_px`, are not white: their ink (read back
# through a canvas).
INK = """(image, right_px) => {
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width - right_px, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) count += data[i] + data[i + 1] + data[i + 2] < 750;
    return count;
}"""
# Where an element starts on the page, scrolled or not.
PAGE_TOP = "element => element.getBoundingClientRect().top + window.scrollY"


def test_page_loads_offline_without_errors_and_steps(page) -> None:
    assert shown_date(page) == "before 2024-01"
    assert page.title().startswith("chipsim: baseline")
    first_plot = page.locator(".chipsim-compute img").get_attribute("src")
    step(page, 2)
    assert shown_date(page) == "2024-02"
    assert page.locator(".chipsim-compute img").get_attribute("src") != first_plot
    assert page.console_errors == [] and page.failed_requests == [] and shows_no_error(page)


@pytest.mark.parametrize("scenario", ["baseline.yaml", "tight.yaml", "sme_coordinated.yaml"])
def test_the_pages_final_numbers_are_chipsim_runs(page, scenario: str) -> None:
    choose_scenario(page, scenario)
    if scenario == "tight.yaml":  # every lever the scenario sets shows as the scenario sets it
        for label in TIGHT_LEVERS:
            expect(page.get_by_label(label)).to_be_checked()
    reset(page)
    assert page.locator(".chipsim-title").inner_text() == scenario.removesuffix(".yaml")
    run_to_end(page)
    final = run_scenario(BASELINE.parent / scenario, seed=0)
    world, blocs = final.world.iloc[-1], final.blocs
    china = blocs[blocs["bloc"] == "china"]["effective_h100e"].iloc[-1]
    assert heading_numbers(page) == {"ratio": world["us_china_ratio"], "lead": world["lead_months"],
                                     "china": china}
    assert shown_date(page) == world["date"]


def test_a_changed_lever_is_marked_and_reset_keeps_the_previous_run_for_comparison(server, browser) -> None:
    for width, height in ((1280, 720), (1920, 1080)):
        page = open_page(browser, server.url, width, height)
        clear = page.get_by_role("button", name="Clear previous run")
        expect(clear).to_be_hidden()  # nothing to clear yet
        step(page, 26)  # to 2026-03: the page's levers are in force from 2026-01 (sim/viz/levers.py)
        before = heading_numbers(page)
        assert page.locator(".chipsim-pending").count() == 0
        click_lever(page, "Cloud KYC + remote-access rule")
        expect(page.locator(".chipsim-pending", has_text="press RESET")).to_have_count(1)  # marked at the lever
        reset(page)
        assert page.locator(".chipsim-pending").count() == 0
        assert page.locator(".chipsim-title").inner_text() == "baseline + cloud KYC on"
        step(page, 26)
        table = page.locator(".chipsim-compare").inner_text()
        assert "before: baseline" in table and "now: baseline + cloud KYC on" in table
        assert heading_numbers(page) != before  # the change shows ...
        assert f"{before['ratio']:.1f}x" in table  # ... against the previous run's numbers
        keep_screenshot(page, f"viz-{width}x{height}")
        assert_readable(page, width)
        assert_network_starts_above_the_fold(page, height)
        network = page.locator(".chipsim-network img")
        wait_for_figures_at_shown_width(page)  # loaded
        # The network's ink left of its legend and key (whose 'previous run' entry goes with the reference too).
        with_reference, shown = network.evaluate(INK, KEY_PX), network.get_attribute("src")
        expect(clear).to_be_visible()
        clear.click()
        page.wait_for_selector(".chipsim-compare", state="hidden", timeout=30_000)
        expect(clear).to_be_hidden()
        page.wait_for_function("src => { const image = document.querySelector('.chipsim-network img');"
                               " return image.src !== src && image.complete; }", arg=shown, timeout=30_000)
        # The same month without the previous run: the outlines of the renting in Singapore and Malaysia that the KYC
        # rule stopped (a grey rim along each side, about 160 px of ink) are gone.
        assert with_reference > network.evaluate(INK, KEY_PX) + 100
        assert page.console_errors == [] and shows_no_error(page)
        page.close()


def assert_readable(page, width: int) -> None:
    """No text under 10 px, and every figure drawn at the size it is shown, within the window."""
    small = [(text, size) for text, size in page.evaluate(ALL_TEXT_FONT_SIZES) if size < SMALLEST_FONT_PX]
    assert small == []
    for image in page.locator(".chipsim-figure img").all():
        natural, box = image.evaluate("i => i.naturalWidth"), image.bounding_box()
        assert abs(natural - box["width"]) <= 1 and box["x"] + box["width"] <= width


def assert_network_starts_above_the_fold(page, height: int) -> None:
    """Unscrolled, with the before/after table shown, the heading and the compute plots are on screen, and so are the
    network's tier labels and its first country."""
    compute, network = (page.locator(f".chipsim-{name} img").evaluate(PAGE_TOP)
                        for name in ("compute", "network"))
    compute_height = page.locator(".chipsim-compute img").bounding_box()["height"]
    assert compute + compute_height <= height
    assert network + TOP_PX + ROW_PX <= height, f"the network starts at {network:.0f} px of {height}"


def pairwise_combinations(levers: int) -> list[tuple[bool, ...]]:
    """Six on/off settings of up to ten levers in which every pair of levers meets in all four ways (both off, both
    on, each on alone): lever j is on in the rows of the j-th 3-subset of rows 1-5, and two different 3-subsets of
    five rows always share a row, and each has one the other lacks. All 2^6 combinations would take 64 RESETs."""
    subsets = list(itertools.combinations(range(1, 6), 3))[:levers]
    return [tuple(row in subset for subset in subsets) for row in range(6)]


def test_play_with_every_pair_of_levers_and_reset_mid_play_never_shows_an_error(page) -> None:
    """Every pair of checkbox levers in all four combinations, then every lever on; each row also moves one slider to
    an end of its range (in turn: enforcement at 10x, the threshold at its lowest, packaging controls at 100%, HBM at
    0%, alliance pressure at 10B USD, ...). PLAY, then RESET while playing."""
    rows = [*pairwise_combinations(len(CHECKBOX_LEVERS)), (True,) * len(CHECKBOX_LEVERS)]
    for row, combination in enumerate(rows):
        for label, wanted in zip(CHECKBOX_LEVERS, combination, strict=True):
            if page.get_by_label(label).is_checked() != wanted:
                click_lever(page, label)
        slider = page.get_by_role("slider").nth(1 + row % (SLIDERS - 1))  # not the seed
        slider.focus()
        page.keyboard.press("End" if row % 2 == 0 else "Home")
        page.get_by_role("button", name="Play").click()
        # Wait for what was clicked: a month of PLAY on screen, then the RESET's new run. A fixed sleep let the test
        # run ahead of the server, whose events queue (a RESET is 5-20 s of wall time on a loaded 2-core machine),
        # and the 'before' it waited for could still be the previous RESET's.
        page.wait_for_function(f"{SHOWN_MONTH} >= '2024-01'", timeout=30_000)  # playing: a month is on screen
        reset(page)  # mid-play; returns once the new run, with these levers, is on screen
        assert shows_no_error(page), combination
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"{SHOWN_MONTH} >= '2024-03'", timeout=30_000)  # PLAY still plays
    page.get_by_role("button", name="Pause").click()
    assert page.console_errors == [] and shows_no_error(page)
