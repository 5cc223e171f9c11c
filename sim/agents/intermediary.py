"""Intermediaries (distributors, resellers, system integrators): buy from vendors, resell to local buyers.

An intermediary quotes its vendors' cheapest price plus its own markup, fills its customers' orders from stock
(rationing when short), and restocks from the cheapest vendor to keep ``lead time + cover`` months of smoothed
demand in stock and on order. Diversion to other destinations comes with the leakage channels.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sim.agents.base import SupplyChainAgent
from sim.agents.market import Order, ration
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
        self.orders: list[Order] = []
        self.last_cost_usd: dict[str, float] = {}
        self._sourceable: set[str] = set()
        self._offers: list[tuple[str, float, int]] | None = None  # valid until this month's orders are filled
        self.sales_usd_this_month = 0.0
        self.purchases_usd_this_month = 0.0

    def connect(self, vendors: list[VendorAgent]) -> None:
        self.vendors = vendors

    def _cheapest_vendor_offers(self, month: int) -> dict[str, tuple[VendorAgent, float]]:
        best: dict[str, tuple[VendorAgent, float]] = {}
        for vendor in self.vendors:
            for chip, price, _stock in vendor.offers(month, self):
                if chip not in best or price < best[chip][1]:
                    best[chip] = (vendor, price)
        self._sourceable = set(best)
        return best

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock): cost plus markup for every chip it can source or has in stock.

        Stock of a chip it can no longer source (after a control took effect) is still sold locally, at the last
        cost it paid.
        """
        if self._offers is None:
            for chip, (_vendor, price) in self._cheapest_vendor_offers(month).items():
                self.last_cost_usd[chip] = price
            self._offers = [
                (chip, cost * (1 + self.markup_fraction), self.inventory[chip])
                for chip, cost in self.last_cost_usd.items()
                if chip in self._sourceable or self.inventory[chip] > 0
            ]
        return self._offers

    def take_order(self, order: Order) -> None:
        self.orders.append(order)

    def begin_month(self) -> None:
        self._offers = None
        self.sales_usd_this_month = 0.0
        self.purchases_usd_this_month = 0.0

    def fill_orders(self, month: int) -> None:
        by_chip: dict[str, list[Order]] = defaultdict(list)
        for order in self.orders:
            by_chip[order.chip].append(order)
        for chip in sorted(set(by_chip) | set(self.expected_demand)):  # sorted: set order varies by process
            orders = by_chip.get(chip, [])
            ration(self.inventory[chip], orders)
            h100e = self.model.catalog[chip].h100e
            for order in orders:
                if order.filled:
                    self.model.network.ship(
                        self.agent_id, order.buyer.agent_id, chip, order.filled, month, h100e, order.value_usd
                    )
                    self.inventory[chip] -= order.filled
                    self.sales_usd_this_month += order.value_usd
                order.buyer.on_filled(order)
            ordered = sum(order.requested for order in orders)
            previous = self.expected_demand[chip]
            self.expected_demand[chip] = (1 - DEMAND_SMOOTHING) * previous + DEMAND_SMOOTHING * ordered
        self.orders = []
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
                vendor.take_order(Order(buyer=self, seller=vendor, chip=chip, requested=wanted, unit_price_usd=price))

    def on_filled(self, order: Order) -> None:
        self.on_order[order.chip] += order.filled
        self.purchases_usd_this_month += order.value_usd

    def receive(self, chip: str, count: int) -> None:
        self.inventory[chip] += count
        self.on_order[chip] -= count
