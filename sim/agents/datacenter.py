"""Data centers: a monthly budget that grows, orders spread over suppliers by price, chips installed in cohorts.

Each month a data center adds its (noisy) budget to any unspent cash it may carry, asks its suppliers for offers,
and spreads its spending over them with a logit on price per H100e, favouring its own bloc's vendors by
``home_vendor_preference`` (worked out for all data centers at once, in ``sim.ordering``). Chips arrive after the
edge's lead time and are installed as a cohort that retires after the chip lifetime (held for all data centers at
once, in ``sim.installed``). Installed compute is kept by source: ``domestic`` when the chip's vendor is of the
owner's bloc, ``import`` otherwise, ``smuggled`` when it came over a smuggling route, ``proxy_fab`` when its die was
made for a front company at a foreign fab.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import RowOf, SupplyChainAgent
from sim.calendar import parse_month
from sim.columns import rows_by_value
from sim.installed import INSTALLED_SOURCES, InstalledBase, installed_source
from sim.scenario.fields import BLOC_CODE, BLOCS
from sim.scenario.schema import DataCenter
from sim.trade import SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.model import ChipSupplyModel
    from sim.trade import Shipments
    from sim.world import InitialChips


class DataCenterAgent(SupplyChainAgent):
    kind = "data_center"

    def __init__(self, model: ChipSupplyModel, spec: DataCenter, index: int) -> None:
        super().__init__(model, spec.id, spec.country)
        self.index = index  # its row in the model's installed base
        self._source_of_chip: dict[str, str] = {}
        self.owner_bloc = spec.owner_bloc or self.bloc
        self.base_budget_usd_per_month = spec.budget_usd_per_month
        self.budget_growth_factor_per_year = spec.budget_growth_factor_per_year
        self.max_foreign_rental_share = spec.max_foreign_rental_share
        self.offshore_rental_share = spec.offshore_rental_share
        self.rental_host_ids = list(spec.rental_routes)
        self.rental_hosts: list[DataCenterAgent] = []
        self.suppliers: list[SupplyChainAgent] = []

    def connect(self, suppliers: list[SupplyChainAgent], rental_hosts: list[DataCenterAgent]) -> None:
        self.suppliers = suppliers
        self.rental_hosts = rental_hosts

    # Money and rented compute live in the model's DataCenterArrays (a row per data center), where array code
    # settles every order and budget at once; these read and write this center's row.
    home_vendor_preference = RowOf(lambda model: model.center_arrays.home_vendor_preference)
    promoted_bloc_preference = RowOf(lambda model: model.rules.promoted_bloc_preference)
    cash_usd = RowOf(lambda model: model.center_arrays.cash_usd)
    spent_usd_this_month = RowOf(lambda model: model.center_arrays.spent_usd)
    budget_usd_this_month = RowOf(lambda model: model.center_arrays.budget_usd)
    rented_in_h100e = RowOf(lambda model: model.center_arrays.rented_in_h100e)
    rented_out_h100e = RowOf(lambda model: model.center_arrays.rented_out_h100e)
    rental_revenue_usd = RowOf(lambda model: model.center_arrays.rental_revenue_usd)

    def source_of(self, chip: str) -> str:
        """What chips of ``chip`` bought legally count as once installed here (see ``installed_source``)."""
        source = self._source_of_chip.get(chip)
        if source is None:
            chips = self.model.chips
            index = installed_source(chips, np.array([chips.of(chip)]), np.array([BLOC_CODE[self.owner_bloc]]))
            source = self._source_of_chip[chip] = INSTALLED_SOURCES[int(index[0])]  # never changes: asked once
        return source

    @property
    def installed_chips(self) -> int:
        return self.model.installed.center_chips(self.index)

    @property
    def installed_h100e(self) -> float:
        return sum(self.model.installed.center_h100e_by_source(self.index).values())


class DataCenterArrays:
    """Every data center's money and rented compute for the month, a row per data center (its ``index``), how much it
    prefers its own bloc's chips (this month's preference for promoted hardware is in ``Rules``), and its installed
    chips (the ``InstalledBase``, where this class installs arrivals and retires old cohorts).

    Each month a data center adds its (noisy) budget to its cash, and after ordering keeps at most
    ``budget_carryover_months`` of budget as cash for the next month.
    """

    def __init__(self, specs: list[DataCenter], start_month: int, country_bloc: Mapping[str, str],
                 installed: InstalledBase) -> None:
        count = len(specs)
        self.start_month = start_month
        self.installed = installed  # their chips, cohort by cohort
        # The bloc whose compute a center's chips count towards: its owner's, else its country's.
        self.owner_bloc_code = np.array([BLOC_CODE[spec.owner_bloc or country_bloc[spec.country]] for spec in specs],
                                        dtype=np.int64)
        self.base_budget_usd_per_month = np.array([spec.budget_usd_per_month for spec in specs], dtype=float)
        self.budget_growth_factor_per_year = np.array([spec.budget_growth_factor_per_year for spec in specs],
                                                      dtype=float)
        # An early rate up to a month (the years the data cover), then the rate above; none: no early years.
        self.early_budget_growth_factor_per_year = np.array(
            [spec.budget_growth_until.growth_factor_per_year if spec.budget_growth_until else 1.0 for spec in specs])
        self.early_budget_growth_months = np.array(
            [max(0, parse_month(spec.budget_growth_until.until) - start_month) if spec.budget_growth_until else 0
             for spec in specs], dtype=float)
        for fixed in (self.budget_growth_factor_per_year, self.early_budget_growth_factor_per_year,
                      self.early_budget_growth_months):
            fixed.flags.writeable = False  # fixed for the run: its distinct values are kept
        self._distinct_growth: tuple[np.ndarray, np.ndarray] | None = None
        self.home_vendor_preference = np.array([spec.home_vendor_preference for spec in specs], dtype=float)
        self.cash_usd = np.zeros(count)  # unspent budget
        self.spent_usd = np.zeros(count)  # spent this month
        self.budget_usd = np.zeros(count)  # this month's budget
        self.rented_in_h100e = np.zeros(count)
        self.rented_out_h100e = np.zeros(count)
        self.rental_revenue_usd = np.zeros(count)

    def budget_usd_per_month(self, month: int) -> np.ndarray:
        years = (month - self.start_month) / 12
        # Members of a population share their growth path: work out each distinct path once.
        if self._distinct_growth is None:
            paths = np.column_stack([self.budget_growth_factor_per_year, self.early_budget_growth_factor_per_year,
                                     self.early_budget_growth_months])
            self._distinct_growth = np.unique(paths, axis=0, return_inverse=True)
        paths, path_of_center = self._distinct_growth
        late, early, early_months = paths[:, 0], paths[:, 1], paths[:, 2]
        early_years = np.minimum(years, early_months / 12)
        growth = np.array([late_factor ** (years - early_span) * early_factor ** early_span
                           for late_factor, early_factor, early_span in zip(late.tolist(), early.tolist(),
                                                                            early_years.tolist(), strict=True)])
        return self.base_budget_usd_per_month * growth[path_of_center.ravel()]

    def receive_budgets(self, month: int, shocks: np.random.Generator, noise_sigma: float) -> None:
        """This month's budgets, each its base budget grown to ``month`` times a lognormal shock of mean 1."""
        # One draw per data center, in a fixed order, from a stream of its own: a policy never shifts these shocks.
        budget_shocks = shocks.lognormal(-0.5 * noise_sigma**2, noise_sigma, size=len(self.cash_usd))
        self.budget_usd = self.budget_usd_per_month(month) * budget_shocks
        self.cash_usd += self.budget_usd
        for month_total in (self.spent_usd, self.rented_in_h100e, self.rented_out_h100e, self.rental_revenue_usd):
            month_total[:] = 0.0

    def settle(self, month: int, carryover_months: float) -> None:
        """Keep at most ``carryover_months`` of budget as cash for next month."""
        self.cash_usd = np.minimum(self.cash_usd, carryover_months * self.budget_usd_per_month(month))

    def pay(self, center: np.ndarray, value_usd: np.ndarray) -> None:
        """Purchases (orders filled, compute rented) paid for from cash in row order (``center``: each row's data
        center, -1 for another buyer)."""
        mine = center >= 0
        np.subtract.at(self.cash_usd, center[mine], value_usd[mine])
        np.add.at(self.spent_usd, center[mine], value_usd[mine])

    # --- installed chips --------------------------------------------------------------------------------------
    def install_initial(self, initial: InitialChips, chip_ids: list[str]) -> None:
        """Every data center's chips installed before the start, one batch per install month (``chip_ids``: the chip
        of each of ``initial``'s chip numbers)."""
        center, chip = initial.center, self.installed.chips.numbers(chip_ids)[initial.chip]
        source = installed_source(self.installed.chips, chip, self.owner_bloc_code[center])
        for month, rows in rows_by_value(self.start_month - initial.age_months):
            self.installed.install_numbered(center[rows], chip[rows], source[rows], initial.count[rows], month=month)

    def install_arrivals(self, arriving: Shipments, node_center: np.ndarray, ledger: Ledger, month: int) -> None:
        """Install the arriving shipments addressed to data centers (``node_center``: each node's center, or -1)."""
        center = node_center[arriving.target]
        to_center = center >= 0
        if not to_center.any():
            return
        # Only the columns installing needs (not a take of every column: most arrivals go to data centers).
        center, chip, count = center[to_center], arriving.chip[to_center], arriving.count[to_center]
        owner_bloc_code = self.owner_bloc_code[center]
        source = installed_source(self.installed.chips, chip, owner_bloc_code,
                                  smuggled=arriving.kind[to_center] == SMUGGLED_CODE)
        self.installed.install_numbered(center, chip, source, count, month)
        ledger.installed(owner_bloc_code, source, count, count * self.installed.chips.h100e[chip])

    def retire(self, month: int, lifetime_months: int, ledger: Ledger) -> None:
        """Take the cohorts that have reached ``lifetime_months`` out of service, counted by owner bloc."""
        retired = self.installed.retire(month, lifetime_months)
        if len(retired.chips) == 0:
            return
        codes = self.owner_bloc_code[retired.center]
        present = np.flatnonzero(np.bincount(codes, minlength=len(BLOCS)))  # a count, not a sort of every cohort
        for bloc in sorted(BLOCS[code] for code in present.tolist()):
            mine = codes == BLOC_CODE[bloc]
            ledger.retired(bloc, int(retired.chips[mine].sum()), float(retired.h100e[mine].sum()))
