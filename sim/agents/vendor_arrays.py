"""Every vendor's stock, production under way, prices, demand forecasts and sales, as arrays; the month's bookings
and pricing.

A vendor forecasts demand with a smoothed average of the orders it receives (filled or not) and books enough
wafers to keep its stock plus the chips in production near ``lead time + cover`` months of that demand, within its
capacity reservation at the fab. Prices move with market pressure (orders plus the stock it wants to keep, over
the stock it has) within a floor and a ceiling around list price. Revenue is kept by destination country.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.fab import Bookings, fab_node_table
from sim.agents.market import MAX_CHIPS_PER_ORDER
from sim.agents.product_lines import ProductLines, line_ramp_factor, line_windows
from sim.catalog import ChipModel
from sim.columns import CELL_KEY_SPAN
from sim.exact import power
from sim.scenario.fields import BLOCS
from sim.scenario.schema import ProductLine

if TYPE_CHECKING:
    from sim.agents.fab import FabAgent, FabNodes
    from sim.agents.vendor import VendorAgent
    from sim.catalog import ChipIndex
    from sim.parameters import RunParameters
    from sim.trade import Shipments

DEMAND_SMOOTHING = 0.3  # weight of this month's orders in the demand forecast
ADJUSTMENT_MONTHS = 3.0  # a stock gap is closed over this many months, so bookings do not whipsaw


class VendorArrays:
    """Every vendor's stock, production under way, prices, demand forecasts and sales, as arrays.

    A cell per (vendor, chip it sells), vendor by vendor, each in its own order of chips (the order vendors book
    and fill in); a variant launched later gets a new cell at the end of its vendor's. ``expected_demand`` is NaN
    until the chip's first booking or sale; ``sold_by_bloc`` is last month's sales by the buyer's bloc (for
    allowances capped at a share of home sales). Per vendor and destination country (by the model's country code):
    this month's revenue net of tariffs, and tariffs.
    """

    def __init__(self, vendors: list[VendorAgent], fabs: list[FabAgent], fab_nodes: FabNodes,
                 catalog: Mapping[str, ChipModel], chips: ChipIndex, params: RunParameters, countries: int) -> None:
        """``countries``: how many countries the model numbers (revenue is kept by destination country)."""
        self.vendors, self.fabs, self.fab_nodes = vendors, fabs, fab_nodes
        self.catalog, self.chips, self.params = catalog, chips, params
        self.node_vendor: np.ndarray | None = None  # by trade-network node, its vendor index (-1: none); connect()
        self.cell_vendor = np.array([v for v, vendor in enumerate(vendors) for _ in vendor.chips], dtype=np.int64)
        self.cell_chip = chips.numbers([chip for vendor in vendors for chip in vendor.chips])
        cells = len(self.cell_vendor)
        self.inventory = np.zeros(cells, dtype=np.int64)
        self.in_production = np.zeros(cells, dtype=np.int64)
        self.price_usd = np.array([catalog[chip].list_price_usd for vendor in vendors for chip in vendor.chips],
                                  dtype=float)
        self.expected_demand = np.full(cells, np.nan)
        self.sold_by_bloc = np.zeros((cells, len(BLOCS)), dtype=np.int64)
        self.revenue_usd = np.zeros((len(vendors), countries))
        self.tariff_usd = np.zeros((len(vendors), countries))
        self.chips_sold = np.zeros(len(vendors), dtype=np.int64)
        self._index_cells()
        self._lines: ProductLines | None = None
        # Fixed reservations, by line number (lines are numbered as first met; the rows of _lines move when a variant
        # adds a line, the numbers do not): wafers a month this month, and their monthly growth.
        self._line_number: dict[int, int] = {}  # id(line) -> number
        self.fixed_wafers = np.zeros(0)
        self.monthly_growth = np.zeros(0)
        self.windows: tuple[np.ndarray, ...] = line_windows([])  # by line number, as line_windows gives them

    def _index_cells(self) -> None:
        self.vendor_start = np.searchsorted(self.cell_vendor, np.arange(len(self.vendors) + 1))
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
        self.cell_chip = np.insert(self.cell_chip, at, self.chips.of(chip.id))
        self.inventory = np.insert(self.inventory, at, 0)
        self.in_production = np.insert(self.in_production, at, 0)
        self.price_usd = np.insert(self.price_usd, at, chip.list_price_usd)
        self.expected_demand = np.insert(self.expected_demand, at, np.nan)
        self.sold_by_bloc = np.insert(self.sold_by_bloc, at, 0, axis=0)
        self._index_cells()
        self._lines = None

    def connect(self, node_vendor: np.ndarray) -> None:
        """Read the trade network once it is built: which node is which vendor (``node_vendor``, -1: none)."""
        self.node_vendor = node_vendor

    def begin_month(self) -> None:
        self.revenue_usd[:] = 0.0
        self.tariff_usd[:] = 0.0

    def _product_lines(self) -> ProductLines:
        """Every product line, in booking order (vendor by vendor, each through its chips in order, each chip's
        lines in order); worked out again when a variant adds a line (the lines' numbers stay)."""
        if self._lines is None:
            lines, cells = [], []
            for vendor in self.vendors:
                first = int(self.vendor_start[vendor.index])
                for position, chip in enumerate(vendor.chips):
                    for line in vendor.product_lines:
                        if line.chip == chip:
                            lines.append((vendor, line))
                            cells.append(first + position)
            fab_index = {fab.agent_id: fab.index for fab in self.fabs}
            self._number_lines([line for _vendor, line in lines])
            self._lines = ProductLines(
                lines=lines,
                number=np.array([self._line_number[id(line)] for _vendor, line in lines], dtype=np.int64),
                cell=np.array(cells, dtype=np.int64),
                fab=np.array([fab_index[line.fab] for _vendor, line in lines], dtype=np.int64),
                node=np.array([self.fab_nodes.code(line.node) for _vendor, line in lines], dtype=np.int64),
                hbm_stacks_per_chip=np.array([self.catalog[line.chip].hbm_stacks_per_chip for _v, line in lines],
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
        params, chips = self.params, self.chips
        lead = params.production_lead_time_months
        all_lines = self._product_lines()
        due = np.flatnonzero(chips.release_month[self.cell_chip[all_lines.cell]] <= month + lead)
        if not len(due):
            return Bookings.empty()
        line_cell = all_lines.cell[due]
        node_wafers, node_yield = fab_node_table(self.fabs, self.fab_nodes)
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
        short = cell[self.price_usd[cell] >= self.chips.list_price_usd[self.cell_chip[cell]]]
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
        return self.chips.release_month[self.cell_chip] <= month

    def receive(self, arriving: Shipments) -> None:
        """Chips from the fabs, arrived (the arriving shipments addressed to vendors): in stock, no longer in
        production."""
        vendor = self.node_vendor[arriving.target]
        mine = vendor >= 0
        cell = self.cells(vendor[mine], arriving.chip[mine])
        np.add.at(self.inventory, cell, arriving.count[mine])
        np.subtract.at(self.in_production, cell, arriving.count[mine])

    def production_under_way(self, start_month: int) -> list[tuple[str, str, str, int, int, int]]:
        """Chips already in production at the start, as shipments from the fabs (rows for
        ``TradeNetwork.seed_in_transit``): one lead time of each line's full-reservation output, counted in production.

        Front-company lines are left out: whether they produce at all depends on foundry KYC from the first month.
        """
        under_way = []
        for vendor in self.vendors:
            for line in vendor.product_lines:
                if self.catalog[line.chip].release_month > start_month or line.via_front_company:
                    continue
                monthly = int(vendor.full_reservation_output(line, start_month))
                cell = int(self.cells(np.array([vendor.index]), self.chips.numbers([line.chip]))[0])
                for months_ahead in range(self.params.production_lead_time_months):
                    under_way.append((line.fab, vendor.agent_id, line.chip, monthly, start_month - 1,
                                      start_month + months_ahead))
                    self.in_production[cell] += monthly
        return under_way

    def after_sales(self, month: int, ordered: np.ndarray, available: np.ndarray) -> None:
        """Update each released chip's demand forecast and price after the month's sales (``ordered``: chips
        ordered of each cell, filled or not; ``available``: its stock before the sales).

        Prices move with market pressure (orders plus the stock the vendor wants to keep, over the stock it had)
        within a floor and a ceiling around list price: the vendor's pricing policy (it will not sell below cost or
        price gouge beyond what buyers bear), not a correction of input.
        """
        params = self.params
        cell = np.flatnonzero(self.released(month))
        ordered, available = ordered[cell], available[cell]
        previous = self.expected_demand[cell]
        previous = np.where(np.isnan(previous), ordered.astype(float), previous)
        expected = (1 - DEMAND_SMOOTHING) * previous + DEMAND_SMOOTHING * ordered
        self.expected_demand[cell] = expected
        pressure = (ordered + expected * params.vendor_inventory_cover_months) / np.maximum(available, 1)
        price = self.price_usd[cell] * power(pressure, params.vendor_price_response)
        list_price = self.chips.list_price_usd[self.cell_chip[cell]]
        low, high = params.vendor_price_floor_ratio * list_price, params.vendor_price_ceiling_ratio * list_price
        self.price_usd[cell] = np.minimum(high, np.maximum(low, price))

    def price_list(self, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every released chip each vendor sells, at its current price: (vendor cell, vendor index, chip number, price
        in USD), vendor by vendor, each in its own order of chips."""
        cell = np.flatnonzero(self.released(month))
        return cell, self.cell_vendor[cell], self.cell_chip[cell], self.price_usd[cell]
