"""Vendors' sales of the month: every vendor's orders filled at once, shipped and paid for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import Order, Orders, ration_groups, sum_by_group
from sim.columns import stable_order
from sim.policies.export_controls import ALLOWANCE, DENIED, LICENSED, STATUS_CODE, TIERED
from sim.scenario.fields import BLOCS
from sim.trade import LICENSED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


def fill_vendor_orders(model: ChipSupplyModel, orders: Orders, month: int) -> None:
    """Every vendor's orders of the month (the rows of ``orders`` whose seller is one), filled at once: stock
    rationed among each chip's orders (none for a buyer the export rules deny), shipped (``licensed`` when sold under
    a licence or allowance), paid for; then each vendor updates its forecasts and prices.

    A chip's orders are its vendor's ``orders`` of old, in the order placed; vendors and chips go in the order the
    per-vendor rule took them (vendor, then its list of chips: the order of the vendor arrays' cells), which is also
    the order of shipments. Chips with orders under an allowance or tiered caps go through ``fill_capped_orders`` one
    order at a time, in that order, since each sale uses up a cap the next one sees.
    """
    vendors, chips, nodes, arrays = model.vendors, model.chips, model.nodes, model.vendor_arrays
    mine = np.flatnonzero(model.network.node_vendor[orders.seller] >= 0)
    placed = mine[stable_order(orders.seller_cell[mine])]
    cell = orders.seller_cell[placed]
    orders = orders.take(placed)
    status = model.export_gate.status_codes(orders.chip, orders.buyer)

    available = arrays.inventory.copy()
    filled = ration_groups(available, cell, np.where(status == STATUS_CODE[DENIED], 0, orders.requested))
    licensed = status == STATUS_CODE[LICENSED]
    tariff = np.zeros(len(orders))
    capped = (status == STATUS_CODE[ALLOWANCE]) | (status == STATUS_CODE[TIERED])
    if capped.any():
        for c in np.unique(cell[capped]).tolist():
            rows = np.flatnonzero(cell == c)
            vendor, chip = vendors[arrays.cell_vendor[c]], chips.ids[arrays.cell_chip[c]]
            group_orders = [Order(nodes[b], vendor, chip, q, p) for b, q, p in zip(
                orders.buyer[rows].tolist(), orders.requested[rows].tolist(), orders.unit_price_usd[rows].tolist(),
                strict=True)]
            licensed[rows], tariff[rows] = vendor.fill_capped_orders(chip, group_orders, int(available[c]))
            filled[rows] = [order.filled for order in group_orders]

    value = filled * orders.unit_price_usd
    model.network.ship(orders.seller, orders.buyer, orders.chip, filled, month, filled * chips.h100e[orders.chip],
                       value, kind=np.where(licensed, LICENSED_CODE, -1), edge=orders.edge)
    model.center_arrays.pay(model.network.node_center[orders.buyer], value)
    model.intermediary_arrays.on_filled(orders.buyer, orders.chip, filled, value)

    # Per vendor: revenue net of tariffs and tariffs, by destination country (sales only).
    sold = filled > 0
    countries = arrays.revenue_usd.shape[1]
    vendor_country = arrays.cell_vendor[cell[sold]] * countries + model.network.node_country[orders.buyer[sold]]
    arrays.revenue_usd += sum_by_group(vendor_country, value[sold] - tariff[sold],
                                       arrays.revenue_usd.size).reshape(arrays.revenue_usd.shape)
    arrays.tariff_usd += sum_by_group(vendor_country, tariff[sold], arrays.tariff_usd.size).reshape(
        arrays.tariff_usd.shape)
    # Per cell: chips filled, in all and by the buyer's bloc (for next month's home-sales caps).
    cells, blocs = len(arrays.cell_chip), len(BLOCS)
    filled_by_cell = sum_by_group(cell, filled, cells)
    arrays.inventory -= filled_by_cell
    arrays.chips_sold = sum_by_group(arrays.cell_vendor, filled_by_cell, len(vendors))
    arrays.sold_by_bloc = sum_by_group(cell * blocs + model.network.node_bloc_code[orders.buyer], filled,
                                       cells * blocs).reshape(cells, blocs)
    arrays.after_sales(month, ordered=sum_by_group(cell, orders.requested, cells), available=available)
