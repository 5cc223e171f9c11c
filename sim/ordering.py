"""Data centers' monthly orders, worked out for all data centers at once.

Each data center spreads its cash over its suppliers' offers with a logit on price per H100e (its own bloc's chips and
promoted US hardware look cheaper by its preferences), spends more on a chip an announced control will soon deny, and
orders whole chips. Done per data center, the arithmetic on a handful of offers was mostly numpy's per-call overhead;
here the offers of every data center are one set of arrays and each step is one array operation over all of them,
with per-center minima and sums taken over contiguous segments. The numbers are the same as the per-center rule's
(tests/unit/test_ordering.py checks them against it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import Order

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.model import ChipSupplyModel

PROMOTED_BLOC = "us_allies"


def plan_orders(model: ChipSupplyModel, month: int) -> list[Order]:
    """This month's orders from every data center with cash, in data-center order, then supplier and offer order."""
    offers = _OfferRows(model, month)
    center = offers.center
    cash_by_center = np.array([c.cash_usd for c in model.data_centers])
    buying = cash_by_center[center] > 0
    if not buying.any():
        return []
    rows = np.flatnonzero(buying)
    center, chip, price = center[rows], offers.chip[rows], offers.price[rows]

    # How each data center weighs each offer: its own bloc's chips, and promoted US hardware, look cheaper.
    chips = offers.chip_table
    owner_bloc = np.array([c.owner_bloc for c in model.data_centers], dtype=object)
    home_weight = np.array([1.0 - c.home_vendor_preference for c in model.data_centers])
    promoted = np.array([c.promoted_bloc_preference for c in model.data_centers])
    domestic = ~chips.proxy[chip] & (chips.vendor_bloc[chip] == owner_bloc[center])
    weight = np.where(domestic, home_weight[center], 1.0)
    promote = (promoted[center] != 0) & chips.promoted_bloc[chip]
    weight = np.where(promote, weight * (1.0 - promoted[center]), weight)

    starts = np.flatnonzero(np.diff(center, prepend=-1))  # rows are grouped by data center
    counts = np.diff(np.append(starts, len(center)))
    effective = price / chips.h100e[chip] * weight
    cheapest = np.repeat(np.minimum.reduceat(effective, starts), counts)
    attraction = np.exp(-model.params.buyer_price_sensitivity * (effective / cheapest - 1.0))
    shares = attraction / np.repeat(np.add.reduceat(attraction, starts), counts)
    spend = cash_by_center[center] * shares
    if model.announced_controls:
        # A ban is announced: buy ahead of it, spending future budget (cash may go negative: a debt).
        soon = [model.denied_soon(chips.ids[c], model.data_centers[d]) for c, d in zip(chip, center, strict=True)]
        spend = np.where(soon, spend * model.params.stockpile_spending_multiplier, spend)
    quantity = np.floor_divide(spend, price)

    placed = np.flatnonzero(quantity >= 1)
    centers, ids = model.data_centers, chips.ids
    # Plain lists from here: one numpy scalar per field and order would cost more than all the arithmetic above.
    return [
        Order(centers[c], seller, ids[k], int(q), p)  # buyer, seller, chip, requested, unit price
        for c, seller, k, q, p in zip(center[placed].tolist(), offers.seller[rows[placed]].tolist(),
                                      chip[placed].tolist(), quantity[placed].tolist(), price[placed].tolist(),
                                      strict=True)
    ]


def place_orders(model: ChipSupplyModel, month: int) -> None:
    for order in plan_orders(model, month):
        order.seller.take_order(order)


class _ChipTable:
    """The chips on offer this month, numbered, with what ordering needs of each as arrays."""

    def __init__(self, model: ChipSupplyModel) -> None:
        self.model = model
        self.ids: list[str] = []
        self.number: dict[str, int] = {}

    def numbered(self, chip_ids: list[str]) -> list[int]:
        for chip in chip_ids:
            if chip not in self.number:
                self.number[chip] = len(self.ids)
                self.ids.append(chip)
        return [self.number[chip] for chip in chip_ids]

    def freeze(self) -> None:
        catalog, vendor_bloc = self.model.catalog, self.model.vendor_bloc
        models = [catalog[chip] for chip in self.ids]
        self.h100e = np.array([chip.h100e for chip in models])
        self.proxy = np.array([chip.proxy_fabricated for chip in models], dtype=bool)
        self.vendor_bloc = np.array([vendor_bloc[chip.vendor_id] for chip in models], dtype=object)
        self.promoted_bloc = self.vendor_bloc == PROMOTED_BLOC


class _OfferRows:
    """Every data center's offers as rows (data center, seller, chip, price), in data-center then supplier order.

    Suppliers quote the same list to every buyer with the same offer key, so each list is asked for once and its
    rows are repeated for every data center it goes to.
    """

    def __init__(self, model: ChipSupplyModel, month: int) -> None:
        self.chip_table = _ChipTable(model)
        block_of: dict[tuple, int] = {}
        block_chips: list[list[int]] = []
        block_prices: list[list[float]] = []
        edge_block: list[int] = []
        edge_center: list[int] = []
        edge_seller: list[SupplyChainAgent] = []
        for position, center in enumerate(model.data_centers):
            for supplier in center.suppliers:
                key = (supplier.agent_id, supplier.offer_key(center))
                block = block_of.get(key)
                if block is None:
                    # Asked even when the center cannot pay: asking is what refreshes a reseller's quotes.
                    quoted = supplier.offers(month, center)
                    block = block_of[key] = len(block_chips)
                    block_chips.append(self.chip_table.numbered([chip for chip, _price, _stock in quoted]))
                    block_prices.append([price for _chip, price, _stock in quoted])
                edge_block.append(block)
                edge_center.append(position)
                edge_seller.append(supplier)
        self.chip_table.freeze()

        sizes = np.array([len(chips) for chips in block_chips], dtype=np.int64)
        block_start = np.cumsum(sizes) - sizes
        pool_chip = np.array([c for chips in block_chips for c in chips], dtype=np.int64)
        pool_price = np.array([p for prices in block_prices for p in prices], dtype=float)
        edge_block_array = np.array(edge_block, dtype=np.int64)
        per_edge = sizes[edge_block_array] if len(edge_block) else np.zeros(0, dtype=np.int64)
        row_edge = np.repeat(np.arange(len(edge_block)), per_edge)
        first_row_of_edge = np.cumsum(per_edge) - per_edge
        pool_row = block_start[edge_block_array][row_edge] + np.arange(len(row_edge)) - first_row_of_edge[row_edge]
        self.center = np.array(edge_center, dtype=np.int64)[row_edge]
        sellers = np.empty(len(edge_seller), dtype=object)
        sellers[:] = edge_seller  # filled, not np.array(list): an agent must stay one element
        self.seller = sellers[row_edge]
        self.chip = pool_chip[pool_row]
        self.price = pool_price[pool_row]
