"""The page's levers for issue 21's policies (sim/viz/policy_levers.py): each shows what the scenario does with it,
and set on the page it runs as the scenario file that ships the policy runs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sim import run_scenario
from sim.scenario.load import resolve_extends
from sim.viz.levers import LEVERS, scenario_levers
from sim.viz.policy_levers import POLICY_LEVERS
from sim.viz.session import RunSettings, build_model

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def levers_of(name: str) -> dict:
    raw = resolve_extends(SCENARIOS / name)
    return scenario_levers(raw["policies"], raw["start"])


@pytest.mark.parametrize(("scenario", "lever", "value", "described"), [
    ("weight_security.yaml", "weight_security", True, "SL4 with their licensees' copies, 2% of compute from 2027-01"),
    ("weight_export_control.yaml", "weight_export_control", True, "1e26 FLOP kept out of Tier 2+3 from 2026-07"),
    ("training_run_monitoring.yaml", "training_run_monitoring", True, "runs over 1e25 FLOP, 10 countries"),
    ("packaging_controls.yaml", "packaging_controls", 0.8, "80% of China's packaging growth stopped from 2026-01"),
    ("baseline.yaml", "hbm_export_control", 1.0, "100% of HBM sales to China stopped from 2024-12"),
    ("alliance_pressure.yaml", "alliance_pressure", 3.0, "3B USD a year, 25% compensated from 2026-01"),
])
def test_each_new_lever_shows_what_the_scenario_that_ships_it_does(scenario, lever, value, described) -> None:
    shown = levers_of(scenario)[lever]
    assert shown.value == value and shown.in_scenario and described in shown.described


def test_a_lever_describes_the_scenarios_own_settings_not_the_pages_defaults() -> None:
    """A weights control on Tier 1 alone is described as that, not with the Tier 2 and 3 thresholds an added one has."""
    tier_1_only = {"type": "weight_export_control", "announce": "2026-01", "effective": "2026-07",
                   "params": {"tier_1_threshold_flop": 1e27}}
    shown = scenario_levers([tier_1_only], "2024-01")["weight_export_control"]
    assert shown.described == "weights over 1e27 FLOP kept out of Tier 1 from 2026-07 (scenario)"


def test_a_scenario_without_the_policies_shows_them_off_as_in_scenario() -> None:
    baseline = levers_of("baseline.yaml")
    for lever in POLICY_LEVERS:
        if lever.name != "hbm_export_control":  # the baseline has the December-2024 HBM rule
            assert not baseline[lever.name].value and baseline[lever.name].described == "off (as in scenario)"
    assert levers_of("hbm_exports_open.yaml")["hbm_export_control"].value == 0.0


@pytest.mark.parametrize(("page", "change", "shipped"), [
    ("baseline.yaml", ("alliance_pressure", 3.0), "alliance_pressure.yaml"),  # added, as the file adds it
    ("chiplets.yaml", ("packaging_controls", 0.8), "packaging_controls.yaml"),  # added
    ("baseline.yaml", ("hbm_export_control", 0.0), "hbm_exports_open.yaml"),  # a slider at 0 switches it off
])
def test_a_lever_set_on_the_page_runs_as_the_shipped_scenario_file(page, change, shipped) -> None:
    model, title = build_model(SCENARIOS, RunSettings(page, seed=1, changes=(change,)))
    for _ in range(48):  # to 2027-12, two years of the levers in force
        model.step()
    headless = run_scenario(SCENARIOS / shipped, seed=1, until=model.date)
    assert title.startswith(page.removesuffix(".yaml") + " + ")
    assert model.recorder.world_rows[-1]["us_china_ratio"] == headless.world["us_china_ratio"].iloc[-1]
    untouched, _title = build_model(SCENARIOS, RunSettings(page, seed=1))
    for _ in range(48):
        untouched.step()
    assert untouched.recorder.world_rows[-1]["us_china_ratio"] != headless.world["us_china_ratio"].iloc[-1]


def test_every_new_lever_added_at_once_runs_and_the_title_names_each() -> None:
    changes = tuple((lever.name, True if lever.parameter is None else 0.5) for lever in POLICY_LEVERS
                    if lever.name != "hbm_export_control")
    model, title = build_model(SCENARIOS, RunSettings("weights_licensed.yaml", changes=changes))
    for _ in range(40):  # to 2027-04: every added policy in force
        model.step()
    assert title == ("weights_licensed + packaging controls 50% + alliance pressure 0.5B USD a year + "
                     "run monitoring on + weight vaults on + weights control on")
    assert {lever.name for lever in LEVERS} >= {lever.name for lever in POLICY_LEVERS}
    types = {policy.type for policy in model.scenario.policies if policy.enabled}
    assert types >= {"packaging_controls", "alliance_pressure", "training_run_monitoring", "weight_security",
                     "weight_export_control"}


# Every slider at the end of its range that moves furthest from the baseline.
SLIDERS_AT_AN_END = (("enforcement_funding", 10.0), ("export_threshold_tpp", 1600.0), ("packaging_controls", 1.0),
                     ("hbm_export_control", 0.0), ("alliance_pressure", 10.0))


def test_every_combination_of_the_checkbox_levers_runs_past_the_levers_dates() -> None:
    """All 2^6 on/off combinations of the checkboxes (the browser test clicks every pair of them on the page), every
    other one with each slider at an end of its range: each builds and steps to 2026-03, when every added lever is in
    force, without an error."""
    checkboxes = [lever.name for lever in LEVERS if lever.kind == "checkbox"]
    assert len(checkboxes) == 6
    for index, combination in enumerate(itertools.product((False, True), repeat=len(checkboxes))):
        changes = tuple(zip(checkboxes, combination, strict=True)) + (SLIDERS_AT_AN_END if index % 2 else ())
        model, _title = build_model(SCENARIOS, RunSettings("baseline.yaml", changes=changes))
        for _ in range(27):
            model.step()
        assert model.date == "2026-03" and len(model.recorder.world_rows) == 27, changes
