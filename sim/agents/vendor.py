"""Chip vendors, one at a time: a vendor's product lines, its view of its row of the vendors' arrays, and the sales
that go one order at a time (under an allowance or tiered caps).

Every vendor's stock, production under way, prices, forecasts and sales live in ``VendorArrays``
(``sim/agents/vendor_arrays.py``), where the month's bookings and pricing are array operations over all vendors;
``sim/agents/vendor_sales.py`` fills the month's orders. ``VendorAgent`` is one vendor's view of its rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import ChipRow, RowOf, SupplyChainAgent
from sim.agents.market import Order, ration, ration_quantities
from sim.agents.product_lines import line_ramp_factor, line_windows
from sim.agents.variants import VariantDesigner
from sim.catalog import ChipModel, proxy_chip_id
from sim.policies.export_controls import (
    ALLOWANCE,
    COVERED_CHIPS,
    DENIED,
    LICENSED,
    SAME_CHIP,
    TIERED,
    AllowanceInForce,
)
from sim.scenario.fields import BLOC_CODE
from sim.scenario.schema import ProductLine, Vendor

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


class VendorAgent(SupplyChainAgent):
    kind = "vendor"

    def __init__(self, model: ChipSupplyModel, spec: Vendor, index: int) -> None:
        super().__init__(model, spec.id, spec.country)
        self.index = index  # its place in model.vendors
        self.name = spec.name
        # A line booked through a front company makes the proxy-fabricated twin of its chip.
        self.product_lines: list[ProductLine] = [
            line.model_copy(update={"chip": proxy_chip_id(line.chip)}) if line.via_front_company else line
            for line in spec.product_lines
        ]
        self.chips = list(dict.fromkeys(line.chip for line in self.product_lines))
        # Stock, production under way, prices, forecasts and sales live in the model's VendorArrays.
        self.designer = VariantDesigner(self, spec.design_to_threshold) if spec.design_to_threshold else None

    # --- its part of the model's VendorArrays -------------------------------------------------------------------
    chips_sold_this_month = RowOf(lambda model: model.vendor_arrays.chips_sold, int)

    def _cells(self) -> slice:
        return self.model.vendor_arrays.cells_of(self.index)

    def _cell(self, chip: str) -> int:
        return self._cells().start + self.chips.index(chip)

    def _by_chip(self, column: np.ndarray) -> ChipRow:
        arrays, chips = self.model.vendor_arrays, self.model.chips
        return ChipRow(arrays.cell_chip[self._cells()], column[self._cells()], chips.ids, chips.number)

    @property
    def inventory(self) -> ChipRow:
        return self._by_chip(self.model.vendor_arrays.inventory)

    @property
    def in_production(self) -> ChipRow:
        return self._by_chip(self.model.vendor_arrays.in_production)

    @property
    def price_usd(self) -> dict[str, float]:
        return dict(zip(self.chips, self.model.vendor_arrays.price_usd[self._cells()].tolist(), strict=True))

    @property
    def expected_demand(self) -> dict[str, float]:
        """The demand forecast of each chip it has one for (from its first booking or sale)."""
        forecasts = self.model.vendor_arrays.expected_demand[self._cells()].tolist()
        return {chip: value for chip, value in zip(self.chips, forecasts, strict=True) if not math.isnan(value)}

    def _per_country(self, usd: np.ndarray) -> dict[str, float]:
        countries = list(self.model.country_bloc)
        return {countries[code]: float(usd[self.index, code]) for code in np.flatnonzero(usd[self.index]).tolist()}

    @property
    def revenue_usd_by_country(self) -> dict[str, float]:
        """This month's revenue net of tariffs, by destination country."""
        return self._per_country(self.model.vendor_arrays.revenue_usd)

    @property
    def tariff_usd_by_country(self) -> dict[str, float]:
        return self._per_country(self.model.vendor_arrays.tariff_usd)

    # --- production -------------------------------------------------------------------------------------------
    def reservation(self, line: ProductLine) -> float:
        """Wafers a month the line may book: a fixed, growing reservation, or a share of the node's capacity."""
        if line.reservation_share_of_node is not None:
            fab = self.model.agents_by_id[line.fab]
            return line.reservation_share_of_node * fab.wafers_per_month[line.node]
        return self.model.vendor_arrays.fixed_reservation(line)

    def open_reservation(self, line: ProductLine, month: int) -> float:
        """Wafers the line may book in ``month``: its reservation as far as ramped up or wound down."""
        return self.reservation(line) * float(line_ramp_factor(*line_windows([line]), month)[0])

    def full_reservation_output(self, line: ProductLine, month: int) -> float:
        """Chips per month the line yields in ``month`` when its whole open reservation is used (the cold-start
        forecast)."""
        fab = self.model.agents_by_id[line.fab]
        return self.open_reservation(line, month) * line.chips_per_wafer * fab.yield_fraction[line.node]

    def add_product_line(self, line: ProductLine, chip: ChipModel) -> None:
        """Start selling a new chip (a design-to-threshold variant) made on ``line``."""
        self.product_lines.append(line)  # its reservation starts at max_wafers_per_month (VendorArrays)
        self.chips.append(chip.id)
        self.model.vendor_arrays.add_cell(self.index, chip)

    def design_variants(self, month: int) -> None:
        if self.designer is not None:
            self.designer.step(month)

    def is_released(self, chip: str, month: int) -> bool:
        return self.model.catalog[chip].release_month <= month

    # --- sales ------------------------------------------------------------------------------------------------
    def offer_key(self, buyer: SupplyChainAgent) -> tuple:
        """Buyers with equal keys get the same offers this month: export rules see only the country and the list."""
        return buyer.country, bool(getattr(buyer, "listed", False))

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock) for every released chip this vendor may sell to ``buyer``: this
        vendor's part of what the market quotes every buyer at once (``VendorArrays.price_list``)."""
        prices, stock = self.price_usd, self.inventory
        return [(chip, prices[chip], stock[chip]) for chip in self.chips
                if self.is_released(chip, month) and self.model.export_gate.may_sell(chip, buyer)]

    def fill_capped_orders(self, chip: str, orders: list[Order], available: int) -> tuple[list[bool], list[float]]:
        """Fill one chip's orders when some fall under an allowance or tiered caps (set ``filled`` on each), using up
        the caps; return whether each order ships licensed and the tariff it pays."""
        limits, statuses = self._export_limits(chip, orders)
        ration(available, orders, limits)
        h100e = self.model.catalog[chip].h100e
        licensed_orders, tariffs = [], []
        for order, (status, rule) in zip(orders, statuses, strict=True):
            licensed = status in (LICENSED, ALLOWANCE) or (
                status == TIERED and not rule.exempt(order.requested * h100e)  # judged on the order placed
            )
            tariff = 0.0
            if order.filled:
                if status == ALLOWANCE:
                    tariff = order.value_usd * rule.params.tariff_fraction
                    rule.used_chips[chip] = rule.used_chips.get(chip, 0) + order.filled
                elif status == TIERED and licensed:
                    rule.use(order.buyer, order.filled * h100e)
            licensed_orders.append(licensed)
            tariffs.append(tariff)
        return licensed_orders, tariffs

    def _export_limits(self, chip: str, orders: list[Order]) -> tuple[list[int], list[tuple[str, object]]]:
        """Most each order may get under the export rules (0 if denied, a share of an allowance's volume cap), and
        each order's sale status with its rule (they hold for the whole month's filling)."""
        limits = [order.requested for order in orders]
        # A sale's status depends on the buyer only as its offers do (country and listing): asked once per kind.
        status_by_kind: dict[tuple, tuple[str, object]] = {}
        statuses = []
        for order in orders:
            kind = self.offer_key(order.buyer)
            status = status_by_kind.get(kind)
            if status is None:
                status = status_by_kind[kind] = self.model.export_gate.sale_status(chip, order.buyer)
            statuses.append(status)
        capped: dict[int, list[int]] = defaultdict(list)  # allowance -> indexes of the orders it covers
        allowances = {}
        h100e = self.model.catalog[chip].h100e
        tiered: dict[tuple[int, str], list[int]] = defaultdict(list)  # (regime, cap key) -> order indexes
        regimes = {}
        for index, (order, (status, rule)) in enumerate(zip(orders, statuses, strict=True)):
            # An order placed before a control took effect this month is refused, not shipped.
            if status == DENIED:
                limits[index] = 0
            elif status == ALLOWANCE:
                capped[id(rule)].append(index)
                allowances[id(rule)] = rule
            elif status == TIERED and not rule.exempt(order.requested * h100e):
                tiered[id(rule), rule.cap_key(order.buyer)].append(index)
                regimes[id(rule)] = rule
        for (regime_id, _key), indexes in tiered.items():
            # Orders that count against one cap share what is left of it this month.
            remaining = int(regimes[regime_id].remaining_h100e(self.model, orders[indexes[0]].buyer) // h100e)
            shares = ration_quantities(remaining, [limits[i] for i in indexes])
            for index, quantity in zip(indexes, shares, strict=True):
                limits[index] = quantity
        for key, indexes in capped.items():
            remaining = self._allowance_remaining(allowances[key], chip)
            if remaining is None:
                continue
            shares = ration_quantities(remaining, [limits[i] for i in indexes])
            for index, quantity in zip(indexes, shares, strict=True):
                limits[index] = quantity
        return limits, statuses

    def _allowance_remaining(self, allowance: AllowanceInForce, chip: str) -> int | None:
        """Chips of ``chip`` still allowed this month under the allowance's caps (None: no cap), in chips.

        The chips-per-month cap holds for each chip. The home-sales cap reads last month's home sales as the
        allowance's ``volume_cap_basis`` says (sim/policies/export_controls.py): of this chip alone, or of the
        vendor's covered chips or all its chips, whose cap the vendor's covered chips then share."""
        params = allowance.params
        used = allowance.used_chips.get(chip, 0)
        remaining = []
        if params.volume_cap_chips_per_month is not None:
            remaining.append(params.volume_cap_chips_per_month - used)
        if params.volume_cap_share_of_home_sales is not None:
            if params.volume_cap_basis == SAME_CHIP:
                basis, sharing = [chip], [chip]
            else:
                sharing = [c for c in self.chips if params.covers_chip(self.model.catalog[c])]
                basis = sharing if params.volume_cap_basis == COVERED_CHIPS else self.chips
            home = self.model.vendor_arrays.sold_by_bloc[[self._cell(c) for c in basis], BLOC_CODE[self.bloc]]
            cap = int(params.volume_cap_share_of_home_sales * int(home.sum()))
            remaining.append(cap - sum(allowance.used_chips.get(c, 0) for c in sharing))
        if not remaining:
            return None
        return max(0, min(remaining))
