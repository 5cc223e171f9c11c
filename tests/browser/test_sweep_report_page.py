"""The sweep report in a real headless Chromium: nothing wider than a 1,280 px window.

Set CHIPSIM_SCREENSHOT_DIR to keep screenshots at 1280x720 and 1920x1080.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.sweep.findings import findings_from
from sim.sweep.outcomes import Target
from sim.sweep.report import render_html
from tests.browser.conftest import keep_screenshot
from tests.unit.sweep_made_up import made_up_results

pytestmark = pytest.mark.browser
# Every element whose box or content reaches past the window's right edge.
TOO_WIDE = """width => [...document.querySelectorAll('*')]
    .filter(e => Math.max(e.scrollWidth, e.getBoundingClientRect().right) > width + 0.5)
    .map(e => `${e.tagName} ${Math.max(e.scrollWidth, Math.round(e.getBoundingClientRect().right))} px: `
              + (e.innerText || '').slice(0, 60))"""
# A provenance as long as a real one: a dirty tree, a long platform string, many overrides.
PROVENANCE = {
    "chipsim_version": "0.1.0", "platform": "Linux-6.18.44-fc-v1045-x86_64-with-glibc2.36" * 3,
    "git": {"commit": "11436cf" * 6, "dirty": True},
    "overrides": {f"parameters.some_long_parameter_name_{i}.value": i for i in range(12)},
}


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    results, plan = made_up_results({"baseline": 0.0, "tight": 3.0, "enforcement_funded": 1.0,
                                     "a_policy_with_a_very_long_name_indeed": 0.5})
    findings = findings_from(results, plan, Target(), name="made_up", description="hand-made results",
                             policy_descriptions={"tight": "word " * 200})
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(findings, PROVENANCE), encoding="utf-8")
    return path


def too_wide(browser, path: Path, width: int, height: int, name: str) -> list[str]:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(path.as_uri())
    keep_screenshot(page, f"{name}-{width}x{height}")
    found = page.evaluate(TOO_WIDE, width)
    page.close()
    return found


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_nothing_is_wider_than_the_window(browser, report_file: Path, width: int, height: int) -> None:
    assert too_wide(browser, report_file, width, height, "sweep-report") == []


def test_the_width_check_finds_an_element_that_overflows(browser, report_file: Path, tmp_path: Path) -> None:
    # The check above must be able to fail: a report with one unbreakable 1,730 px line is caught.
    page = report_file.read_text(encoding="utf-8").replace(
        "</body>", f"<pre>{'x' * 300}</pre></body>")
    wide = tmp_path / "wide.html"
    wide.write_text(page, encoding="utf-8")
    assert any(found.startswith("PRE") for found in too_wide(browser, wide, 1280, 720, "overflowing"))
