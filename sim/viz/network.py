"""The supply network as the page draws it: agents grouped by kind and country, in a layout that never moves.

At the baseline's size (about 220 agents and 600 trade relationships) single agents are unreadable, so the view
aggregates them: one node per (kind, country), sized by capacity or installed compute, and one edge per pair of
groups and kind of flow, sized by this month's flow in H100e. The layout is read from the trade network graph
(``model.network.graph``), layered by tier: columns are the tiers of the chain (each node's ``kind``: fabs, vendors,
intermediaries, data centers, with enforcement bodies apart) and rows are countries in bands by their export-control
``tier`` (the US and its allies at the top, the transit countries between, China at the bottom, so smuggled chips run
downwards). The graph is frozen when the model is built, so nothing moves from one step to the next or on RESET.
Only the trade network's agents are drawn: allied tool and memory makers trade no chips (their standing is in the
run's ``alliance`` table).

Rows are labelled with country names; a key gives what a node's size stands for in this month's units.

After RESET the previous run's flows of the same month, where they were visibly larger than this run's, are drawn as
hollow grey outlines under this run's edges, on one width scale. A route that shrank shows a gap inside its outline
and one that stopped (smugglers moving from one transit country to another after a lever change, say) is an empty
outline: where leakage went, which the time series cannot show. (How much leaks in total, against the previous run,
the leakage plots show.) Routes as large as before or larger are drawn as usual, without an outline.

The figure is drawn at the pixel size the page shows it, in two layers: the static one (axes, country labels,
legend) once per model, and the month's edges, outlines, node sizes and size key on top of it (``dynamic``, marked
animated so a full draw leaves them out); see ``live.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patheffects import Normal, Stroke
from matplotlib.transforms import blended_transform_factory

from sim.agents.base import SupplyChainAgent
from sim.model import ChipSupplyModel
from sim.style import BLOC_COLOURS, BLOC_LABELS, FALLBACK_COLOUR, FLOW_COLOURS, FLOW_LABELS, compact
from sim.trade import SHIPMENT_KINDS, Shipments
from sim.world import EDGE_RENTED, EDGE_SMUGGLED

COLUMNS = {"fab": 0, "vendor": 1, "intermediary": 2, "data_center": 3, "enforcement": 4}
KIND_LABELS = {"fab": "fabs", "vendor": "vendors", "intermediary": "intermediaries", "data_center": "data centers",
               "enforcement": "enforcement"}
NODE_MARKERS = {"fab": "s", "vendor": "D", "intermediary": "o", "data_center": "h", "enforcement": "^"}
EDGE_COLOURS = FLOW_COLOURS
DPI = 72  # one point is one pixel on screen
FONT_PX = 11
ROW_PX, TOP_PX, BOTTOM_PX = 30, 30, 8  # height of a country's row, of the tier labels above them, and below
LABEL_PX, KEY_PX = 150, 290  # room for the tiers and country names on the left and the key on the right
TIER_LABEL_PX, TIER_COLOUR, TIER_LINE_COLOUR = 4, "#666666", "#d0d0d0"  # the tier bands' names and dividing lines
# What a node's size stands for, per kind of agent, with the unit the size key uses (after a number as 57.6k).
SIZE_MEANING = {"data_center": ("data centers", "H100e installed"),
                "fab": ("fabs", "wafers a month"),
                "intermediary": ("intermediaries", "chips in stock"),
                "vendor": ("vendors", "chips in stock"),
                "enforcement": ("enforcement", "inspections a month")}
# The previous run's edges: a grey rim this wide on each side of a hollow line as wide as the flow's edge, drawn where
# that edge is at least OUTLINE_MIN_SHRINK_PX wider than this run's.
OUTLINE_COLOUR, OUTLINE_RIM_PX, OUTLINE_MIN_SHRINK_PX = "#8a8a8a", 1.0, 1.0

Flows = dict[tuple, float]  # (source group, target group, kind of flow) -> H100e in a month


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


def group_layout(graph: nx.DiGraph, country_order: Sequence[str]) -> dict[tuple[str, str], tuple[float, float]]:
    """Stable positions of the groups, read from the trade network graph's node attributes: layered by tier. Columns
    are the tiers of the chain (a node's ``kind``: fabs, vendors, intermediaries, data centers, enforcement); rows are
    countries in bands by their export-control ``tier`` (1, the US and its allies, at the top; 3, China, at the
    bottom; the transit countries of tier 2 between them), in ``country_order`` within a band. The graph is frozen
    when the model is built, so the layout never moves while a run steps, nor on RESET to the same scenario."""
    tier_of = {data["country"]: data["tier"] for _node, data in graph.nodes(data=True)}
    countries = sorted(tier_of, key=lambda code: (tier_of[code], country_order.index(code)))
    row = {code: index for index, code in enumerate(countries)}
    keys = {(data["kind"], data["country"]) for _node, data in graph.nodes(data=True)}
    return {key: (float(COLUMNS[key[0]]), -float(row[key[1]])) for key in keys}


def tier_bands(graph: nx.DiGraph, layout: dict[tuple[str, str], tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Each export-control tier's rows: (top y, bottom y) in the layout."""
    ys: dict[int, list[float]] = defaultdict(list)
    for _node, data in graph.nodes(data=True):
        ys[data["tier"]].append(layout[data["kind"], data["country"]][1])
    return {tier: (max(values), min(values)) for tier, values in sorted(ys.items())}


def model_layout(model: ChipSupplyModel) -> dict[tuple[str, str], tuple[float, float]]:
    return group_layout(model.network.graph, list(model.scenario.countries))


def _size(agent) -> float:
    if agent.kind == "data_center":
        return agent.installed_h100e
    if agent.kind == "fab":
        return sum(agent.wafers_per_month.values())
    if agent.kind == "enforcement":
        return float(agent.inspections_per_month)
    return float(sum(agent.inventory.values()))


def aggregate(model: ChipSupplyModel, layout: dict[tuple[str, str], tuple[float, float]] | None = None,
              ) -> tuple[list[GroupNode], Flows]:
    """Group nodes, and this month's flows between groups (see ``month_flows``); ``layout``: the model's, if known."""
    layout = layout or model_layout(model)
    members: dict[tuple[str, str], list] = defaultdict(list)
    for agent in model.nodes:
        members[agent.kind, agent.country].append(agent)
    nodes = [
        GroupNode(key, key[0], key[1], model.country_bloc[key[1]], len(agents), sum(_size(a) for a in agents),
                  *layout[key])
        for key, agents in sorted(members.items(), key=lambda item: (layout[item[0]][0], -layout[item[0]][1]))
    ]
    return nodes, month_flows(model)


def month_flows(model: ChipSupplyModel) -> Flows:
    """This month's flows between groups by kind (H100e); seized shipments count as 'seized'."""
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
    return {key: value for key, value in flows.items() if value > 1e-9}


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
    """The supply network of one model: static parts drawn at construction, the month's flows on ``update``; with
    ``reference`` (a previous run's flows by model month), that run's flows of the same month as outlines."""

    def __init__(self, model: ChipSupplyModel, width_px: int = 1100, reference: dict[int, Flows] | None = None) -> None:
        self.reference = reference or {}
        self.layout = model_layout(model)
        nodes, _flows = aggregate(model, self.layout)
        self.position = {node.key: (node.x, node.y) for node in nodes}
        countries = list(dict.fromkeys(node.country for node in nodes))
        height_px = ROW_PX * len(countries) + TOP_PX + BOTTOM_PX
        self.figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        axis = self.axis = self.figure.add_subplot()
        # Edges first, under the nodes; their segments, widths and colours change every month. The previous run's
        # outlines go under them: a grey line, hollowed by a white one narrower by the rim.
        self.outline = [LineCollection([], colors=colour, capstyle="butt", zorder=zorder, animated=True)
                        for colour, zorder in ((OUTLINE_COLOUR, 0.5), ("white", 0.6))]
        self.edges = LineCollection([], alpha=0.7, capstyle="round", zorder=1, animated=True)
        for collection in (*self.outline, self.edges):
            axis.add_collection(collection)
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
        # The rows' bands by export-control tier: named at the figure's left edge, a faint line between them.
        at_left_edge = blended_transform_factory(self.figure.transFigure, axis.transData)
        bands = tier_bands(model.network.graph, self.layout)
        for tier, (top, bottom) in bands.items():
            axis.text(TIER_LABEL_PX / width_px, (top + bottom) / 2, f"Tier {tier}", rotation=90, ha="left",
                      va="center", fontsize=FONT_PX - 1, color=TIER_COLOUR, transform=at_left_edge)
            if tier != max(bands):
                axis.axhline(bottom - 0.5, color=TIER_LINE_COLOUR, linewidth=0.8, zorder=0)
        axis.set_xticks(list(COLUMNS.values()), [KIND_LABELS[k] for k in COLUMNS], fontsize=FONT_PX + 1)
        axis.xaxis.set_ticks_position("top")
        axis.set_yticks([])
        axis.set_xlim(-0.5, 4.4)
        axis.set_ylim(-len(countries) + 0.4, 0.6)
        for side in ("bottom", "right", "left"):
            axis.spines[side].set_visible(False)
        legend = [Line2D([0], [0], color=FLOW_COLOURS[kind], linewidth=3, label=FLOW_LABELS[kind])
                  for kind in FLOW_COLOURS]
        if self.reference:  # a hollow line, as the outlines are drawn
            legend.append(Line2D([0], [0], color=OUTLINE_COLOUR, linewidth=3 + 2 * OUTLINE_RIM_PX,
                                 path_effects=[Normal(), Stroke(linewidth=3, foreground="white")],
                                 label="previous run, same month"))
        legend += [Line2D([0], [0], marker="o", linestyle="", markersize=9, color=colour, label=BLOC_LABELS[bloc])
                   for bloc, colour in BLOC_COLOURS.items()]
        axis.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=FONT_PX, frameon=False,
                    title="edge: this month's flow\nnode colour: bloc", title_fontsize=FONT_PX,
                    alignment="left")
        self.size_key = None
        # Fixed margins in pixels: the layout is computed once, not on every redraw.
        self.figure.subplots_adjust(left=LABEL_PX / width_px, right=1 - KEY_PX / width_px,
                                    top=1 - TOP_PX / height_px, bottom=BOTTOM_PX / height_px)
        self.update(model)

    def update(self, model: ChipSupplyModel, _series: object = None) -> bool:
        """Bring the dynamic layer to the model's month; the static layer never changes (returns False). The network
        reads the model itself; the time series the other figures share are not needed."""
        nodes, flows = aggregate(model, self.layout)
        by_key = {node.key: node for node in nodes}
        largest_by_kind = {}
        for kind, keys in self.node_keys.items():
            sizes = [by_key[key].size for key in keys]
            largest = largest_by_kind[kind] = max(sizes)
            self.scatters[kind].set_sizes([node_area(size, largest) for size in sizes])
        self._draw_size_key(largest_by_kind)
        # The previous run's flows between groups this run also has (another scenario may have other countries).
        previous = {key: h100e for key, h100e in self.reference.get(model.month, {}).items()
                    if key[0] in self.position and key[1] in self.position}
        # One scale for both runs, so an edge's width compares with its outline's.
        biggest = max([*flows.values(), *previous.values()], default=1.0)
        width_now = {key: edge_width(h100e, biggest) for key, h100e in flows.items()}
        ordered = sorted(flows.items(), key=lambda item: item[1])  # the biggest flows drawn last, on top
        self.edges.set_segments(self._segments(ordered))
        self.edges.set_linewidths([width_now[key] for key, _h100e in ordered])
        self.edges.set_colors([FLOW_COLOURS.get(kind, FALLBACK_COLOUR) for (_s, _t, kind), _h in ordered])
        # Outlined only where the previous run's edge would be visibly wider than this month's (or there is none now):
        # round every edge, an outline doubled each line and greyed its colour, and an edge as wide or wider covers
        # its outline anyway.
        width_before = {key: edge_width(h100e, biggest) for key, h100e in previous.items()}
        shrunk = {key: width for key, width in width_before.items()
                  if width - width_now.get(key, 0.0) >= OUTLINE_MIN_SHRINK_PX}
        rim, hollow = self.outline
        for collection in self.outline:
            collection.set_segments(self._segments(shrunk.items()))
        rim.set_linewidths([width + 2 * OUTLINE_RIM_PX for width in shrunk.values()])
        hollow.set_linewidths(list(shrunk.values()))
        self.biggest_flow_h100e = biggest if flows else 0.0
        return False

    def _segments(self, flows) -> list:
        return [[self.position[source], self.position[target]] for (source, target, _kind), _h100e in flows]

    def _draw_size_key(self, largest_by_kind: dict[str, float]) -> None:
        """A key below the colour legend: what a full-size node stands for this month, kind by kind (sizes are
        relative within a kind; area grows with the square root)."""
        if self.size_key is not None:
            self.size_key.remove()
        lines = ["largest node this month:"]
        for kind in COLUMNS:
            if kind in largest_by_kind:
                meaning, unit = SIZE_MEANING[kind]
                lines.append(f"  {meaning}: {compact(largest_by_kind[kind])} {unit}")
        self.size_key = self.axis.text(1.01, 0.0, "\n".join(lines), transform=self.axis.transAxes, ha="left",
                                       va="bottom", fontsize=FONT_PX, animated=True)
        self.dynamic = [*self.outline, self.edges, *self.scatters.values(), self.size_key]
