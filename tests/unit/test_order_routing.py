"""Orders carry the trade-network edge they travel and the seller's cell for their chip, worked out when the offers
are laid out; both must still be right when the orders are filled, month after month, as variants add cells."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import check_before_phase, shipped_model, synthetic_model


def check_routing(model, orders) -> int:
    """Each order's edge is its seller -> buyer edge, and its cell the seller's cell for its chip."""
    assert np.array_equal(orders.edge, model.network.edge_numbers(orders.seller, orders.buyer))
    vendor, item = model.network.node_vendor[orders.seller], model.network.node_intermediary[orders.seller]
    assert ((vendor >= 0) != (item >= 0)).all()  # every seller is a vendor or an intermediary
    to_vendor, to_item = vendor >= 0, item >= 0
    assert np.array_equal(orders.seller_cell[to_vendor],
                          model.vendor_arrays.cells(vendor[to_vendor], orders.chip[to_vendor]))
    assert np.array_equal(orders.seller_cell[to_item],
                          model.intermediary_arrays.cells(item[to_item], orders.chip[to_item]))
    return len(orders)


@pytest.mark.parametrize("make", [lambda: shipped_model("dynamic_thresholds"), lambda: synthetic_model(1000, ticks=24)],
                         ids=["dynamic_thresholds", "S1k"])
def test_orders_edges_and_cells_hold_when_they_are_filled(make) -> None:
    model = make()
    cells_at_start = len(model.vendor_arrays.cell_chip)
    months = model.end_month - model.month
    checked = check_before_phase(model, months, "_fill_intermediary_orders", lambda m: check_routing(m, m.orders))
    assert checked > 0
    model = make()
    checked = check_before_phase(model, months, "_fill_vendor_orders",
                                 lambda m: check_routing(m, m.orders) + check_routing(m, m.restock_orders))
    assert checked > 0
    # Variants launched mid-run add vendor cells (renumbering those after them): the orders still held.
    assert len(model.vendor_arrays.cell_chip) > cells_at_start
