"""Serving the page: the ``solara run`` command line for the app, and a server started and awaited for tests and
benchmarks, with the headless Chromium they open it in. The page is for this machine by default (127.0.0.1); another
host must be asked for."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
# Debian's chromium, launched by Playwright with these flags (no sandbox as root, no network of its own).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

# True in the browser once the page shows its four figures drawn for the width its main column measures (the page
# draws none until the width probe has reported, and draws them again when the window is resized). For windows whose
# column is within the widths the page draws at (sim/viz/session.py: MIN_WIDTH_PX to MAX_WIDTH_PX).
FIGURES_AT_SHOWN_WIDTH = """() => {
    const images = [...document.querySelectorAll('.chipsim-figure img')];
    const column = Math.floor(document.querySelector('.chipsim-width-probe').getBoundingClientRect().width);
    return images.length === 4 && images.every(image => image.complete && image.naturalWidth > 0)
        && ['compute', 'network'].every(name => document.querySelector(`.chipsim-${name} img`).naturalWidth === column);
}"""


def chromium_executable() -> Path:
    return Path(shutil.which("chromium") or "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((DEFAULT_HOST, 0))
        return probe.getsockname()[1]


def solara_command(host: str = DEFAULT_HOST, port: int = 8765) -> list[str]:
    return [sys.executable, "-m", "solara", "run", str(APP), "--production", "--host", host, "--port", str(port)]


# A closed tab's model is dropped this long after its connection goes (solara keeps it 24 hours by default, so a
# server used all day would hold a model for every tab ever opened); a reload within it picks up where it was.
CLOSED_TAB_KEPT_FOR = "2m"


def page_environment(scenario: Path) -> dict[str, str]:
    """The environment that makes the page open on ``scenario`` and offer the scenarios beside it."""
    scenario = scenario.resolve()
    environment = dict(os.environ, CHIPSIM_VIZ_SCENARIO=scenario.name, CHIPSIM_SCENARIO_DIR=str(scenario.parent))
    environment.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CLOSED_TAB_KEPT_FOR)
    # solara's "This website runs on Solara" badge sits over the bottom right corner of the figures.
    environment.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # Each tab's kernel runs in a thread of its own, and glibc gives threads their own malloc arenas, which keep freed
    # memory: the server's footprint crept up with every tab opened and closed. Two arenas keep it flat.
    environment.setdefault("MALLOC_ARENA_MAX", "2")
    return environment


def start_server(scenario: Path, port: int, host: str = DEFAULT_HOST,
                 closed_tab_kept_for: str | None = None) -> subprocess.Popen:
    """Start the page's server in the background, its output discarded; see ``wait_until_serving``."""
    environment = page_environment(scenario)
    if closed_tab_kept_for is not None:
        environment["SOLARA_KERNEL_CULL_TIMEOUT"] = closed_tab_kept_for
    return subprocess.Popen(solara_command(host, port), env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_serving(url: str, timeout_seconds: float = 90.0) -> bool:
    """True once ``url`` answers 200, False if it has not within the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return True
        except OSError:
            time.sleep(0.5)
    return False
