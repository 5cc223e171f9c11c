"""The page's control panel: the run buttons, the scenario (with its description), the seed and the levers.

Controls hold what the *next* run will be. Choosing a scenario sets every lever to what that scenario does; a lever
the scenario leaves alone says so ('as in scenario'). A control whose value differs from the run on screen is marked
'press RESET' until RESET applies it, and the RESET button says so too. Every value is written next to its control,
not only while a slider is dragged.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import solara

from sim.viz.levers import LEVER_ANNOUNCE, LEVER_EFFECTIVE, LEVER_GROUPS, LEVERS, Lever, LeverInScenario
from sim.viz.session import RunSettings, ScenarioInfo

# What TPP means, with the chips an analyst knows on either side of the lines in use (TPP from the scenario catalogue).
TPP_EXPLAINED = ("TPP (total processing performance, 2 x dense TOPS x bit length) decides which chips need a licence "
                 "for Tier-3 countries such as China: those at or above the threshold.")


@dataclass(frozen=True)
class Pending:
    """What the controls say the next run will be."""

    scenario_file: str
    seed: int
    changes: dict[str, object]

    def settings(self) -> RunSettings:
        return RunSettings(self.scenario_file, self.seed, tuple(sorted(self.changes.items())))


def lever_value(lever: Lever, pending: Pending, scenario: LeverInScenario) -> object:
    return pending.changes.get(lever.name, scenario.value)


def lever_state(lever: Lever, pending: Pending, applied: RunSettings, scenario: LeverInScenario) -> tuple[str, str]:
    """(css class, words) under a lever: waiting for RESET, changed from the scenario, or as in the scenario."""
    value = lever_value(lever, pending, scenario)
    # Another scenario chosen: the panel's top line says RESET is needed; each lever is marked only if the user
    # changed it from what the new scenario does (eleven 'press RESET' marks would hide the one that matters).
    applied_value = (applied.changed.get(lever.name, scenario.value) if applied.scenario_file == pending.scenario_file
                     else scenario.value)
    shown = lever.value_text(scenario.value)
    described = scenario.described.removesuffix(" (scenario)").removesuffix(" (as in scenario)")
    if value != applied_value:
        return "chipsim-pending", f"changed: press RESET to apply (scenario: {shown})"
    if value != scenario.value:
        return "chipsim-changed", f"changed from the scenario (scenario: {described})"
    return "chipsim-as-scenario", f"as in scenario: {described}"


NAMED_NEAR_THRESHOLD = 3  # chips named on each side of the threshold; those further away are counted


def threshold_note(chips: list[tuple[str, float]], threshold: float) -> str:
    """Which of the catalogue's chips (sorted by TPP) a threshold catches and which it leaves free. The few nearest
    the line are named and the rest counted, up to the fastest and down to the slowest: the roadmap's generations
    named in full would fill the control panel."""
    caught = [f"{name} ({tpp:,.0f})" for name, tpp in chips if tpp >= threshold]
    free = [f"{name} ({tpp:,.0f})" for name, tpp in chips if tpp < threshold][::-1]  # nearest the line first
    return (f"{TPP_EXPLAINED} At {threshold:,.0f}: controlled {_nearest(caught, 'up to')}; "
            f"free {_nearest(free, 'down to')}.")


def _nearest(chips: list[str], towards: str) -> str:
    if not chips:
        return "none"
    named, rest = chips[:NAMED_NEAR_THRESHOLD], chips[NAMED_NEAR_THRESHOLD:]
    if len(rest) > 1:
        return f"{', '.join(named)} and {len(rest)} more, {towards} {rest[-1]}"
    return ", ".join(chips)


def _label(text: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["chipsim-label"])


def _caption(css_class: str, text: str, shown: bool = True) -> None:
    """A line of small text under a control. Always rendered, hidden when not ``shown``: an element that comes and
    goes would shift its siblings, and reacton would rebuild their widgets under the user's pointer."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["chipsim-caption", css_class],
                style="" if shown else "display: none")


@solara.component
def Controls(scenario_files: list[str], pending: solara.Reactive[Pending], applied: RunSettings,
             info: ScenarioInfo, chips: list[tuple[str, float]], playing: bool, ended: bool,
             on_step: Callable[[], None], on_play: Callable[[], None], on_run_to_end: Callable[[], None],
             on_reset: Callable[[], None]) -> None:
    current = pending.value
    waiting = current.settings() != applied
    with solara.Column(classes=["chipsim-controls"], gap="6px"):
        with solara.Row(gap="6px", style="flex-wrap: wrap"):
            solara.Button("Step", on_click=on_step, disabled=playing or ended, color="primary", outlined=True,
                          small=True)
            solara.Button("Pause" if playing else "Play", on_click=on_play, disabled=ended and not playing,
                          color="primary", small=True)
            solara.Button("Run to end", on_click=on_run_to_end, disabled=playing or ended, outlined=True, small=True)
            solara.Button("Reset", on_click=on_reset, color="warning" if waiting else None,
                          outlined=not waiting, small=True)
        new_scenario = current.scenario_file != applied.scenario_file
        _caption("chipsim-pending" if waiting else "chipsim-idle",
                 f"{'Scenario' if new_scenario else 'Controls'} changed: RESET starts a run with "
                 f"{'it' if new_scenario else 'them'} (this run is kept as a faint reference).", waiting)

        def choose(name: str) -> None:
            # A new scenario: every lever follows it again.
            pending.set(Pending(name, current.seed, {}))

        solara.Select(label="Scenario", values=scenario_files, value=current.scenario_file, on_value=choose)
        solara.HTML(tag="div", unsafe_innerHTML=f"{html.escape(info.description)} <i>({info.start} to {info.end})</i>",
                    classes=["chipsim-description"])
        _label(f"Seed: {current.seed}")
        solara.SliderInt("", value=current.seed, min=0, max=99,
                         on_value=lambda seed: pending.set(Pending(current.scenario_file, int(seed), current.changes)))
        seed_waiting = applied.scenario_file == current.scenario_file and applied.seed != current.seed
        _caption("chipsim-pending" if seed_waiting else "chipsim-idle",
                 f"changed: press RESET to apply (run on screen: seed {applied.seed})", seed_waiting)
        for group in LEVER_GROUPS:
            solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(group)}</b>", classes=["chipsim-section"])
            for lever in (lever for lever in LEVERS if lever.group == group):
                LeverControl(lever, pending, applied, info.levers[lever.name])
                if lever.name == "export_threshold_tpp":
                    threshold = float(lever_value(lever, current, info.levers[lever.name]))
                    _caption("chipsim-help", threshold_note(chips, threshold))
                else:
                    _caption("chipsim-help", lever.help)
        _caption("chipsim-help", f"A changed lever keeps the scenario's own dates where the scenario has it; a lever "
                                 f"the scenario does not have is added as the scenario files add theirs: announced "
                                 f"{LEVER_ANNOUNCE}, in force from {LEVER_EFFECTIVE}.")
        solara.Button("Levers as in the scenario", on_click=lambda: pending.set(
            Pending(current.scenario_file, current.seed, {})), text=True, disabled=not current.changes)


@solara.component
def LeverControl(lever: Lever, pending: solara.Reactive[Pending], applied: RunSettings,
                 scenario: LeverInScenario) -> None:
    current = pending.value
    value = lever_value(lever, current, scenario)

    def set_value(new: object) -> None:
        changes = dict(current.changes)
        if new == scenario.value:
            changes.pop(lever.name, None)
        else:
            changes[lever.name] = new
        pending.set(Pending(current.scenario_file, current.seed, changes))

    if lever.kind == "checkbox":
        solara.Checkbox(label=lever.label, value=bool(value), on_value=lambda new: set_value(bool(new)))
    else:
        _label(f"{lever.label}: {lever.value_text(value)}")
        solara.SliderFloat("", value=float(value), min=lever.minimum,
                           max=lever.maximum, step=lever.step, on_value=lambda new: set_value(float(new)))
    css_class, words = lever_state(lever, current, applied, scenario)
    _caption(css_class, words)
