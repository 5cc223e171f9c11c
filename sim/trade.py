"""The trade network: who can sell to whom, what is in transit, and what flowed this tick.

Nodes are agent ids; edges carry their ``kind`` (production, legal, and the leakage kinds to come), a lead time
and an optional capacity. A shipment leaves on an edge and arrives ``lead_time_months`` later (at least one month,
so a chip sold this tick is never also installed this tick). This tick's movements are kept as lists (shipments,
and compute rented): the flow tables and the browser's network aggregate them; the graph itself does not change.
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
            )
        # Per edge, what a shipment needs (kind, lead time), by plain lookup: networkx's edge views cost a third of
        # shipping, which happens hundreds of thousands of times a run. The graph itself stays as built.
        self._edge: dict[tuple[str, str], tuple[str, int]] = {
            (source, target): (data["kind"], data["lead_time_months"])
            for source, target, data in self.graph.edges(data=True)
        }
        # Chips shipped this month on edges with a capacity (the only edges where the running total matters).
        self._capacity: dict[tuple[str, str], int] = {
            (source, target): data["capacity_chips_per_month"]
            for source, target, data in self.graph.edges(data=True) if data["capacity_chips_per_month"] is not None
        }
        self._shipped_on_capped_edge: dict[tuple[str, str], int] = defaultdict(int)
        self._arrivals: dict[int, list[Shipment]] = defaultdict(list)
        self._seized: set[int] = set()  # ids of shipments found by enforcement, still in _arrivals until due
        self.in_transit_chips: dict[str, int] = defaultdict(int)
        # This month's flows: shipments with their H100e and value, and compute rented (source, target, H100e, USD).
        self.shipped_this_tick: list[tuple[Shipment, float, float]] = []
        self.rented_this_tick: list[tuple[str, str, float, float]] = []
        self.seized_this_tick: list[Shipment] = []

    def begin_tick(self) -> None:
        self._shipped_on_capped_edge.clear()
        self.shipped_this_tick = []
        self.rented_this_tick = []
        self.seized_this_tick = []

    def record_rental(self, host: str, tenant: str, h100e: float, value_usd: float) -> None:
        """Record compute rented over a ``rented`` edge this month (no chip moves)."""
        if (host, tenant) not in self._edge:
            raise KeyError(f"no rented edge {host}->{tenant}")
        self.rented_this_tick.append((host, tenant, h100e, value_usd))

    def remaining_capacity(self, source: str, target: str) -> int | None:
        capacity = self._capacity.get((source, target))
        return None if capacity is None else capacity - self._shipped_on_capped_edge[source, target]

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
        edge_kind, lead_time_months = self._edge[source, target]
        if (source, target) in self._capacity:
            remaining = self.remaining_capacity(source, target)
            if count > remaining:
                raise EdgeCapacityExceeded(f"{source}->{target}: {count} chips exceed the {remaining} left this month")
            self._shipped_on_capped_edge[source, target] += count
        shipment = Shipment(source, target, chip, count, kind or edge_kind, month)
        self._arrivals[month + lead_time_months].append(shipment)
        self.in_transit_chips[chip] += count
        self.shipped_this_tick.append((shipment, count * h100e_per_chip, value_usd))

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
