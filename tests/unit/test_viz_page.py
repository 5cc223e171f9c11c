"""The page's runs without a browser: levers follow the scenario, changes are applied and named, RESET keeps the
previous run as a reference, and frames stay whole when PLAY and clicks interleave."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sim import run_scenario
from sim.scenario.load import resolve_extends
from sim.viz.app import catalogue_chips
from sim.viz.controls import Pending, lever_state, threshold_note
from sim.viz.heading import comparison_html, heading_html
from sim.viz.levers import LEVERS, apply_changes, run_title, scenario_levers
from sim.viz.live import FIGURE_NAMES
from sim.viz.network import month_flows
from sim.viz.session import PageRun, RunSettings, build_model, scenario_info
from sim.world import EDGE_RENTED

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def levers_of(name: str) -> dict:
    raw = resolve_extends(SCENARIOS / name)
    return scenario_levers(raw["policies"], raw["start"])


def test_the_levers_show_what_each_scenario_does() -> None:
    tight = levers_of("tight.yaml")
    assert tight["cloud_kyc"].value is True and tight["distillation_ban"].value is True
    assert tight["sme_coordinated"].value is True
    assert tight["export_threshold_tpp"].value == 1600 and "from 2026-01" in tight["export_threshold_tpp"].described
    assert tight["enforcement_funding"].value == 5.0
    assert levers_of("sme_coordinated.yaml")["sme_coordinated"].value is True
    baseline = levers_of("baseline.yaml")
    assert baseline["cloud_kyc"].value is False and "as in scenario" in baseline["cloud_kyc"].described
    assert baseline["enforcement_funding"].in_scenario is False


@pytest.mark.parametrize("scenario", ["sme_coordinated.yaml", "tight.yaml"])
def test_an_untouched_page_runs_the_scenario_as_chipsim_run_does(scenario: str) -> None:
    model, title = build_model(SCENARIOS, RunSettings(scenario, seed=2))
    for _ in range(30):  # to 2026-06, the scenarios' 2026 levers in force
        model.step()
    headless = run_scenario(SCENARIOS / scenario, seed=2, until=model.date).world
    assert title == scenario.removesuffix(".yaml")
    assert model.recorder.world_rows[-1]["us_china_ratio"] == headless["us_china_ratio"].iloc[-1]


def test_setting_a_lever_to_the_scenarios_value_is_no_change() -> None:
    _model, title = build_model(SCENARIOS, RunSettings("tight.yaml", changes=(("cloud_kyc", True),)))
    assert title == "tight"


def test_a_changed_lever_edits_the_scenarios_own_policy_and_keeps_its_dates() -> None:
    raw = resolve_extends(SCENARIOS / "tight.yaml")
    edited = apply_changes(raw["policies"], {"enforcement_funding": 2.0, "distillation_ban": False,
                                             "export_threshold_tpp": 2400.0}, raw["start"])
    funding = next(p for p in edited if p.get("id") == "enforcement_tight")
    assert funding["params"]["budget_multiplier"] == 2.0 and funding["effective"] == "2026-01"
    assert funding["params"]["detection_efficacy"] == 0.5  # its other settings stay
    assert next(p for p in edited if p.get("id") == "controls_1600")["params"]["tpp_threshold"] == 2400.0
    assert next(p for p in edited if p.get("id") == "controls_3a090")["params"]["tpp_threshold"] == 4800
    assert next(p for p in edited if p.get("id") == "distillation")["enabled"] is False
    assert run_title("tight", {"enforcement_funding": 2.0}) == "tight + enforcement x2"


def test_a_lever_the_scenario_lacks_is_added_from_2026_and_changes_the_run() -> None:
    raw = resolve_extends(SCENARIOS / "baseline.yaml")
    added = apply_changes(raw["policies"], {"cloud_kyc": True}, raw["start"])[-1]
    assert (added["type"], added["announce"], added["effective"]) == ("cloud_access", "2025-07", "2026-01")

    def china_in(settings: RunSettings) -> float:
        model, _title = build_model(SCENARIOS, settings)
        for _ in range(28):  # to 2026-04, a quarter after the lever is in force
            model.step()
        return model.recorder.bloc_rows[-2]["effective_h100e"]  # China's row of the last month

    assert china_in(RunSettings("baseline.yaml", changes=(("cloud_kyc", True),))) != china_in(
        RunSettings("baseline.yaml"))


def test_choosing_another_scenario_marks_only_the_levers_the_user_changed_in_it() -> None:
    """The panel's top line says the new scenario waits for RESET; a lever says 'press RESET' only if the user moved
    it from what the new scenario does."""
    info = scenario_info(SCENARIOS, "alliance_pressure.yaml")
    pending = Pending("alliance_pressure.yaml", 0, {"training_run_monitoring": True})
    states = {lever.name: lever_state(lever, pending, RunSettings("baseline.yaml"), info.levers[lever.name])
              for lever in LEVERS}
    assert states.pop("training_run_monitoring") == ("chipsim-pending",
                                                     "changed: press RESET to apply (scenario: off)")
    assert states["alliance_pressure"] == ("chipsim-as-scenario",
                                           "as in scenario: 3B USD a year, 25% compensated from 2026-01")
    assert {css for css, _words in states.values()} == {"chipsim-as-scenario"}


def test_the_threshold_note_names_the_chips_nearest_the_line_and_only_chips_the_controls_concern() -> None:
    chips = catalogue_chips("baseline.yaml")
    names = [name for name, _tpp in chips]
    assert "A100" in names and not any(name.startswith(("Huawei", "Cambricon")) for name in names)  # not China's
    note = threshold_note(chips, 4800)
    assert "controlled A100 (4,992), AWS Trainium2 (10,672), H100 SXM (15,832) and 13 more, up to Feynman" in note
    assert "free H20 (2,368)." in note
    # Free at 20,000: the H100 and H200 (15,832 each) and the Trainium2 named, the two below them counted.
    assert "(15,832), AWS Trainium2 (10,672) and 2 more, down to H20 (2,368)." in threshold_note(chips, 20_000)


def test_reset_keeps_the_previous_run_and_the_table_shows_the_difference() -> None:
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml"), width_px=800)
    assert run.frame.date == "before 2024-01" and run.frame.headline is None
    for _ in range(26):  # to 2026-02
        run.step()
    before = run.frame.headline
    run.reset(RunSettings("baseline.yaml", changes=(("enforcement_funding", 4.0),)))
    assert run.frame.reference_title == "baseline" and run.frame.title == "baseline + enforcement x4"
    assert comparison_html(run.frame) != ""  # the previous run is there before the new one has a month
    for _ in range(26):
        frame = run.step()
    assert frame.reference_headline == before  # compared at the same month
    table = comparison_html(frame)
    assert "before: baseline" in table and "now: baseline + enforcement x4" in table and "2026-02" in table
    run.reset(RunSettings("baseline.yaml"))  # a reset before any step keeps the run that has months
    run.reset(RunSettings("baseline.yaml"))
    assert run.frame.reference_title == "baseline + enforcement x4"
    assert comparison_html(run.clear_reference()) == ""


def test_figures_are_drawn_once_the_page_says_how_wide_they_are_shown() -> None:
    """Not first at a guessed width: that drawing was thrown away a moment later, and until then the figures ran off
    the right edge of a 1280 px window."""
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml"))
    assert run.frame.images == {} and run.frame.date == "before 2024-01"
    frame = run.resize(900)
    assert set(frame.images) == set(FIGURE_NAMES) and frame.sizes["compute"][0] == frame.sizes["network"][0] == 900


def test_the_first_month_after_reset_is_painted_on_the_layers_already_drawn() -> None:
    """PLAY or STEP right after RESET shows its first month as fast as any later one: the previous run has set the
    axes, so no figure draws its static layer (axes, ticks, legends) again, which takes most of a second on a busy
    machine (and kept a RESET mid-PLAY waiting behind it)."""
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml"), width_px=800)
    for _ in range(3):
        run.step()
    run.reset(RunSettings("baseline.yaml"))
    drawn = {name: canvas.background for name, canvas in run.figures.canvases.items()}
    run.step()
    assert all(canvas.background is drawn[name] for name, canvas in run.figures.canvases.items())


def test_after_reset_the_network_outlines_the_previous_runs_flows_that_shrank_in_the_same_month() -> None:
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml"), width_px=800)
    run.run_to_end()  # draws none of the months on the way, yet each month's flows are kept
    months = {run.model.start_month + row["tick"] for row in run.model.recorder.world_rows}
    run.reset(RunSettings("baseline.yaml", changes=(("cloud_kyc", True),)))
    assert set(run.reference.flows) == months
    network = run.figures.figures["network"]
    rim, hollow = network.outline
    for _ in range(24):  # 2024-25: the KYC rule is not in force yet, every route carries what it did: no outline
        run.step()
        assert rim.get_segments() == []
    for _ in range(2):  # 2026-02: China's renting in Singapore and Malaysia has all but stopped
        run.step()
    previous, now = run.reference.flows[run.model.month], month_flows(run.model)
    rentals = [key for key in previous if key[2] == EDGE_RENTED and key[1] == ("data_center", "CN")]
    assert len(rentals) == 2 and all(now.get(key, 0.0) < previous[key] / 50 for key in rentals)
    # Malaysia's renting (about 340k H100e a month before) is outlined; Singapore's (30k) is too thin an edge for its
    # fall to show, and no route that carries as much as before is outlined.
    outlined = {tuple(map(tuple, segment)) for segment in rim.get_segments()}
    shrank = {(network.position[source], network.position[target])
              for (source, target, kind), h100e in previous.items() if now.get((source, target, kind), 0) < h100e}
    malaysia = next(key for key in rentals if key[0] == ("data_center", "MY"))
    assert (network.position[malaysia[0]], network.position[malaysia[1]]) in outlined and outlined <= shrank
    assert len(hollow.get_segments()) == len(outlined)
    assert (rim.get_linewidths() > hollow.get_linewidths()).all()  # hollow lines: a rim each side
    run.clear_reference()
    run.step()
    assert run.figures.figures["network"].outline[0].get_segments() == []


def test_the_heading_names_the_run_the_month_and_the_numbers_and_says_when_it_ended() -> None:
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml", seed=3), width_px=700)
    frame = run.run_to_end()
    heading = heading_html(frame, 3)
    assert "baseline" in heading and "2030-12" in heading and "run ended" in heading
    headless = run_scenario(SCENARIOS / "baseline.yaml", seed=3).world
    assert f"data-ratio='{float(headless['us_china_ratio'].iloc[-1])!r}'" in heading
    assert run.step().date == "2030-12"  # stepping past the end does nothing


def test_frames_stay_whole_when_play_and_clicks_interleave() -> None:
    """Steps from a PLAY thread, STEP clicks and RESETs at once: no error, and every frame's images, date and
    numbers are of one month."""
    run = PageRun(SCENARIOS, RunSettings("baseline.yaml"), width_px=600)
    errors: list[BaseException] = []

    def play(generation: int) -> None:
        try:
            for _ in range(6):
                frame = run.step(generation)
                assert frame.error is None
                assert frame.headline is None or frame.headline.date == frame.date
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=play, args=(run.generation,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    run.step()
    run.reset(RunSettings("baseline.yaml", seed=1))
    run.step()
    for thread in threads:
        thread.join()
    assert errors == []
    # The PLAY threads belonged to the run before the RESET: the new run took only the one click's step.
    assert run.frame.date == "2024-01"
