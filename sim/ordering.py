"""Data centers' monthly orders, worked out for all data centers at once.

Each data center spreads its cash over its suppliers' offers with a logit on price per H100e (its own bloc's chips and
promoted US hardware look cheaper by its preferences), spends more on a chip an announced control will soon deny, and
orders whole chips. Done per data center, the arithmetic on a handful of offers was mostly numpy's per-call overhead;
here the offers of every data center are one set of arrays and each step is one array operation over all of them,
with per-center minima and sums taken over contiguous segments. The numbers are the same as the per-center rule's
(tests/unit/test_ordering.py checks them against it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import MAX_CHIPS_PER_ORDER, Orders
from sim.columns import segment_rows
from sim.installed import SOURCE_DOMESTIC, SOURCE_INDEX, installed_source
from sim.policies.export_controls import DENIED, STATUS_CODE
from sim.scenario.fields import BLOC_CODE, CONTROLLING_BLOC

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.model import ChipSupplyModel

PROMOTED_BLOC = CONTROLLING_BLOC
ROWS_PER_CHUNK = 1 << 15  # offer rows worked out at once: a few MB of temporaries, a few dozen numpy calls


def plan_orders(model: ChipSupplyModel, month: int, rows_per_chunk: int = ROWS_PER_CHUNK) -> Orders:
    """This month's orders from every data center with cash, in data-center order, then supplier and offer order.

    Data centers are taken a chunk at a time (about ``rows_per_chunk`` offer rows each, whole data centers): every
    step is row by row or data center by data center, so the orders are the same whatever the chunks, and the
    month's temporaries are a chunk's, not the whole world's (at S10k they were ~30 MB, the largest of any phase,
    and set how far the heap grew)."""
    pool = _OfferPool(model, month)
    return Orders.concatenate([_orders_of(model, pool, pool.rows(edges)) for edges in pool.chunks(rows_per_chunk)])


def _orders_of(model: ChipSupplyModel, pool: _OfferPool, offers: _OfferRows) -> Orders:
    """The orders of the data centers whose offers are ``offers`` (all of each one's offers, grouped by center)."""
    center = offers.center
    cash_by_center = model.center_arrays.cash_usd
    buying = cash_by_center[center] > 0
    if not buying.any():
        return Orders.empty()
    rows = np.flatnonzero(buying)
    pool_row = offers.pool_row[rows]
    center, chip, price = center[rows], pool.chip[pool_row], pool.price[pool_row]

    # How each data center weighs each offer: its own bloc's chips, and promoted US hardware, look cheaper.
    chips = model.chips
    home_weight = 1.0 - model.center_arrays.home_vendor_preference
    promoted = model.rules.promoted_bloc_preference
    source = installed_source(chips, chip, model.center_arrays.owner_bloc_code[center])
    weight = np.where(source == SOURCE_INDEX[SOURCE_DOMESTIC], home_weight[center], 1.0)
    if promoted.any():
        promote = (promoted[center] != 0) & (chips.vendor_bloc_code[chip] == BLOC_CODE[PROMOTED_BLOC])
        weight = np.where(promote, weight * (1.0 - promoted[center]), weight)

    starts = np.flatnonzero(np.diff(center, prepend=-1))  # rows are grouped by data center
    counts = np.diff(np.append(starts, len(center)))
    effective = price / chips.h100e[chip] * weight
    cheapest = np.repeat(np.minimum.reduceat(effective, starts), counts)
    attraction = np.exp(-model.params.buyer_price_sensitivity * (effective / cheapest - 1.0))
    shares = attraction / np.repeat(np.add.reduceat(attraction, starts), counts)
    spend = cash_by_center[center] * shares
    center_node = model.network.center_node
    if model.rules.announced_controls:
        # A ban is announced: buy ahead of it, spending future budget (cash may go negative: a debt).
        soon = model.export_gate.denied_soon_codes(chip, center_node[center])
        spend = np.where(soon, spend * model.params.stockpile_spending_multiplier, spend)
    quantity = whole_units(spend, price)

    placed = np.flatnonzero(quantity >= 1)
    # Most offers become orders, but the seller's columns are gathered for the placed rows only.
    route, routes = offers.route[rows[placed]], pool.routes
    return Orders(buyer=center_node[center[placed]], seller=routes.edge_seller[route], edge=routes.edge_network[route],
                  seller_cell=pool.cell[pool_row[placed]], chip=chip[placed],
                  requested=np.minimum(quantity[placed], MAX_CHIPS_PER_ORDER).astype(np.int64),
                  unit_price_usd=price[placed])


class OfferRoutes:
    """Which data center buys from which supplier, and which of them are quoted the same list (an offer block).

    Suppliers quote the same list to every buyer with the same offer key, and a data center's key with a supplier
    depends only on what never changes in a run (its country; never being entity-listed; whether it is a smuggling
    customer), so the routes and their blocks are worked out once. Each month every block is asked once.
    """

    def __init__(self, model: ChipSupplyModel) -> None:
        block_of: dict[tuple, int] = {}
        self.blocks: list[tuple[SupplyChainAgent, SupplyChainAgent]] = []  # (supplier, a buyer it quotes)
        edge_block: list[int] = []
        edge_center: list[int] = []
        edge_seller: list[int] = []
        for position, center in enumerate(model.data_centers):
            for supplier in center.suppliers:
                key = (supplier.agent_id, supplier.offer_key(center))
                block = block_of.get(key)
                if block is None:
                    block = block_of[key] = len(self.blocks)
                    self.blocks.append((supplier, center))
                edge_block.append(block)
                edge_center.append(position)
                edge_seller.append(supplier.node)
        self.edge_block = np.array(edge_block, dtype=np.int64)
        self.edge_center = np.array(edge_center, dtype=np.int64)
        self.edge_seller = np.array(edge_seller, dtype=np.int64)
        network = model.network
        self.edge_network = network.edge_numbers(self.edge_seller, network.center_node[self.edge_center])
        # Each block's supplier as a vendor or intermediary index (-1: not one), and the buyer it quotes, by node.
        block_seller = np.array([supplier.node for supplier, _ in self.blocks], dtype=np.int64)
        self.block_vendor = network.node_vendor[block_seller]
        self.block_item = network.node_intermediary[block_seller]
        self.block_buyer = np.array([buyer.node for _, buyer in self.blocks], dtype=np.int64)
        # Intermediaries quote smuggling customers the grey list.
        self.block_grey = np.array([self.block_item[b] >= 0 and supplier.offer_key(buyer)[0]
                                    for b, (supplier, buyer) in enumerate(self.blocks)], dtype=bool)


@dataclass(frozen=True)
class _OfferRows:
    """Some data centers' offers as rows, in data-center then supplier order: each row's route (its seller, its edge)
    and its row in the month's pool of quoted rows (the seller's cell, the chip, the price)."""

    center: np.ndarray  # the data center's place in the model's data centers
    route: np.ndarray  # in the offer routes
    pool_row: np.ndarray  # in the offer pool


class _OfferPool:
    """This month's quoted rows (seller's cell, chip number, price), each block's list once; every data center's
    offers are the lists of the blocks of its suppliers, in supplier order (``rows``)."""

    def __init__(self, model: ChipSupplyModel, month: int) -> None:
        self.routes = routes = model.offer_routes
        # The pool of quoted rows: vendors' blocks, then intermediaries' local quotes, then their grey quotes. A
        # vendor quotes every released chip the export rules let it sell to the block's kind of buyer.
        vendor_cell, vendor, chip, price = model.vendor_arrays.price_list(month)
        per_vendor = np.bincount(vendor, minlength=len(model.vendors))
        vendor_blocks = np.flatnonzero(routes.block_vendor >= 0)
        asked = routes.block_vendor[vendor_blocks]
        block, row = segment_rows((np.cumsum(per_vendor) - per_vendor)[asked], per_vendor[asked])
        block = vendor_blocks[block]
        sellable = model.export_gate.status_codes(chip[row], routes.block_buyer[block]) != STATUS_CODE[DENIED]
        block, row = block[sellable], row[sellable]
        sizes = np.bincount(block, minlength=len(routes.blocks))
        block_start = np.zeros(len(routes.blocks), dtype=np.int64)
        block_start[vendor_blocks] = (np.cumsum(sizes) - sizes)[vendor_blocks]  # vendor blocks' rows come in order
        # Intermediaries' quotes for the month, all at once (asked even when no buyer can pay: asking is what
        # refreshes their costs).
        local, grey = model.intermediary_arrays.quotes(month)
        offset = len(row)
        for quotes, grey_list in ((local, False), (grey, True)):
            blocks = np.flatnonzero((routes.block_item >= 0) & (routes.block_grey == grey_list))
            first = np.searchsorted(quotes.seller_row, routes.block_item[blocks])
            sizes[blocks] = np.searchsorted(quotes.seller_row, routes.block_item[blocks], side="right") - first
            block_start[blocks] = offset + first
            offset += len(quotes)
        self.cell = np.concatenate([vendor_cell[row], local.cell, grey.cell])
        self.chip = np.concatenate([chip[row], local.chip, grey.chip])
        self.price = np.concatenate([price[row], local.price_usd, grey.price_usd])
        self.block_start, self.block_size = block_start, sizes

    def chunks(self, rows_per_chunk: int) -> list[slice]:
        """The routes (edges from a supplier to a data center) in slices of whole data centers, each with about
        ``rows_per_chunk`` offer rows (more when one data center has more)."""
        routes = self.routes
        rows_before = np.cumsum(self.block_size[routes.edge_block]) - self.block_size[routes.edge_block]
        first_of_center = np.flatnonzero(np.diff(routes.edge_center, prepend=-1))  # routes are grouped by center
        chunk = rows_before[first_of_center] // max(1, rows_per_chunk)
        starts = first_of_center[np.flatnonzero(np.diff(chunk, prepend=-1))].tolist()
        return [slice(start, stop) for start, stop in zip(starts, starts[1:] + [len(routes.edge_center)], strict=True)]

    def rows(self, edges: slice) -> _OfferRows:
        """The offers over the routes ``edges``: the block of each route's supplier, route by route."""
        routes = self.routes
        block = routes.edge_block[edges]
        route, pool_row = segment_rows(self.block_start[block], self.block_size[block])
        route += edges.start
        return _OfferRows(center=routes.edge_center[route], route=route, pool_row=pool_row)


def whole_units(spend: np.ndarray, price: np.ndarray) -> np.ndarray:
    """``spend // price`` row by row (as floats), without numpy's slow floor division on every row.

    The rounded quotient's floor is the true quotient's floor unless the rounded quotient is a whole number (rounding
    cannot step over a whole number without landing on it); only rows near one are divided the slow, exact way."""
    ratio = spend / price
    quantity = np.floor(ratio)
    near = np.abs(ratio - np.rint(ratio)) <= 1e-9 * np.maximum(1.0, np.abs(ratio))
    quantity[near] = np.floor_divide(spend[near], price[near])
    return quantity
