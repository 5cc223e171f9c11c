"""Intermediaries kept as arrays quote, restock and learn exactly as the per-intermediary rules do, month by month.

The references below are the rules as first written, one intermediary at a time with dictionaries: the cheapest of
its vendors' offers (ties to the vendor it lists first), its costs in the order it first priced each chip, its quotes
to local buyers and to smuggling customers, its restocking orders, and its belief update after inspections. Each
month they are worked out from the state the phase starts with and compared with what the arrays did.
"""

from __future__ import annotations

import pytest

from sim.agents.market import MAX_CHIPS_PER_ORDER
from sim.model import ChipSupplyModel
from sim.scenario import load_scenario, validate
from sim.synthetic import synthetic_scenario
from sim.trade import SMUGGLED_CODE


def cheapest_vendor_offers(item, month: int) -> dict[str, tuple]:
    best: dict[str, tuple] = {}
    for vendor in item.vendors:
        for chip, price, _stock in vendor.offers(month, item):
            if chip not in best or price < best[chip][1]:
                best[chip] = (vendor, price)
    return best


def costs_so_far(model: ChipSupplyModel, item) -> dict[str, float]:
    """The intermediary's last costs, as a dictionary in the order it first priced each chip."""
    arrays = model.intermediary_arrays
    mine = arrays.cells_of_item(item.index)
    ranked = sorted((rank, model.chips.ids[chip], cost) for chip, rank, cost in zip(
        arrays.cell_chip[mine].tolist(), arrays.cost_rank[mine].tolist(), arrays.last_cost_usd[mine].tolist(),
        strict=True) if rank >= 0)
    return {chip: cost for _rank, chip, cost in ranked}


def diversion_pays(model: ChipSupplyModel, item, cost: float) -> bool:
    if item.listed or item.diversion_capacity_chips_per_month == 0:
        return False
    caught = item.believed_detection
    grey = cost * model.params.smuggling_price_markup
    return (1 - caught) * grey - cost - caught * model.rules.smuggling_fine_usd_per_chip * item.risk_aversion > 0


def reference_quotes(model: ChipSupplyModel, month: int) -> dict[tuple[str, bool], list[tuple[str, float]]]:
    """(intermediary, grey list?) -> [(chip, price)]."""
    quotes = {}
    for item in model.intermediaries:
        best = cheapest_vendor_offers(item, month)
        costs = costs_so_far(model, item)
        costs.update({chip: price for chip, (_vendor, price) in best.items()})
        offered = [(chip, cost) for chip, cost in costs.items() if chip in best or item.inventory[chip] > 0]
        quotes[item.agent_id, False] = [(chip, cost * (1 + item.markup_fraction)) for chip, cost in offered]
        quotes[item.agent_id, True] = [(chip, cost * model.params.smuggling_price_markup)
                                       for chip, cost in offered if diversion_pays(model, item, cost)]
    return quotes


def array_quotes(model: ChipSupplyModel, month: int) -> dict[tuple[str, bool], list[tuple[str, float]]]:
    quotes: dict[tuple[str, bool], list[tuple[str, float]]] = {}
    local, grey = model.intermediary_arrays.quotes(month)
    for table, grey_list in ((local, False), (grey, True)):
        for row, chip, price in zip(table.seller_row.tolist(), table.chip.tolist(), table.price_usd.tolist(),
                                    strict=True):
            quotes.setdefault((model.intermediaries[row].agent_id, grey_list), []).append(
                (model.chips.ids[chip], price))
    return {key: rows for key, rows in quotes.items() if rows}


def reference_restock(model: ChipSupplyModel, month: int) -> list[tuple]:
    params = model.params
    horizon = params.shipping_lead_time_months + params.intermediary_cover_months
    orders = []
    for item in model.intermediaries:
        best = cheapest_vendor_offers(item, month)
        for chip in sorted(item.expected_demand):
            if chip not in best:
                continue
            wanted = int(item.expected_demand[chip] * horizon) - item.inventory[chip] - item.on_order[chip]
            if wanted > 0:
                vendor, price = best[chip]
                orders.append((item.agent_id, vendor.agent_id, chip, min(wanted, MAX_CHIPS_PER_ORDER), price))
    return orders


def reference_beliefs(model: ChipSupplyModel, before: dict[str, float], listed_before: set[str]) -> dict[str, float]:
    """Each intermediary's belief after this month's inspections: raised if it was just listed, then moved towards
    the seizure rate of diverted shipments from its country (the prior when none were diverted)."""
    shipped, seized = model.network.shipped_this_tick, set(model.network._seized_rows.tolist())
    diverted: dict[str, int] = {}
    caught: dict[str, int] = {}
    for row, (source, kind) in enumerate(zip(shipped.source.tolist(), shipped.kind.tolist(), strict=True)):
        if kind == SMUGGLED_CODE:
            country = model.nodes[source].country
            diverted[country] = diverted.get(country, 0) + 1
            caught[country] = caught.get(country, 0) + (row in seized)
    params = model.params
    beliefs = {}
    for item in model.intermediaries:
        belief = before[item.agent_id]
        if item.listed and item.agent_id not in listed_before:
            belief = max(belief, 2 * params.perceived_detection_initial)
        count = diverted.get(item.country, 0)
        observed = caught[item.country] / count if count else params.perceived_detection_initial
        rate = params.perceived_detection_learning_rate
        beliefs[item.agent_id] = (1 - rate) * belief + rate * observed
    return beliefs


def _compare_every_month(model: ChipSupplyModel, months: int) -> dict[str, int]:
    compared = {"quotes": 0, "grey quotes": 0, "restock orders": 0, "listings": 0}
    for _ in range(months):
        for phase in model.PHASES:
            if phase == "_place_orders":
                expected_quotes = {key: rows for key, rows in reference_quotes(model, model.month).items() if rows}
            elif phase == "_restock_intermediaries":
                expected_restock = reference_restock(model, model.month)
            elif phase == "_inspect":
                beliefs_before = {item.agent_id: item.believed_detection for item in model.intermediaries}
                listed_before = {item.agent_id for item in model.intermediaries if item.listed}
            getattr(model, phase)()
            if phase == "_place_orders":
                assert array_quotes(model, model.month) == expected_quotes, f"quotes differ in {model.date}"
                compared["quotes"] += sum(len(rows) for (_item, grey), rows in expected_quotes.items() if not grey)
                compared["grey quotes"] += sum(len(rows) for (_item, grey), rows in expected_quotes.items() if grey)
            elif phase == "_restock_intermediaries":
                restock = model.restock_orders
                nodes, chips = model.nodes, model.chips.ids
                placed = [(nodes[b].agent_id, nodes[s].agent_id, chips[c], q, p) for b, s, c, q, p in zip(
                    restock.buyer.tolist(), restock.seller.tolist(), restock.chip.tolist(),
                    restock.requested.tolist(), restock.unit_price_usd.tolist(), strict=True)]
                assert placed == expected_restock, f"restocking differs in {model.date}"
                compared["restock orders"] += len(placed)
            elif phase == "_inspect":
                expected_beliefs = reference_beliefs(model, beliefs_before, listed_before)
                beliefs = {item.agent_id: item.believed_detection for item in model.intermediaries}
                assert beliefs == expected_beliefs, f"beliefs differ in {model.date}"
                compared["listings"] += sum(item.listed for item in model.intermediaries) - len(listed_before)
    return compared


# Baseline: announced controls; tight: denials and smuggling routes; hub enforcement: seizures, listing, re-entry.
@pytest.mark.parametrize("name", ["baseline", "tight", "hub_enforcement"])
def test_intermediary_arrays_follow_the_per_intermediary_rules_in_shipped_scenarios(name: str) -> None:
    model = ChipSupplyModel(load_scenario(f"scenarios/{name}.yaml").scenario, seed=3)
    compared = _compare_every_month(model, months=36)
    assert compared["quotes"] > 100 and compared["restock orders"] > 100
    if name != "baseline":
        assert compared["grey quotes"] > 0
    if name == "hub_enforcement":
        assert compared["listings"] > 0


def test_intermediary_arrays_follow_the_per_intermediary_rules_in_a_synthetic_world() -> None:
    model = ChipSupplyModel(validate(synthetic_scenario(1000, ticks=12), "synthetic"), seed=1)
    compared = _compare_every_month(model, months=8)
    assert compared["quotes"] > 1000 and compared["restock orders"] > 1000 and compared["grey quotes"] > 0


def test_an_intermediary_reads_its_own_row() -> None:
    model = ChipSupplyModel(load_scenario("scenarios/tight.yaml").scenario, seed=3)
    for _ in range(6):
        model.step()
    arrays = model.intermediary_arrays
    for item in model.intermediaries:
        mine = arrays.cells_of_item(item.index)
        stocked = {model.chips.ids[c]: n for c, n in zip(arrays.cell_chip[mine].tolist(),
                                                         arrays.inventory[mine].tolist(), strict=True) if n}
        assert dict(item.inventory) == stocked
        assert item.believed_detection == arrays.believed_detection[item.index]
    assert model.stocks.in_inventory() == sum(sum(v.inventory.values()) for v in model.vendors) + sum(
        sum(item.inventory.values()) for item in model.intermediaries)
