"""Fabs: wafer capacity by process node, yield, advanced packaging and HBM, turning bookings into chips.

Each month vendors book wafers for their product lines. The fab grants wafers pro rata when a node is
oversubscribed, then checks the two back-end limits that cap finished accelerators in practice: advanced packaging
(CoWoS-class wafers) and HBM stacks (from this month's deliveries, domestic and imported, plus any stockpile). A
line's output is the least of what its wafers, its packaging share and its HBM share allow; the yield draw is
binomial per line, from the fab's own random stream. A fab whose packaging bonds dies with a yield below 1 (China's
fabs, building chiplet packages) loses a package when any of its dies fails to bond: a second binomial draw, from a
stream of its own, on the packages attempted (their HBM is lost with them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.calendar import parse_month
from sim.columns import ColumnTable
from sim.scenario.schema import Fab

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.rng import RandomStreams


MAX_YIELD = 0.95
MAX_PACKAGING_YIELD = 0.99  # assumption: mature 2.5D assembly bonds dies in the high nineties, never all of them


@dataclass(frozen=True)
class Bookings(ColumnTable):
    """A month's wafer requests, a row per product line booked, in booking order (vendor by vendor)."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ("wafers_requested", "chips_per_wafer", "chips_per_packaging_wafer")

    fab: np.ndarray  # place in model.fabs
    vendor: np.ndarray  # place in model.vendors
    chip: np.ndarray  # chip number
    node: np.ndarray  # the process node, numbered as in FabNodes
    hbm_stacks_per_chip: np.ndarray
    via_front_company: np.ndarray  # 1 when booked through a front company
    wafers_requested: np.ndarray
    chips_per_wafer: np.ndarray
    chips_per_packaging_wafer: np.ndarray  # 0 when the chip needs no advanced packaging
    dies_per_package: np.ndarray  # compute dies bonded into each package: 1, or more for a chiplet line


class FabNodes:
    """The model's numbering of process nodes (a node's name means the same at every fab)."""

    def __init__(self, fabs: list[Fab]) -> None:
        self.names = list(dict.fromkeys(node for fab in fabs for node in fab.nodes))
        self._code = {name: code for code, name in enumerate(self.names)}

    def code(self, name: str) -> int:
        return self._code[name]


def _segments(starts: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """(start, end) of each segment of ``rows`` rows, segment i running from ``starts[i]`` to the next start."""
    return list(zip(starts.tolist(), [*starts[1:].tolist(), rows], strict=True))


def _segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sum of each segment of ``values``, each summed as ``ndarray.sum`` sums it: the capacity shares below must
    come out to the last bit whatever the grouping."""
    return np.array([values[start:end].sum() for start, end in _segments(starts, len(values))])


def _pro_rata(capacity: np.ndarray, demands: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Scale each segment's demands down to fit its ``capacity`` (all granted when they fit)."""
    total = _segment_sums(demands, starts)
    fits = (total <= capacity) | (total <= 0)
    scale = np.divide(capacity, total, out=np.ones_like(total), where=~fits)
    segment = np.repeat(np.arange(len(starts)), np.diff([*starts.tolist(), len(demands)]))
    return np.where(fits[segment], demands, demands * scale[segment])


class FabAgent(SupplyChainAgent):
    kind = "fab"

    def __init__(self, model: ChipSupplyModel, spec: Fab, index: int) -> None:
        super().__init__(model, spec.id, spec.country)
        self.index = index  # its place in model.fabs
        self.spec = spec
        self.name = spec.name
        self.uses_controlled_equipment = spec.uses_controlled_equipment
        self.wafers_per_month = {node: n.wafers_per_month for node, n in spec.nodes.items()}
        self.yield_fraction = {node: n.yield_fraction for node, n in spec.nodes.items()}
        self.packaging_wafers_per_month = spec.packaging_wafers_per_month
        self.packaging_yield_fraction = spec.packaging_yield_fraction
        self.hbm_stacks_per_month = spec.hbm_stacks_per_month
        self.hbm_stacks_stock = spec.hbm_stacks_stock
        self.hbm_stacks_imported_this_month = 0.0  # from allied memory makers (sim.agents.ally)
        # Growth multipliers applied each month; policies (SME controls) act on these and on yield.
        self.node_growth_per_month = {node: n.growth_factor_per_year ** (1 / 12) for node, n in spec.nodes.items()}
        self.packaging_growth_per_month = spec.packaging_growth_factor_per_year ** (1 / 12)
        early = spec.packaging_growth_until
        # Months up to ``early_packaging_until_month`` grow at the early rate (none when the fab has no early ramp).
        self.early_packaging_until_month = parse_month(early.until) if early else -1
        self.early_packaging_growth_per_month = early.growth_factor_per_year ** (1 / 12) if early else 1.0
        self.hbm_growth_per_month = spec.hbm_growth_factor_per_year ** (1 / 12)
        self.yield_gain_per_month = {node: n.yield_gain_per_year / 12 for node, n in spec.nodes.items()}
        self.packaging_yield_gain_per_month = spec.packaging_yield_gain_per_year / 12
        self.chips_made_this_month = 0
        self.packages_scrapped_this_month = 0  # bonded packages that failed (chiplet packaging yield)
        self.wafers_started_this_month = 0.0

    @property
    def sme_reduction(self) -> float:
        """Share of capacity growth and yield learning that SME controls take this month: the rules', given how far
        allied toolmakers have aligned (the model works it out each month)."""
        return float(self.model.sme_reduction_in_effect[self.index])

    @property
    def packaging_reduction(self) -> float:
        """Share of packaging growth and packaging-yield learning that packaging-equipment controls take (``Rules``)."""
        return float(self.model.rules.packaging_reduction[self.index])

    @property
    def front_company_detection(self) -> float:
        """Chance that foundry KYC refuses a front company's booking this month (``Rules``)."""
        return float(self.model.rules.front_company_detection[self.index])

    def grow_capacity(self, sme_reduction: float, month: int, packaging_reduction: float = 0.0) -> None:
        """A month of growth in wafer, packaging and HBM capacity, and of yield learning.

        SME controls (``sme_reduction``, set by policy each month on fabs that use controlled equipment) take that
        share off the growth above 1 of its nodes and of its domestic HBM supply (the Dec-2024 rule covers HBM-making
        tools too), and off its yield learning: equipment not delivered is capacity not built and steps not tuned.
        Controls on advanced-packaging equipment (``packaging_reduction``) do the same to its packaging capacity and
        its packaging-yield learning (bonders and their servicing are what a packaging line grows and learns with).
        """
        kept = 1.0 - sme_reduction
        for node, factor in self.node_growth_per_month.items():
            self.wafers_per_month[node] *= 1.0 + (factor - 1.0) * kept if factor > 1 else factor
            gain = self.yield_gain_per_month[node] * kept
            current = self.yield_fraction[node]
            # Learning stops at MAX_YIELD; it never lowers a yield that starts above it.
            self.yield_fraction[node] = max(current, min(MAX_YIELD, current + gain))
        early = month <= self.early_packaging_until_month
        packaging = self.early_packaging_growth_per_month if early else self.packaging_growth_per_month
        packaging_kept = 1.0 - packaging_reduction
        self.packaging_wafers_per_month *= (1.0 + (packaging - 1.0) * packaging_kept if packaging > 1
                                            and packaging_reduction > 0 else packaging)
        learned = self.packaging_yield_fraction + self.packaging_yield_gain_per_month * packaging_kept
        self.packaging_yield_fraction = max(self.packaging_yield_fraction, min(MAX_PACKAGING_YIELD, learned))
        hbm = self.hbm_growth_per_month
        self.hbm_stacks_per_month *= 1.0 + (hbm - 1.0) * kept if hbm > 1 else hbm

    def node_capacity(self, nodes: FabNodes) -> tuple[np.ndarray, np.ndarray]:
        """Wafers a month and yield of each node by its code (0 where the fab has no such node)."""
        wafers, yields = np.zeros(len(nodes.names)), np.zeros(len(nodes.names))
        for name, count in self.wafers_per_month.items():
            code = nodes.code(name)
            wafers[code], yields[code] = count, self.yield_fraction[name]
        return wafers, yields


def fab_node_table(fabs: list[FabAgent], nodes: FabNodes) -> tuple[np.ndarray, np.ndarray]:
    """Every fab's wafers a month and yield this month, by (place in ``fabs``, node code)."""
    capacities = [fab.node_capacity(nodes) for fab in fabs]
    return (np.array([wafers for wafers, _yields in capacities]).reshape(len(fabs), len(nodes.names)),
            np.array([yields for _wafers, yields in capacities]).reshape(len(fabs), len(nodes.names)))


def produce(fabs: list[FabAgent], bookings: Bookings, nodes: FabNodes, streams: RandomStreams,
            front_company_detection: np.ndarray) -> np.ndarray:
    """Every fab's output this month: the chips made for each booking (in the bookings' order), within every
    capacity limit; updates each fab's HBM stockpile and what it made and started this month.

    A node oversubscribed is granted pro rata; wafers are only started for chips that can be finished (a fab does
    not start wafers it cannot package); then the yield is drawn, binomial per booking from the fab's own stream,
    and a lucky yield that outruns the back end sized for the expected yield is trimmed. Foundry KYC refuses each
    front-company booking with ``front_company_detection`` of its fab (by place in ``fabs``; one draw per such
    booking, whatever the rules).
    """
    if not len(bookings):
        _begin_production(fabs)
        return np.zeros(0, dtype=np.int64)
    # Fab by fab, each fab's bookings in booking order: the sums and draws go in that order.
    by_fab = np.argsort(bookings.fab, kind="stable")
    table = bookings.take(by_fab)
    fab_of_row = table.fab
    booked_fabs, fab_starts = np.unique(fab_of_row, return_index=True)
    fab_segment = np.searchsorted(booked_fabs, fab_of_row)
    booked = [fabs[index] for index in booked_fabs.tolist()]

    requested = table.wafers_requested.copy()
    fronts = np.flatnonzero(table.via_front_company)
    for fab_index in np.unique(fab_of_row[fronts]).tolist():
        rows = fronts[fab_of_row[fronts] == fab_index]
        fab = fabs[fab_index]
        draws = streams[f"foundry_kyc.{fab.agent_id}"].random(len(rows))
        requested[rows[draws < front_company_detection[fab_index]]] = 0.0

    node_wafers, node_yield = fab_node_table(booked, nodes)  # (booked fab, node code)
    yields = node_yield[fab_segment, table.node]
    # Wafers granted per (fab, node), each group's bookings in booking order.
    fab_and_node = fab_segment * len(nodes.names) + table.node
    by_node = np.argsort(fab_and_node, kind="stable")
    group_key = fab_and_node[by_node]
    group_starts = np.flatnonzero(np.diff(group_key, prepend=-1))
    granted = np.empty(len(table))
    granted[by_node] = _pro_rata(node_wafers[fab_segment[by_node], table.node[by_node]][group_starts],
                                 requested[by_node], group_starts)
    chips_per_wafer = table.chips_per_wafer

    packaging = np.array([fab.packaging_wafers_per_month for fab in booked])
    hbm_available = np.array([fab.hbm_stacks_stock + fab.hbm_stacks_per_month for fab in booked])

    def back_end_caps(chips: np.ndarray) -> np.ndarray:
        """Most chips each booking can finish out of ``chips`` good dies, given packaging and HBM (inf: none)."""
        per_packaging_wafer = table.chips_per_packaging_wafer
        packaged = per_packaging_wafer > 0
        packaging_need = np.where(packaged, chips / np.where(packaged, per_packaging_wafer, 1.0), 0.0)
        packaging_granted = _pro_rata(packaging, packaging_need, fab_starts)
        packaging_cap = np.where(packaged, packaging_granted * per_packaging_wafer, np.inf)
        stacks = table.hbm_stacks_per_chip.astype(float)
        hbm_granted = _pro_rata(hbm_available, chips * stacks, fab_starts)
        hbm_cap = np.where(stacks > 0, hbm_granted / np.where(stacks > 0, stacks, 1.0), np.inf)
        return np.minimum(packaging_cap, hbm_cap)

    expected_good = granted * chips_per_wafer * yields
    finishable = np.minimum(expected_good, back_end_caps(expected_good))
    wafers = granted * np.divide(finishable, expected_good, out=np.zeros_like(finishable), where=expected_good > 0)

    candidates = (wafers * chips_per_wafer).astype(np.int64)
    good = np.empty(len(table), dtype=np.int64)
    for fab, (start, end) in zip(booked, _segments(fab_starts, len(table)), strict=True):
        good[start:end] = streams[f"fab_yield.{fab.agent_id}"].binomial(candidates[start:end], yields[start:end])
    caps = back_end_caps(good.astype(float))
    # The small tolerance keeps 49.999999 (float division) from costing a whole chip.
    packaged = np.where(np.isinf(caps), good, np.minimum(good, np.floor(np.where(np.isinf(caps), 0, caps) + 1e-9)))
    packaged = packaged.astype(np.int64)
    made = _bonded(booked, table, fab_starts, packaged, streams)

    _begin_production(fabs)
    # Packages that failed to bond used their packaging and their HBM all the same.
    hbm_used = np.bincount(fab_segment, weights=packaged * table.hbm_stacks_per_chip, minlength=len(booked))
    chips_made = np.bincount(fab_segment, weights=made, minlength=len(booked))
    scrapped = np.bincount(fab_segment, weights=packaged - made, minlength=len(booked))
    wafers_started = _segment_sums(wafers, fab_starts)
    for segment, fab in enumerate(booked):
        fab.hbm_stacks_stock = max(0.0, float(hbm_available[segment]) - float(hbm_used[segment]))
        fab.chips_made_this_month = int(chips_made[segment])
        fab.packages_scrapped_this_month = int(scrapped[segment])
        fab.wafers_started_this_month = float(wafers_started[segment])
    chips_made_by_booking = np.empty(len(table), dtype=np.int64)
    chips_made_by_booking[by_fab] = made
    return chips_made_by_booking


def packaging_yield_of_rows(fab_yield: list[float], dies: list[int]) -> np.ndarray:
    """Chance that a package works, row by row: its fab's packaging yield per die bonded, to the power of its dies
    (Python's float power, so that any per-fab rule gets the same number to the last bit)."""
    return np.array([fraction**count for fraction, count in zip(fab_yield, dies, strict=True)], dtype=float)


def _bonded(booked: list[FabAgent], table: Bookings, fab_starts: np.ndarray, packaged: np.ndarray,
            streams: RandomStreams) -> np.ndarray:
    """Packages that work out of ``packaged`` attempted, booking by booking: a binomial draw per booking at fabs whose
    packaging yield is below 1, from each such fab's own stream (fabs that lose nothing draw nothing, so their
    streams, and every other, are as they were). A chip that needs no advanced packaging bonds nothing and loses
    nothing."""
    made = packaged.copy()
    for fab, (start, end) in zip(booked, _segments(fab_starts, len(table)), strict=True):
        if fab.packaging_yield_fraction >= 1.0:
            continue
        bonded_dies = np.where(table.chips_per_packaging_wafer[start:end] > 0, table.dies_per_package[start:end], 0)
        works = packaging_yield_of_rows([fab.packaging_yield_fraction] * (end - start), bonded_dies.tolist())
        made[start:end] = streams[f"fab_packaging_yield.{fab.agent_id}"].binomial(packaged[start:end], works)
    return made


def _begin_production(fabs: list[FabAgent]) -> None:
    """Nothing made or started yet this month; the month's HBM deliveries join the stockpile (a fab that booked
    anything then has its stockpile set to what its bookings left)."""
    for fab in fabs:
        fab.chips_made_this_month = 0
        fab.packages_scrapped_this_month = 0
        fab.wafers_started_this_month = 0.0
        fab.hbm_stacks_stock += fab.hbm_stacks_per_month


def book_and_produce(model: ChipSupplyModel, month: int) -> None:
    """The month's production: vendors book wafers (``VendorArrays.bookings``), the fabs make what they can
    (``produce``) and ship it to the vendors, fab by fab, each fab's bookings in booking order; the chips are in
    production at their vendor until they arrive."""
    vendors, network = model.vendor_arrays, model.network
    bookings = vendors.bookings(month)
    made = produce(model.fabs, bookings, model.fab_nodes, model.streams, model.rules.front_company_detection)
    rows = np.argsort(bookings.fab, kind="stable")
    rows = rows[made[rows] > 0]
    if not len(rows):
        return
    fab, vendor, chip, count = bookings.fab[rows], bookings.vendor[rows], bookings.chip[rows], made[rows]
    h100e = count * model.chips.h100e[chip]
    fab_node = network.fab_node[fab]
    model.ledger.produced(network.node_bloc_code[fab_node], fab, chip, count, h100e)
    network.ship(fab_node, network.vendor_node[vendor], chip, count, month, h100e, value_usd=np.zeros(len(rows)))
    np.add.at(vendors.in_production, vendors.cells(vendor, chip), count)
