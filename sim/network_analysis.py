"""Where the leakage runs: questions an analyst asks of a run's trade network, answered with networkx.

Read from the network a run writes (``network.graphml``, or ``RunResult.network.to_graph()``), whose edges carry what
moved over them in the run (``sim.edge_flows.EdgeFlows``):

- **who carried diverted compute**: H100e shipped over smuggling edges, by intermediary and by its country;
- **transit hubs' flow-weighted betweenness**: on the edges that carried chips, how many of the shortest routes from
  the US bloc's vendors to China's data centers pass through each intermediary, an edge's length being 1 / the H100e
  it carried (a busy route is a short one), so a hub on the main arteries scores high;
- **the minimum cut** between the US bloc's vendors and China's data centers over the edges that carried chips, each
  edge's capacity being the H100e it carried: the smallest set of relationships enforcement (or a rule) would have to
  close to stop what reached China, and what they carried. Legal and licensed edges are in it when legal exports
  reached China: a cut says what carried the compute, not what was illegal.

Everything here is a pure function of the graph: the CLI (``chipsim network``) prints it and saves the figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import pandas as pd

from sim.scenario.fields import CONTROLLING_BLOC
from sim.style import compact

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TARGET_BLOC = "china"
EDGE_COLOURS = {"legal": "#2c7fb8", "licensed": "#f39c12", "smuggled": "#c0392b", "production": "#7f8c8d"}
_SOURCE, _SINK = ("__us_vendors__",), ("__china_data_centers__",)  # tuples: never an agent id


@dataclass(frozen=True)
class Chokepoints:
    """The minimum cut: its value (H100e) and its edges, with what each carried."""

    h100e: float
    edges: pd.DataFrame  # source, target, kind, source_country, h100e; largest first


def carried(graph: nx.DiGraph) -> nx.DiGraph:
    """The edges that carried chips in the run (``h100e_total`` > 0), with their nodes' attributes."""
    used = [(source, target) for source, target, h100e in graph.edges(data="h100e_total", default=0.0) if h100e > 0]
    return graph.edge_subgraph(used)


def diverted_compute(graph: nx.DiGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """H100e (and chips) each intermediary diverted over smuggling edges, and the same by its country; largest
    first, intermediaries that diverted nothing left out."""
    rows = [
        {"intermediary": source, "country": graph.nodes[source]["country"], "h100e": data["h100e_total"],
         "chips": data["chips_total"]}
        for source, _target, data in graph.edges(data=True)
        if data.get("kind") == "smuggled" and data.get("chips_total", 0) > 0
    ]
    columns = ["intermediary", "country", "h100e", "chips"]
    by_item = pd.DataFrame(rows, columns=columns).groupby(["intermediary", "country"], as_index=False).sum()
    by_item = by_item.sort_values(["h100e", "intermediary"], ascending=[False, True], ignore_index=True)
    by_country = by_item.groupby("country", as_index=False)[["h100e", "chips"]].sum()
    by_country = by_country.sort_values(["h100e", "country"], ascending=[False, True], ignore_index=True)
    return by_item, by_country


def _ends(graph: nx.DiGraph) -> tuple[list[str], list[str]]:
    """The US bloc's vendors and China's data centers."""
    nodes = graph.nodes
    vendors = [n for n in graph if nodes[n].get("kind") == "vendor" and nodes[n].get("bloc") == CONTROLLING_BLOC]
    centers = [n for n in graph if nodes[n].get("kind") == "data_center" and nodes[n].get("bloc") == TARGET_BLOC]
    return vendors, centers


def hub_betweenness(graph: nx.DiGraph) -> pd.DataFrame:
    """Each intermediary's flow-weighted betweenness between the US bloc's vendors and China's data centers (see the
    module docstring), unnormalised: the number of (vendor, data center) pairs whose shortest route runs through it,
    shared where routes tie; largest first."""
    flows = carried(graph)
    distance = nx.DiGraph()
    distance.add_nodes_from(flows.nodes)
    distance.add_weighted_edges_from(((s, t, 1.0 / h) for s, t, h in flows.edges(data="h100e_total")),
                                     weight="distance")
    vendors, centers = _ends(flows)
    scores = nx.betweenness_centrality_subset(distance, vendors, centers, normalized=False, weight="distance")
    rows = [{"intermediary": node, "country": flows.nodes[node]["country"], "betweenness": score}
            for node, score in scores.items() if flows.nodes[node].get("kind") == "intermediary"]
    frame = pd.DataFrame(rows, columns=["intermediary", "country", "betweenness"])
    return frame.sort_values(["betweenness", "intermediary"], ascending=[False, True], ignore_index=True)


def chokepoints(graph: nx.DiGraph) -> Chokepoints:
    """The minimum cut between the US bloc's vendors and China's data centers over the edges that carried chips."""
    flows = carried(graph)
    network = nx.DiGraph()
    network.add_edges_from((s, t, {"capacity": h}) for s, t, h in flows.edges(data="h100e_total"))
    vendors, centers = _ends(flows)
    # Infinite capacity (no attribute) from the one source to every vendor and from every data center to the sink.
    network.add_edges_from((_SOURCE, vendor) for vendor in vendors)
    network.add_edges_from((center, _SINK) for center in centers)
    columns = ["source", "target", "kind", "source_country", "h100e"]
    if not vendors or not centers or not nx.has_path(network, _SOURCE, _SINK):
        return Chokepoints(0.0, pd.DataFrame(columns=columns))
    value, (reachable, _rest) = nx.minimum_cut(network, _SOURCE, _SINK)
    rows = [{"source": s, "target": t, "kind": _flow_kind(flows.edges[s, t]),
             "source_country": flows.nodes[s]["country"], "h100e": h}
            for s, t, h in flows.edges(data="h100e_total") if s in reachable and t not in reachable]
    edges = pd.DataFrame(rows, columns=columns)
    return Chokepoints(float(value), edges.sort_values(["h100e", "source", "target"], ascending=[False, True, True],
                                                       ignore_index=True))


def _flow_kind(data: dict) -> str:
    """What an edge carried, for the reader: a legal edge that carried mostly licensed chips reads as licensed."""
    if data.get("kind") == "legal" and data.get("licensed_h100e_total", 0.0) > data["h100e_total"] / 2:
        return "licensed"
    return data.get("kind", "")


def country_label(graph: nx.DiGraph, code: str) -> str:
    """'Malaysia (MY)' when the graph names the country, else the code."""
    name = graph.graph.get(f"country_name_{code}")
    return f"{name} ({code})" if name else code


def analysis_figure(graph: nx.DiGraph, by_country: pd.DataFrame, hubs: pd.DataFrame, cut: Chokepoints,
                    title: str) -> Figure:
    """One figure: diverted compute by country, the hubs by betweenness, and the cut's edges by what they carried."""
    import matplotlib

    matplotlib.use("Agg")  # headless: the figure is saved, never shown (imported here: the model never draws)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
    figure.suptitle(title)
    _bars(left, [country_label(graph, code) for code in by_country["country"].head(10)],
          by_country["h100e"].head(10), "#c0392b", "Diverted compute by hub country",
          "H100e carried over smuggling edges")
    _bars(middle, hubs["intermediary"].head(10), hubs["betweenness"].head(10), "#8e44ad",
          "Transit hubs on the main routes", "flow-weighted betweenness (routes through the hub)")
    top = cut.edges.head(10)
    _bars(right, [f"{s} \u2192 {t}" for s, t in zip(top["source"], top["target"], strict=True)], top["h100e"],
          [EDGE_COLOURS.get(kind, "#7f8c8d") for kind in top["kind"]],
          f"Minimum cut: {compact(cut.h100e)} H100e over {len(cut.edges)} edges", "H100e carried")
    kinds = list(dict.fromkeys(top["kind"]))
    if kinds:
        right.legend(handles=[Patch(color=EDGE_COLOURS.get(kind, "#7f8c8d"), label=kind) for kind in kinds],
                     loc="lower right", fontsize=9)
    return figure


def _bars(axis, labels, values, colour, title: str, xlabel: str) -> None:
    from matplotlib.ticker import FuncFormatter

    labels, values = list(labels)[::-1], list(values)[::-1]
    colours = colour[::-1] if isinstance(colour, list) else colour
    if not labels:
        axis.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=axis.transAxes)
    axis.barh(labels, values, color=colours)
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: compact(value)))
    axis.set_title(title, fontsize=11)
    axis.set_xlabel(xlabel)
    axis.tick_params(axis="y", labelsize=9)
