"""The browser page: the compute race, leakage and the supply network of one run, with the scenario and the main
levers as controls, and the previous run kept as a reference.

Serve it with ``chipsim viz [SCENARIO]`` (it runs ``solara run`` on this file). Each browser tab has a run of its
own (``PageRun``, sim/viz/session.py) that builds, steps and draws under one lock and hands the page finished frames;
the page only shows the latest frame. Controls describe the next run and take effect on RESET (sim/viz/controls.py).
PLAY steps in a thread of the tab's, one month at a time, and stops at the end of the run, on PAUSE and on RESET.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path

import solara

from sim.scenario import load_scenario
from sim.scenario.fields import CONTROLLING_BLOC
from sim.viz.controls import Controls, Pending
from sim.viz.heading import comparison_html, heading_html
from sim.viz.session import Frame, PageRun, RunSettings, scenario_info

SCENARIO_DIR = Path(os.environ.get("CHIPSIM_SCENARIO_DIR", Path(__file__).resolve().parents[2] / "scenarios"))
DEFAULT_SCENARIO = os.environ.get("CHIPSIM_VIZ_SCENARIO", "baseline.yaml")
PLAY_MONTH_SECONDS = 0.3  # at most this fast while playing: a month stays on screen long enough to read
STYLE = """
html { overflow-y: scroll; }  /* a scroll bar that comes and goes would change the width and redraw every figure */
.chipsim-heading { font-size: 17px; line-height: 1.4; margin: 2px 0 6px 0; }
.chipsim-title { font-weight: 700; }
.chipsim-date { font-weight: 700; color: #1f5fa8; }
.chipsim-ended { background: #34495e; color: white; padding: 1px 8px; border-radius: 4px; font-size: 14px; }
.chipsim-controls { font-size: 13px; }
.chipsim-label { font-size: 14px; color: #222; margin-top: 4px; }
.chipsim-caption { font-size: 12px; line-height: 1.3; margin: -6px 0 4px 0; }
.chipsim-controls .v-input--checkbox { margin-top: 0; }
.chipsim-controls .v-input__slot { margin-bottom: 0; }
.chipsim-controls .v-messages { display: none; }
.chipsim-help { color: #555; margin-top: 0; }
.chipsim-as-scenario { color: #666; }
.chipsim-changed { color: #1f5fa8; }
.chipsim-pending { color: #a04000; font-weight: 600; }
.chipsim-description { font-size: 12px; color: #333; margin-top: -12px; }
.chipsim-section { margin-top: 4px; font-size: 13px; }
.chipsim-compare { border-collapse: collapse; font-size: 13px; margin: 0 0 2px 0; }
.chipsim-compare th.chipsim-at { font-weight: 400; color: #555; font-size: 12px; }
.chipsim-compare th, .chipsim-compare td { padding: 0 10px; text-align: right; border-bottom: 1px solid #ddd; }
.chipsim-compare th:first-child { text-align: left; }
.chipsim-figure { flex: none; }
.chipsim-figure img { display: block; max-width: none; }
.v-application .chipsim-hidden { display: none !important; }  /* beats Vuetify's .v-application .d-flex */
.chipsim-error { color: #a93226; font-weight: 600; font-size: 14px; }
"""


def scenario_files() -> list[str]:
    return sorted(path.name for path in SCENARIO_DIR.glob("*.yaml"))


def catalogue_chips(scenario_file: str) -> list[tuple[str, float]]:
    """The scenario's chips that export controls concern (those of the controlling bloc's vendors, not China's own),
    by TPP: for the threshold's note."""
    try:
        scenario = load_scenario(SCENARIO_DIR / scenario_file).scenario
    except Exception:  # noqa: BLE001 - an unreadable file is reported when a run is started from it
        return []
    bloc = {country_id: country.bloc for country_id, country in scenario.countries.items()}
    controlling_vendors = {vendor.id for vendor in scenario.vendors if bloc[vendor.country] == CONTROLLING_BLOC}
    chips = [(chip.name.removeprefix("NVIDIA ").removeprefix("AMD "), float(chip.tpp))
             for chip in scenario.catalog.values() if chip.vendor in controlling_vendors and "Custom" not in chip.name]
    return sorted(chips, key=lambda chip: chip[1])


@solara.component_vue("width.vue")
def WidthProbe(width: int, on_width) -> None:
    pass


@solara.component
def Figures(frame: Frame) -> None:
    if not frame.images:  # drawn once the width probe has measured the column
        return

    def image(name: str) -> None:
        width, _height = frame.sizes[name]
        with solara.Div(classes=["chipsim-figure", f"chipsim-{name}"]):
            solara.Image(frame.images[name], width=f"{width}px", format="png")

    image("compute")
    with solara.Row(gap="6px", style="flex-wrap: nowrap"):  # a little under GAP_PX: rounding never squeezes
        image("lead")
        image("leakage")
    image("network")


@solara.component
def Page() -> None:
    """One tab: a run of its own (a module-level model would be shared by every tab)."""
    run = solara.use_memo(lambda: PageRun(SCENARIO_DIR, RunSettings(DEFAULT_SCENARIO)), dependencies=[])
    shown = solara.use_reactive(run.frame.serial)  # moved after every frame; the page then reads run.frame
    pending = solara.use_reactive(Pending(DEFAULT_SCENARIO, 0, {}))
    playing = solara.use_reactive(False)
    width = solara.use_reactive(0)
    _ = shown.value
    frame = run.frame

    def show(new: Frame) -> None:
        shown.set(new.serial)

    def play_loop(cancel: threading.Event) -> None:
        if not playing.value:
            return
        generation = run.generation
        while not cancel.is_set():
            started = time.monotonic()
            frame = run.step(generation)
            show(frame)
            if frame.ended or run.generation != generation:
                playing.set(False)
                return
            cancel.wait(max(0.0, PLAY_MONTH_SECONDS - (time.monotonic() - started)))

    # Not intrusive: a cancelled PLAY finishes the month it is in rather than being interrupted inside a step.
    solara.use_thread(play_loop, dependencies=[playing.value], intrusive_cancel=False)

    def on_width(new_width: int) -> None:
        width.set(new_width)
        show(run.resize(new_width))

    def reset() -> None:
        playing.set(False)
        show(run.reset(pending.value.settings()))

    def clear_reference() -> None:
        show(run.clear_reference())

    info = solara.use_memo(lambda: scenario_info(SCENARIO_DIR, pending.value.scenario_file),
                           dependencies=[pending.value.scenario_file])
    chips = solara.use_memo(lambda: catalogue_chips(pending.value.scenario_file),
                            dependencies=[pending.value.scenario_file])
    solara.Title(f"chipsim: {frame.title}, {frame.date}")
    solara.Style(STYLE)
    with solara.Row(style="align-items: flex-start; flex-wrap: nowrap; gap: 14px; padding: 6px 10px"):
        with solara.Column(style="width: 290px; min-width: 290px; flex: none"):
            Controls(scenario_files(), pending, run.settings, info, chips, playing.value, frame.ended,
                     on_step=lambda: show(run.step()), on_play=lambda: playing.set(not playing.value),
                     on_run_to_end=lambda: show(run.run_to_end()), on_reset=reset)
        with solara.Column(style="flex: 1 1 auto; min-width: 0", gap="4px"):
            WidthProbe(width=width.value, on_width=on_width)
            solara.HTML(tag="div", unsafe_innerHTML=heading_html(frame, run.settings.seed))
            # Rendered always, hidden when empty: elements that come and go would make reacton rebuild the widgets
            # after them (and a click on a rebuilt widget is lost).
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(frame.error or ""),
                        classes=["chipsim-error"] if frame.error else [], style="" if frame.error else "display: none")
            comparison = comparison_html(frame)
            # Hidden by a class: a Row is a Vuetify d-flex, whose display: flex !important would beat an inline style.
            with solara.Row(style="align-items: flex-end; gap: 12px", classes=[] if comparison else ["chipsim-hidden"]):
                solara.HTML(tag="div", unsafe_innerHTML=comparison)
                solara.Button("Clear previous run", on_click=clear_reference, text=True, small=True)
            Figures(frame)
