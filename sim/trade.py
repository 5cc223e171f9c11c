"""The trade network: who can sell to whom, what is in transit, and what flowed this tick.

Nodes are agent ids; edges carry their ``kind`` (production, legal, smuggled, rented), a lead time and an optional
capacity. A shipment leaves on an edge and arrives ``lead_time_months`` later (at least one month, so a chip sold this
tick is never also installed this tick). The graph itself does not change during a run.

Shipments are kept as columns (``Shipments``), not an object each: large worlds ship a hundred thousand consignments
a month, and delivering, inspecting and accounting for them are array operations over the columns. In the columns an
agent is its node number (its place in the node list the network was built with) and a chip its number in the
model's ``ChipIndex``. A month's shipments are filed by arrival month when the next month begins, after enforcement
has had its chance to seize some of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

import networkx as nx
import numpy as np

from sim.catalog import ChipIndex
from sim.columns import ColumnTable
from sim.world import EDGE_LEGAL, EDGE_LICENSED, EDGE_PRODUCTION, EDGE_RENTED, EDGE_SMUGGLED, EdgeSpec

# Every kind a shipment may carry, numbered in this order in the columns' ``kind``.
SHIPMENT_KINDS = (EDGE_PRODUCTION, EDGE_LEGAL, EDGE_LICENSED, EDGE_SMUGGLED, EDGE_RENTED)
KIND_CODE = {kind: code for code, kind in enumerate(SHIPMENT_KINDS)}
SMUGGLED_CODE = KIND_CODE[EDGE_SMUGGLED]
LICENSED_CODE = KIND_CODE[EDGE_LICENSED]


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


_EMPTY = Shipments.empty()


class EdgeCapacityExceeded(RuntimeError):
    """A caller tried to ship more on an edge than its capacity allows this tick (a model bug, not user input)."""


class TradeNetwork:
    def __init__(self, edges: list[EdgeSpec], nodes: dict[str, dict], chips: ChipIndex) -> None:
        self.chips = chips
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
        self.node_ids = list(nodes)
        self.node_number = {node_id: number for number, node_id in enumerate(self.node_ids)}
        # Per edge, what a shipment needs (kind code, lead time): by plain lookup for single shipments (networkx's
        # edge views cost a third of shipping), and as arrays sorted by (source, target) number for batches.
        # Built from the edge list, not the graph's views (a large world has hundreds of thousands of edges).
        self._edge: dict[tuple[str, str], tuple[int, int]] = {
            (edge.source, edge.target): (KIND_CODE[edge.kind], max(1, edge.lead_time_months)) for edge in edges
        }
        number = self.node_number
        edge_key = np.array([self._edge_key(number[s], number[t]) for s, t in self._edge], dtype=np.int64)
        order = np.argsort(edge_key)
        self._edge_keys = edge_key[order]
        self._edge_kind = np.array([kind for kind, _lead in self._edge.values()], dtype=np.int64)[order]
        self._edge_lead = np.array([lead for _kind, lead in self._edge.values()], dtype=np.int64)[order]
        # Chips shipped this month on edges with a capacity (the only edges where the running total matters).
        self._capacity: dict[tuple[str, str], int] = {
            (edge.source, edge.target): edge.capacity_chips_per_month
            for edge in edges if edge.capacity_chips_per_month is not None
        }
        self._capped_keys = np.array(sorted(self._edge_key(number[s], number[t]) for s, t in self._capacity),
                                     dtype=np.int64)
        self._shipped_on_capped_edge: dict[tuple[str, str], int] = defaultdict(int)
        self._arrivals: dict[int, list[Shipments]] = defaultdict(list)
        self._in_transit_by_chip = np.zeros(0, dtype=np.int64)
        # This month's movements: shipments (single ones gathered as rows, batches as columns, in the order sent),
        # compute rented (host, tenant, H100e, USD), and the rows of this month's shipments that were seized.
        self._rows: list[tuple] = []
        self._batches: list[Shipments] = []
        self._shipped: Shipments | None = None
        self._seized_rows = np.zeros(0, dtype=np.int64)
        self.rented_this_tick: list[tuple[str, str, float, float]] = []

    def _edge_key(self, source, target):
        return source * len(self.node_ids) + target

    # --- this month -------------------------------------------------------------------------------------------
    def begin_tick(self) -> None:
        self._file_last_month()
        self._shipped_on_capped_edge.clear()
        self.rented_this_tick = []

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
        self._shipped = None
        self._rows.append((self.node_number[source], self.node_number[target], self.chips.of(chip), count,
                           edge_kind if kind is None else KIND_CODE[kind], month, month + lead_time_months,
                           count * h100e_per_chip, value_usd))

    def ship_many(self, source: np.ndarray, target: np.ndarray, chip: np.ndarray, count: np.ndarray, month: int,
                  h100e: np.ndarray, value_usd: np.ndarray, kind: np.ndarray | None = None) -> None:
        """Send a batch of shipments (node numbers, chip numbers, whole-consignment H100e and value); rows with no
        chips are dropped. ``kind`` (codes, -1 for the edge's own) overrides the edge's kind row by row."""
        sent = count > 0
        if not sent.all():
            source, target, chip, count, h100e, value_usd = (
                column[sent] for column in (source, target, chip, count, h100e, value_usd))
            kind = None if kind is None else kind[sent]
        if len(count) == 0:
            return
        keys = self._edge_key(source, target)
        edge = np.searchsorted(self._edge_keys, keys)
        found = edge < len(self._edge_keys)
        found[found] = self._edge_keys[edge[found]] == keys[found]
        if not found.all():
            missing = int(np.flatnonzero(~found)[0])
            raise KeyError(f"no edge {self.node_ids[source[missing]]}->{self.node_ids[target[missing]]}")
        if len(self._capped_keys) and np.isin(keys, self._capped_keys).any():
            self._use_capacity(keys, count)
        edge_kind = self._edge_kind[edge]
        if kind is not None:
            edge_kind = np.where(kind >= 0, kind, edge_kind)
        self._flush_rows()
        self._shipped = None
        self._batches.append(Shipments(
            source, target, chip, count, edge_kind, np.full(len(count), month, dtype=np.int64),
            month + self._edge_lead[edge], h100e, value_usd))

    def _use_capacity(self, keys: np.ndarray, count: np.ndarray) -> None:
        for key, chips in zip(keys.tolist(), count.tolist(), strict=True):
            source, target = self.node_ids[key // len(self.node_ids)], self.node_ids[key % len(self.node_ids)]
            if (source, target) not in self._capacity:
                continue
            remaining = self.remaining_capacity(source, target)
            if chips > remaining:
                raise EdgeCapacityExceeded(f"{source}->{target}: {chips} chips exceed the {remaining} left this month")
            self._shipped_on_capped_edge[source, target] += chips

    def _flush_rows(self) -> None:
        if self._rows:
            self._batches.append(Shipments.from_rows(self._rows))
            self._rows = []

    @property
    def shipped_this_tick(self) -> Shipments:
        """This month's shipments, in the order they were sent (seized ones included)."""
        if self._shipped is None:
            self._flush_rows()
            self._shipped = Shipments.concatenate(self._batches)
            self._batches = [self._shipped] if len(self._shipped) else []
        return self._shipped

    @property
    def seized_this_tick(self) -> Shipments:
        return self.shipped_this_tick.take(self._seized_rows)

    def seize(self, rows: np.ndarray) -> None:
        """Take this month's shipments at ``rows`` (of ``shipped_this_tick``) out of transit: they will not arrive."""
        self._seized_rows = np.union1d(self._seized_rows, np.asarray(rows, dtype=np.int64))

    def _unseized_this_tick(self) -> Shipments:
        shipped = self.shipped_this_tick
        if not len(self._seized_rows):
            return shipped
        kept = np.ones(len(shipped), dtype=bool)
        kept[self._seized_rows] = False
        return shipped.take(kept)

    def _file_last_month(self) -> None:
        """File the month's shipments, less those seized, under their arrival months."""
        shipped = self._unseized_this_tick()
        self._count_in_transit(shipped, +1)
        months = shipped.arrival_month
        if len(months) and (months == months[0]).all():
            self._arrivals[int(months[0])].append(shipped)
        else:
            for month in np.unique(months).tolist():
                self._arrivals[month].append(shipped.take(months == month))
        self._batches, self._rows, self._shipped = [], [], None
        self._seized_rows = np.zeros(0, dtype=np.int64)

    # --- in transit -------------------------------------------------------------------------------------------
    def _count_in_transit(self, shipments: Shipments, sign: int) -> None:
        """Add (or take out) filed shipments to the chips in transit by chip number."""
        if len(self._in_transit_by_chip) < len(self.chips):
            grown = np.zeros(len(self.chips), dtype=np.int64)
            grown[:len(self._in_transit_by_chip)] = self._in_transit_by_chip
            self._in_transit_by_chip = grown
        if len(shipments):
            np.add.at(self._in_transit_by_chip, shipments.chip, sign * shipments.count)

    def in_transit_by_chip(self) -> np.ndarray:
        """Chips in transit by chip number: filed shipments and this month's not seized."""
        self._count_in_transit(_EMPTY, +1)  # sized to every chip numbered so far
        unfiled = self._unseized_this_tick()
        return self._in_transit_by_chip + np.bincount(unfiled.chip, weights=unfiled.count,
                                                      minlength=len(self._in_transit_by_chip)).astype(np.int64)

    def arrivals(self, month: int) -> Shipments:
        """Shipments that arrive in ``month``, in the order they were sent; they leave the transit pipeline.

        Shipments are filed when the month after they are sent begins (``begin_tick``); with lead times of a month
        or more, every shipment due in ``month`` has been filed by then.
        """
        arriving = Shipments.concatenate(self._arrivals.pop(month, []))
        self._count_in_transit(arriving, -1)
        return arriving

    def pending(self) -> Shipments:
        """All shipments still in transit, earliest arrival first (this month's not seized ones last)."""
        filed = [part for month in sorted(self._arrivals) for part in self._arrivals[month]]
        return Shipments.concatenate([*filed, self._unseized_this_tick()])

    def seed_in_transit(self, shipments: list[tuple[str, str, str, int, int, int]]) -> None:
        """Put shipments already under way at the start of the run into the pipeline: rows of (source, target,
        chip, count, sent month, arrival month), each on its edge's kind."""
        rows = [(self.node_number[source], self.node_number[target], self.chips.of(chip), count,
                 self._edge[source, target][0], sent_month, arrival_month, count * self.chips.catalog[chip].h100e, 0.0)
                for source, target, chip, count, sent_month, arrival_month in shipments]
        seeded = Shipments.from_rows(rows)
        for month in np.unique(seeded.arrival_month).tolist():
            self._arrivals[month].append(seeded.take(seeded.arrival_month == month))
        self._count_in_transit(seeded, +1)

    def suppliers_of(self, node: str) -> list[str]:
        return list(self.graph.predecessors(node))
