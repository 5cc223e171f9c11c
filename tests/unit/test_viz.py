"""The browser page's parts, rendered without a browser on the tiny world and the baseline."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import matplotlib.text
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

warnings.filterwarnings("ignore", message=".*use_state.*found despite early return.*")

solara = pytest.importorskip("solara")

from sim.model import ChipSupplyModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.viz import app, live  # noqa: E402
from sim.viz.live import FIGURE_NAMES, LiveFigures  # noqa: E402
from sim.viz.network import EDGE_COLOURS, NetworkFigure, aggregate, group_layout, month_flows  # noqa: E402
from tests.conftest import smuggling_world, tiny  # noqa: E402

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def test_the_network_layout_is_read_from_the_trade_graph_layered_by_tier_and_never_moves() -> None:
    scenario = load_scenario(BASELINE).scenario
    model = ChipSupplyModel(scenario, seed=0)
    figure = NetworkFigure(model, 900)
    before = dict(figure.position)
    assert before == group_layout(model.network.graph, list(scenario.countries))
    for _ in range(3):
        model.step()
        figure.update(model)
    assert figure.position == before == NetworkFigure(ChipSupplyModel(scenario, seed=5), 900).position  # RESET
    # Columns: the chain's tiers (the nodes' kind); rows: countries, one per country, in bands by export-control tier.
    assert before["fab", "TW"][0] == 0 and before["vendor", "US"][0] == 1 and before["data_center", "CN"][0] == 3
    assert before["vendor", "US"][1] == before["data_center", "US"][1]
    tier = {code: country.tier for code, country in scenario.countries.items()}
    rows = sorted({(y, country) for (_kind, country), (_x, y) in before.items()}, reverse=True)  # top to bottom
    assert [tier[country] for _y, country in rows] == sorted(tier[country] for _y, country in rows)
    assert rows[0][1] == "US" and rows[-1][1] == "CN"
    labels = [text.get_text() for text in figure.axis.texts]
    assert {"Tier 1", "Tier 2", "Tier 3"} <= set(labels) and "Malaysia" in labels


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
    # One drawn edge per group pair and kind of flow, coloured by that kind.
    assert len(network.edges.get_segments()) == len(flows)
    drawn_colours = {tuple(np.round(colour[:3], 3)) for colour in network.edges.get_colors()}
    expected = {kind for (_s, _t, kind) in flows}
    assert drawn_colours == {tuple(np.round(to_rgb(EDGE_COLOURS[kind]), 3)) for kind in expected}


def test_the_network_size_key_says_what_the_largest_node_of_each_kind_holds_in_plain_numbers() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    for _ in range(3):
        model.step()
    network = LiveFigures(model).figures["network"]
    title, *lines = network.size_key.get_text().split("\n")
    assert title == "largest node this month:" and any(line.endswith(" H100e installed") for line in lines)
    for line in lines:  # a number as 57.6k or 1.17M, never 1.17e+03k
        assert re.fullmatch(r"  [a-z ]+: [\d,]+(\.\d+)?[kM]? [a-zA-Z0-9 ]+", line), line


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
    lead = figures.figures["lead"]
    assert lead.hint.get_visible()

    def y_numbers() -> list[list[str]]:  # per y axis (the ratio's on the right too), as last drawn
        return [[label.get_text() for label in axis.get_yticklabels()] for axis in lead.figure.axes]

    assert not any(any(numbers) for numbers in y_numbers())  # no axis reading 0.0000 to 0.0010 before any data
    for _ in range(3):
        model.step()
    for name in FIGURE_NAMES:
        figures.png(name, model)
    assert not lead.hint.get_visible()
    assert all(any(numbers) for numbers in y_numbers())
    assert figures.figures["lead"].title.get_text().startswith("US lead")
    assert len(figures.figures["compute"].axes) == 3
    assert figures.figures["leakage"].listed.get_text().endswith("intermediaries listed")
    assert figures.figures["lead"].axes[0].get_xlim()[1] > figures.figures["lead"].lead.get_xdata()[-1]


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _previous_run(months: int) -> tuple[ChipSupplyModel, dict]:
    """A baseline run of another seed, ``months`` long, with its network flows by month (as the page keeps them)."""
    previous = ChipSupplyModel(load_scenario("scenarios/baseline.yaml").scenario, seed=1)
    flows = {}
    for _ in range(months):
        previous.step()
        flows[previous.month] = month_flows(previous)
    return previous, flows


def test_layered_redraw_shows_what_a_full_redraw_shows_every_month() -> None:
    """The cached static layer must never leave stale data or stale axes on screen: month by month, through the
    months when the y axes have to grow, and with a previous run drawn as a reference, the page's image matches a
    fresh full render of the same figure."""
    previous, flows = _previous_run(20)
    model = ChipSupplyModel(load_scenario("scenarios/baseline.yaml").scenario, seed=0)
    figures = LiveFigures(model, 1000, reference=live.Series.of(previous), reference_flows=flows)
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


def test_each_month_is_rendered_once() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    model.step()
    figures = LiveFigures(model)
    first = figures.png("network", model)
    assert figures.png("network", model) is first  # a re-render that is not a step costs nothing
    model.step()
    assert figures.png("network", model) is not first


def test_figures_are_drawn_at_the_width_the_page_shows_them() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    model.step()
    for width in (900, 1600):
        figures = LiveFigures(model, width)
        sizes = {name: Image.open(io.BytesIO(figures.png(name, model))).size for name in FIGURE_NAMES}
        assert sizes["compute"][0] == sizes["network"][0] == width
        assert sizes["lead"][0] + sizes["leakage"][0] + live.GAP_PX == width  # one row, side by side


@pytest.mark.parametrize("width", [946, 1626])  # the page's figures at 1280x720 and at 1920x1080
def test_legends_sit_outside_every_plot_so_they_never_cover_the_data(width: int) -> None:
    previous, flows = _previous_run(30)
    model = ChipSupplyModel(load_scenario("scenarios/baseline.yaml").scenario, seed=0)
    for _ in range(8):
        model.step()
    figures = LiveFigures(model, width, reference=live.Series.of(previous), reference_flows=flows)
    for name in FIGURE_NAMES:
        figures.png(name, model)
        figure = figures.figures[name].figure
        renderer = figure.canvas.get_renderer()
        legends = [*figure.legends, *(axis.get_legend() for axis in figure.axes if axis.get_legend())]
        assert legends, name
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert box.x1 <= width and box.y1 <= figure.bbox.height, (name, "cut off")
            for axis in figure.axes:
                assert not box.overlaps(axis.get_window_extent(renderer)), (name, legend.get_texts()[0].get_text())


def test_every_text_on_the_figures_is_at_least_10_px() -> None:
    """Figures are drawn at 72 dpi, so a font's size in points is its size in pixels on the page."""
    model = ChipSupplyModel(load_scenario("scenarios/baseline.yaml").scenario, seed=0)
    model.step()
    figures = LiveFigures(model, 1000, reference=live.Series.of(model))
    for name in FIGURE_NAMES:
        figures.png(name, model)
        texts = [text for text in figures.figures[name].figure.findobj(matplotlib.text.Text) if text.get_text()]
        assert texts
        small = [(text.get_text(), text.get_fontsize()) for text in texts if text.get_fontsize() < 10]
        assert small == [], (name, small)


def test_the_page_renders() -> None:
    page, _context = solara.render(app.Page(), handle_error=False)
    assert page is not None
