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

from sim.agents.base import SupplyChainAgent
from sim.agents.market import Order, ration, ration_quantities
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
        best: dict[str, tuple[VendorAgent, float]] = {}
        for vendor in self.vendors:
            for chip, price, _stock in vendor.offers(month, self):
                if chip not in best or price < best[chip][1]:
                    best[chip] = (vendor, price)
        self._sourceable = set(best)
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
            self._offers = None
            # Having been caught, its owners take the risk more seriously.
            self.believed_detection = max(self.believed_detection, 2 * self.model.params.perceived_detection_initial)

    def maybe_reenter(self, month: int) -> bool:
        """Come back as a new shell company once the re-entry delay has passed; True if it did."""
        if self.listed and self.shell_reentry_months and month - self.listed_month >= self.shell_reentry_months:
            self.listed = False
            self._offers = None
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

    def take_order(self, order: Order) -> None:
        self.orders.append(order)

    def begin_month(self) -> None:
        self._offers = None
        self.sales_usd_this_month = 0.0
        self.purchases_usd_this_month = 0.0
        self.diverted_chips_this_month = 0

    def fill_orders(self, month: int) -> None:
        by_chip: dict[str, list[Order]] = defaultdict(list)
        for order in self.orders:
            by_chip[order.chip].append(order)
        capacity_left = self.diversion_capacity_chips_per_month
        network = self.model.network
        for chip in sorted(set(by_chip) | set(self.expected_demand)):  # sorted: set order varies by process
            orders = by_chip.get(chip, [])
            smuggling_customers = self.smuggling_customers
            covert = [i for i, order in enumerate(orders)
                      if order.buyer.agent_id in smuggling_customers] if smuggling_customers else []
            limits = [order.requested for order in orders]
            # Diverted orders share what is left of the covert capacity this month.
            allowed = ration_quantities(capacity_left, [limits[i] for i in covert]) if covert else []
            for i, quantity in zip(covert, allowed, strict=True):
                limits[i] = quantity
            ration(self.inventory[chip], orders, limits)
            h100e = self.model.catalog[chip].h100e
            covert_orders = set(covert)
            for index, order in enumerate(orders):
                filled = order.filled
                if filled:
                    value_usd = order.value_usd
                    network.ship(self.agent_id, order.buyer.agent_id, chip, filled, month, h100e, value_usd)
                    self.inventory[chip] -= filled
                    self.sales_usd_this_month += value_usd
                    if index in covert_orders:
                        self.diverted_chips_this_month += filled
                        capacity_left -= filled
                    order.buyer.on_filled(order)  # (an order filled with nothing changes nothing for its buyer)
            # The forecast counts the demand it means to serve: local orders and the diversion it can carry.
            ordered = sum(limits)
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
