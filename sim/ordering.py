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
from sim.installed import SOURCE_DOMESTIC

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.agents.datacenter import DataCenterAgent
    from sim.model import ChipSupplyModel

PROMOTED_BLOC = "us_allies"


def plan_orders(model: ChipSupplyModel, month: int) -> list[Order]:
    """This month's orders from every data center with cash, in data-center order, then offer order."""
    catalog = model.catalog
    vendor_bloc = model.vendor_bloc
    buyers: list[DataCenterAgent] = []
    segment_starts: list[int] = []
    sellers: list[SupplyChainAgent] = []
    chips: list[str] = []
    prices: list[float] = []
    h100e: list[float] = []
    weights: list[float] = []
    for center in model.data_centers:
        start = len(prices)
        # Offers are asked for even when the center cannot pay: asking is what refreshes a reseller's quotes.
        for supplier in center.suppliers:
            for chip, price, _stock in supplier.offers(month, center):
                sellers.append(supplier)
                chips.append(chip)
                prices.append(price)
        if len(prices) == start or center.cash_usd <= 0:
            del sellers[start:], chips[start:], prices[start:]
            continue
        buyers.append(center)
        segment_starts.append(start)
        home_weight = 1.0 - center.home_vendor_preference
        promoted_weight = 1.0 - center.promoted_bloc_preference
        for chip in chips[start:]:
            h100e.append(catalog[chip].h100e)
            weight = home_weight if center.source_of(chip) == SOURCE_DOMESTIC else 1.0
            if center.promoted_bloc_preference and vendor_bloc[catalog[chip].vendor_id] == PROMOTED_BLOC:
                weight *= promoted_weight
            weights.append(weight)
    if not buyers:
        return []

    starts = np.array(segment_starts)
    counts = np.diff(np.append(starts, len(prices)))
    price = np.array(prices)
    effective = price / np.array(h100e) * np.array(weights)
    cheapest = np.repeat(np.minimum.reduceat(effective, starts), counts)
    attraction = np.exp(-model.params.buyer_price_sensitivity * (effective / cheapest - 1.0))
    shares = attraction / np.repeat(np.add.reduceat(attraction, starts), counts)
    spend = np.repeat([center.cash_usd for center in buyers], counts) * shares
    if model.announced_controls:
        buyer_of_row = np.repeat(np.arange(len(buyers)), counts)
        # A ban is announced: buy ahead of it, spending future budget (cash may go negative: a debt).
        soon = [model.denied_soon(chip, buyers[b]) for chip, b in zip(chips, buyer_of_row, strict=True)]
        spend = np.where(soon, spend * model.params.stockpile_spending_multiplier, spend)
    quantity = np.floor_divide(spend, price)

    orders = []
    buyer_index = np.repeat(np.arange(len(buyers)), counts)
    for row in np.flatnonzero(quantity >= 1):
        orders.append(Order(buyer=buyers[buyer_index[row]], seller=sellers[row], chip=chips[row],
                            requested=int(quantity[row]), unit_price_usd=prices[row]))
    return orders


def place_orders(model: ChipSupplyModel, month: int) -> None:
    for order in plan_orders(model, month):
        order.seller.take_order(order)
