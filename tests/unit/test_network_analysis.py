"""Network analysis on a hand-built network whose answers can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from sim.cli import main
from sim.network_analysis import chokepoints, diverted_compute, hub_betweenness

# A US vendor sells to two hubs and, under licence, to one Chinese data center; hub h1 (Singapore) smuggles to both
# Chinese centers and sells 40 H100e locally, hub h2 (Malaysia) smuggles 25 of its 30 and sells 5 locally.
NODES = {
    "usv": ("vendor", "US", "us_allies"), "cnv": ("vendor", "CN", "china"),
    "h1": ("intermediary", "SG", "rest"), "h2": ("intermediary", "MY", "rest"),
    "c1": ("data_center", "CN", "china"), "c2": ("data_center", "CN", "china"), "local": ("data_center", "SG", "rest"),
}
EDGES = [  # source, target, kind, H100e carried (chips: half as many, as if each chip were 2 H100e)
    ("usv", "h1", "legal", 140.0), ("usv", "h2", "legal", 30.0), ("usv", "c1", "legal", 50.0),
    ("h1", "c1", "smuggled", 80.0), ("h1", "c2", "smuggled", 20.0), ("h1", "local", "legal", 40.0),
    ("h2", "c2", "smuggled", 25.0), ("h2", "local", "legal", 5.0),
    ("cnv", "c2", "legal", 500.0),  # China's own vendor: not a US route
    ("usv", "local", "legal", 0.0),  # a relationship that carried nothing
]


def hand_built() -> nx.DiGraph:
    graph = nx.DiGraph(name="hand-built")
    for node, (kind, country, bloc) in NODES.items():
        graph.add_node(node, kind=kind, country=country, bloc=bloc, tier=1)
    for source, target, kind, h100e in EDGES:
        licensed = h100e if (source, target) == ("usv", "c1") else 0.0
        graph.add_edge(source, target, kind=kind, h100e_total=h100e, chips_total=int(h100e // 2),
                       licensed_h100e_total=licensed, licensed_chips_total=int(licensed // 2))
    return graph


def test_diverted_compute_by_intermediary_and_country() -> None:
    by_item, by_country = diverted_compute(hand_built())
    assert by_item.to_dict("records") == [
        {"intermediary": "h1", "country": "SG", "h100e": 100.0, "chips": 50},
        {"intermediary": "h2", "country": "MY", "h100e": 25.0, "chips": 12},
    ]
    assert by_country[["country", "h100e"]].values.tolist() == [["SG", 100.0], ["MY", 25.0]]


def test_the_minimum_cut_is_what_reached_china_through_its_narrowest_relationships() -> None:
    cut = chokepoints(hand_built())
    # Through h1 the narrow side is its 100 out (80 + 20) rather than its 140 in; through h2 its 25 out rather than
    # its 30 in; the licensed sale can only be cut itself: 100 + 25 + 50. China's own vendor is not on a US route.
    assert cut.h100e == 175.0
    assert cut.edges[["source", "target", "kind", "h100e"]].values.tolist() == [
        ["h1", "c1", "smuggled", 80.0], ["usv", "c1", "licensed", 50.0], ["h2", "c2", "smuggled", 25.0],
        ["h1", "c2", "smuggled", 20.0],
    ]


def test_flow_weighted_betweenness_puts_the_busiest_hub_on_the_routes() -> None:
    # Route lengths are 1/H100e. usv -> c1: via h1 1/140 + 1/80 = 0.0196 is shorter than the direct 1/50 = 0.0200.
    # usv -> c2: via h1 1/140 + 1/20 = 0.057 is shorter than via h2 1/30 + 1/25 = 0.073. So h1 is on both
    # (US vendor, Chinese center) routes and h2 on none.
    hubs = hub_betweenness(hand_built())
    assert hubs.set_index("intermediary")["betweenness"].to_dict() == {"h1": 2.0, "h2": 0.0}


def test_no_route_from_us_vendors_to_china_is_an_empty_cut() -> None:
    graph = hand_built()
    graph.remove_edges_from([("usv", "h1"), ("usv", "h2"), ("usv", "c1")])
    cut = chokepoints(graph)
    assert cut.h100e == 0.0 and cut.edges.empty


def test_chipsim_network_prints_the_tables_and_saves_the_figure(tmp_path: Path, capsys) -> None:
    nx.write_graphml(hand_built(), tmp_path / "network.graphml")
    assert main(["network", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Minimum cut" in printed and "175" in printed and "h1" in printed
    assert (tmp_path / "network_analysis.png").stat().st_size > 10_000
    assert main(["network", str(tmp_path)]) == 2  # the figure exists: replaced only with --force
    assert main(["network", str(tmp_path), "--force"]) == 0


@pytest.mark.parametrize("content", [None, "not xml at all"])
def test_a_folder_without_a_readable_network_is_refused_with_exit_2(tmp_path: Path, content, capsys) -> None:
    if content is not None:
        (tmp_path / "network.graphml").write_text(content)
    assert main(["network", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert "network.graphml" in message and "Traceback" not in message
