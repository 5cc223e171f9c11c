"""Intermediaries' sales of the month: their customers' orders filled from stock at once, shipped and paid for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import Orders, ration_groups, runs, sum_by_group
from sim.columns import rows_by_value, stable_order
from sim.trade import SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


def fill_intermediary_orders(model: ChipSupplyModel, orders: Orders, month: int) -> None:
    """Every intermediary's orders of the month (the rows of ``orders`` whose seller is one), filled at once from
    stock (rationed when short), shipped and paid for; diverted orders (over a smuggling route) are limited by the
    intermediary's covert capacity.

    Intermediaries go in model order, each through its chips sorted by id, orders in the order placed: the order of
    the per-intermediary rule of old, and of the shipments. Diverted orders share what is left of the covert capacity
    chip after chip, so intermediaries whose diverted orders this month exceed it are rationed a chip at a time (the
    k-th chip of all of them at once); for all others the capacity cannot bind and every chip is rationed at once.
    """
    arrays, chips = model.intermediary_arrays, model.chips
    items = len(model.intermediaries)
    row_item = model.network.node_intermediary[orders.seller]
    mine = np.flatnonzero(row_item >= 0)
    # The intermediaries' rows picked and put in order in one take (the columns are 100k rows at S10k).
    placed = mine[stable_order(row_item[mine] * len(chips) + chips.sort_rank[orders.chip[mine]])]
    orders, row_item = orders.take(placed), row_item[placed]
    group, first = runs(row_item * len(chips) + orders.chip)  # one group per (intermediary, chip)
    group_item, group_cell = row_item[first], orders.seller_cell[first]
    available = arrays.inventory[group_cell]
    covert = model.network.kind_codes(orders.edge) == SMUGGLED_CODE

    limits = orders.requested.copy()
    capacity_left = arrays.capacity_chips_per_month.copy()
    binding = sum_by_group(row_item[covert], orders.requested[covert], items) > capacity_left
    if not binding[group_item].any():
        filled = ration_groups(available, group, limits)
    else:
        # Intermediaries whose capacity cannot bind share out every chip at once.
        free = np.flatnonzero(~binding[row_item])
        filled = np.zeros(len(limits), dtype=np.int64)
        filled[free] = ration_groups(available, group[free], limits[free])
        # Where it can bind: ration chip by chip, the k-th chip of every such intermediary at once.
        position = np.arange(len(first)) - np.searchsorted(group_item, group_item)  # chip's place in its seller's
        bound = np.flatnonzero(binding[row_item])
        for _k, rows in rows_by_value(position[group[bound]]):
            rows = bound[rows]
            row_group, row_limits = group[rows], orders.requested[rows].copy()
            diverted = np.flatnonzero(covert[rows])
            # Diverted orders share what is left of the covert capacity; then all share the stock.
            row_limits[diverted] = ration_groups(capacity_left[group_item], row_group[diverted], row_limits[diverted])
            row_filled = ration_groups(available, row_group, row_limits)
            capacity_left -= sum_by_group(row_item[rows][diverted], row_filled[diverted], items)
            limits[rows], filled[rows] = row_limits, row_filled

    value = filled * orders.unit_price_usd
    model.network.ship(orders.seller, orders.buyer, orders.chip, filled, month, filled * chips.h100e[orders.chip],
                       value, edge=orders.edge)
    model.center_arrays.pay(model.network.node_center[orders.buyer], value)
    arrays.on_filled(orders.buyer, orders.chip, filled, value)
    arrays.after_sales(group_cell, ordered=sum_by_group(group, limits, len(first)),
                       filled=sum_by_group(group, filled, len(first)),
                       sales_usd=sum_by_group(row_item, value, items),
                       diverted=sum_by_group(row_item[covert], filled[covert], items))
