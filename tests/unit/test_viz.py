"""The browser page's parts, rendered without a browser on the tiny world and the baseline."""

from __future__ import annotations

import gc
import io
import warnings

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

warnings.filterwarnings("ignore", message=".*use_state.*found despite early return.*")

solara = pytest.importorskip("solara")

from sim import run_scenario  # noqa: E402
from sim.model import ChipSupplyModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.viz import app, live  # noqa: E402
from sim.viz.live import FIGURE_NAMES, LiveFigures, live_figures  # noqa: E402
from sim.viz.network import EDGE_COLOURS, aggregate, group_layout  # noqa: E402
from tests.conftest import smuggling_world, tiny  # noqa: E402


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
    figures = LiveFigures(model)
    figures.png("network", model)
    network = figures.figures["network"]
    assert network.title.get_text().startswith(f"Supply network, {model.date}")
    # One drawn edge per group pair and kind of flow, coloured by that kind.
    assert len(network.edges.get_segments()) == len(flows)
    drawn_colours = {tuple(np.round(colour[:3], 3)) for colour in network.edges.get_colors()}
    expected = {kind for (_s, _t, kind) in flows}
    assert drawn_colours == {tuple(np.round(to_rgb(EDGE_COLOURS[kind]), 3)) for kind in expected}


def test_network_edges_carry_the_months_offshore_rentals() -> None:
    model = ChipSupplyModel(load_scenario("scenarios/baseline.yaml").scenario, seed=0)
    for _ in range(3):
        model.step()
    rented = model.network.rented_this_tick
    assert len(rented) > 0
    _nodes, flows = aggregate(model)
    drawn = {(source, target): h100e for (source, target, kind), h100e in flows.items() if kind == "rented"}
    # Every rental is drawn between its host's and its tenant's groups, and nothing rented is lost on the way.
    assert sum(drawn.values()) == pytest.approx(float(rented.h100e.sum()))
    nodes = model.nodes
    assert set(drawn) == {((nodes[host].kind, nodes[host].country), (nodes[tenant].kind, nodes[tenant].country))
                          for host, tenant in zip(rented.host.tolist(), rented.tenant.tolist(), strict=True)}


def test_plots_show_dates_and_handle_the_empty_start() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    figures = LiveFigures(model)
    figures.png("lead", model)
    assert figures.figures["lead"].hint.get_visible()
    for _ in range(3):
        model.step()
    for name in FIGURE_NAMES:
        figures.png(name, model)
    assert not figures.figures["lead"].hint.get_visible()
    assert figures.figures["lead"].title.get_text().startswith("US lead")
    assert len(figures.figures["compute"].axes) == 3
    assert "intermediaries listed" in figures.figures["leakage"].title.get_text()
    assert figures.figures["lead"].axes[0].get_xlim()[1] > figures.figures["lead"].lead.get_xdata()[-1]


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_layered_redraw_shows_what_a_full_redraw_shows_every_month() -> None:
    """The cached static layer must never leave stale data or stale axes on screen: month by month, through the
    months when the y axes have to grow, the page's image matches a fresh full render of the same figure."""
    model = app.ChipSupplyViz(scenario="baseline.yaml")
    figures = LiveFigures(model)
    for month in range(14):
        if month:
            model.step()
        for name in FIGURE_NAMES:
            layered = _pixels(figures.png(name, model))
            buffer = io.BytesIO()  # saving draws every artist, animated or not
            figures.figures[name].figure.savefig(buffer, format="png", dpi=live.FIGURE_DPI)
            full = _pixels(buffer.getvalue())
            assert layered.shape == full.shape
            differing = np.any(np.abs(layered - full) > 40, axis=2).mean()
            # Only draw order differs (data painted over the spines rather than under): a few pixels, not a panel.
            assert differing < 0.005, (name, model.date, differing)


def test_each_month_is_rendered_once_and_figures_go_with_their_model() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    model.step()
    figures = live_figures(model)
    assert live_figures(model) is figures
    first = figures.png("network", model)
    assert figures.png("network", model) is first  # a re-render that is not a step costs nothing
    model.step()
    assert figures.png("network", model) is not first
    del model, figures
    gc.collect()
    assert len(live._LIVE) == 0  # a RESET's old model takes its figures with it


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


def test_a_closed_tab_releases_the_callbacks_that_would_keep_its_model() -> None:
    """Solara keeps a module-level callback for every task singleton ever made; the page drops those that reach a
    closed tab's model (and only those)."""
    import solara.lifecycle
    from solara.toestand import Singleton

    from sim.viz.tabs import forget_callbacks_reaching

    tab_model, other_model = object(), object()

    def make_task_function(model):
        def do_step():
            return model

        def step():
            return do_step()

        return step

    mine = Singleton(make_task_function(tab_model))
    theirs = Singleton(make_task_function(other_model))
    registered = solara.lifecycle._on_kernel_start_callbacks
    before = len(registered)
    assert forget_callbacks_reaching(tab_model) == 1
    assert len(registered) == before - 1
    assert forget_callbacks_reaching(tab_model) == 0  # gone already; the other tab's callback is untouched
    assert forget_callbacks_reaching(other_model) == 1
    del mine, theirs
