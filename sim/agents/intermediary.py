"""Intermediaries (distributors, resellers, system integrators, shell companies): buy from vendors, resell.

An intermediary quotes its vendors' cheapest price plus its own markup to local buyers, fills their orders from
stock (rationing when short), and restocks from the cheapest vendor to keep ``lead time + cover`` months of
smoothed demand in stock and on order.

Some intermediaries (mostly in Tier-2 hubs) can also divert chips over smuggling routes to buyers in a controlled
destination, at the grey-market price (list cost x ``smuggling_price_markup``). They do so when the expected
profit beats the expected penalty by their own reckoning::

    (1 - p) * grey_price - cost - p * fine * risk_aversion > 0

where ``p`` is their belief that a shipment is caught. Beliefs start at ``perceived_detection_initial`` and move
towards the seizure rate they see among diverted shipments from their country (others react to the risk they see).
Diversion is limited by each intermediary's covert capacity per month. A caught intermediary is entity-listed:
vendors of the controlling bloc stop selling to it and it diverts no more. Its owners may come back as a new shell
company ``shell_reentry_months`` later (delisted, with a warier belief), as the seizure record suggests they do.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.agents.market import MAX_CHIPS_PER_ORDER, Orders, ration_groups, runs, sum_by_group
from sim.scenario.schema import Intermediary

if TYPE_CHECKING:
    from sim.agents.vendor import VendorAgent
    from sim.model import ChipSupplyModel

DEMAND_SMOOTHING = 0.3


class IntermediaryAgent(SupplyChainAgent):
    kind = "intermediary"

    def __init__(self, model: ChipSupplyModel, spec: Intermediary) -> None:
        super().__init__(model, spec.id, spec.country)
        self.markup_fraction = spec.markup_fraction
        self.vendor_ids = list(spec.vendors)
        self.vendors: list[VendorAgent] = []
        self.inventory: dict[str, int] = defaultdict(int)
        self.on_order: dict[str, int] = defaultdict(int)
        self.expected_demand: dict[str, float] = defaultdict(float)
        self.last_cost_usd: dict[str, float] = {}
        self._sourceable: set[str] = set()
        self._offers: list[tuple[str, float, int]] | None = None  # valid until this month's orders are filled
        self._best_offers: dict[str, tuple[VendorAgent, float]] | None = None  # valid for the month
        self.sales_usd_this_month = 0.0
        self.purchases_usd_this_month = 0.0
        # Diversion
        self.diversion_capacity_chips_per_month = spec.diversion_capacity_chips_per_month
        self.risk_aversion = spec.risk_aversion
        self.smuggling_customers: set[str] = set()
        self.believed_detection = model.params.perceived_detection_initial
        self.listed = False
        self.listed_month: int | None = None
        self.shell_reentry_months = spec.shell_reentry_months
        self.times_listed = 0
        self.diverted_chips_this_month = 0

    def connect(self, vendors: list[VendorAgent], smuggling_customers: list[str]) -> None:
        self.vendors = vendors
        self.smuggling_customers = set(smuggling_customers)

    def _cheapest_vendor_offers(self, month: int) -> dict[str, tuple[VendorAgent, float]]:
        # Vendors' prices hold until they fill their orders, after restocking: one look a month (and after listing).
        if self._best_offers is not None:
            return self._best_offers
        best: dict[str, tuple[VendorAgent, float]] = {}
        for vendor in self.vendors:
            for chip, price, _stock in vendor.offers(month, self):
                if chip not in best or price < best[chip][1]:
                    best[chip] = (vendor, price)
        self._sourceable = set(best)
        self._best_offers = best
        return best

    # --- diversion --------------------------------------------------------------------------------------------
    def grey_price_usd(self, cost_usd: float) -> float:
        return cost_usd * self.model.params.smuggling_price_markup

    def diversion_pays(self, cost_usd: float) -> bool:
        """Whether diverting one chip bought at ``cost_usd`` beats the expected penalty, by this agent's beliefs."""
        if self.listed or self.diversion_capacity_chips_per_month == 0:
            return False
        caught = self.believed_detection
        fine = self.model.smuggling_fine_usd_per_chip
        expected_profit = (1 - caught) * self.grey_price_usd(cost_usd) - cost_usd - caught * fine * self.risk_aversion
        return expected_profit > 0

    def update_belief(self, observed_seizure_rate: float) -> None:
        rate = self.model.params.perceived_detection_learning_rate
        self.believed_detection = (1 - rate) * self.believed_detection + rate * observed_seizure_rate

    def list_on_entity_list(self, month: int) -> None:
        if not self.listed:
            self.listed = True
            self.listed_month = month
            self.times_listed += 1
            self._offers = self._best_offers = None
            # Having been caught, its owners take the risk more seriously.
            self.believed_detection = max(self.believed_detection, 2 * self.model.params.perceived_detection_initial)

    def maybe_reenter(self, month: int) -> bool:
        """Come back as a new shell company once the re-entry delay has passed; True if it did."""
        if self.listed and self.shell_reentry_months and month - self.listed_month >= self.shell_reentry_months:
            self.listed = False
            self._offers = self._best_offers = None
            return True
        return False

    # --- trade ------------------------------------------------------------------------------------------------
    def offer_key(self, buyer: SupplyChainAgent) -> tuple:
        """Buyers with equal keys get the same offers this month: local buyers one list, smuggling customers another."""
        return (buyer.agent_id in self.smuggling_customers,)

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock) for ``buyer``.

        Local buyers get cost plus markup for every chip it can source or has in stock (stock of a chip it can no
        longer source is still sold, at the last cost it paid). Buyers on a smuggling route get the grey-market
        price for chips whose diversion pays.
        """
        if self._offers is None:
            for chip, (_vendor, price) in self._cheapest_vendor_offers(month).items():
                self.last_cost_usd[chip] = price
            self._offers = [
                (chip, cost * (1 + self.markup_fraction), self.inventory[chip])
                for chip, cost in self.last_cost_usd.items()
                if chip in self._sourceable or self.inventory[chip] > 0
            ]
        if buyer.agent_id in self.smuggling_customers:
            return [
                (chip, self.grey_price_usd(self.last_cost_usd[chip]), stock)
                for chip, _price, stock in self._offers
                if self.diversion_pays(self.last_cost_usd[chip])
            ]
        return self._offers

    def begin_month(self) -> None:
        self._offers = None
        self._best_offers = None
        self.sales_usd_this_month = 0.0
        self.purchases_usd_this_month = 0.0
        self.diverted_chips_this_month = 0

    def after_sales(self, ordered_by_chip: dict[str, int]) -> None:
        """Update the demand forecast of every chip it deals in (orders it means to serve: local orders and the
        diversion it can carry), and drop its quotes: stock has moved."""
        for chip in set(ordered_by_chip) | set(self.expected_demand):
            previous = self.expected_demand[chip]
            self.expected_demand[chip] = (1 - DEMAND_SMOOTHING) * previous + DEMAND_SMOOTHING * ordered_by_chip.get(
                chip, 0)
        self._offers = None

    def restock(self, month: int) -> None:
        params = self.model.params
        horizon = params.shipping_lead_time_months + params.intermediary_cover_months
        best = self._cheapest_vendor_offers(month)
        for chip in sorted(self.expected_demand):
            if chip not in best:
                continue
            wanted = int(self.expected_demand[chip] * horizon) - self.inventory[chip] - self.on_order[chip]
            if wanted > 0:
                vendor, price = best[chip]
                self.model.restock_orders.append(
                    (self.node, vendor.node, self.model.chips.of(chip), min(wanted, MAX_CHIPS_PER_ORDER), price))

    def on_filled(self, chip: str, count: int, value_usd: float) -> None:
        self.on_order[chip] += count
        self.purchases_usd_this_month += value_usd

    def receive(self, chip: str, count: int) -> None:
        self.inventory[chip] += count
        self.on_order[chip] -= count


def fill_intermediary_orders(model: ChipSupplyModel, orders: Orders, month: int) -> None:
    """Every intermediary's orders of the month, filled at once from stock (rationed when short), shipped and paid
    for; diverted orders (over a smuggling route) are limited by the intermediary's covert capacity.

    Intermediaries go in model order, each through its chips sorted by id, orders in the order placed: the order of
    the per-intermediary rule of old, and of the shipments. Diverted orders share what is left of the covert capacity
    chip after chip, so intermediaries whose diverted orders this month exceed it are rationed a chip at a time (the
    k-th chip of all of them at once); for all others the capacity cannot bind and every chip is rationed at once.
    """
    items, chips = model.intermediaries, model.chips
    row_item = model.node_intermediary[orders.seller]
    placed = np.argsort(row_item * len(chips) + chips.sort_rank[orders.chip], kind="stable")
    orders, row_item = orders.take(placed), row_item[placed]
    group, first = runs(row_item * len(chips) + orders.chip)  # one group per (intermediary, chip)
    group_item, group_chip = row_item[first], orders.chip[first]
    available = np.array([items[i].inventory[chips.ids[c]]
                          for i, c in zip(group_item.tolist(), group_chip.tolist(), strict=True)], dtype=np.int64)
    covert = np.isin(orders.seller * len(model.nodes) + orders.buyer, model.smuggling_route_keys)

    limits = orders.requested.copy()
    filled = ration_groups(available, group, limits)
    capacity_left = np.array([item.diversion_capacity_chips_per_month for item in items], dtype=np.int64)
    binding = sum_by_group(row_item[covert], orders.requested[covert], len(items)) > capacity_left
    if binding[group_item].any():
        # The capacity can bind: ration chip by chip, the k-th chip of every such intermediary at once.
        position = np.arange(len(first)) - np.searchsorted(group_item, group_item)  # chip's place in its seller's
        row_position = np.where(binding[row_item], position[group], -1)
        for k in range(int(row_position.max()) + 1):
            rows = np.flatnonzero(row_position == k)
            row_group, row_limits = group[rows], orders.requested[rows].copy()
            diverted = np.flatnonzero(covert[rows])
            # Diverted orders share what is left of the covert capacity; then all share the stock.
            row_limits[diverted] = ration_groups(capacity_left[group_item], row_group[diverted], row_limits[diverted])
            row_filled = ration_groups(available, row_group, row_limits)
            capacity_left -= sum_by_group(row_item[rows][diverted], row_filled[diverted], len(items))
            limits[rows], filled[rows] = row_limits, row_filled

    value = filled * orders.unit_price_usd
    model.network.ship(orders.seller, orders.buyer, orders.chip, filled, month, filled * chips.h100e[orders.chip],
                            value)
    model.charge_buyers(orders.buyer, orders.chip, filled, value)

    sales_usd = sum_by_group(row_item, value, len(items))
    diverted = sum_by_group(row_item[covert], filled[covert], len(items))
    filled_by_group = sum_by_group(group, filled, len(first))
    ordered_by_group = sum_by_group(group, limits, len(first))
    ordered_by_item: dict[int, dict[str, int]] = defaultdict(dict)
    for g, (i, c) in enumerate(zip(group_item.tolist(), group_chip.tolist(), strict=True)):
        chip = chips.ids[c]
        items[i].inventory[chip] -= int(filled_by_group[g])
        ordered_by_item[i][chip] = int(ordered_by_group[g])
    for i, item in enumerate(items):
        item.sales_usd_this_month += float(sales_usd[i])
        item.diverted_chips_this_month += int(diverted[i])
        item.after_sales(ordered_by_item.get(i, {}))
