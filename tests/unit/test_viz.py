"""The browser page's parts, rendered without a browser on the tiny world and the baseline."""

from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", message=".*use_state.*found despite early return.*")

solara = pytest.importorskip("solara")

from sim import run_scenario  # noqa: E402
from sim.model import ChipSupplyModel  # noqa: E402
from sim.viz import app  # noqa: E402
from sim.viz.network import aggregate, group_layout, network_figure  # noqa: E402
from sim.viz.plots import compute_by_source_figure, lead_figure, leakage_figure  # noqa: E402
from tests.conftest import tiny  # noqa: E402
from tests.unit.test_smuggling import smuggling_world  # noqa: E402


def test_layout_is_stable_and_grouped_by_tier_and_country() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    before = group_layout(model)
    for _ in range(3):
        model.step()
    assert group_layout(model) == before
    assert before["fab", "US"][0] == 0 and before["data_center", "SG"][0] == 3
    assert before["vendor", "US"][1] == before["fab", "US"][1]  # one row per country


def test_network_edges_carry_this_months_flows_by_kind_including_seizures() -> None:
    certain = smuggling_world(**{"enforcement.agency.budget_usd_per_year": 1.2e9,
                                 "enforcement.agency.detection_efficacy": 1.0})
    model = ChipSupplyModel(certain, seed=0)
    kinds_seen = set()
    for _ in range(4):
        model.step()
        _nodes, flows = aggregate(model)
        kinds_seen |= {kind for (_s, _t, kind) in flows}
    assert {"production", "legal", "seized"} <= kinds_seen
    nodes, flows = aggregate(model)
    assert {node.key for node in nodes} >= {("fab", "US"), ("intermediary", "SG"), ("data_center", "CN")}
    figure = network_figure(model)
    assert figure.axes[0].get_title().startswith(f"Supply network, {model.date}")


def test_plots_show_dates_and_handle_the_empty_start() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    assert "press STEP" in lead_figure(model).axes[0].texts[0].get_text()
    for _ in range(3):
        model.step()
    figure = lead_figure(model)
    assert "US lead" in figure.axes[0].get_title()
    assert len(compute_by_source_figure(model).axes) == 3
    assert "intermediaries listed" in leakage_figure(model).axes[0].get_title()


def test_levers_become_policies_from_the_first_month() -> None:
    model = app.ChipSupplyViz(scenario="baseline.yaml", enforcement_funding=3.0, export_threshold_tpp=2000,
                              cloud_kyc=True, sme_coordinated=True, distillation_ban=True)
    specs = {policy.spec.type: policy.spec for policy in model.policies}
    assert {"enforcement_funding", "cloud_access", "distillation_ban"} <= set(specs)
    assert specs["enforcement_funding"].effective == model.scenario.start
    threshold = next(p.spec.params["tpp_threshold"] for p in model.policies if p.spec.id == "controls_3a090")
    assert threshold == 2000.0
    assert next(p for p in model.policies if p.spec.type == "sme_controls").params.coordinated is True


def test_a_changed_lever_changes_the_run() -> None:
    def china_after_a_year(**levers) -> float:
        model = app.ChipSupplyViz(**levers)
        for _ in range(12):
            model.step()
        return model.recorder.bloc_rows[-2]["effective_h100e"]  # china row of the last month

    assert china_after_a_year(cloud_kyc=True) != china_after_a_year(cloud_kyc=False)


def test_the_page_and_its_components_render() -> None:
    model = app.ChipSupplyViz(scenario="baseline.yaml")
    for _ in range(2):
        model.step()
    for component in (app.DateBanner, app.NetworkView, app.ComputeView, app.LeadView, app.LeakageView):
        box, _context = solara.render(component(model), handle_error=False)
        assert box is not None
    page, _context = solara.render(app.make_page(model), handle_error=False)
    assert page is not None


def test_run_to_the_end_matches_a_headless_run() -> None:
    model = app.ChipSupplyViz(scenario="baseline.yaml", seed=3)
    while model.running:
        model.step()
    headless = run_scenario(app.SCENARIO_DIR / "baseline.yaml", seed=3).world
    assert model.recorder.world_rows[-1]["us_china_ratio"] == headless["us_china_ratio"].iloc[-1]
