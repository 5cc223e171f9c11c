"""Chip vendors: book fab capacity for their product lines, sell from stock, set prices, track revenue.

A vendor forecasts demand with a smoothed average of the orders it receives (filled or not) and books enough
wafers to keep its stock plus the chips in production near ``lead time + cover`` months of that demand, within its
capacity reservation at the fab. Prices move with market pressure (orders plus the stock it wants to keep, over
the stock it has) within a floor and a ceiling around list price. Revenue is kept by destination country.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.agents.fab import Booking
from sim.agents.market import Order, Orders, ration, ration_groups, ration_quantities, sum_by_group
from sim.agents.variants import VariantDesigner
from sim.catalog import ChipModel, proxy_chip_id
from sim.policies.export_controls import ALLOWANCE, DENIED, LICENSED, TIERED, AllowanceInForce
from sim.scenario.schema import BLOCS, ProductLine, Vendor
from sim.trade import LICENSED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel

DEMAND_SMOOTHING = 0.3  # weight of this month's orders in the demand forecast
ADJUSTMENT_MONTHS = 3.0  # a stock gap is closed over this many months, so bookings do not whipsaw


class VendorAgent(SupplyChainAgent):
    kind = "vendor"

    def __init__(self, model: ChipSupplyModel, spec: Vendor) -> None:
        super().__init__(model, spec.id, spec.country)
        self.name = spec.name
        # A line booked through a front company makes the proxy-fabricated twin of its chip.
        self.product_lines: list[ProductLine] = [
            line.model_copy(update={"chip": proxy_chip_id(line.chip)}) if line.via_front_company else line
            for line in spec.product_lines
        ]
        self.reservation_wafers = {id(line): line.max_wafers_per_month or 0.0 for line in self.product_lines}
        self.chips = list(dict.fromkeys(line.chip for line in self.product_lines))
        self.inventory: dict[str, int] = defaultdict(int)
        self.in_production: dict[str, int] = defaultdict(int)
        self.price_usd = {chip: model.catalog[chip].list_price_usd for chip in self.chips}
        self.expected_demand: dict[str, float] = {}
        # Offers depend on the buyer only through its country (export rules) and whether it is entity-listed; prices
        # and stock only change when orders are filled, so one list per (country, listed) serves until then.
        self._offers_by_buyer_kind: dict[tuple[str, bool], list[tuple[str, float, int]]] = {}
        self.designer = VariantDesigner(self, spec.design_to_threshold) if spec.design_to_threshold else None
        self.revenue_usd_by_country: dict[str, float] = defaultdict(float)
        self.tariff_usd_by_country: dict[str, float] = defaultdict(float)
        self.sold_by_bloc_last_month: dict[str, dict[str, int]] = {}
        self.chips_sold_this_month = 0

    # --- production -------------------------------------------------------------------------------------------
    def reservation(self, line: ProductLine) -> float:
        """Wafers a month the line may book: a fixed, growing reservation, or a share of the node's capacity."""
        if line.reservation_share_of_node is not None:
            fab = self.model.agents_by_id[line.fab]
            return line.reservation_share_of_node * fab.wafers_per_month[line.node]
        return self.reservation_wafers[id(line)]

    def full_reservation_output(self, line: ProductLine) -> float:
        """Chips per month the line yields when its whole reservation is used (the cold-start forecast)."""
        fab = self.model.agents_by_id[line.fab]
        return self.reservation(line) * line.chips_per_wafer * fab.yield_fraction[line.node]

    def add_product_line(self, line: ProductLine, chip: ChipModel) -> None:
        """Start selling a new chip (a design-to-threshold variant) made on ``line``."""
        self.product_lines.append(line)
        self.reservation_wafers[id(line)] = line.max_wafers_per_month or 0.0
        self.chips.append(chip.id)
        self.price_usd[chip.id] = chip.list_price_usd
        self._offers_by_buyer_kind = {}

    def design_variants(self, month: int) -> None:
        if self.designer is not None:
            self.designer.step(month)

    def grow_reservations(self) -> None:
        for line in self.product_lines:
            if line.reservation_growth_factor_per_year is not None:
                self.reservation_wafers[id(line)] *= line.reservation_growth_factor_per_year ** (1 / 12)

    def is_released(self, chip: str, month: int) -> bool:
        return self.model.catalog[chip].release_month <= month

    def bookings(self, month: int) -> list[Booking]:
        """This month's wafer requests: enough to hold stock near target, within the reservations."""
        params = self.model.params
        lead = params.production_lead_time_months
        requests: list[Booking] = []
        for chip in self.chips:
            # Book ahead of release so that the first chips arrive in the release month.
            if self.model.catalog[chip].release_month > month + lead:
                continue
            lines = [line for line in self.product_lines if line.chip == chip]
            expected = self.expected_demand.setdefault(chip, sum(self.full_reservation_output(li) for li in lines))
            position = self.inventory[chip] + self.in_production[chip]
            target = expected * (lead + params.vendor_inventory_cover_months)
            wanted_chips = max(0.0, expected + (target - position) / ADJUSTMENT_MONTHS)
            capacity_chips = [self.full_reservation_output(line) for line in lines]
            total_capacity = sum(capacity_chips)
            for line, line_capacity in zip(lines, capacity_chips, strict=True):
                if total_capacity <= 0:
                    continue
                share = wanted_chips * line_capacity / total_capacity
                fab = self.model.agents_by_id[line.fab]
                good_per_wafer = line.chips_per_wafer * fab.yield_fraction[line.node]
                wafers = min(self.reservation(line), share / good_per_wafer if good_per_wafer else 0.0)
                requests.append(
                    Booking(self.agent_id, line, self.model.catalog[chip].hbm_stacks_per_chip, wafers)
                )
        return requests

    def production_shipped(self, chip: str, count: int) -> None:
        self.in_production[chip] += count

    # --- sales ------------------------------------------------------------------------------------------------
    def offer_key(self, buyer: SupplyChainAgent) -> tuple:
        """Buyers with equal keys get the same offers this month: export rules see only the country and the list."""
        return buyer.country, bool(getattr(buyer, "listed", False))

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock) for every released chip this vendor may sell to ``buyer``."""
        key = self.offer_key(buyer)
        offers = self._offers_by_buyer_kind.get(key)
        if offers is None:
            offers = [
                (chip, self.price_usd[chip], self.inventory[chip])
                for chip in self.chips
                if self.is_released(chip, month) and self.model.may_sell(chip, buyer)
            ]
            self._offers_by_buyer_kind[key] = offers
        return offers

    def receive(self, chip: str, count: int) -> None:
        self.inventory[chip] += count
        self.in_production[chip] -= count

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

    def after_sales(self, month: int, chip: str, ordered: int, available: int) -> None:
        """Update the demand forecast and the price of ``chip`` after a month's sales (released chips only)."""
        if not self.is_released(chip, month):
            return
        previous = self.expected_demand.get(chip, float(ordered))
        self.expected_demand[chip] = (1 - DEMAND_SMOOTHING) * previous + DEMAND_SMOOTHING * ordered
        self._update_price(chip, ordered, available)

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
                status = status_by_kind[kind] = self.model.sale_status(chip, order.buyer)
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
        """Chips of ``chip`` still allowed this month under the allowance's caps (None: no cap)."""
        params = allowance.params
        caps = []
        if params.volume_cap_chips_per_month is not None:
            caps.append(params.volume_cap_chips_per_month)
        if params.volume_cap_share_of_home_sales is not None:
            home = self.sold_by_bloc_last_month.get(chip, {}).get(self.bloc, 0)
            caps.append(int(params.volume_cap_share_of_home_sales * home))
        if not caps:
            return None
        return max(0, min(caps) - allowance.used_chips.get(chip, 0))

    def _update_price(self, chip: str, ordered: int, available: int) -> None:
        params = self.model.params
        wanted_stock = self.expected_demand[chip] * params.vendor_inventory_cover_months
        pressure = (ordered + wanted_stock) / max(available, 1)
        price = self.price_usd[chip] * pressure ** params.vendor_price_response
        list_price = self.model.catalog[chip].list_price_usd
        # The floor and ceiling are the vendor's pricing policy (it will not sell below cost or price gouge
        # beyond what buyers bear), not a correction of input.
        low, high = params.vendor_price_floor_ratio * list_price, params.vendor_price_ceiling_ratio * list_price
        self.price_usd[chip] = min(high, max(low, price))

    def begin_month(self) -> None:
        self.revenue_usd_by_country = defaultdict(float)
        self.tariff_usd_by_country = defaultdict(float)
        self._offers_by_buyer_kind = {}  # policies may have changed what may be sold where


def vendor_price_list(model: ChipSupplyModel, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every released chip each vendor sells, at its current price: (vendor index, chip number, price in USD),
    vendor by vendor, each in its own order of chips."""
    chips = model.chips
    listed = [(v, chips.of(chip), vendor.price_usd[chip]) for v, vendor in enumerate(model.vendors)
              for chip in vendor.chips if vendor.is_released(chip, month)]
    return (np.array([row[0] for row in listed], dtype=np.int64), np.array([row[1] for row in listed], dtype=np.int64),
            np.array([row[2] for row in listed], dtype=float))


def fill_vendor_orders(model: ChipSupplyModel, orders: Orders, month: int) -> None:
    """Every vendor's orders of the month, filled at once: stock rationed among each chip's orders (none for a
    buyer the export rules deny), shipped (``licensed`` when sold under a licence or allowance), paid for; then each
    vendor updates its forecasts and prices.

    A chip's orders are its vendor's ``orders`` of old, in the order placed; vendors and chips go in the order the
    per-vendor rule took them (vendor, then its list of chips), which is also the order of shipments. Chips with
    orders under an allowance or tiered caps go through ``fill_capped_orders`` one order at a time, in that order,
    since each sale uses up a cap the next one sees.
    """
    vendors, chips, nodes = model.vendors, model.chips, model.nodes
    # One group per (vendor, chip it sells), numbered in the order the vendors fill them.
    group_vendor = np.array([v for v, vendor in enumerate(vendors) for _ in vendor.chips], dtype=np.int64)
    group_chip = chips.numbers([chip for vendor in vendors for chip in vendor.chips])
    group_key = group_vendor * len(chips) + group_chip
    by_key = np.argsort(group_key)
    row_vendor = model.node_vendor[orders.seller]
    group = by_key[np.searchsorted(group_key[by_key], row_vendor * len(chips) + orders.chip)]
    placed = np.argsort(group, kind="stable")
    orders, group, row_vendor = orders.take(placed), group[placed], row_vendor[placed]

    status = model.export_status(orders.chip, orders.buyer)

    available = np.array([vendors[v].inventory[chips.ids[c]] for v, c in zip(group_vendor.tolist(),
                                                                              group_chip.tolist(), strict=True)],
                         dtype=np.int64)
    filled = ration_groups(available, group, np.where(status == DENIED, 0, orders.requested))
    licensed = status == LICENSED
    tariff = np.zeros(len(orders))
    capped = (status == ALLOWANCE) | (status == TIERED)
    if capped.any():
        for g in np.unique(group[capped]).tolist():
            rows = np.flatnonzero(group == g)
            vendor, chip = vendors[group_vendor[g]], chips.ids[group_chip[g]]
            group_orders = [Order(nodes[b], vendor, chip, q, p) for b, q, p in zip(
                orders.buyer[rows].tolist(), orders.requested[rows].tolist(), orders.unit_price_usd[rows].tolist(),
                strict=True)]
            licensed[rows], tariff[rows] = vendor.fill_capped_orders(chip, group_orders, int(available[g]))
            filled[rows] = [order.filled for order in group_orders]

    value = filled * orders.unit_price_usd
    model.network.ship(orders.seller, orders.buyer, orders.chip, filled, month, filled * chips.h100e[orders.chip],
                            value, kind=np.where(licensed, LICENSED_CODE, -1))
    model.charge_buyers(orders.buyer, orders.chip, filled, value)

    # Per vendor: revenue net of tariffs and tariffs, by destination country (sales only).
    countries = list(model.country_code)
    sold = filled > 0
    vendor_country = row_vendor[sold] * len(countries) + model.node_country[orders.buyer[sold]]
    pairs, shape = len(vendors) * len(countries), (len(vendors), len(countries))
    revenue = sum_by_group(vendor_country, value[sold] - tariff[sold], pairs).reshape(shape)
    tariffs = sum_by_group(vendor_country, tariff[sold], pairs).reshape(shape)
    sales = np.bincount(vendor_country, minlength=pairs).reshape(shape)
    # Per group: chips ordered and filled, and filled by the buyer's bloc (for next month's home-sales caps).
    ordered_by_group = sum_by_group(group, orders.requested, len(group_key))
    filled_by_group = sum_by_group(group, filled, len(group_key))
    blocs = len(BLOCS)
    filled_by_group_bloc = sum_by_group(group * blocs + model.node_bloc_code[orders.buyer], filled,
                                        len(group_key) * blocs).reshape(-1, blocs)
    for v, vendor in enumerate(vendors):
        for code in np.flatnonzero(sales[v]).tolist():
            vendor.revenue_usd_by_country[countries[code]] += float(revenue[v, code])
            vendor.tariff_usd_by_country[countries[code]] += float(tariffs[v, code])
        vendor.chips_sold_this_month = 0
        vendor.sold_by_bloc_last_month = {}
        vendor._offers_by_buyer_kind = {}
    for g, (v, c) in enumerate(zip(group_vendor.tolist(), group_chip.tolist(), strict=True)):
        vendor, chip = vendors[v], chips.ids[c]
        sold_here = int(filled_by_group[g])
        if sold_here:
            vendor.inventory[chip] -= sold_here
            vendor.chips_sold_this_month += sold_here
            vendor.sold_by_bloc_last_month[chip] = {
                BLOCS[b]: n for b, n in enumerate(filled_by_group_bloc[g].tolist()) if n}
        vendor.after_sales(month, chip, int(ordered_by_group[g]), int(available[g]))
