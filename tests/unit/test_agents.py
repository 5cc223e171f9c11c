"""Agent behaviour on the tiny hand-built world (yield 1, no noise), with the expected flows written out."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_scenario
from sim.agents.fab import Bookings, produce
from sim.agents.market import Order, ration
from sim.model import ChipSupplyModel
from tests.conftest import tiny


def _acquired(result, bloc: str) -> list[int]:
    rows = result.blocs[result.blocs["bloc"] == bloc]
    return rows["acquired_chips"].tolist()


def _produce(model: ChipSupplyModel, *wafers: float) -> list[int]:
    """Chips the US fab makes this month for bookings of the US vendor's first line of ``wafers`` each."""
    line = model.agents_by_id["usv"].product_lines[0]
    count = len(wafers)
    bookings = Bookings(
        fab=np.full(count, model.agents_by_id["usfab"].index), vendor=np.full(count, model.agents_by_id["usv"].index),
        chip=np.full(count, model.chips.of(line.chip)), node=np.full(count, model.fab_nodes.code(line.node)),
        hbm_stacks_per_chip=np.full(count, 2), via_front_company=np.zeros(count, dtype=np.int64),
        wafers_requested=np.array(wafers, dtype=float), chips_per_wafer=np.full(count, float(line.chips_per_wafer)),
        chips_per_packaging_wafer=np.full(count, float(line.chips_per_packaging_wafer or 0.0)),
        dies_per_package=np.ones(count, dtype=np.int64))
    return produce(model.fabs, bookings, model.fab_nodes, model.streams, model.rules.front_company_detection).tolist()


def test_fab_makes_wafers_times_chips_per_wafer_times_yield() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    assert _produce(model, 7) == [70]  # 7 wafers x 10 chips, yield 1


def test_fab_grants_wafers_pro_rata_when_the_node_is_oversubscribed() -> None:
    model = ChipSupplyModel(tiny(**{"fabs.usfab.nodes.N4.wafers_per_month": 30.0}), seed=0)
    assert _produce(model, 20, 40) == [100, 200]  # 30 wafers split 1:2


def test_packaging_capacity_caps_finished_chips() -> None:
    model = ChipSupplyModel(tiny(**{"fabs.usfab.packaging_wafers_per_month": 3.0}), seed=0)
    assert _produce(model, 10) == [30]  # 3 packaging wafers x 10 chips, though wafers allow 100


def test_hbm_stockpile_is_drawn_down_then_monthly_supply_binds() -> None:
    model = ChipSupplyModel(
        tiny(**{"fabs.usfab.hbm_stacks_per_month": 40.0, "fabs.usfab.hbm_stacks_stock": 100.0}), seed=0
    )
    fab = model.agents_by_id["usfab"]
    assert _produce(model, 10) == [70]  # (100 stock + 40 delivered) / 2 stacks per chip
    assert fab.hbm_stacks_stock == 0
    assert _produce(model, 10) == [20]  # only this month's 40 stacks


def test_a_fab_with_nothing_booked_stockpiles_its_hbm() -> None:
    model = ChipSupplyModel(tiny(**{"fabs.usfab.hbm_stacks_per_month": 40.0}), seed=0)
    fab = model.agents_by_id["usfab"]
    before = fab.hbm_stacks_stock
    assert _produce(model) == []
    assert fab.hbm_stacks_stock == before + 40 and fab.chips_made_this_month == 0


def test_yield_draw_is_binomial_and_seeded() -> None:
    scenario = tiny(**{"fabs.usfab.nodes.N4.yield_fraction": 0.5})
    made = []
    for seed in (1, 1, 2):
        model = ChipSupplyModel(scenario, seed=seed)
        made += _produce(model, 100)
    assert made[0] == made[1] != made[2]
    assert all(400 < m < 600 for m in made)  # 1000 candidates at yield 0.5


def test_rationing_is_pro_rata_whole_chips_and_ties_go_to_the_earlier_order() -> None:
    orders = [Order(None, None, "big", 6, 1.0), Order(None, None, "big", 9, 1.0)]
    ration(10, orders)
    assert [o.filled for o in orders] == [4, 6]
    ties = [Order(None, None, "big", 1, 1.0) for _ in range(3)]
    ration(2, ties)
    assert [o.filled for o in ties] == [1, 1, 0]
    plenty = [Order(None, None, "big", 5, 1.0)]
    ration(100, plenty)
    assert plenty[0].filled == 5


def test_data_center_buys_its_budget_in_whole_chips_and_installs_after_the_lead_time() -> None:
    result = run_scenario(tiny(**{"parameters.shipping_lead_time_months.value": 3}), seed=0)
    # CN data center: 500k USD a month at 10k USD a chip = 50 chips, arriving 3 months after each sale.
    assert _acquired(result, "china")[:6] == [0, 0, 0, 50, 50, 50]
    china = result.blocs[result.blocs["bloc"] == "china"]
    assert china["spend_usd"].iloc[0] == 500_000


def test_installed_chips_retire_after_their_lifetime() -> None:
    result = run_scenario(tiny(**{"parameters.chip_lifetime_months.value": 12}), seed=0)
    us = result.blocs[result.blocs["bloc"] == "us_allies"].reset_index()
    # The 100 initial chips were 10 months old at 2025-01, so they reach 12 months in 2025-03.
    assert us.loc[us["date"] == "2025-03", "retired_chips"].item() == 100
    assert us["retired_chips"].sum() == 100


def test_intermediary_resells_at_its_markup_and_vendor_books_revenue_by_destination() -> None:
    result = run_scenario(tiny(), seed=0)
    flows = result.tables["flows"]
    resale = flows[(flows["kind"] == "legal") & (flows["from_bloc"] == "rest")]
    assert (resale["value_usd"] == resale["chips"] * 11_000).all()  # 10k list price + 10% markup
    revenue = result.tables["revenue"]
    to_rest = revenue[(revenue["vendor"] == "usv") & (revenue["destination_bloc"] == "rest")]["revenue_usd"].sum()
    sold_to_rest = flows[(flows["kind"] == "legal") & (flows["from_bloc"] == "us_allies")
                         & (flows["to_bloc"] == "rest")]["value_usd"].sum()
    assert to_rest == sold_to_rest > 0


def test_vendor_raises_its_price_when_orders_outrun_stock() -> None:
    scarce = tiny(**{
        "parameters.vendor_price_response.value": 0.5,
        "data_centers.usdc.budget_usd_per_month": 5.0e6,  # 500 chips wanted, at most 100 made
    })
    prices = run_scenario(scarce, seed=0).tables["prices"]
    big = prices[prices["chip"] == "big"]["price_usd"]
    assert (big > 10_000).all()  # above list price from the first month
    assert big.max() == 20_000  # and held at the ceiling, 2x list


def test_vendor_cuts_its_price_in_a_glut_down_to_its_floor() -> None:
    glut = tiny(**{
        "parameters.vendor_price_response.value": 0.5,
        "data_centers.usdc.budget_usd_per_month": 50_000.0,  # 5 chips wanted, 100 made
        "data_centers.sgdc.budget_usd_per_month": 0.0,
    })
    prices = run_scenario(glut, seed=0).tables["prices"]
    big = prices[prices["chip"] == "big"]["price_usd"]
    assert big.iloc[-1] < 10_000
    assert big.min() == 5_000  # floor: half of list


def test_enforcement_budget_buys_inspections() -> None:
    world = run_scenario(tiny(), seed=0).world
    assert (world["inspection_capacity"] == 10).all()  # 1.2M USD a year / 12 / 10k per inspection
    assert (world["inspections"] <= 10).all()


def test_export_control_stops_sales_to_controlled_destinations_from_its_effective_month() -> None:
    control = {
        "type": "export_control", "announce": "2025-01", "effective": "2025-04", "source": "assumption: test",
        "params": {"tpp_threshold": 4800.0, "destination_tiers": [2]},
    }
    result = run_scenario(tiny(policies=[control]), seed=0)
    flows = result.tables["flows"]
    to_hub = flows[(flows["from_bloc"] == "us_allies") & (flows["to_bloc"] == "rest")]
    assert set(to_hub["date"]) <= {"2025-01", "2025-02", "2025-03"}
    # The Chinese vendor's domestic sales are outside a US control: unchanged.
    assert _acquired(result, "china")[1:] == [50] * 11


@pytest.mark.parametrize("budget, expected", [(0.0, 0), (9_999.0, 0), (10_000.0, 1)])
def test_data_center_never_overspends(budget: float, expected: int) -> None:
    result = run_scenario(tiny(**{"data_centers.cndc.budget_usd_per_month": budget}), seed=0)
    assert _acquired(result, "china")[1] == expected


def test_a_model_nobody_uses_is_freed_and_agents_number_from_one_in_each_model() -> None:
    # Mesa's own agent numbering holds every model alive; sweeps and browser resets would grow without bound.
    import gc
    import weakref

    first = ChipSupplyModel(tiny(), seed=0)
    first.step()
    second = ChipSupplyModel(tiny(), seed=0)
    assert sorted(a.unique_id for a in first.agents) == sorted(a.unique_id for a in second.agents)
    assert min(a.unique_id for a in second.agents) == 1
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None
