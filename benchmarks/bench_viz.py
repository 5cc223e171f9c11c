"""Benchmark of the browser page: how long a step of the baseline takes, including the redraw.

Two measurements, side by side on the same machine:
1. In process, no browser: the model's step and the rendering of each of the page's four figures to PNG, as the page
   does it (static layer cached, the month's data painted on top), next to a full redraw of the same figures every
   month (what the page did before), with the ratio.
2. In a real headless Chromium (Debian's, via Playwright), if there is one: click STEP on the served page and wait
   until the date and all four images have changed; the time from click to the last change, per step.

usage: python benchmarks/bench_viz.py [--steps 24] [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
TARGET_SECONDS = 0.5
VIEWPORT = {"width": 1400, "height": 1000}
BROWSER_WIDTH_PX = 1076  # the page's main column at that viewport, which the figures are drawn to fit
ALL_IMAGES_CHANGED = """before => document.querySelector('.chipsim-date').innerText !== before.date
    && [...document.querySelectorAll('.chipsim-figure img')].every((image, i) => image.src !== before.images[i])"""


def _load_average(when: str) -> str:
    """The machine's load (1, 5, 15 min) beside the timings: on a shared machine they mean little without it."""
    return "load average {}: {:.2f} {:.2f} {:.2f}".format(when, *os.getloadavg())


def _summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (f"median {statistics.median(ordered) * 1e3:7.1f} ms   p90 {p90 * 1e3:7.1f} ms   "
            f"max {ordered[-1] * 1e3:7.1f} ms")


def in_process(steps: int) -> float:
    from sim.viz.live import FIGURE_NAMES, LiveFigures
    from sim.viz.session import RunSettings, build_model

    timings: dict[str, dict[str, list[float]]] = {"layered": {}, "full redraw": {}}
    for mode in timings:
        model, _title = build_model(BASELINE.parent, RunSettings(BASELINE.name))
        figures = LiveFigures(model, BROWSER_WIDTH_PX)
        for name in FIGURE_NAMES:
            figures.png(name, model)
        for _ in range(steps):
            started = time.perf_counter()
            model.step()
            timings[mode].setdefault("model step", []).append(time.perf_counter() - started)
            total = time.perf_counter() - started
            for name in FIGURE_NAMES:
                if mode == "full redraw":
                    figures.canvases[name].background = None  # forces the static layer to be drawn again
                started = time.perf_counter()
                figures.png(name, model)
                elapsed = time.perf_counter() - started
                timings[mode].setdefault(f"figure {name}", []).append(elapsed)
                total += elapsed
            timings[mode].setdefault("step + redraw", []).append(total)
    for mode, rows in timings.items():
        print(f"\nin process, {mode} ({steps} steps of the baseline):")
        for label, seconds in rows.items():
            print(f"  {label:<16} {_summary(seconds)}")
    layered = statistics.median(timings["layered"]["step + redraw"])
    full = statistics.median(timings["full redraw"]["step + redraw"])
    print(f"  full redraw / layered: {full / layered:.1f}x")
    return layered


def in_browser(steps: int) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nin the browser: skipped (playwright is not installed)")
        return None
    from sim.viz.serve import (
        CHROMIUM_ARGS,
        FIGURES_AT_SHOWN_WIDTH,
        chromium_executable,
        free_port,
        start_server,
        wait_until_serving,
    )

    if not chromium_executable().exists():
        print("\nin the browser: skipped (no chromium; apt-get install chromium)")
        return None
    port = free_port()
    server = start_server(BASELINE, port)
    url = f"http://127.0.0.1:{port}/"
    try:
        if not wait_until_serving(url):
            raise SystemExit("the page did not come up within 90 s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium_executable()), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url, wait_until="networkidle")
            page.wait_for_selector(".chipsim-date", timeout=60_000)
            page.wait_for_function(FIGURES_AT_SHOWN_WIDTH, timeout=30_000)  # redrawn for the measured width
            seconds, date_seconds = [], []
            for _ in range(steps):
                before = page.evaluate("""() => ({
                    date: document.querySelector('.chipsim-date').innerText,
                    images: [...document.querySelectorAll('.chipsim-figure img')].map(i => i.src)})""")
                started = time.perf_counter()
                page.get_by_role("button", name="Step").first.click()
                page.wait_for_function("before => document.querySelector('.chipsim-date').innerText !== before.date",
                                       arg=before, timeout=30_000, polling="raf")
                date_seconds.append(time.perf_counter() - started)
                page.wait_for_function(ALL_IMAGES_CHANGED, arg=before, timeout=30_000, polling="raf")
                seconds.append(time.perf_counter() - started)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"\nin headless Chromium: click STEP -> date and all four images changed ({steps} steps):")
    print(f"  date shown       {_summary(date_seconds)}")
    print(f"  step + redraw    {_summary(seconds)}")
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*use_state.*found despite early return.*")
    print(f"chipsim browser page benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()} "
          f"{platform.processor() or ''} Python {platform.python_version()}, {os.cpu_count()} cores")
    print(_load_average("at the start"))
    layered = in_process(args.steps)
    browser = None if args.no_browser else in_browser(args.steps)
    print(_load_average("at the end"))
    print(f"\ntarget: a step including the redraw under {TARGET_SECONDS:.1f} s")
    print(f"  in process: {layered:.3f} s median ({layered / TARGET_SECONDS:.2f} of the target)")
    if browser is not None:
        print(f"  in Chromium: {browser:.3f} s median ({browser / TARGET_SECONDS:.2f} of the target)")


if __name__ == "__main__":
    main()
