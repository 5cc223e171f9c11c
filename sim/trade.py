"""The trade network: who can sell to whom, what is in transit, and what flowed this tick.

Nodes are agent ids; edges carry their ``kind`` (production, legal, and the leakage kinds to come), a lead time
and an optional capacity. A shipment leaves on an edge and arrives ``lead_time_months`` later (at least one month,
so a chip sold this tick is never also installed this tick). This tick's flows are recorded on the edges, which is
what the browser draws and what the flow tables aggregate.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import networkx as nx

from sim.world import EdgeSpec


class Shipment(NamedTuple):
    """Chips on their way along an edge. A tuple, since large worlds make hundreds of thousands a month (a frozen
    dataclass took four times as long to build); a seized one is marked by identity, not equality."""

    source: str
    target: str
    chip: str
    count: int
    kind: str
    sent_month: int


class EdgeCapacityExceeded(RuntimeError):
    """A caller tried to ship more on an edge than its capacity allows this tick (a model bug, not user input)."""


class TradeNetwork:
    def __init__(self, edges: list[EdgeSpec], nodes: dict[str, dict]) -> None:
        self.graph = nx.DiGraph()
        for node_id, attributes in nodes.items():
            self.graph.add_node(node_id, **attributes)
        for edge in edges:
            self.graph.add_edge(
                edge.source,
                edge.target,
                kind=edge.kind,
                lead_time_months=max(1, edge.lead_time_months),
                capacity_chips_per_month=edge.capacity_chips_per_month,
                flow_chips=0,
                flow_h100e=0.0,
                flow_usd=0.0,
            )
        # The graph's own attribute dicts, by (source, target): a plain lookup per shipment instead of networkx's
        # edge views (a third of the cost of shipping, which happens hundreds of thousands of times a run).
        self._edge: dict[tuple[str, str], dict] = {(source, target): data
                                                   for source, target, data in self.graph.edges(data=True)}
        self._arrivals: dict[int, list[Shipment]] = defaultdict(list)
        self._seized: set[int] = set()  # ids of shipments found by enforcement, still in _arrivals until due
        self._touched: set[tuple[str, str]] = set()
        self.in_transit_chips: dict[str, int] = defaultdict(int)
        self.shipped_this_tick: list[tuple[Shipment, float, float]] = []
        self.seized_this_tick: list[Shipment] = []

    def begin_tick(self) -> None:
        """Clear last tick's flows (only on the edges that carried any, so the cost follows the flows)."""
        for edge in self._touched:
            data = self._edge[edge]
            data["flow_chips"] = 0
            data["flow_h100e"] = 0.0
            data["flow_usd"] = 0.0
        self._touched.clear()
        self.shipped_this_tick = []
        self.seized_this_tick: list[Shipment] = []

    def record_flow(self, source: str, target: str, chips: int, h100e: float, value_usd: float) -> None:
        """Record a flow that is not a shipment (compute rented over a ``rented`` edge)."""
        data = self._edge[source, target]
        data["flow_chips"] += chips
        data["flow_h100e"] += h100e
        data["flow_usd"] += value_usd
        self._touched.add((source, target))

    def remaining_capacity(self, source: str, target: str) -> int | None:
        data = self._edge[source, target]
        capacity = data["capacity_chips_per_month"]
        return None if capacity is None else capacity - data["flow_chips"]

    def ship(
        self,
        source: str,
        target: str,
        chip: str,
        count: int,
        month: int,
        h100e_per_chip: float,
        value_usd: float,
        kind: str | None = None,
    ) -> None:
        """Send ``count`` chips from ``source`` to ``target``; they arrive after the edge's lead time.

        ``kind`` overrides the edge's kind for this shipment (a licensed sale over a legal trade relationship).
        """
        if count <= 0:
            return
        data = self._edge[source, target]
        capacity = data["capacity_chips_per_month"]
        if capacity is not None and count > capacity - data["flow_chips"]:
            remaining = capacity - data["flow_chips"]
            raise EdgeCapacityExceeded(f"{source}->{target}: {count} chips exceed the {remaining} left this month")
        shipment = Shipment(source, target, chip, count, kind or data["kind"], month)
        self._arrivals[month + data["lead_time_months"]].append(shipment)
        self.in_transit_chips[chip] += count
        h100e = count * h100e_per_chip
        data["flow_chips"] += count
        data["flow_h100e"] += h100e
        data["flow_usd"] += value_usd
        self._touched.add((source, target))
        self.shipped_this_tick.append((shipment, h100e, value_usd))

    def seize(self, shipment: Shipment) -> None:
        """Take a shipment out of transit (an enforcement find): it will not arrive.

        It is marked, not removed: taking it out of its arrival month's list would cost a scan of that list for each
        find, which grew with the square of the world's size. Arrivals skip marked shipments.
        """
        self._seized.add(id(shipment))
        self.in_transit_chips[shipment.chip] -= shipment.count
        self.seized_this_tick.append(shipment)

    def arrivals(self, month: int) -> list[Shipment]:
        """Shipments that arrive in ``month``, in the order they were sent; they leave the transit pipeline."""
        arriving = self._arrivals.pop(month, [])
        if self._seized:
            kept = [shipment for shipment in arriving if id(shipment) not in self._seized]
            if len(kept) != len(arriving):
                self._seized.difference_update(id(shipment) for shipment in arriving)
                arriving = kept
        for shipment in arriving:
            self.in_transit_chips[shipment.chip] -= shipment.count
        return arriving

    def pending(self) -> list[Shipment]:
        """All shipments still in transit, earliest arrival first."""
        return [shipment for month in sorted(self._arrivals) for shipment in self._arrivals[month]
                if id(shipment) not in self._seized]

    def seed_in_transit(self, shipment: Shipment, arrival_month: int) -> None:
        """Put a shipment already under way at the start of the run into the pipeline."""
        self._arrivals[arrival_month].append(shipment)
        self.in_transit_chips[shipment.chip] += shipment.count

    def suppliers_of(self, node: str) -> list[str]:
        return list(self.graph.predecessors(node))
