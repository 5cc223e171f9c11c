"""The supply network as the page draws it: agents grouped by kind and country, in a layout that never moves.

At the baseline's size (about 220 agents and 600 trade relationships) single agents are unreadable, so the view
aggregates them: one node per (kind, country), sized by capacity or installed compute, and one edge per pair of
groups and kind of flow, sized by this month's flow in H100e. Columns are the tiers of the chain (fabs, vendors,
intermediaries, data centers, with enforcement bodies apart); rows are countries grouped by bloc. Positions depend only
on the scenario, so nothing jumps from one step to the next. Only the trade network's agents are drawn: allied tool and
memory makers trade no chips (their standing is in the run's ``alliance`` table).

Rows are labelled with country names; a key gives what a node's size stands for in this month's units. The figure is
drawn at the pixel size the page shows it, in two layers: the static one (axes, country labels, legend) once per
model, and the month's edges, node sizes and size key on top of it (``dynamic``, marked animated so a full draw
leaves them out); see ``live.py``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.agents.base import SupplyChainAgent
from sim.model import ChipSupplyModel
from sim.scenario.fields import BLOCS
from sim.style import BLOC_COLOURS, BLOC_LABELS, FALLBACK_COLOUR, FLOW_COLOURS, FLOW_LABELS
from sim.trade import SHIPMENT_KINDS, Shipments
from sim.world import EDGE_RENTED, EDGE_SMUGGLED

COLUMNS = {"fab": 0, "vendor": 1, "intermediary": 2, "data_center": 3, "enforcement": 4}
KIND_LABELS = {"fab": "fabs", "vendor": "vendors", "intermediary": "intermediaries", "data_center": "data centers",
               "enforcement": "enforcement"}
NODE_MARKERS = {"fab": "s", "vendor": "D", "intermediary": "o", "data_center": "h", "enforcement": "^"}
EDGE_COLOURS = FLOW_COLOURS
DPI = 72  # one point is one pixel on screen
FONT_PX = 11
ROW_PX, FRAME_PX = 30, 70  # height of a country's row, and of the title and the tier labels
LABEL_PX, KEY_PX = 150, 290  # room for the country names on the left and the key on the right
# What a node's size stands for, per kind of agent, with the unit the size key uses.
SIZE_MEANING = {"data_center": ("data centers", 1e6, "M H100e installed"),
                "fab": ("fabs", 1e3, "k wafers a month"),
                "intermediary": ("intermediaries", 1e3, "k chips in stock"),
                "vendor": ("vendors", 1e3, "k chips in stock"),
                "enforcement": ("enforcement", 1.0, " inspections a month")}


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
    present = {agent.country for agent in model.nodes}
    countries = [code for bloc in BLOCS for code, country in model.scenario.countries.items()
                 if country.bloc == bloc and code in present]
    row = {code: index for index, code in enumerate(countries)}
    keys = {(agent.kind, agent.country) for agent in model.nodes}
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
    for agent in model.nodes:
        members[agent.kind, agent.country].append(agent)
    nodes = [
        GroupNode(key, key[0], key[1], model.country_bloc[key[1]], len(agents), sum(_size(a) for a in agents),
                  *layout[key])
        for key, agents in sorted(members.items(), key=lambda item: (layout[item[0]][0], -layout[item[0]][1]))
    ]
    numbered = model.nodes

    def group(agent: SupplyChainAgent) -> tuple[str, str]:
        return agent.kind, agent.country

    flows: dict[tuple, float] = defaultdict(float)
    for source, target, kind, h100e in _rows(model.network.shipped_this_tick):
        flows[group(numbered[source]), group(numbered[target]), SHIPMENT_KINDS[kind]] += h100e
    rented = model.network.rented_this_tick
    for host, tenant, h100e in zip(rented.host.tolist(), rented.tenant.tolist(), rented.h100e.tolist(), strict=True):
        flows[group(numbered[host]), group(numbered[tenant]), EDGE_RENTED] += h100e
    # What was seized on the way shows as seized, not smuggled.
    for source, target, _kind, h100e in _rows(model.network.seized_this_tick):
        flows[group(numbered[source]), group(numbered[target]), EDGE_SMUGGLED] -= h100e
        flows[group(numbered[source]), group(numbered[target]), "seized"] += h100e
    return nodes, {key: value for key, value in flows.items() if value > 1e-9}


def _rows(shipments: Shipments) -> zip:
    """(source node, target node, kind code, H100e) of each shipment."""
    return zip(shipments.source.tolist(), shipments.target.tolist(), shipments.kind.tolist(),
               shipments.h100e.tolist(), strict=True)


def node_area(size: float, largest: float) -> float:
    """Marker area in points^2: square-root scaling, so a group ten times bigger does not swamp the view."""
    return 40 + 400 * (size / largest) ** 0.5 if largest > 0 else 40.0


def edge_width(h100e: float, biggest: float) -> float:
    return 0.5 + 7.0 * (h100e / biggest) ** 0.5


class NetworkFigure:
    """The supply network of one model: static parts drawn at construction, the month's flows on ``update``."""

    def __init__(self, model: ChipSupplyModel, width_px: int = 1100) -> None:
        nodes, _flows = aggregate(model)
        self.position = {node.key: (node.x, node.y) for node in nodes}
        countries = list(dict.fromkeys(node.country for node in nodes))
        height_px = ROW_PX * len(countries) + FRAME_PX
        self.figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        axis = self.axis = self.figure.add_subplot()
        # Edges first, under the nodes; their segments, widths and colours change every month.
        self.edges = LineCollection([], alpha=0.7, capstyle="round", zorder=1, animated=True)
        axis.add_collection(self.edges)
        self.node_keys: dict[str, list[tuple[str, str]]] = {}
        self.scatters = {}
        for kind in COLUMNS:
            group = [node for node in nodes if node.kind == kind]
            if not group:
                continue
            self.node_keys[kind] = [node.key for node in group]
            self.scatters[kind] = axis.scatter(
                [n.x for n in group], [n.y for n in group], marker=NODE_MARKERS[kind], s=40,
                c=[BLOC_COLOURS[n.bloc] for n in group], edgecolors="white", linewidths=0.8, zorder=2,
                animated=True,
            )
        names = {code: country.name for code, country in model.scenario.countries.items()}
        for country in countries:
            y = next(node.y for node in nodes if node.country == country)
            axis.text(-0.35, y, names.get(country, country), ha="right", va="center", fontsize=FONT_PX)
        axis.set_xticks(list(COLUMNS.values()), [KIND_LABELS[k] for k in COLUMNS], fontsize=FONT_PX + 1)
        axis.xaxis.set_ticks_position("top")
        axis.set_yticks([])
        axis.set_xlim(-0.5, 4.4)
        axis.set_ylim(-len(countries) + 0.4, 0.6)
        for side in ("bottom", "right", "left"):
            axis.spines[side].set_visible(False)
        legend = [Line2D([0], [0], color=FLOW_COLOURS[kind], linewidth=3, label=FLOW_LABELS[kind])
                  for kind in FLOW_COLOURS]
        legend += [Line2D([0], [0], marker="o", linestyle="", markersize=9, color=colour, label=BLOC_LABELS[bloc])
                   for bloc, colour in BLOC_COLOURS.items()]
        axis.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=FONT_PX, frameon=False,
                    title="edge: this month's flow\nnode colour: bloc", title_fontsize=FONT_PX,
                    alignment="left")
        self.size_key = None
        self.dynamic = [self.edges, *self.scatters.values()]
        # Fixed margins in pixels: the layout is computed once, not on every redraw.
        self.figure.subplots_adjust(left=LABEL_PX / width_px, right=1 - KEY_PX / width_px,
                                    top=1 - 40 / height_px, bottom=8 / height_px)
        self.update(model)

    def update(self, model: ChipSupplyModel, _series: object = None) -> bool:
        """Bring the dynamic layer to the model's month; the static layer never changes (returns False). The network
        reads the model itself; the time series the other figures share are not needed."""
        nodes, flows = aggregate(model)
        by_key = {node.key: node for node in nodes}
        largest_by_kind = {}
        for kind, keys in self.node_keys.items():
            sizes = [by_key[key].size for key in keys]
            largest = largest_by_kind[kind] = max(sizes)
            self.scatters[kind].set_sizes([node_area(size, largest) for size in sizes])
        self._draw_size_key(largest_by_kind)
        biggest = max(flows.values(), default=1.0)
        ordered = sorted(flows.items(), key=lambda item: item[1])  # the biggest flows drawn last, on top
        self.edges.set_segments([[self.position[source], self.position[target]]
                                 for (source, target, _kind), _h100e in ordered])
        self.edges.set_linewidths([edge_width(h100e, biggest) for _key, h100e in ordered])
        self.edges.set_colors([FLOW_COLOURS.get(kind, FALLBACK_COLOUR) for (_s, _t, kind), _h in ordered])
        self.biggest_flow_h100e = biggest if flows else 0.0
        return False

    def _draw_size_key(self, largest_by_kind: dict[str, float]) -> None:
        """A key below the colour legend: what a full-size node stands for this month, kind by kind (sizes are
        relative within a kind; area grows with the square root)."""
        if self.size_key is not None:
            self.size_key.remove()
        lines = ["largest node this month:"]
        for kind in COLUMNS:
            if kind in largest_by_kind:
                meaning, scale, unit = SIZE_MEANING[kind]
                lines.append(f"  {meaning}: {largest_by_kind[kind] / scale:,.3g}{unit}")
        self.size_key = self.axis.text(1.01, 0.0, "\n".join(lines), transform=self.axis.transAxes, ha="left",
                                       va="bottom", fontsize=FONT_PX, animated=True)
        self.dynamic = [self.edges, *self.scatters.values(), self.size_key]
