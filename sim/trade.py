"""The trade network: who can sell to whom, what is in transit, and what flowed this tick.

The world builder makes the network as a ``networkx.DiGraph`` (``sim.world``): nodes are agent ids, edges carry their
``kind`` (production, legal, smuggled, rented) and a lead time. A shipment leaves on an edge and arrives
``lead_time_months`` later (at least one month, so a chip sold this tick is never also installed this tick). The
network does not change during a run; ``TradeNetwork`` compiles what the hot paths ask (who supplies whom, each edge's
kind and lead time) from the graph once, into arrays sorted by node numbers (a node's number is its place in the
graph's node order), and keeps the graph as ``graph``: a 100k-agent world has 400k edges, and a month's trade looks
them up a hundred thousand times.

Shipments are kept as columns (``Shipments``), not an object each: large worlds ship a hundred thousand consignments
a month, and delivering, inspecting and accounting for them are array operations over the columns. In the columns an
agent is its node number (its place in the node list the network was built with) and a chip its number in the
model's ``ChipIndex``. A month's shipments are filed by arrival month when the next month begins, after enforcement
has had its chance to seize some of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import ClassVar

import networkx as nx
import numpy as np

from sim.catalog import ChipIndex
from sim.columns import ColumnTable, rows_by_value
from sim.edge_flows import FLOW_NAMES, EdgeFlows
from sim.scenario.fields import BLOC_CODE
from sim.world import EDGE_LEGAL, EDGE_LICENSED, EDGE_PRODUCTION, EDGE_RENTED, EDGE_SMUGGLED

# Every kind a shipment may carry, numbered in this order in the columns' ``kind``.
SHIPMENT_KINDS = (EDGE_PRODUCTION, EDGE_LEGAL, EDGE_LICENSED, EDGE_SMUGGLED, EDGE_RENTED)
KIND_CODE = {kind: code for code, kind in enumerate(SHIPMENT_KINDS)}
SMUGGLED_CODE = KIND_CODE[EDGE_SMUGGLED]
LICENSED_CODE = KIND_CODE[EDGE_LICENSED]
NOT_FILED = -1  # in place of a seized shipment's arrival month (months are counted from year 0, never negative)


@dataclass(frozen=True)
class Shipments(ColumnTable):
    """Consignments of chips on their way, one row each."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ("h100e", "value_usd")

    source: np.ndarray  # node number of the sender
    target: np.ndarray  # node number of the receiver
    chip: np.ndarray  # chip number
    count: np.ndarray  # chips
    kind: np.ndarray  # code in SHIPMENT_KINDS
    sent_month: np.ndarray
    arrival_month: np.ndarray
    h100e: np.ndarray  # H100e of the whole consignment
    value_usd: np.ndarray  # what the buyer paid for it


@dataclass(frozen=True)
class Rentals(ColumnTable):
    """Compute rented over ``rented`` edges in a month, one row per (host, tenant); no chip moves."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ("h100e", "value_usd")

    host: np.ndarray  # node number of the data center renting its compute out
    tenant: np.ndarray  # node number of the data center renting it in
    h100e: np.ndarray  # H100e-months rented
    value_usd: np.ndarray  # what the tenant paid


class TradeNetwork:
    """``countries``: the scenario's country codes, in the order array code numbers them (``country_code``)."""

    def __init__(self, graph: nx.DiGraph, chips: ChipIndex, countries: Iterable[str]) -> None:
        self.graph = graph
        self.chips = chips
        self.node_ids = list(graph.nodes)
        self.node_number = {node_id: number for number, node_id in enumerate(self.node_ids)}
        self._number_agents(countries)
        # Per edge, what a shipment needs (kind code, lead time), as arrays sorted by (source, target) node number
        # (an edge's place there is its number).
        nodes = len(self.node_ids)
        number = self.node_number
        source, target, kind, lead = [], [], [], []
        for edge_source, targets in graph.succ.items():
            for edge_target, data in targets.items():
                source.append(number[edge_source])
                target.append(number[edge_target])
                kind.append(KIND_CODE[data["kind"]])
                lead.append(max(1, data["lead_time_months"]))
        given_key = self._edge_key(np.array(source, dtype=np.int64), np.array(target, dtype=np.int64))
        order = np.argsort(given_key, kind="stable")
        self._edge_keys = given_key[order]
        self._edge_kind = np.array(kind, dtype=np.int64)[order]
        self._edge_lead = np.array(lead, dtype=np.int64)[order]
        self._edge_source, self._edge_target = self._edge_keys // nodes, self._edge_keys % nodes
        # Who supplies whom, each node's edges in the order they were first given (the graph keeps each node's
        # successors and predecessors in that order): edge numbers grouped by source (for customers) and by target
        # (for suppliers).
        self._by_source = np.argsort(order, kind="stable")  # edges came grouped by source in node order
        self._source_start = np.searchsorted(self._edge_source[self._by_source], np.arange(nodes + 1))
        by_target_keys = [self._edge_key(number[edge_source], number[edge_target])
                          for edge_target, sources in graph.pred.items() for edge_source in sources]
        self._by_target = np.searchsorted(self._edge_keys, np.array(by_target_keys, dtype=np.int64))
        self._target_start = np.searchsorted(self._edge_target[self._by_target], np.arange(nodes + 1))
        self._arrivals: dict[int, list[Shipments]] = defaultdict(list)
        self._in_transit_by_chip = np.zeros(0, dtype=np.int64)
        # This month's movements: shipments (batches, in the order sent), compute rented (host, tenant, H100e, USD),
        # and the rows of this month's shipments that were seized.
        self._batches: list[Shipments] = []
        self._batch_edges: list[np.ndarray] = []  # each batch's edge numbers, row for row
        # What moved over each edge (by number) in the months filed so far: chips and H100e shipped (seized ones
        # included: they left), the part of them shipped under licence, and H100e-months of compute rented.
        edges = len(self._edge_keys)
        self._chips_total = np.zeros(edges, dtype=np.int64)
        self._h100e_total = np.zeros(edges)
        self._licensed_chips_total = np.zeros(edges, dtype=np.int64)
        self._licensed_h100e_total = np.zeros(edges)
        self._rented_h100e_months_total = np.zeros(edges)
        self._shipped: Shipments | None = None
        self._seized_rows = np.zeros(0, dtype=np.int64)
        self.rented_this_tick = Rentals.empty()

    def _number_agents(self, countries: Iterable[str]) -> None:
        """What array code needs of each node, by node number, read from the graph's node attributes: its country
        (``country_code``), its bloc (``BLOC_CODE``) and, for fabs, vendors, intermediaries and data centers, its place
        among the agents of its kind, else -1 (``node_vendor``, ...); and each kind's node numbers by place
        (``vendor_node``, ...). The world builder lists each kind's agents in the model's order, so a place here is
        the agent's ``index`` in the model's list of its kind."""
        self.country_code = {country: code for code, country in enumerate(countries)}
        attributes = [self.graph.nodes[node_id] for node_id in self.node_ids]
        self.node_country = np.array([self.country_code[node["country"]] for node in attributes], dtype=np.int64)
        self.node_bloc_code = np.array([BLOC_CODE[node["bloc"]] for node in attributes], dtype=np.int64)
        kind = np.array([node["kind"] for node in attributes], dtype=object)
        self.fab_node, self.vendor_node, self.intermediary_node, self.center_node = (
            np.flatnonzero(kind == name) for name in ("fab", "vendor", "intermediary", "data_center"))
        self.node_vendor, self.node_intermediary, self.node_center = (
            self._place_in_kind(node) for node in (self.vendor_node, self.intermediary_node, self.center_node))

    def _place_in_kind(self, kind_node: np.ndarray) -> np.ndarray:
        """By node number: the place among its kind's nodes (``kind_node``, node numbers by place), or -1."""
        place = np.full(len(self.node_ids), -1, dtype=np.int64)
        place[kind_node] = np.arange(len(kind_node))
        return place

    @property
    def edge_count(self) -> int:
        return len(self._edge_keys)

    def edge_kind(self, source: str, target: str) -> str:
        """The kind of the edge ``source`` -> ``target`` (KeyError if there is none)."""
        return SHIPMENT_KINDS[self._edge_kind[self._edge_number(source, target)]]

    def edge_lead_time_months(self, source: str, target: str) -> int:
        return int(self._edge_lead[self._edge_number(source, target)])

    def suppliers_of(self, node: str, kinds: Collection[str] | None = None) -> list[str]:
        """Who has an edge to ``node`` (of one of ``kinds``; any by default), in the order the edges were given."""
        return self._neighbours(node, kinds, self._by_target, self._target_start, self._edge_source)

    def customers_of(self, node: str, kinds: Collection[str] | None = None) -> list[str]:
        """Whom ``node`` has an edge to (of one of ``kinds``; any by default), in the order the edges were given."""
        return self._neighbours(node, kinds, self._by_source, self._source_start, self._edge_target)

    def _neighbours(self, node: str, kinds: Collection[str] | None, grouped: np.ndarray, start: np.ndarray,
                    other_end: np.ndarray) -> list[str]:
        number = self.node_number.get(node)
        if number is None:
            return []
        edges = grouped[start[number]:start[number + 1]]  # a handful: plain Python from here is quickest
        others = other_end[edges].tolist()
        if kinds is None:
            return [self.node_ids[other] for other in others]
        codes = {KIND_CODE[kind] for kind in kinds}
        return [self.node_ids[other] for other, code in zip(others, self._edge_kind[edges].tolist(), strict=True)
                if code in codes]

    def _edge_number(self, source: str, target: str) -> int:
        """The number of the edge ``source`` -> ``target`` (KeyError naming both if there is none)."""
        number = self.node_number
        edge, found = self._find_edges(np.array([number.get(source, -1)]), np.array([number.get(target, -1)]))
        if not found[0]:
            raise KeyError(f"no edge {source}->{target}")
        return int(edge[0])

    def _edge_key(self, source, target):
        return source * len(self.node_ids) + target

    # --- this month -------------------------------------------------------------------------------------------
    def begin_tick(self) -> None:
        self._file_last_month()
        self.rented_this_tick = Rentals.empty()

    def record_rentals(self, rentals: Rentals) -> None:
        """Record compute rented this month (hosts and tenants by node number); KeyError naming the first pair with
        no edge, and then nothing of ``rentals`` is recorded."""
        self.edge_numbers(rentals.host, rentals.tenant, "rented edge")
        self.rented_this_tick = Rentals.concatenate([self.rented_this_tick, rentals])

    def edge_numbers(self, source: np.ndarray, target: np.ndarray, what: str = "edge") -> np.ndarray:
        """The number of each (source node, target node) pair's edge; KeyError naming the first pair with none."""
        source, target = np.asarray(source, dtype=np.int64), np.asarray(target, dtype=np.int64)
        edge, found = self._find_edges(source, target)
        if not found.all():
            missing = int(np.flatnonzero(~found)[0])
            raise KeyError(f"no {what} {self._node_name(source[missing])}->{self._node_name(target[missing])}")
        return edge

    def _node_name(self, number: int) -> str:
        number = int(number)
        return self.node_ids[number] if 0 <= number < len(self.node_ids) else f"(node {number}: not in the network)"

    def _find_edges(self, source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each (source, target) node-number pair's edge number, and whether it has one (-1 is no node)."""
        keys = self._edge_key(source, target)
        edge = np.searchsorted(self._edge_keys, keys)
        found = (edge < len(self._edge_keys)) & (source >= 0) & (target >= 0)
        found[found] = self._edge_keys[edge[found]] == keys[found]
        return edge, found

    def kind_codes(self, edge: np.ndarray) -> np.ndarray:
        """Each numbered edge's kind, as a code in SHIPMENT_KINDS."""
        return self._edge_kind[edge]

    def ship(self, source: np.ndarray, target: np.ndarray, chip: np.ndarray, count: np.ndarray, month: int,
             h100e: np.ndarray, value_usd: np.ndarray, kind: np.ndarray | None = None,
             edge: np.ndarray | None = None) -> None:
        """Send shipments, one per row (node numbers, chip numbers, whole-consignment H100e and value); they arrive
        after their edge's lead time. Rows with no chips are dropped. ``kind`` (codes, -1 for the edge's own)
        overrides the edge's kind row by row (a licensed sale over a legal trade relationship). ``edge``: each
        row's edge number, when the caller has it (orders carry theirs), else it is looked up."""
        sent = count > 0
        if not sent.all():
            source, target, chip, count, h100e, value_usd = (
                column[sent] for column in (source, target, chip, count, h100e, value_usd))
            kind = None if kind is None else kind[sent]
            edge = None if edge is None else edge[sent]
        if len(count) == 0:
            return
        if edge is None:
            edge = self.edge_numbers(source, target)
        edge_kind = self._edge_kind[edge]
        if kind is not None:
            edge_kind = np.where(kind >= 0, kind, edge_kind)
        self._shipped = None
        self._batch_edges.append(edge)
        self._batches.append(Shipments(
            source, target, chip, count, edge_kind, np.full(len(count), month, dtype=np.int64),
            month + self._edge_lead[edge], h100e, value_usd))

    @property
    def shipped_this_tick(self) -> Shipments:
        """This month's shipments, in the order they were sent (seized ones included)."""
        if self._shipped is None:
            self._shipped = Shipments.concatenate(self._batches)
            self._batches = [self._shipped] if len(self._shipped) else []
            self._batch_edges = [np.concatenate(self._batch_edges)] if self._batch_edges else []
        return self._shipped

    @property
    def seized_this_tick(self) -> Shipments:
        return self.shipped_this_tick.take(self._seized_rows)

    def seize(self, rows: np.ndarray) -> None:
        """Take this month's shipments at ``rows`` (of ``shipped_this_tick``) out of transit: they will not arrive."""
        self._seized_rows = np.union1d(self._seized_rows, np.asarray(rows, dtype=np.int64))

    def unseized_this_tick(self) -> Shipments:
        """This month's shipments less those seized: what is on its way to arrive."""
        shipped = self.shipped_this_tick
        if not len(self._seized_rows):
            return shipped
        kept = np.ones(len(shipped), dtype=bool)
        kept[self._seized_rows] = False
        return shipped.take(kept)

    def _file_last_month(self) -> None:
        """File the month's shipments, less those seized, under their arrival months."""
        shipped = self.shipped_this_tick
        arrival_month = shipped.arrival_month
        if len(self._seized_rows):  # seized ones are filed under no month (cheaper than taking the other rows)
            arrival_month = arrival_month.copy()
            arrival_month[self._seized_rows] = NOT_FILED
        self._size_in_transit()
        np.add.at(self._in_transit_by_chip, shipped.chip, self._unseized_counts())
        for month, rows in rows_by_value(arrival_month):
            if month != NOT_FILED:
                self._arrivals[month].append(shipped.take(rows).narrowed())  # filed a month or more: kept narrow
        for total, this_month in zip(self._flow_totals(), self._flows_this_tick(), strict=True):
            total += this_month
        self._batches, self._batch_edges, self._shipped = [], [], None
        self._seized_rows = np.zeros(0, dtype=np.int64)

    # --- flows over the edges ----------------------------------------------------------------------------------
    def _flow_totals(self) -> tuple[np.ndarray, ...]:
        return (self._chips_total, self._h100e_total, self._licensed_chips_total, self._licensed_h100e_total,
                self._rented_h100e_months_total)

    def _flows_this_tick(self) -> tuple[np.ndarray, ...]:
        """This month's flows by edge number, in the order of ``_flow_totals``."""
        shipped, edges = self.shipped_this_tick, len(self._edge_keys)
        edge = self._batch_edges[0] if self._batch_edges else np.zeros(0, dtype=np.int64)
        licensed = shipped.kind == LICENSED_CODE
        rentals = self.rented_this_tick
        rented_edge = self.edge_numbers(rentals.host, rentals.tenant)

        def by_edge(rows_edge: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.bincount(rows_edge, weights=values, minlength=edges)

        # A month's chips on one edge stay far below 2^53: the float sums are exact whole numbers.
        return (by_edge(edge, shipped.count).astype(np.int64), by_edge(edge, shipped.h100e),
                by_edge(edge[licensed], shipped.count[licensed]).astype(np.int64),
                by_edge(edge[licensed], shipped.h100e[licensed]), by_edge(rented_edge, rentals.h100e))

    def edge_flows(self) -> EdgeFlows:
        """What has moved over each edge since the start, this month included, and this month alone."""
        this_month = self._flows_this_tick()
        return EdgeFlows(self.graph, self.node_ids, self._edge_source, self._edge_target,
                         {f"{name}_total": total + month
                          for name, total, month in zip(FLOW_NAMES, self._flow_totals(), this_month, strict=True)}
                         | {f"{name}_this_month": month for name, month in zip(FLOW_NAMES, this_month, strict=True)})

    # --- in transit -------------------------------------------------------------------------------------------
    def _count_in_transit(self, shipments: Shipments, sign: int) -> None:
        """Add (or take out) filed shipments to the chips in transit by chip number."""
        self._size_in_transit()
        np.add.at(self._in_transit_by_chip, shipments.chip, sign * shipments.count)

    def _size_in_transit(self) -> None:
        """One count per chip numbered so far (variants are numbered during the run)."""
        if len(self._in_transit_by_chip) < len(self.chips):
            grown = np.zeros(len(self.chips), dtype=np.int64)
            grown[:len(self._in_transit_by_chip)] = self._in_transit_by_chip
            self._in_transit_by_chip = grown

    def in_transit_by_chip(self) -> np.ndarray:
        """Chips in transit by chip number: filed shipments and this month's not seized."""
        self._size_in_transit()
        return self._in_transit_by_chip + np.bincount(self.shipped_this_tick.chip, weights=self._unseized_counts(),
                                                      minlength=len(self._in_transit_by_chip)).astype(np.int64)

    def _unseized_counts(self) -> np.ndarray:
        """Chips in each of this month's shipments, seized ones counting zero (cheaper than taking the other rows'
        columns)."""
        count = self.shipped_this_tick.count
        if len(self._seized_rows):
            count = count.copy()
            count[self._seized_rows] = 0
        return count

    def arrivals(self, month: int) -> Shipments:
        """Shipments that arrive in ``month``, in the order they were sent; they leave the transit pipeline.

        Shipments are filed when the month after they are sent begins (``begin_tick``); with lead times of a month
        or more, every shipment due in ``month`` has been filed by then.
        """
        arriving = Shipments.concatenate(self._arrivals.pop(month, [])).widened()
        self._count_in_transit(arriving, -1)
        return arriving

    def pending(self) -> Shipments:
        """All shipments still in transit, earliest arrival first (this month's not seized ones last)."""
        filed = [part for month in sorted(self._arrivals) for part in self._arrivals[month]]
        return Shipments.concatenate([*filed, self.unseized_this_tick()]).widened()

    def seed_in_transit(self, shipments: list[tuple[str, str, str, int, int, int]]) -> None:
        """Put shipments already under way at the start of the run into the pipeline: rows of (source, target,
        chip, count, sent month, arrival month), each on its edge's kind."""
        rows = [(self.node_number[source], self.node_number[target], self.chips.of(chip), count,
                 self._edge_kind[self._edge_number(source, target)], sent_month, arrival_month,
                 count * self.chips.catalog[chip].h100e, 0.0)
                for source, target, chip, count, sent_month, arrival_month in shipments]
        seeded = Shipments.from_rows(rows)
        for month, rows in rows_by_value(seeded.arrival_month):
            self._arrivals[month].append(seeded.take(rows).narrowed())
        self._count_in_transit(seeded, +1)
