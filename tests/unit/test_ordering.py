"""Orders worked out for all data centers at once are exactly those of the per-data-center rule, month by month."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.market import Order, Orders
from sim.installed import SOURCE_DOMESTIC
from sim.model import ChipSupplyModel
from sim.ordering import _OfferPool, plan_orders, whole_units
from sim.scenario import load_scenario, validate
from sim.synthetic import synthetic_scenario
from tests.conftest import check_before_phase
from tests.unit.test_order_routing import check_routing


def logit_shares(price_per_h100e: np.ndarray, sensitivity: float) -> np.ndarray:
    relative = price_per_h100e / price_per_h100e.min() - 1.0
    weights = np.exp(-sensitivity * relative)
    return weights / weights.sum()


def per_center_orders(model: ChipSupplyModel, month: int) -> list[Order]:
    """The reference: each data center on its own, offer by offer, as the model first did it."""
    orders = []
    for center in model.data_centers:
        offers = [(supplier, chip, price) for supplier in center.suppliers
                  for chip, price, _stock in supplier.offers(month, center)]
        if not offers or center.cash_usd <= 0:
            continue
        weights = []
        for _supplier, chip, _price in offers:
            weight = 1.0 - center.home_vendor_preference if center.source_of(chip) == SOURCE_DOMESTIC else 1.0
            if center.promoted_bloc_preference and model.vendor_bloc[model.catalog[chip].vendor_id] == "us_allies":
                weight *= 1.0 - center.promoted_bloc_preference
            weights.append(weight)
        effective = np.array([price / model.catalog[chip].h100e * weight
                              for (_s, chip, price), weight in zip(offers, weights, strict=True)])
        shares = logit_shares(effective, model.params.buyer_price_sensitivity)
        for (supplier, chip, price), share in zip(offers, shares, strict=True):
            spend = center.cash_usd * share
            if model.export_gate.denied_soon(chip, center):
                spend *= model.params.stockpile_spending_multiplier
            quantity = int(spend // price)
            if quantity > 0:
                orders.append(Order(buyer=center, seller=supplier, chip=chip, requested=quantity,
                                    unit_price_usd=price))
    return orders


def _as_rows(orders: list[Order]) -> list[tuple]:
    return [(o.buyer.agent_id, o.seller.agent_id, o.chip, o.requested, o.unit_price_usd) for o in orders]


def _columns_as_rows(model: ChipSupplyModel, orders: Orders) -> list[tuple]:
    nodes, chips = model.nodes, model.chips.ids
    return [(nodes[b].agent_id, nodes[s].agent_id, chips[c], q, p) for b, s, c, q, p in zip(
        orders.buyer.tolist(), orders.seller.tolist(), orders.chip.tolist(), orders.requested.tolist(),
        orders.unit_price_usd.tolist(), strict=True)]


def _same_orders(model: ChipSupplyModel) -> int:
    expected = _as_rows(per_center_orders(model, model.month))
    assert _columns_as_rows(model, plan_orders(model, model.month)) == expected, f"orders differ in {model.date}"
    return len(expected)


def _compare_every_month(model: ChipSupplyModel, months: int) -> int:
    return check_before_phase(model, months, "_place_orders", _same_orders)


# Baseline: announced controls (stockpiling); tight: denials and smuggling routes; promotion: promoted US hardware.
@pytest.mark.parametrize("name", ["baseline", "tight", "us_stack_promotion"])
def test_orders_match_the_per_center_rule_in_shipped_scenarios(name: str) -> None:
    model = ChipSupplyModel(load_scenario(f"scenarios/{name}.yaml").scenario, seed=3)
    assert _compare_every_month(model, months=40) > 1000


def test_orders_match_the_per_center_rule_in_a_synthetic_world() -> None:
    model = ChipSupplyModel(validate(synthetic_scenario(1000), "synthetic"), seed=1)
    assert _compare_every_month(model, months=3) > 5000


def test_orders_match_the_per_center_rule_when_some_centers_cannot_pay() -> None:
    # Centers without cash (none, or in debt after stockpiling) place no orders, and the orders of the centers after
    # them must still go to their own sellers over their own edges.
    model = ChipSupplyModel(validate(synthetic_scenario(1000), "synthetic"), seed=1)

    def without_cash_then_compare(model: ChipSupplyModel) -> int:
        cash = model.center_arrays.cash_usd
        cash[0::3], cash[1::7] = 0.0, -1e6
        check_routing(model, plan_orders(model, model.month))  # each order's edge and seller's cell
        return _same_orders(model)

    assert check_before_phase(model, 2, "_place_orders", without_cash_then_compare) > 2000


def _same_orders_whatever_the_chunks(model: ChipSupplyModel) -> int:
    whole = plan_orders(model, model.month, rows_per_chunk=10**12)
    pool = _OfferPool(model, model.month)
    for rows_per_chunk in (1, 97, 5000):
        chunks = pool.chunks(rows_per_chunk)
        # Whole data centers, every route once, in order.
        assert chunks[0].start == 0 and chunks[-1].stop == len(model.offer_routes.edge_center)
        assert all(before.stop == after.start for before, after in zip(chunks, chunks[1:], strict=False))
        centers = model.offer_routes.edge_center
        assert all(centers[chunk.start - 1] != centers[chunk.start] for chunk in chunks[1:])
        chunked = plan_orders(model, model.month, rows_per_chunk=rows_per_chunk)
        for name in Orders.column_names():
            np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name), err_msg=name)
    assert len(pool.chunks(1)) > 100  # a chunk per data center
    return len(whole)


def test_orders_are_the_same_whatever_the_chunks_of_data_centers() -> None:
    model = ChipSupplyModel(validate(synthetic_scenario(1000), "synthetic"), seed=1)
    assert check_before_phase(model, 3, "_place_orders", _same_orders_whatever_the_chunks) > 5000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1e12), st.floats(1e-3, 1e7)), min_size=1, max_size=50),
       st.lists(st.tuples(st.integers(0, 10**9), st.floats(1e-3, 1e7)), max_size=20))
def test_whole_units_is_floor_division(drawn: list, multiples: list) -> None:
    # Exact multiples (spend = n x price, as rounded) are where a quick floor of the quotient can be one too many.
    rows = drawn + [(n * price, price) for n, price in multiples]
    spend, price = (np.array(column) for column in zip(*rows, strict=True))
    assert whole_units(spend, price).tolist() == np.floor_divide(spend, price).tolist()
