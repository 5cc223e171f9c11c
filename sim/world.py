"""Building the world from a scenario: the full agent population and the trade network (pure, no Mesa).

Agents given one by one are taken as they are; population specs are expanded into individual agents (built
with ``model_construct``: their values were validated as part of the population) with
seeded random sizes and supplier choices. Each population draws from its own named stream
(``population.<id>``), so adding a population leaves the members of the others unchanged. Everything here is
linear in the number of agents and edges.

The trade network is a ``networkx.DiGraph``: a node per agent (``kind``, ``country``, ``bloc``, ``tier``, ``size``,
measured as ``SIZE_UNIT`` says for its kind), an edge per trading relationship (``kind``, ``lead_time_months``). The
model compiles the arrays its hot paths use from this graph once (``sim.trade.TradeNetwork``) and keeps it for
analysts (``model.network.graph``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import networkx as nx
import numpy as np

from sim.catalog import ChipIndex, ChipModel
from sim.columns import ColumnTable
from sim.rng import RandomStreams
from sim.scenario.populations import DataCenterPopulation, IntermediaryPopulation
from sim.scenario.schema import DataCenter, Intermediary, Scenario


@dataclass(frozen=True)
class InitialChips(ColumnTable):
    """Chips installed before the start, a row per (data center, chip, install age), centers in world order.

    Columns, not an object per cohort: a population of data centers spreads its stock over every install age, and a
    100k-agent world starts with millions of such rows."""

    center: np.ndarray  # place in World.data_centers
    chip: np.ndarray  # place in World.initial_chip_ids
    count: np.ndarray
    age_months: np.ndarray


EDGE_PRODUCTION = "production"
EDGE_LEGAL = "legal"
EDGE_LICENSED = "licensed"  # a shipment kind: a sale under a licence or allowance over a legal relationship
EDGE_SMUGGLED = "smuggled"
EDGE_RENTED = "rented"  # host data center -> foreign tenant: compute, not chips, flows


class EdgeSpec(NamedTuple):
    """A trade relationship: ``source`` sells to (or produces for) ``target``. (A named tuple: a large world has
    hundreds of thousands.)"""

    source: str
    target: str
    kind: str
    lead_time_months: int


def relationship_graph(edges: list[EdgeSpec], nodes: Iterable = ()) -> nx.DiGraph:
    """A trade network of these relationships: ``nodes`` first (ids, or (id, attributes) pairs, in that order), then
    each edge as given. A relationship given twice keeps its first place (the graph keeps each node's suppliers and
    customers in the order first given, which decides who a buyer asks first) and takes the kind and lead time given
    last. An edge that names a node not among ``nodes`` is a KeyError naming it.

    The graph comes frozen (``nx.freeze``): the trade network does not change during a run. Its edges' attributes
    are read-only mappings, one shared by all edges of the same kind and lead time: a 100k-agent world has 400k
    edges, and a dict of its own for each would cost ~180 bytes an edge, as much as the rest of the model holds per
    agent. An analysis that adds attributes works on ``graph.copy()``, where every edge has a dict of its own.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    unknown = {node for edge in edges for node in (edge.source, edge.target)} - graph.nodes.keys()
    if unknown:
        raise KeyError(f"edges name nodes that are not agents: {sorted(unknown)[:5]}")
    latest = {(edge.source, edge.target): (edge.kind, edge.lead_time_months) for edge in edges}
    shared: dict[tuple[str, int], MappingProxyType] = {}
    for source, target in latest:  # in the order first given (a dict keeps it): who a buyer asks first
        graph.add_edge(source, target)
    # Written into networkx's adjacency directly: add_edge would give every edge a new dict.
    for (source, target), (kind, lead) in latest.items():
        attributes = shared.get((kind, lead))
        if attributes is None:
            attributes = shared[kind, lead] = MappingProxyType({"kind": kind, "lead_time_months": lead})
        graph._succ[source][target] = graph._pred[target][source] = attributes
    return nx.freeze(graph)


# What a node's ``size`` measures, by kind of agent (the graph carries it as ``size_unit_<kind>``).
SIZE_UNIT = {"fab": "packaging_wafers_per_month", "vendor": "product_lines",
             "intermediary": "diversion_capacity_chips_per_month", "data_center": "budget_usd_per_month",
             "enforcement": "budget_usd_per_year"}


def _agent_nodes(scenario: Scenario, intermediaries: list[Intermediary],
                 data_centers: list[DataCenter]) -> list[tuple[str, dict]]:
    """A node per agent, in the model's order (fabs, vendors, intermediaries, enforcement bodies, data centers)."""
    countries = scenario.countries
    kinds_and_sizes = [
        *(("fab", fab, fab.packaging_wafers_per_month) for fab in scenario.fabs),
        *(("vendor", vendor, float(len(vendor.product_lines))) for vendor in scenario.vendors),
        *(("intermediary", item, float(item.diversion_capacity_chips_per_month)) for item in intermediaries),
        *(("enforcement", body, body.budget_usd_per_year) for body in scenario.enforcement),
        *(("data_center", center, center.budget_usd_per_month) for center in data_centers),
    ]
    return [
        (spec.id, {"kind": kind, "country": spec.country, "bloc": countries[spec.country].bloc,
                   "tier": countries[spec.country].tier, "size": float(size)})
        for kind, spec, size in kinds_and_sizes]


@dataclass
class World:
    intermediaries: list[Intermediary]
    data_centers: list[DataCenter]
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)  # agents and trading relationships (see the docstring)
    initial_chips: InitialChips = field(default_factory=InitialChips.empty)  # data centers' chips at the start
    initial_chip_ids: list[str] = field(default_factory=list)  # the chip of each InitialChips.chip number


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number ``total`` into integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    whole = np.floor(exact).astype(np.int64)
    short = int(total - whole.sum())
    if short > 0:
        # Stable sort so that ties go to the earlier item: deterministic whatever the platform.
        order = np.argsort(-(exact - whole), kind="stable")
        whole[order[:short]] += 1
    return whole


def member_ids(prefix: str, count: int) -> list[str]:
    width = len(str(count))
    return [f"{prefix}_{index:0{width}d}" for index in range(1, count + 1)]


def expand_intermediaries(pop: IntermediaryPopulation, streams: RandomStreams) -> list[Intermediary]:
    """Members with drawn markups; a drawn share of them will divert (their routes are drawn later)."""
    rng = streams[f"population.{pop.id}"]
    markups = rng.uniform(pop.markup_fraction_low, pop.markup_fraction_high, size=pop.count)
    diverts = rng.random(pop.count) < pop.diverting_share
    risk_aversion = rng.lognormal(0.0, pop.risk_aversion_sigma, size=pop.count)
    return [
        Intermediary.model_construct(
            id=member_id,
            country=pop.country,
            vendors=list(pop.vendors),
            markup_fraction=float(markup),
            diversion_capacity_chips_per_month=pop.diversion_capacity_chips_per_month if diverter else 0,
            risk_aversion=float(aversion),
            smuggling_routes=[],
            shell_reentry_months=pop.shell_reentry_months,
            source=pop.source,
        )
        for member_id, markup, diverter, aversion in zip(
            member_ids(pop.id, pop.count), markups, diverts, risk_aversion, strict=True
        )
    ]


def draw_smuggling_routes(
    pop: IntermediaryPopulation,
    members: list[Intermediary],
    destinations: list[str],
    streams: RandomStreams,
) -> list[Intermediary]:
    """Give each diverting member ``routes_per_diverter`` destination data centers, drawn without replacement."""
    rng = streams[f"population.{pop.id}.routes"]
    per_member = min(pop.routes_per_diverter, len(destinations))
    routed = []
    for member in members:
        if member.diversion_capacity_chips_per_month and per_member:
            chosen = sorted(rng.choice(len(destinations), size=per_member, replace=False))
            member = member.model_copy(update={"smuggling_routes": [destinations[i] for i in chosen]})
        routed.append(member)
    return routed


class _InitialChipsBuilder:
    """Collects data centers' starting chips as columns, numbering chip ids as first met."""

    def __init__(self, catalog: dict[str, ChipModel]) -> None:
        self.parts: list[InitialChips] = []
        self.chips = ChipIndex(catalog)

    def add_listed(self, center: int, center_spec: DataCenter) -> None:
        """A data center given one by one: its cohorts as the scenario lists them."""
        cohorts = center_spec.initial_installed
        if cohorts:
            self.parts.append(InitialChips(
                center=np.full(len(cohorts), center, dtype=np.int64),
                chip=self.chips.numbers([cohort.chip for cohort in cohorts]),
                count=np.array([cohort.count for cohort in cohorts], dtype=np.int64),
                age_months=np.array([cohort.age_months for cohort in cohorts], dtype=np.int64),
            ))

    def add_spread(self, first_center: int, pop: DataCenterPopulation, counts_by_member: list[np.ndarray]) -> None:
        """A population's members' chips, ``counts_by_member[m]`` holding member m's counts stock by stock and age
        by age (``max_age_months + 1`` ages per stock), as ``spread_over_ages`` drew them."""
        ages = [stock.max_age_months + 1 for stock in pop.initial_stock]
        if not counts_by_member or not ages:
            return
        count = np.concatenate(counts_by_member)
        per_member = sum(ages)
        age = np.tile(np.concatenate([np.arange(n) for n in ages]), len(counts_by_member))
        chip = np.tile(np.repeat(self.chips.numbers([stock.chip for stock in pop.initial_stock]), ages),
                       len(counts_by_member))
        center = first_center + np.repeat(np.arange(len(counts_by_member)), per_member)
        kept = count > 0
        self.parts.append(InitialChips(center=center[kept], chip=chip[kept], count=count[kept].astype(np.int64),
                                       age_months=age[kept]))

    def table(self) -> InitialChips:
        return InitialChips.concatenate(self.parts)


def spread_over_ages(chips: int, ages: int, rng: np.random.Generator) -> np.ndarray:
    """A data center's starting chips of one kind spread evenly over install ages 0..ages-1 (a steady build-out):
    the count at each age."""
    if not chips:
        return np.zeros(ages, dtype=np.int64)
    return rng.multinomial(chips, _even_shares(ages))


@functools.lru_cache(maxsize=64)
def _even_shares(ages: int) -> np.ndarray:
    return np.full(ages, 1.0 / ages)


def expand_data_centers(
    pop: DataCenterPopulation,
    streams: RandomStreams,
    catalog: dict[str, ChipModel],
    intermediaries_by_country: dict[str, list[str]],
) -> tuple[list[DataCenter], list[np.ndarray]]:
    """The population's members, and each member's starting chips (see ``_InitialChipsBuilder.add_spread``)."""
    rng = streams[f"population.{pop.id}"]
    sizes = rng.lognormal(mean=0.0, sigma=pop.size_distribution.sigma, size=pop.count)
    shares = sizes / sizes.sum()
    local = intermediaries_by_country.get(pop.country, [])
    per_buyer = min(pop.intermediaries_per_buyer, len(local))
    stock_chips = [
        largest_remainder(int(round(stock.h100e_total / catalog[stock.chip].h100e)), shares).tolist()
        for stock in pop.initial_stock
    ]
    members = []
    initial_counts = []
    for index, member_id in enumerate(member_ids(pop.id, pop.count)):
        # The draws, member by member: suppliers, then each stock's spread over ages.
        chosen = sorted(rng.choice(len(local), size=per_buyer, replace=False)) if per_buyer else []
        if pop.initial_stock:
            initial_counts.append(np.concatenate([
                spread_over_ages(chips[index], stock.max_age_months + 1, rng)
                for stock, chips in zip(pop.initial_stock, stock_chips, strict=True)
            ]))
        members.append(
            DataCenter.model_construct(
                id=member_id,
                country=pop.country,
                owner_bloc=pop.owner_bloc,
                budget_usd_per_month=float(pop.total_budget_usd_per_month * shares[index]),
                budget_growth_factor_per_year=pop.budget_growth_factor_per_year,
                budget_growth_until=pop.budget_growth_until,
                suppliers=list(pop.vendors) + [local[i] for i in chosen],
                home_vendor_preference=pop.home_vendor_preference,
                initial_installed=[],  # in World.initial_chips
                max_foreign_rental_share=pop.max_foreign_rental_share,
                offshore_rental_share=pop.offshore_rental_share,
                rental_routes=[],
                source=pop.source,
            )
        )
    return members, initial_counts


def draw_rental_routes(
    scenario: Scenario, data_centers: list[DataCenter], members_of: dict[str, list[str]], streams: RandomStreams
) -> list[DataCenter]:
    """Give each member of a renting population ``rental_routes_per_tenant`` hosts, drawn without replacement."""
    by_id = {center.id: index for index, center in enumerate(data_centers)}
    routed = list(data_centers)
    for pop in scenario.populations.data_centers:
        if not pop.rents_from or not pop.rental_routes_per_tenant:
            continue
        rng = streams[f"population.{pop.id}.rental"]
        hosts = [dc_id for target in pop.rents_from for dc_id in members_of[target]]
        per_tenant = min(pop.rental_routes_per_tenant, len(hosts))
        for tenant in members_of[pop.id]:
            chosen = sorted(rng.choice(len(hosts), size=per_tenant, replace=False))
            index = by_id[tenant]
            routed[index] = routed[index].model_copy(update={"rental_routes": [hosts[i] for i in chosen]})
    return routed


def build_world(scenario: Scenario, streams: RandomStreams, catalog: dict[str, ChipModel]) -> World:
    intermediaries = list(scenario.intermediaries)
    expanded: dict[str, list[Intermediary]] = {}
    for pop in scenario.populations.intermediaries:
        expanded[pop.id] = expand_intermediaries(pop, streams)
    by_country: dict[str, list[str]] = {}
    for item in intermediaries + [member for members in expanded.values() for member in members]:
        by_country.setdefault(item.country, []).append(item.id)

    data_centers = list(scenario.data_centers)
    initial = _InitialChipsBuilder(catalog)
    for position, center in enumerate(data_centers):
        initial.add_listed(position, center)
    members_of: dict[str, list[str]] = {center.id: [center.id] for center in scenario.data_centers}
    for pop in scenario.populations.data_centers:
        members, initial_counts = expand_data_centers(pop, streams, catalog, by_country)
        initial.add_spread(len(data_centers), pop, initial_counts)
        members_of[pop.id] = [member.id for member in members]
        data_centers.extend(members)

    destinations_of: dict[tuple[str, ...], list[str]] = {}  # many populations smuggle to the same targets
    for pop in scenario.populations.intermediaries:
        targets = tuple(pop.smuggles_to)
        if targets not in destinations_of:
            destinations_of[targets] = [dc_id for target in targets for dc_id in members_of[target]]
        intermediaries.extend(draw_smuggling_routes(pop, expanded[pop.id], destinations_of[targets], streams))
    data_centers = draw_rental_routes(scenario, data_centers, members_of, streams)

    production_lead = int(scenario.parameters.production_lead_time_months.value)
    shipping_lead = int(scenario.parameters.shipping_lead_time_months.value)
    edges: list[EdgeSpec] = []
    seen: set[tuple[str, str]] = set()
    for vendor in scenario.vendors:
        for line in vendor.product_lines:
            if (line.fab, vendor.id) not in seen:
                seen.add((line.fab, vendor.id))
                edges.append(EdgeSpec(line.fab, vendor.id, EDGE_PRODUCTION, production_lead))
    for item in intermediaries:
        for vendor_id in item.vendors:
            edges.append(EdgeSpec(vendor_id, item.id, EDGE_LEGAL, shipping_lead))
    legal_pairs = set()
    for center in data_centers:
        for supplier in dict.fromkeys(center.suppliers):
            edges.append(EdgeSpec(supplier, center.id, EDGE_LEGAL, shipping_lead))
            legal_pairs.add((supplier, center.id))
    for center in data_centers:
        for host in center.rental_routes:
            edges.append(EdgeSpec(host, center.id, EDGE_RENTED, 0))
    for item in intermediaries:
        for destination in item.smuggling_routes:
            # A buyer that also buys from this intermediary legally is not a smuggling route.
            if (item.id, destination) not in legal_pairs:
                edges.append(EdgeSpec(item.id, destination, EDGE_SMUGGLED, shipping_lead))
    graph = relationship_graph(edges, _agent_nodes(scenario, intermediaries, data_centers))
    # Graph attributes are plain values (GraphML keeps nothing else): what ``size`` measures, kind by kind.
    graph.graph.update(name=scenario.name, **{f"size_unit_{kind}": unit for kind, unit in SIZE_UNIT.items()},
                       **{f"country_name_{code}": country.name for code, country in scenario.countries.items()})
    return World(intermediaries=intermediaries, data_centers=data_centers, graph=graph,
                 initial_chips=initial.table(), initial_chip_ids=initial.chips.ids)
