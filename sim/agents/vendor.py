"""Chip vendors: book fab capacity for their product lines, sell from stock, set prices, track revenue.

A vendor forecasts demand with a smoothed average of the orders it receives (filled or not) and books enough
wafers to keep its stock plus the chips in production near ``lead time + cover`` months of that demand, within its
capacity reservation at the fab. Prices move with market pressure (orders plus the stock it wants to keep, over
the stock it has) within a floor and a ceiling around list price. Revenue is kept by destination country.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import ChipRow, RowOf, SupplyChainAgent
from sim.agents.fab import Bookings, fab_node_table
from sim.agents.market import (
    MAX_CHIPS_PER_ORDER,
    Order,
    Orders,
    ration,
    ration_groups,
    ration_quantities,
    sum_by_group,
)
from sim.agents.variants import VariantDesigner
from sim.calendar import parse_month
from sim.catalog import ChipModel, proxy_chip_id
from sim.columns import CELL_KEY_SPAN, stable_order
from sim.exact import power
from sim.policies.export_controls import (
    ALLOWANCE,
    COVERED_CHIPS,
    DENIED,
    LICENSED,
    SAME_CHIP,
    STATUS_CODE,
    TIERED,
    AllowanceInForce,
)
from sim.scenario.schema import BLOC_CODE, BLOCS, ProductLine, Vendor
from sim.trade import LICENSED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.trade import Shipments

DEMAND_SMOOTHING = 0.3  # weight of this month's orders in the demand forecast
ADJUSTMENT_MONTHS = 3.0  # a stock gap is closed over this many months, so bookings do not whipsaw


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
        self.product_lines.append(line)  # its reservation starts at max_wafers_per_month (see _ProductLines)
        self.chips.append(chip.id)
        self.model.vendor_arrays.add_cell(self.index, chip)

    def design_variants(self, month: int) -> None:
        if self.designer is not None:
            self.designer.step(month)

    def is_released(self, chip: str, month: int) -> bool:
        return self.model.catalog[chip].release_month <= month

    def production_shipped(self, chip: str, count: int) -> None:
        self.model.vendor_arrays.in_production[self._cell(chip)] += count

    # --- sales ------------------------------------------------------------------------------------------------
    def offer_key(self, buyer: SupplyChainAgent) -> tuple:
        """Buyers with equal keys get the same offers this month: export rules see only the country and the list."""
        return buyer.country, bool(getattr(buyer, "listed", False))

    def offers(self, month: int, buyer: SupplyChainAgent) -> list[tuple[str, float, int]]:
        """(chip, price in USD, chips in stock) for every released chip this vendor may sell to ``buyer``: this
        vendor's part of what the market quotes every buyer at once (``vendor_price_list``)."""
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


NO_WINDOW_START = 10**6  # months: a ramp-up that started long ago, a wind-down that never starts


def line_windows(lines: list[ProductLine]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each line's (ramp-up start, ramp-up months, wind-down start, wind-down months), months as numbers; a line
    without a window gets one that keeps it at full reservation."""
    ramp_start = [parse_month(line.ramp_up.start) if line.ramp_up else -NO_WINDOW_START for line in lines]
    ramp_months = [line.ramp_up.months if line.ramp_up else 1 for line in lines]
    wind_start = [parse_month(line.wind_down.start) if line.wind_down else NO_WINDOW_START for line in lines]
    wind_months = [line.wind_down.months if line.wind_down else 1 for line in lines]
    return tuple(np.array(column, dtype=np.int64) for column in (ramp_start, ramp_months, wind_start, wind_months))


def line_ramp_factor(ramp_start: np.ndarray, ramp_months: np.ndarray, wind_start: np.ndarray,
                     wind_months: np.ndarray, month: int) -> np.ndarray:
    """Share of each line's reservation open in ``month``: rising linearly to 1 over the ramp-up (a share of
    1/months in its first month), falling linearly to 0 over the wind-down. Exactly 1.0 for a line without windows,
    so such a line books as it did before windows existed."""
    up = np.clip((month - ramp_start + 1) / ramp_months, 0.0, 1.0)
    down = np.clip(1.0 - (month - wind_start + 1) / wind_months, 0.0, 1.0)
    return up * down


@dataclass(frozen=True)
class _ProductLines:
    """Every vendor's product lines in booking order, with what bookings need of each as arrays."""

    lines: list[tuple[VendorAgent, ProductLine]]
    number: np.ndarray  # the line's number in VendorArrays' reservation arrays
    cell: np.ndarray  # the vendor's cell of the line's chip
    fab: np.ndarray  # place in model.fabs
    node: np.ndarray  # model.fab_nodes code
    hbm_stacks_per_chip: np.ndarray
    via_front_company: np.ndarray
    chips_per_wafer: np.ndarray
    chips_per_packaging_wafer: np.ndarray  # 0 when none is needed
    dies_per_package: np.ndarray  # 1, or the dies a chiplet line bonds into each package
    share_of_node: np.ndarray  # the reservation as a share of the node's capacity; NaN for a fixed reservation


class VendorArrays:
    """Every vendor's stock, production under way, prices, demand forecasts and sales, as arrays.

    A cell per (vendor, chip it sells), vendor by vendor, each in its own order of chips (the order vendors book
    and fill in); a variant launched later gets a new cell at the end of its vendor's. ``expected_demand`` is NaN
    until the chip's first booking or sale; ``sold_by_bloc`` is last month's sales by the buyer's bloc (for
    allowances capped at a share of home sales). Per vendor and destination country (by the model's country code):
    this month's revenue net of tariffs, and tariffs.
    """

    def __init__(self, model: ChipSupplyModel, vendors: list[VendorAgent]) -> None:
        self.model = model
        catalog, chips = model.catalog, model.chips
        self.cell_vendor = np.array([v for v, vendor in enumerate(vendors) for _ in vendor.chips], dtype=np.int64)
        self.cell_chip = chips.numbers([chip for vendor in vendors for chip in vendor.chips])
        cells = len(self.cell_vendor)
        self.inventory = np.zeros(cells, dtype=np.int64)
        self.in_production = np.zeros(cells, dtype=np.int64)
        self.price_usd = np.array([catalog[chip].list_price_usd for vendor in vendors for chip in vendor.chips],
                                  dtype=float)
        self.expected_demand = np.full(cells, np.nan)
        self.sold_by_bloc = np.zeros((cells, len(BLOCS)), dtype=np.int64)
        countries = len(model.country_bloc)
        self.revenue_usd = np.zeros((len(vendors), countries))
        self.tariff_usd = np.zeros((len(vendors), countries))
        self.chips_sold = np.zeros(len(vendors), dtype=np.int64)
        self._index_cells()
        self._lines: _ProductLines | None = None
        # Fixed reservations, by line number (lines are numbered as first met; the rows of _lines move when a variant
        # adds a line, the numbers do not): wafers a month this month, and their monthly growth.
        self._line_number: dict[int, int] = {}  # id(line) -> number
        self.fixed_wafers = np.zeros(0)
        self.monthly_growth = np.zeros(0)
        self.windows: tuple[np.ndarray, ...] = line_windows([])  # by line number, as line_windows gives them

    def _index_cells(self) -> None:
        self.vendor_start = np.searchsorted(self.cell_vendor, np.arange(len(self.model.vendors) + 1))
        key = self.cell_vendor * CELL_KEY_SPAN + self.cell_chip
        self._by_key = np.argsort(key, kind="stable")
        self._sorted_key = key[self._by_key]

    def cells_of(self, vendor: int) -> slice:
        return slice(int(self.vendor_start[vendor]), int(self.vendor_start[vendor + 1]))

    def cells(self, vendor: np.ndarray, chip: np.ndarray) -> np.ndarray:
        """The cell of each (vendor index, chip number) pair given; every pair must have one."""
        key = vendor * CELL_KEY_SPAN + chip
        return self._by_key[np.searchsorted(self._sorted_key, key)]

    def add_cell(self, vendor: int, chip: ChipModel) -> None:
        """A cell for a chip the vendor starts selling, after its other chips, at list price."""
        at = int(self.vendor_start[vendor + 1])
        self.cell_vendor = np.insert(self.cell_vendor, at, vendor)
        self.cell_chip = np.insert(self.cell_chip, at, self.model.chips.of(chip.id))
        self.inventory = np.insert(self.inventory, at, 0)
        self.in_production = np.insert(self.in_production, at, 0)
        self.price_usd = np.insert(self.price_usd, at, chip.list_price_usd)
        self.expected_demand = np.insert(self.expected_demand, at, np.nan)
        self.sold_by_bloc = np.insert(self.sold_by_bloc, at, 0, axis=0)
        self._index_cells()
        self._lines = None

    def begin_month(self) -> None:
        self.revenue_usd[:] = 0.0
        self.tariff_usd[:] = 0.0

    def _product_lines(self) -> _ProductLines:
        """Every product line, in booking order (vendor by vendor, each through its chips in order, each chip's
        lines in order); worked out again when a variant adds a line (the lines' numbers stay)."""
        if self._lines is None:
            model = self.model
            lines, cells = [], []
            for vendor in model.vendors:
                first = int(self.vendor_start[vendor.index])
                for position, chip in enumerate(vendor.chips):
                    for line in vendor.product_lines:
                        if line.chip == chip:
                            lines.append((vendor, line))
                            cells.append(first + position)
            fab_index = {fab.agent_id: fab.index for fab in model.fabs}
            self._number_lines([line for _vendor, line in lines])
            self._lines = _ProductLines(
                lines=lines,
                number=np.array([self._line_number[id(line)] for _vendor, line in lines], dtype=np.int64),
                cell=np.array(cells, dtype=np.int64),
                fab=np.array([fab_index[line.fab] for _vendor, line in lines], dtype=np.int64),
                node=np.array([model.fab_nodes.code(line.node) for _vendor, line in lines], dtype=np.int64),
                hbm_stacks_per_chip=np.array([model.catalog[line.chip].hbm_stacks_per_chip for _v, line in lines],
                                             dtype=np.int64),
                via_front_company=np.array([line.via_front_company for _vendor, line in lines], dtype=np.int64),
                chips_per_wafer=np.array([line.chips_per_wafer for _vendor, line in lines], dtype=float),
                chips_per_packaging_wafer=np.array([line.chips_per_packaging_wafer or 0.0 for _v, line in lines],
                                                   dtype=float),
                dies_per_package=np.array([line.chiplet.dies_per_package if line.chiplet else 1
                                           for _vendor, line in lines], dtype=np.int64),
                share_of_node=np.array([np.nan if line.reservation_share_of_node is None
                                        else line.reservation_share_of_node for _vendor, line in lines], dtype=float),
            )
        return self._lines

    def _number_lines(self, lines: list[ProductLine]) -> None:
        """Numbers for the lines that have none yet, each starting at its maximum reservation."""
        new = [line for line in lines if id(line) not in self._line_number]
        self._line_number.update({id(line): len(self.fixed_wafers) + i for i, line in enumerate(new)})
        self.fixed_wafers = np.append(self.fixed_wafers, [line.max_wafers_per_month or 0.0 for line in new])
        growth = [line.reservation_growth_factor_per_year for line in new]
        self.monthly_growth = np.append(self.monthly_growth, [1.0 if g is None else g ** (1 / 12) for g in growth])
        self.windows = tuple(np.append(old, added) for old, added in zip(self.windows, line_windows(new),
                                                                          strict=True))

    def fixed_reservation(self, line: ProductLine) -> float:
        """Wafers a month of a line's fixed reservation, this month (a line not numbered yet is at its start)."""
        number = self._line_number.get(id(line))
        if number is None:
            return line.max_wafers_per_month or 0.0
        return float(self.fixed_wafers[number])

    def grow_reservations(self, month: int) -> None:
        """A month of growth of every fixed reservation whose ramp-up has begun (``max_wafers_per_month`` is the
        reservation in the month the ramp-up starts; a line without one grows from the scenario's start)."""
        self._product_lines()  # every line numbered
        ramp_start = self.windows[0]
        self.fixed_wafers = self.fixed_wafers * np.where(month > ramp_start, self.monthly_growth, 1.0)

    def bookings(self, month: int) -> Bookings:
        """This month's wafer requests of every vendor: for each chip due (released within a production lead time,
        so that the first chips arrive in the release month), enough to bring stock plus production under way
        towards ``lead time + cover`` months of expected demand (closing the gap over ADJUSTMENT_MONTHS, so that
        bookings do not whipsaw), shared over the chip's lines by their capacity, within each line's reservation.
        A chip's first forecast is its lines' full output."""
        params, chips = self.model.params, self.model.chips
        lead = params.production_lead_time_months
        all_lines = self._product_lines()
        due = np.flatnonzero(chips.release_month[self.cell_chip[all_lines.cell]] <= month + lead)
        if not len(due):
            return Bookings.empty()
        line_cell = all_lines.cell[due]
        node_wafers, node_yield = fab_node_table(self.model.fabs, self.model.fab_nodes)
        fab, node, share = all_lines.fab[due], all_lines.node[due], all_lines.share_of_node[due]
        fixed = self.fixed_wafers[all_lines.number[due]]
        windows = [column[all_lines.number[due]] for column in self.windows]
        ramp = line_ramp_factor(*windows, month)
        ramp_start, ramp_months = windows[0], windows[1]
        ramping_up = (month >= ramp_start) & (month < ramp_start + ramp_months)
        reservation = np.where(np.isnan(share), fixed, share * node_wafers[fab, node]) * ramp
        chips_per_wafer = all_lines.chips_per_wafer[due]
        yield_fraction = node_yield[fab, node]
        full_output = reservation * chips_per_wafer * yield_fraction
        capacity = np.bincount(line_cell, weights=full_output, minlength=len(self.cell_chip))  # by chip, in order

        cell = np.unique(line_cell)
        # A chip whose lines have no open reservation yet (a ramp-up not started) gets its first forecast later.
        unforecast = cell[np.isnan(self.expected_demand[cell]) & (capacity[cell] > 0)]
        self.expected_demand[unforecast] = capacity[unforecast]
        expected = np.nan_to_num(self.expected_demand[cell])
        position = self.inventory[cell] + self.in_production[cell]
        target = expected * (lead + params.vendor_inventory_cover_months)
        wanted = np.zeros(len(self.cell_chip))
        wanted[cell] = np.maximum(0.0, expected + (target - position) / ADJUSTMENT_MONTHS)
        # A vendor pricing at or above list is short of chips: it books every wafer it has reserved, rather than
        # the orders it got at that price (which a high price keeps low, so a forecast from them would keep it short).
        # No more than one order's worth (MAX_CHIPS_PER_ORDER) a month beyond demand: counts stay exact however far
        # capacity grows (sim/scenario/exact_counts.py).
        short = cell[self.price_usd[cell] >= self.model.chips.list_price_usd[self.cell_chip[cell]]]
        wanted[short] = np.maximum(wanted[short], np.minimum(capacity[short], MAX_CHIPS_PER_ORDER))

        booked = np.flatnonzero(capacity[line_cell] > 0)
        share = wanted[line_cell[booked]] * full_output[booked] / capacity[line_cell[booked]]
        good_per_wafer = chips_per_wafer[booked] * yield_fraction[booked]
        wafers = np.minimum(reservation[booked], np.divide(share, good_per_wafer, out=np.zeros_like(share),
                                                           where=good_per_wafer != 0))
        # A new generation's ramp-up is planned and committed months ahead: its open reservation is booked in full
        # whatever this month's orders (which a tiny first stock, priced at the ceiling, would keep low).
        wafers = np.where(ramping_up[booked], reservation[booked], wafers)
        row = due[booked]
        cell_of_row = all_lines.cell[row]
        return Bookings(
            fab=all_lines.fab[row], vendor=self.cell_vendor[cell_of_row], chip=self.cell_chip[cell_of_row],
            node=all_lines.node[row], hbm_stacks_per_chip=all_lines.hbm_stacks_per_chip[row],
            via_front_company=all_lines.via_front_company[row], wafers_requested=wafers,
            chips_per_wafer=all_lines.chips_per_wafer[row],
            chips_per_packaging_wafer=all_lines.chips_per_packaging_wafer[row],
            dies_per_package=all_lines.dies_per_package[row],
        )

    def released(self, month: int) -> np.ndarray:
        """Whether each cell's chip is on sale in ``month``."""
        return self.model.chips.release_month[self.cell_chip] <= month

    def receive(self, arriving: Shipments) -> None:
        """Chips from the fabs, arrived (the arriving shipments addressed to vendors): in stock, no longer in
        production."""
        vendor = self.model.network.node_vendor[arriving.target]
        mine = vendor >= 0
        cell = self.cells(vendor[mine], arriving.chip[mine])
        np.add.at(self.inventory, cell, arriving.count[mine])
        np.subtract.at(self.in_production, cell, arriving.count[mine])

    def production_under_way(self, start_month: int) -> list[tuple[str, str, str, int, int, int]]:
        """Chips already in production at the start, as shipments from the fabs (rows for
        ``TradeNetwork.seed_in_transit``): one lead time of each line's full-reservation output, counted in production.

        Front-company lines are left out: whether they produce at all depends on foundry KYC from the first month.
        """
        model = self.model
        under_way = []
        for vendor in model.vendors:
            for line in vendor.product_lines:
                if model.catalog[line.chip].release_month > start_month or line.via_front_company:
                    continue
                monthly = int(vendor.full_reservation_output(line, start_month))
                for months_ahead in range(model.params.production_lead_time_months):
                    under_way.append((line.fab, vendor.agent_id, line.chip, monthly, start_month - 1,
                                      start_month + months_ahead))
                    vendor.production_shipped(line.chip, monthly)
        return under_way

    def after_sales(self, month: int, ordered: np.ndarray, available: np.ndarray) -> None:
        """Update each released chip's demand forecast and price after the month's sales (``ordered``: chips
        ordered of each cell, filled or not; ``available``: its stock before the sales).

        Prices move with market pressure (orders plus the stock the vendor wants to keep, over the stock it had)
        within a floor and a ceiling around list price: the vendor's pricing policy (it will not sell below cost or
        price gouge beyond what buyers bear), not a correction of input.
        """
        params = self.model.params
        cell = np.flatnonzero(self.released(month))
        ordered, available = ordered[cell], available[cell]
        previous = self.expected_demand[cell]
        previous = np.where(np.isnan(previous), ordered.astype(float), previous)
        expected = (1 - DEMAND_SMOOTHING) * previous + DEMAND_SMOOTHING * ordered
        self.expected_demand[cell] = expected
        pressure = (ordered + expected * params.vendor_inventory_cover_months) / np.maximum(available, 1)
        price = self.price_usd[cell] * power(pressure, params.vendor_price_response)
        list_price = self.model.chips.list_price_usd[self.cell_chip[cell]]
        low, high = params.vendor_price_floor_ratio * list_price, params.vendor_price_ceiling_ratio * list_price
        self.price_usd[cell] = np.minimum(high, np.maximum(low, price))


def vendor_price_list(model: ChipSupplyModel, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every released chip each vendor sells, at its current price: (vendor cell, vendor index, chip number, price
    in USD), vendor by vendor, each in its own order of chips."""
    arrays = model.vendor_arrays
    cell = np.flatnonzero(arrays.released(month))
    return cell, arrays.cell_vendor[cell], arrays.cell_chip[cell], arrays.price_usd[cell]


def fill_vendor_orders(model: ChipSupplyModel, orders: Orders, month: int) -> None:
    """Every vendor's orders of the month (the rows of ``orders`` whose seller is one), filled at once: stock
    rationed among each chip's orders (none for a buyer the export rules deny), shipped (``licensed`` when sold under
    a licence or allowance), paid for; then each vendor updates its forecasts and prices.

    A chip's orders are its vendor's ``orders`` of old, in the order placed; vendors and chips go in the order the
    per-vendor rule took them (vendor, then its list of chips: the order of the vendor arrays' cells), which is also
    the order of shipments. Chips with orders under an allowance or tiered caps go through ``fill_capped_orders`` one
    order at a time, in that order, since each sale uses up a cap the next one sees.
    """
    vendors, chips, nodes, arrays = model.vendors, model.chips, model.nodes, model.vendor_arrays
    mine = np.flatnonzero(model.network.node_vendor[orders.seller] >= 0)
    placed = mine[stable_order(orders.seller_cell[mine])]
    cell = orders.seller_cell[placed]
    orders = orders.take(placed)
    status = model.export_gate.status_codes(orders.chip, orders.buyer)

    available = arrays.inventory.copy()
    filled = ration_groups(available, cell, np.where(status == STATUS_CODE[DENIED], 0, orders.requested))
    licensed = status == STATUS_CODE[LICENSED]
    tariff = np.zeros(len(orders))
    capped = (status == STATUS_CODE[ALLOWANCE]) | (status == STATUS_CODE[TIERED])
    if capped.any():
        for c in np.unique(cell[capped]).tolist():
            rows = np.flatnonzero(cell == c)
            vendor, chip = vendors[arrays.cell_vendor[c]], chips.ids[arrays.cell_chip[c]]
            group_orders = [Order(nodes[b], vendor, chip, q, p) for b, q, p in zip(
                orders.buyer[rows].tolist(), orders.requested[rows].tolist(), orders.unit_price_usd[rows].tolist(),
                strict=True)]
            licensed[rows], tariff[rows] = vendor.fill_capped_orders(chip, group_orders, int(available[c]))
            filled[rows] = [order.filled for order in group_orders]

    value = filled * orders.unit_price_usd
    model.network.ship(orders.seller, orders.buyer, orders.chip, filled, month, filled * chips.h100e[orders.chip],
                       value, kind=np.where(licensed, LICENSED_CODE, -1), edge=orders.edge)
    model.center_arrays.pay(model.network.node_center[orders.buyer], value)
    model.intermediary_arrays.on_filled(orders.buyer, orders.chip, filled, value)

    # Per vendor: revenue net of tariffs and tariffs, by destination country (sales only).
    sold = filled > 0
    countries = arrays.revenue_usd.shape[1]
    vendor_country = arrays.cell_vendor[cell[sold]] * countries + model.network.node_country[orders.buyer[sold]]
    arrays.revenue_usd += sum_by_group(vendor_country, value[sold] - tariff[sold],
                                       arrays.revenue_usd.size).reshape(arrays.revenue_usd.shape)
    arrays.tariff_usd += sum_by_group(vendor_country, tariff[sold], arrays.tariff_usd.size).reshape(
        arrays.tariff_usd.shape)
    # Per cell: chips filled, in all and by the buyer's bloc (for next month's home-sales caps).
    cells, blocs = len(arrays.cell_chip), len(BLOCS)
    filled_by_cell = sum_by_group(cell, filled, cells)
    arrays.inventory -= filled_by_cell
    arrays.chips_sold = sum_by_group(arrays.cell_vendor, filled_by_cell, len(vendors))
    arrays.sold_by_bloc = sum_by_group(cell * blocs + model.network.node_bloc_code[orders.buyer], filled,
                                       cells * blocs).reshape(cells, blocs)
    arrays.after_sales(month, ordered=sum_by_group(cell, orders.requested, cells), available=available)
