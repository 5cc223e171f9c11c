"""The supply network as the page draws it: agents grouped by kind and country, in a layout that never moves.

At the baseline's size (about 220 agents and 600 trade relationships) single agents are unreadable, so the view
aggregates them: one node per (kind, country), sized by capacity or installed compute, and one edge per pair of
groups and kind of flow, sized by this month's flow in H100e. Columns are the tiers of the chain (fabs, vendors,
intermediaries, data centers, with enforcement bodies apart); rows are countries grouped by bloc. Positions depend only
on the scenario, so nothing jumps from one step to the next.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from sim.model import ChipSupplyModel  # noqa: E402
from sim.scenario.schema import BLOCS  # noqa: E402

COLUMNS = {"fab": 0, "vendor": 1, "intermediary": 2, "data_center": 3, "enforcement": 4}
KIND_LABELS = {"fab": "fabs", "vendor": "vendors", "intermediary": "intermediaries", "data_center": "data centers",
               "enforcement": "enforcement"}
NODE_MARKERS = {"fab": "s", "vendor": "D", "intermediary": "o", "data_center": "h", "enforcement": "^"}
BLOC_COLOURS = {"us_allies": "#1f5fa8", "china": "#c0392b", "rest": "#7f8c8d"}
EDGE_COLOURS = {"production": "#95a5a6", "legal": "#2980b9", "licensed": "#8e44ad", "smuggled": "#e74c3c",
                "rented": "#16a085", "seized": "#f39c12"}


@dataclass(frozen=True)
class GroupNode:
    key: tuple[str, str]  # (kind, country)
    kind: str
    country: str
    bloc: str
    members: int
    size: float  # capacity or compute, in the node's own unit
    x: float
    y: float


def group_layout(model: ChipSupplyModel) -> dict[tuple[str, str], tuple[float, float]]:
    """Stable positions: x by tier, y by bloc then country (in scenario order)."""
    present = {agent.country for agent in model.agents_by_id.values()}
    countries = [code for bloc in BLOCS for code, country in model.scenario.countries.items()
                 if country.bloc == bloc and code in present]
    row = {code: index for index, code in enumerate(countries)}
    keys = {(agent.kind, agent.country) for agent in model.agents_by_id.values()}
    return {key: (float(COLUMNS[key[0]]), -float(row[key[1]])) for key in keys}


def _size(agent) -> float:
    if agent.kind == "data_center":
        return agent.installed_h100e
    if agent.kind == "fab":
        return sum(agent.wafers_per_month.values())
    if agent.kind == "enforcement":
        return float(agent.inspections_per_month)
    return float(sum(agent.inventory.values()))


def aggregate(model: ChipSupplyModel) -> tuple[list[GroupNode], dict[tuple, float]]:
    """Group nodes, and this month's flows between groups by kind (H100e); seized shipments count as 'seized'."""
    layout = group_layout(model)
    members: dict[tuple[str, str], list] = defaultdict(list)
    for agent in model.agents_by_id.values():
        members[agent.kind, agent.country].append(agent)
    nodes = [
        GroupNode(key, key[0], key[1], model.country_bloc[key[1]], len(agents), sum(_size(a) for a in agents),
                  *layout[key])
        for key, agents in sorted(members.items(), key=lambda item: (layout[item[0]][0], -layout[item[0]][1]))
    ]
    flows: dict[tuple, float] = defaultdict(float)
    agents = model.agents_by_id
    for source, target, data in model.network.graph.edges(data=True):
        if data["flow_h100e"] > 0:
            key = ((agents[source].kind, agents[source].country), (agents[target].kind, agents[target].country),
                   data["kind"])
            flows[key] += data["flow_h100e"]
    def groups(shipment):
        return ((agents[shipment.source].kind, agents[shipment.source].country),
                (agents[shipment.target].kind, agents[shipment.target].country))

    # Edges carry all of a relationship's flow; split out what was licensed and what was seized on the way.
    for shipment, h100e, _usd in model.network.shipped_this_tick:
        if shipment.kind == "licensed":
            flows[(*groups(shipment), "legal")] -= h100e
            flows[(*groups(shipment), "licensed")] += h100e
    for shipment in model.network.seized_this_tick:
        h100e = shipment.count * model.catalog[shipment.chip].h100e
        flows[(*groups(shipment), "smuggled")] -= h100e
        flows[(*groups(shipment), "seized")] += h100e
    return nodes, {key: value for key, value in flows.items() if value > 1e-9}


def network_figure(model: ChipSupplyModel, width: float = 11.0) -> Figure:
    nodes, flows = aggregate(model)
    position = {node.key: (node.x, node.y) for node in nodes}
    figure, axis = plt.subplots(figsize=(width, 0.42 * len({n.country for n in nodes}) + 1.8))
    biggest = max(flows.values(), default=1.0)
    for (source, target, kind), h100e in sorted(flows.items(), key=lambda item: item[1]):
        (x0, y0), (x1, y1) = position[source], position[target]
        axis.plot([x0, x1], [y0, y1], color=EDGE_COLOURS.get(kind, "#bdc3c7"), alpha=0.7,
                  linewidth=0.5 + 7.0 * (h100e / biggest) ** 0.5, solid_capstyle="round", zorder=1)
    for kind in COLUMNS:
        group = [n for n in nodes if n.kind == kind]
        if not group:
            continue
        largest = max(n.size for n in group) or 1.0
        axis.scatter([n.x for n in group], [n.y for n in group], marker=NODE_MARKERS[kind],
                     s=[40 + 400 * (n.size / largest) ** 0.5 for n in group],
                     c=[BLOC_COLOURS[n.bloc] for n in group], edgecolors="white", linewidths=0.8, zorder=2)
    for country in dict.fromkeys(n.country for n in nodes):
        y = next(n.y for n in nodes if n.country == country)
        axis.text(-0.45, y, country, ha="right", va="center", fontsize=8)
    axis.set_xticks(list(COLUMNS.values()), [KIND_LABELS[k] for k in COLUMNS], fontsize=9)
    axis.set_yticks([])
    axis.set_xlim(-0.8, 4.5)
    for side in ("top", "right", "left"):
        axis.spines[side].set_visible(False)
    legend = [Line2D([0], [0], color=colour, linewidth=3, label=kind) for kind, colour in EDGE_COLOURS.items()]
    legend += [Line2D([0], [0], marker="o", linestyle="", color=colour, label=bloc.replace("_", " "))
               for bloc, colour in BLOC_COLOURS.items()]
    axis.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axis.set_title(f"Supply network, {model.date}: edge width = this month's flow (H100e)", fontsize=10)
    figure.tight_layout()
    return figure
