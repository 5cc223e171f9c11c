"""Every intermediary's state as arrays (stock, orders, forecasts, costs, beliefs, listings) and the month's rules
over all of them: finding the cheapest vendor, quoting, restocking, listing and learning from inspections.

What intermediaries do and why is told in ``sim/agents/intermediary.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.agents.market import MAX_CHIPS_PER_ORDER, Orders
from sim.columns import CELL_KEY_SPAN, ColumnTable, order_within_groups, segment_rows, stable_order
from sim.policies.export_controls import DENIED, STATUS_CODE
from sim.world import EDGE_SMUGGLED

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.agents.enforcement import Finds
    from sim.agents.intermediary import IntermediaryAgent
    from sim.agents.vendor import VendorAgent
    from sim.agents.vendor_arrays import VendorArrays
    from sim.catalog import ChipIndex
    from sim.export_gate import ExportGate
    from sim.parameters import RunParameters
    from sim.rules import Rules
    from sim.trade import Shipments, TradeNetwork

DEMAND_SMOOTHING = 0.3  # weight of this month's orders in the demand forecast


@dataclass(frozen=True)
class Quotes(ColumnTable):
    """Intermediaries' price quotes for the month, by intermediary (row) and then in the order it first priced the
    chips."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ("price_usd",)

    seller_row: np.ndarray  # intermediary index
    cell: np.ndarray  # the intermediary's cell for the chip
    chip: np.ndarray  # chip number
    price_usd: np.ndarray


@dataclass(frozen=True)
class SourceRows(ColumnTable):
    """What intermediaries can buy: a row per (intermediary, vendor it buys from, chip on the vendor's list)."""

    item: np.ndarray  # intermediary index
    vendor: np.ndarray  # vendor index
    chip: np.ndarray  # chip number
    cell: np.ndarray  # the (intermediary, chip) cell
    price_row: np.ndarray  # the row of the vendors' price list it is priced at


class IntermediaryArrays:
    """Every intermediary's state as arrays: per intermediary (a row each, its ``index``), and per cell, one for each
    chip an intermediary can deal in (the released chips its vendors sell, added as they appear), sorted by
    intermediary and chip number.

    An intermediary deals in a handful of the catalog's chips (large worlds number thousands), hence cells rather
    than an intermediary x chip grid. Per cell: ``inventory`` and ``on_order`` (whole chips), ``expected_demand``
    (smoothed monthly orders it means to serve), ``last_cost_usd`` (the cheapest vendor price it last saw; NaN:
    never priced), ``cost_rank`` (the order in which it first priced the chip: its quotes are listed in that order;
    -1: never priced), and this month's cheapest vendor, ``source_vendor`` and ``source_price_usd`` (-1/NaN: none
    will sell it).
    """

    CELL_COLUMNS: ClassVar[dict[str, tuple[type, object]]] = {
        "inventory": (np.int64, 0), "on_order": (np.int64, 0), "expected_demand": (float, 0.0),
        "last_cost_usd": (float, np.nan), "cost_rank": (np.int64, -1), "source_vendor": (np.int64, -1),
        "source_price_usd": (float, np.nan),
    }

    def __init__(self, items: list[IntermediaryAgent], chips: ChipIndex, params: RunParameters) -> None:
        self.items, self.chips, self.params = items, chips, params
        count = len(items)
        self.markup_fraction = np.array([item.markup_fraction for item in items], dtype=float)
        self.capacity_chips_per_month = np.array([item.diversion_capacity_chips_per_month for item in items],
                                                 dtype=np.int64)
        self.risk_aversion = np.array([item.risk_aversion for item in items], dtype=float)
        self.reentry_months = np.array([item.shell_reentry_months for item in items], dtype=np.int64)
        self.believed_detection = np.full(count, params.perceived_detection_initial)
        self.listed = np.zeros(count, dtype=bool)
        self.listed_month = np.full(count, -1, dtype=np.int64)
        self.times_listed = np.zeros(count, dtype=np.int64)
        self.sales_usd = np.zeros(count)
        self.purchases_usd = np.zeros(count)
        self.diverted_chips = np.zeros(count, dtype=np.int64)
        self.cell_key = np.zeros(0, dtype=np.int64)
        self.cell_item = np.zeros(0, dtype=np.int64)
        self.cell_chip = np.zeros(0, dtype=np.int64)
        for name, (dtype, fill) in self.CELL_COLUMNS.items():
            setattr(self, name, np.full(0, fill, dtype=dtype))
        self._next_rank = 0
        self._sources_month: int | None = None  # the month source_vendor is for
        self._source_rows = SourceRows.empty()  # laid out (cells included) for...
        self._source_rows_for: np.ndarray | None = None  # ...these vendors' lists (vendor x CELL_KEY_SPAN + chip)
        self._quotes: tuple[Quotes, Quotes] | None = None  # valid until stock moves or a listing changes
        self.rules: Rules | None = None  # this month's (use)

    def connect(self, network: TradeNetwork, agents_by_id: Mapping[str, SupplyChainAgent],
                vendors: list[VendorAgent], vendor_arrays: VendorArrays, gate: ExportGate) -> None:
        """Read the network once it is built: each intermediary's vendors (in order; ``vendor_arrays`` holds their
        prices, ``gate`` says which of their chips they may sell it), smuggling customers and country."""
        items = self.items
        for item in items:
            routes = network.customers_of(item.agent_id, kinds=(EDGE_SMUGGLED,))
            item.connect([agents_by_id[vendor_id] for vendor_id in item.vendor_ids], routes)
        vendor_index = {vendor.agent_id: v for v, vendor in enumerate(vendors)}
        self.vendor_count = len(vendors)
        self.vendor_arrays, self.gate, self.network = vendor_arrays, gate, network
        self.edge_item = np.array([i for i, item in enumerate(items) for _ in item.vendors], dtype=np.int64)
        self.edge_vendor = np.array([vendor_index[v.agent_id] for item in items for v in item.vendors], dtype=np.int64)
        self.node = network.intermediary_node
        self.country = network.node_country[self.node]

    def use(self, rules: Rules, month: int) -> None:
        """This month's rules (the fine a diverter risks is read from them), and the intermediaries a policy put on
        the entity list (by node number) listed from ``month``."""
        self.rules = rules
        for node in rules.entity_list_additions:
            self.list_on_entity_list(self.network.node_intermediary[node], month)

    # --- cells ------------------------------------------------------------------------------------------------
    def cells(self, item: np.ndarray, chip: np.ndarray) -> np.ndarray:
        """The cell of each (intermediary, chip number) pair given; every pair must have one."""
        return np.searchsorted(self.cell_key, item * CELL_KEY_SPAN + chip)

    def cells_of_item(self, item: int) -> slice:
        first, end = np.searchsorted(self.cell_key, [item * CELL_KEY_SPAN, (item + 1) * CELL_KEY_SPAN])
        return slice(int(first), int(end))

    def _lay_out_source_rows(self, vendor: np.ndarray, chip: np.ndarray) -> None:
        """The rows ``find_sources`` goes through, for the vendors' price lists (``vendor``, ``chip``) of now: each
        intermediary's vendors in order, each vendor's chips in its list's order; cells for pairs new to the list."""
        per_vendor = np.bincount(vendor, minlength=self.vendor_count)
        edge, price_row = segment_rows((np.cumsum(per_vendor) - per_vendor)[self.edge_vendor],
                                       per_vendor[self.edge_vendor])
        item, chip = self.edge_item[edge], chip[price_row]
        self._add_cells(item, chip)
        self._source_rows = SourceRows(item=item, vendor=vendor[price_row], chip=chip, cell=self.cells(item, chip),
                                       price_row=price_row)

    def _add_cells(self, item: np.ndarray, chip: np.ndarray) -> None:
        """Cells for the pairs that have none yet (with every column at its starting value)."""
        key = np.union1d(self.cell_key, item * CELL_KEY_SPAN + chip)
        if len(key) == len(self.cell_key):
            return
        kept = np.searchsorted(key, self.cell_key)
        for name, (dtype, fill) in self.CELL_COLUMNS.items():
            column = np.full(len(key), fill, dtype=dtype)
            column[kept] = getattr(self, name)
            setattr(self, name, column)
        self.cell_key, self.cell_item, self.cell_chip = key, key // CELL_KEY_SPAN, key % CELL_KEY_SPAN

    # --- the month ----------------------------------------------------------------------------------------------
    def begin_month(self) -> None:
        self.sales_usd[:] = 0.0
        self.purchases_usd[:] = 0.0
        self.diverted_chips[:] = 0
        self._sources_month = None
        self._quotes = None

    def reenter(self, month: int) -> None:
        """Listed diverters whose owners set up a new shell company after the re-entry delay are back in business."""
        back = self.listed & (self.reentry_months > 0) & (month - self.listed_month >= self.reentry_months)
        if back.any():
            self.listed[back] = False
            self._sources_month, self._quotes = None, None

    def list_on_entity_list(self, item: int, month: int) -> None:
        if self.listed[item]:
            return
        self.listed[item] = True
        self.listed_month[item] = month
        self.times_listed[item] += 1
        # Having been caught, its owners take the risk more seriously.
        prior = self.params.perceived_detection_initial
        self.believed_detection[item] = max(self.believed_detection[item], 2 * prior)
        self._sources_month, self._quotes = None, None

    def listed_count(self) -> int:
        """How many intermediaries are on the entity list now."""
        return int(self.listed.sum())

    def node_listed(self) -> np.ndarray:
        """Whether each node of the trade network is on the entity list now (only intermediaries ever are)."""
        listed = np.zeros(len(self.network.node_ids), dtype=bool)
        listed[self.node[self.listed]] = True
        return listed

    def after_inspections(self, found: Finds, shipped: Shipments, month: int) -> None:
        """The month's inspections found ``found`` among ``shipped``: the senders of what was seized are listed, and
        diverters learn from what was caught."""
        for item in self.network.node_intermediary[shipped.source[found.seized_rows]].tolist():
            self.list_on_entity_list(item, month)
        self.learn_from_inspections(found.diverted_from, found.diverted_caught)

    def learn_from_inspections(self, diverted_from: np.ndarray, caught: np.ndarray) -> None:
        """Diverters in a country learn from the share of that country's diverted shipments caught this month.

        ``diverted_from`` holds the country code of each diverted shipment, ``caught`` whether it was seized. With
        nothing diverted from their country to learn from, beliefs drift back towards the prior (memory fades), so
        one scare does not close a route for ever. Each belief moves ``perceived_detection_learning_rate`` of the
        way to what its country saw.
        """
        params = self.params
        countries = len(self.network.country_code)
        diverted_by_country = np.bincount(diverted_from, minlength=countries)
        caught_by_country = np.bincount(diverted_from, weights=caught, minlength=countries)
        observed = np.full(countries, params.perceived_detection_initial)
        seen = diverted_by_country > 0
        observed[seen] = caught_by_country[seen] / diverted_by_country[seen]
        rate = params.perceived_detection_learning_rate
        self.believed_detection = (1 - rate) * self.believed_detection + rate * observed[self.country]

    def find_sources(self, month: int) -> None:
        """This month's cheapest vendor for each intermediary and chip (ties to the vendor it lists first), whose
        prices become the intermediaries' costs.

        Vendors' prices hold until they fill their orders, after restocking: one look a month (and after a listing).
        """
        if self._sources_month == month:
            return
        self._sources_month = month
        self.source_vendor[:] = -1
        self.source_price_usd[:] = np.nan
        _cell, vendor, chip, price = self.vendor_arrays.price_list(month)
        # Every (intermediary, vendor it buys from, chip the vendor sells) is a row, in the order the intermediary
        # looks; the rows, and their cells, change only when vendors' lists of chips do (a release, a variant).
        vendor_chip = vendor * CELL_KEY_SPAN + chip
        if self._source_rows_for is None or not np.array_equal(self._source_rows_for, vendor_chip):
            self._lay_out_source_rows(vendor, chip)
            self._source_rows_for = vendor_chip
        sources = self._source_rows
        if not len(sources):
            return
        sellable = self.gate.status_codes(sources.chip, self.node[sources.item]) != STATUS_CODE[DENIED]
        sources = sources.take(sellable)
        vendor, price, cell = sources.vendor, price[sources.price_row], sources.cell

        # Per cell, the cheapest price, and the first row (the vendor it lists first) at that price.
        cells, rows = len(self.cell_key), len(cell)
        cheapest = np.full(cells, np.inf)
        np.minimum.at(cheapest, cell, price)
        at_cheapest = np.flatnonzero(price == cheapest[cell])
        first_cheapest = np.full(cells, rows)
        np.minimum.at(first_cheapest, cell[at_cheapest], at_cheapest)
        best = first_cheapest[first_cheapest < rows]
        self.source_vendor[cell[best]] = vendor[best]
        self.source_price_usd[cell[best]] = price[best]
        # A chip priced for the first time goes to the end of the intermediary's list, in the order it was first
        # seen (its vendors in order, each vendor's chips in order).
        first_row = np.full(cells, rows)
        np.minimum.at(first_row, cell, np.arange(rows))
        seen_cell = np.flatnonzero(first_row < rows)
        first_seen = first_row[seen_cell]
        fresh = self.cost_rank[seen_cell] < 0
        new = seen_cell[fresh][np.argsort(first_seen[fresh], kind="stable")]
        self.cost_rank[new] = self._next_rank + np.arange(len(new))
        self._next_rank += len(new)
        self.last_cost_usd[cell[best]] = price[best]

    def quotes(self, month: int) -> tuple[Quotes, Quotes]:
        """This month's quotes of every intermediary: to local buyers (cost plus markup, every chip it can source or
        still has in stock, at the last cost it paid) and to smuggling customers (the grey-market price, for the
        chips whose diversion pays)."""
        if self._quotes is not None:
            return self._quotes
        self.find_sources(month)
        cell = np.flatnonzero((self.cost_rank >= 0) & ((self.source_vendor >= 0) | (self.inventory > 0)))
        cell = cell[order_within_groups(self.cell_item[cell], self.cost_rank[cell], len(self.markup_fraction))]
        item, chip, cost = self.cell_item[cell], self.cell_chip[cell], self.last_cost_usd[cell]
        local = Quotes(seller_row=item, cell=cell, chip=chip, price_usd=cost * (1 + self.markup_fraction[item]))
        pays = self.diversion_pays(item, cost)
        grey = Quotes(seller_row=item[pays], cell=cell[pays], chip=chip[pays],
                      price_usd=self.grey_price_usd(cost[pays]))
        self._quotes = (local, grey)
        return self._quotes

    def grey_price_usd(self, cost_usd: np.ndarray) -> np.ndarray:
        return cost_usd * self.params.smuggling_price_markup

    def diversion_pays(self, item: np.ndarray, cost_usd: np.ndarray) -> np.ndarray:
        """Whether diverting one chip bought at ``cost_usd`` beats the expected penalty, by each intermediary's
        (``item``'s) beliefs."""
        caught = self.believed_detection[item]
        fine = self.rules.smuggling_fine_usd_per_chip
        expected_profit = ((1 - caught) * self.grey_price_usd(cost_usd) - cost_usd
                           - caught * fine * self.risk_aversion[item])
        return ~self.listed[item] & (self.capacity_chips_per_month[item] != 0) & (expected_profit > 0)

    def after_sales(self, cell: np.ndarray, ordered: np.ndarray, filled: np.ndarray, sales_usd: np.ndarray,
                    diverted: np.ndarray) -> None:
        """Take what was sold out of stock (one row per cell with orders) and update every demand forecast with the
        orders each means to serve: local orders and the diversion it can carry."""
        self.inventory[cell] -= filled
        ordered_now = np.zeros(len(self.cell_key), dtype=np.int64)
        ordered_now[cell] = ordered
        self.expected_demand = (1 - DEMAND_SMOOTHING) * self.expected_demand + DEMAND_SMOOTHING * ordered_now
        self.sales_usd += sales_usd
        self.diverted_chips += diverted
        self._quotes = None  # stock has moved

    def restock_orders(self, month: int) -> Orders:
        """Orders to the cheapest vendor for every chip short of ``lead time + cover`` months of expected demand in
        stock and on order, intermediary by intermediary, each going through its chips by id."""
        self.find_sources(month)
        params = self.params
        horizon = params.shipping_lead_time_months + params.intermediary_cover_months
        wanted = (self.expected_demand * horizon).astype(np.int64) - self.inventory - self.on_order
        cell = np.flatnonzero((wanted > 0) & (self.source_vendor >= 0))
        chips, network = self.chips, self.network
        cell = cell[stable_order(self.cell_item[cell] * len(chips) + chips.sort_rank[self.cell_chip[cell]])]
        buyer, seller = self.node[self.cell_item[cell]], network.vendor_node[self.source_vendor[cell]]
        return Orders(buyer=buyer, seller=seller, edge=network.edge_numbers(seller, buyer),
                      seller_cell=self.vendor_arrays.cells(self.source_vendor[cell], self.cell_chip[cell]),
                      chip=self.cell_chip[cell], requested=np.minimum(wanted[cell], MAX_CHIPS_PER_ORDER),
                      unit_price_usd=self.source_price_usd[cell])

    def on_filled(self, buyer: np.ndarray, chip: np.ndarray, filled: np.ndarray, value_usd: np.ndarray) -> None:
        """Orders filled (rows in order; ``buyer`` a node number): the intermediaries' restocking orders among them
        are chips now on order, and paid for."""
        item = self.network.node_intermediary[buyer]
        mine = (item >= 0) & (filled > 0)
        item = item[mine]
        np.add.at(self.on_order, self.cells(item, chip[mine]), filled[mine])
        np.add.at(self.purchases_usd, item, value_usd[mine])

    def receive(self, arriving: Shipments) -> None:
        """Chips from vendors, arrived (the arriving shipments addressed to intermediaries): in stock."""
        item = self.network.node_intermediary[arriving.target]
        mine = item >= 0
        cell = self.cells(item[mine], arriving.chip[mine])
        np.add.at(self.inventory, cell, arriving.count[mine])
        np.subtract.at(self.on_order, cell, arriving.count[mine])
