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

Large worlds have thousands of intermediaries, so their state lives in ``IntermediaryArrays``
(``sim/agents/intermediary_arrays.py``): a row per intermediary (its ``index``) and, for stock, orders, forecasts
and costs, a cell per (intermediary, chip it deals in); each monthly rule is a few array operations over all of
them, and ``sim/agents/intermediary_sales.py`` fills their customers' orders. ``IntermediaryAgent`` is one
intermediary's view of its row. tests/unit/test_intermediaries.py checks the arrays month by month against the
per-intermediary rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.base import ChipRow, RowOf, SupplyChainAgent
from sim.scenario.schema import Intermediary

if TYPE_CHECKING:
    from sim.agents.vendor import VendorAgent
    from sim.model import ChipSupplyModel


class IntermediaryAgent(SupplyChainAgent):
    """One intermediary: what the scenario says of it, and a view of its row of the model's ``IntermediaryArrays``."""

    kind = "intermediary"

    def __init__(self, model: ChipSupplyModel, spec: Intermediary, index: int) -> None:
        super().__init__(model, spec.id, spec.country)
        self.index = index  # its row in the model's intermediary arrays
        self.markup_fraction = spec.markup_fraction
        self.vendor_ids = list(spec.vendors)
        self.vendors: list[VendorAgent] = []
        self.diversion_capacity_chips_per_month = spec.diversion_capacity_chips_per_month
        self.risk_aversion = spec.risk_aversion
        self.shell_reentry_months = spec.shell_reentry_months
        self.smuggling_customers: set[str] = set()

    def connect(self, vendors: list[VendorAgent], smuggling_customers: list[str]) -> None:
        self.vendors = vendors
        self.smuggling_customers = set(smuggling_customers)

    believed_detection = RowOf(lambda model: model.intermediary_arrays.believed_detection)
    listed = RowOf(lambda model: model.intermediary_arrays.listed, bool)
    times_listed = RowOf(lambda model: model.intermediary_arrays.times_listed, int)
    sales_usd_this_month = RowOf(lambda model: model.intermediary_arrays.sales_usd)
    purchases_usd_this_month = RowOf(lambda model: model.intermediary_arrays.purchases_usd)
    diverted_chips_this_month = RowOf(lambda model: model.intermediary_arrays.diverted_chips, int)

    @property
    def listed_month(self) -> int | None:
        month = int(self.model.intermediary_arrays.listed_month[self.index])
        return None if month < 0 else month

    def _chip_row(self, name: str) -> ChipRow:
        arrays, chips = self.model.intermediary_arrays, self.model.chips
        mine = arrays.cells_of_item(self.index)
        return ChipRow(arrays.cell_chip[mine], getattr(arrays, name)[mine], chips.ids, chips.number)

    @property
    def inventory(self) -> ChipRow:
        return self._chip_row("inventory")

    @property
    def on_order(self) -> ChipRow:
        return self._chip_row("on_order")

    @property
    def expected_demand(self) -> ChipRow:
        return self._chip_row("expected_demand")

    def offer_key(self, buyer: SupplyChainAgent) -> tuple:
        """Buyers with equal keys get the same offers this month: local buyers one list, smuggling customers another."""
        return (buyer.agent_id in self.smuggling_customers,)

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock) for ``buyer``: this intermediary's rows of the month's quotes."""
        arrays = self.model.intermediary_arrays
        local, grey = arrays.quotes(month)
        quotes = grey if self.offer_key(buyer)[0] else local
        mine = quotes.take(quotes.seller_row == self.index)
        ids = self.model.chips.ids
        return [(ids[chip], price, self.inventory[ids[chip]])
                for chip, price in zip(mine.chip.tolist(), mine.price_usd.tolist(), strict=True)]

    def list_on_entity_list(self, month: int) -> None:
        self.model.intermediary_arrays.list_on_entity_list(self.index, month)
