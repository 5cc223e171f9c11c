"""Accounting: what the model reports each tick, per bloc and for the world. Units are in the column names.

``Ledger`` (``sim/ledger.py``) counts the chip flows that stocks cannot show (produced, acquired, retired) as they
happen; ``TickRecorder`` reads the stocks at the end of each tick and turns both into rows of tidy tables:

- ``blocs``: one row per month and bloc (owner bloc of the data centers): installed compute by source, compute
  rented in from abroad and out to foreign tenants, distillation uplift (China only), the worth of the model weights
  obtained from other blocs, effective compute (installed + rented in - rented out + distillation + weights), chips
  acquired and retired, spending, production by fabs in the bloc, models obtained this month by theft and by licence,
  what labs' security cost the bloc's data centers.
- ``world``: one row per month: the US:China ratio of effective compute, the implied lead in months (and the months of
  it the weights obtained across blocs take away), smuggling and
  enforcement (chips diverted and seized this month, intermediaries listed so far), and the chip balance
  (initial + produced = installed + inventories + in transit + retired + seized) that the conservation tests check.
- ``routes``: chips diverted and seized per month by the country they were diverted from.
- ``revenue``: vendor revenue per month by destination bloc, net of export tariffs, and the tariffs paid (what
  controls cost vendors and allies).
- ``flows``: chips shipped per month by edge kind, from bloc and to bloc.
- ``prices``: each vendor's price per chip per month.
- ``production``: chips finished per month by fab and chip.
- ``alliance``: per month and allied tool or memory maker: how far its government has aligned with the US controls,
  the pressure and compensation it weighs, its China revenue, what alignment cost it and the US paid back, and the
  HBM it sold China's fabs or had stopped (alliance friction; empty without allies).
- ``capacity``: per month and fab: wafers a month over its nodes, advanced-packaging capacity and yield, HBM
  (domestic deliveries, imports, stockpile) and the share SME and packaging controls take (what China's capacity
  growth follows).

``blocs`` and ``world`` are always recorded (they are the run's summary, and the browser page reads them); the others
only when asked (all of them by default). A sweep reads only the first two; at 10k agents the others cost a few
percent of each month and ~8 MB of peak memory by the end of a 520-month run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.compute import CHINA_BLOC, US_BLOC
from sim.installed import INSTALLED_SOURCES
from sim.scenario.fields import BLOC_CODE, BLOCS
from sim.table_blocks import Blocks, Tables
from sim.table_names import recorded_tables
from sim.trade import SHIPMENT_KINDS, SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.trade import Shipments

ALLIANCE_COLUMNS = ["date", "tick", "ally", "product", "alignment", "pressure_usd_per_year", "compensation_share",
                    "china_revenue_usd", "china_sales_usd", "revenue_lost_usd", "compensation_usd",
                    "hbm_stacks_to_china", "hbm_stacks_stopped"]
CAPACITY_COLUMNS = ["date", "tick", "fab", "bloc", "wafers_per_month", "packaging_wafers_per_month",
                    "packaging_yield_fraction", "packages_scrapped", "hbm_stacks_per_month", "hbm_stacks_imported",
                    "hbm_stacks_stock", "sme_reduction", "packaging_reduction"]


def us_china_ratio(us_h100e: float, china_h100e: float) -> float:
    """US-bloc effective compute over China's (inf when China has none)."""
    return us_h100e / china_h100e if china_h100e > 0 else math.inf


def lead_months(ratio: float, frontier_growth_per_year: float) -> float:
    """Months of frontier compute growth that the compute ratio amounts to: 12 ln(ratio) / ln(g).

    NaN when the US bloc has no compute (ratio 0): no lead is measured from nothing, and NaN, unlike -inf, is not
    taken for a number of months (summaries and medians leave it out). Infinite when China has none."""
    if ratio <= 0:
        return math.nan
    if math.isinf(ratio):
        return math.inf
    return 12.0 * math.log(ratio) / math.log(frontier_growth_per_year)


def weights_lead_months(effective: dict[str, float], weights: dict[str, float], lead: float,
                        frontier_growth_per_year: float) -> float:
    """Months of US lead that the weights the two blocs obtained from each other's labs take away: the lead without
    them less the lead with them. 0 when neither holds any; NaN where the lead is (no US compute); infinite when China
    has compute only through them."""
    if not (weights[US_BLOC] or weights[CHINA_BLOC]):
        return 0.0
    ratio_without = us_china_ratio(effective[US_BLOC] - weights[US_BLOC], effective[CHINA_BLOC] - weights[CHINA_BLOC])
    without = lead_months(ratio_without, frontier_growth_per_year)
    return 0.0 if without == lead else without - lead  # equal infinities take nothing away


def _production_frame(production: Blocks, dates: list[str], fab_ids: list[str], chip_ids: list[str],
                      h100e_by_chip: np.ndarray) -> pd.DataFrame:
    """The production table, each row's H100e worked out from its chips and chip (8 bytes a row not kept for the
    whole run)."""
    frame = production.frame(dates, {"fab": fab_ids})
    chip = frame["chip"].to_numpy().astype(np.int64)
    frame["h100e"] = frame["chips"].to_numpy() * h100e_by_chip[chip]
    frame["chip"] = np.array(chip_ids, dtype=object)[chip]
    return frame


class TickRecorder:
    def __init__(self, model: ChipSupplyModel, tables: Iterable[str] | None = None) -> None:
        self.model = model
        self.recorded = recorded_tables(tables)
        self.bloc_rows: list[dict] = []
        self.world_rows: list[dict] = []
        self.dates: list[str] = []  # by tick
        self.revenue = Blocks("vendor", "destination_bloc", "revenue_usd", "tariff_usd")
        self.flow_rows: list[dict] = []
        self.prices = Blocks("vendor", "chip", "price_usd")
        self.production = Blocks("fab", "chip", "chips")  # H100e worked out when the table is built
        self._revenue_codes: tuple[np.ndarray, np.ndarray] | None = None
        self._price_codes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._fab_rank: np.ndarray | None = None
        self.route_rows: list[dict] = []
        self.alliance_rows: list[dict] = []
        self.capacity_rows: list[dict] = []

    def record(self) -> None:
        model = self.model
        ledger = model.ledger
        date, tick = model.date, model.month - model.start_month
        compute = model.compute
        installed, effective = compute.installed_h100e, compute.effective_h100e
        centers, owner_bloc = model.center_arrays, model.center_arrays.owner_bloc_code
        spend, budget = (
            dict(zip(BLOCS, np.bincount(owner_bloc, weights=by_center, minlength=len(BLOCS)).tolist(), strict=True))
            for by_center in (centers.spent_usd, centers.budget_usd))
        for bloc in BLOCS:
            row = {"date": date, "tick": tick, "bloc": bloc, "effective_h100e": effective[bloc],
                   "installed_h100e": sum(installed[bloc].values())}
            for source in INSTALLED_SOURCES:
                row[f"installed_h100e_{source}"] = installed[bloc][source]
            row.update(
                rented_in_h100e=compute.rented_in_h100e[bloc],
                rented_out_h100e=compute.rented_out_h100e[bloc],
                distillation_h100e=compute.distillation_h100e[bloc],
                installed_chips=compute.installed_chips[bloc],
                acquired_chips=sum(ledger.acquired_chips[bloc, s] for s in INSTALLED_SOURCES),
                acquired_h100e=sum(ledger.acquired_h100e[bloc, s] for s in INSTALLED_SOURCES),
                **{f"acquired_h100e_{s}": ledger.acquired_h100e[bloc, s] for s in INSTALLED_SOURCES},
                retired_chips=ledger.retired_chips_by_bloc[bloc],
                retired_h100e=ledger.retired_h100e_by_bloc[bloc],
                produced_chips=ledger.produced_chips_by_bloc[bloc],
                produced_h100e=ledger.produced_h100e_by_bloc[bloc],
                spend_usd=spend[bloc],
                budget_usd=budget[bloc],
                weights_h100e=compute.weights_h100e[bloc],
                weights_stolen_models=model.labs.stolen_this_month[bloc],
                weights_licensed_models=model.labs.licensed_this_month[bloc],
                weight_security_usd=model.labs.security_usd_this_month[bloc],
            )
            self.bloc_rows.append(row)

        shipped = model.network.shipped_this_tick
        smuggled = shipped.kind == SMUGGLED_CODE
        smuggled_chips, smuggled_h100e = int(shipped.count[smuggled].sum()), float(shipped.h100e[smuggled].sum())
        if "routes" in self.recorded:
            self._record_routes(date, tick, shipped, smuggled)

        ratio = us_china_ratio(effective[US_BLOC], effective[CHINA_BLOC])
        lead = lead_months(ratio, model.params.frontier_growth_per_year)
        chips_installed = sum(compute.installed_chips.values())
        chips_inventory = model.stocks.in_inventory()
        chips_in_transit = model.stocks.in_transit()
        self.world_rows.append(
            {
                "date": date,
                "tick": tick,
                "us_china_ratio": ratio,
                "lead_months": lead,
                "weights_lead_months": weights_lead_months(effective, compute.weights_h100e, lead,
                                                           model.params.frontier_growth_per_year),
                "installed_h100e_total": sum(sum(v.values()) for v in installed.values()),
                "chips_initial": ledger.initial_installed_chips + ledger.initial_in_transit_chips,
                "chips_produced_total": ledger.produced_chips_total,
                "chips_installed": chips_installed,
                "chips_in_inventory": chips_inventory,
                "chips_in_transit": chips_in_transit,
                "chips_retired_total": ledger.retired_chips_total,
                "chips_seized_total": ledger.seized_chips_total,
                "smuggled_chips": smuggled_chips,
                "smuggled_h100e": smuggled_h100e,
                "seized_chips": ledger.seized_chips,
                "seized_h100e": ledger.seized_h100e,
                "intermediaries_listed": model.intermediary_arrays.listed_count(),
                "inspection_capacity": model.enforcement_bodies.inspection_capacity(),
                "inspections": model.enforcement_bodies.inspections_made(),
                "tenants_barred": len(set().union(*model.rules.cloud.barred_tenants.values())),
            }
        )

        self.dates.append(date)
        if "revenue" in self.recorded:
            self._record_revenue(tick)
        if "prices" in self.recorded:
            self._record_prices(tick)
        if "production" in self.recorded:
            self._record_production(tick)
        if "flows" in self.recorded:
            self._record_flows(date, tick, shipped)
        if "alliance" in self.recorded:
            self._record_alliance(date, tick)
        if "capacity" in self.recorded:
            self._record_capacity(date, tick)

    def _record_alliance(self, date: str, tick: int) -> None:
        """Each ally's alignment and what it sold China, or lost, this month (USD and HBM stacks)."""
        arrays = self.model.ally_arrays
        sales = arrays.china_sales_usd()
        for row, ally in enumerate(self.model.allies):
            self.alliance_rows.append({
                "date": date, "tick": tick, "ally": ally.agent_id, "product": ally.product,
                "alignment": float(arrays.alignment[row]),
                "pressure_usd_per_year": float(arrays.pressure_usd_per_year[row]),
                "compensation_share": float(arrays.compensation_share[row]),
                "china_revenue_usd": float(arrays.china_revenue_usd_per_year[row]) / 12,
                "china_sales_usd": float(sales[row]),
                "revenue_lost_usd": float(arrays.revenue_lost_usd[row]),
                "compensation_usd": float(arrays.compensation_usd[row]),
                "hbm_stacks_to_china": float(arrays.hbm_stacks_to_china[row]),
                "hbm_stacks_stopped": float(arrays.hbm_stacks_stopped[row]),
            })

    def _record_capacity(self, date: str, tick: int) -> None:
        """Each fab's capacity at the end of the month, and the controls' bite on its growth."""
        for fab in self.model.fabs:
            self.capacity_rows.append({
                "date": date, "tick": tick, "fab": fab.agent_id, "bloc": fab.bloc,
                "wafers_per_month": float(sum(fab.wafers_per_month.values())),
                "packaging_wafers_per_month": float(fab.packaging_wafers_per_month),
                "packaging_yield_fraction": float(fab.packaging_yield_fraction),
                "packages_scrapped": int(fab.packages_scrapped_this_month),
                "hbm_stacks_per_month": float(fab.hbm_stacks_per_month),
                "hbm_stacks_imported": float(fab.hbm_stacks_imported_this_month),
                "hbm_stacks_stock": float(fab.hbm_stacks_stock),
                "sme_reduction": fab.sme_reduction,
                "packaging_reduction": fab.packaging_reduction,
            })

    def _record_routes(self, date: str, tick: int, shipped: Shipments, smuggled: np.ndarray) -> None:
        """Chips diverted this month by the country they were diverted from, countries by code."""
        network = self.model.network
        countries = list(network.country_code)
        diverted_by_country = np.bincount(network.node_country[shipped.source[smuggled]],
                                          weights=shipped.count[smuggled], minlength=len(countries))
        for code in sorted(np.flatnonzero(diverted_by_country).tolist(), key=countries.__getitem__):
            self.route_rows.append({"date": date, "tick": tick, "from_country": countries[code],
                                    "chips_diverted": int(diverted_by_country[code])})

    def _record_flows(self, date: str, tick: int, shipped: Shipments) -> None:
        """Chips, H100e and value shipped this month by (kind, from bloc, to bloc): rows grouped by one integer key,
        summed with bincount."""
        blocs = len(BLOCS)
        node_bloc_code = self.model.network.node_bloc_code
        source_bloc, target_bloc = node_bloc_code[shipped.source], node_bloc_code[shipped.target]
        key = (shipped.kind * blocs + source_bloc) * blocs + target_bloc
        keys = len(SHIPMENT_KINDS) * blocs * blocs
        present = np.flatnonzero(np.bincount(key, minlength=keys))
        sums = [np.bincount(key, weights=column, minlength=keys)[present]
                for column in (shipped.count, shipped.h100e, shipped.value_usd)]
        groups = [(SHIPMENT_KINDS[k // (blocs * blocs)], BLOCS[k // blocs % blocs], BLOCS[k % blocs], i)
                  for i, k in enumerate(present.tolist())]
        for kind, source_bloc, target_bloc, i in sorted(groups):
            self.flow_rows.append(
                {"date": date, "tick": tick, "kind": kind, "from_bloc": source_bloc, "to_bloc": target_bloc,
                 "chips": int(sums[0][i]), "h100e": float(sums[1][i]), "value_usd": float(sums[2][i])}
            )

    def _record_production(self, tick: int) -> None:
        """Chips made this month by fab and chip, ordered by fab id, then chip id."""
        model, rows = self.model, self.model.ledger.production_rows
        if not rows:
            self.production.add(tick, *(np.zeros(0, dtype=np.int64) for _ in range(3)))
            return
        fab, chip, chips = (np.concatenate(column) for column in zip(*rows, strict=True))
        span = len(model.chips)
        keys, inverse = np.unique(fab * span + chip, return_inverse=True)
        made = np.bincount(inverse, weights=chips).astype(np.int64)
        fab, chip = keys // span, keys % span
        if self._fab_rank is None:  # each fab's place when fabs are sorted by id
            self._fab_rank = np.argsort(np.argsort(np.array([f.agent_id for f in model.fabs], dtype=object)))
        order = np.lexsort((model.chips.sort_rank[chip], self._fab_rank[fab]))
        fab, chip, made = fab[order], chip[order], made[order]
        self.production.add(tick, fab, chip, made)

    def _record_revenue(self, tick: int) -> None:
        """Each vendor's revenue and tariffs by destination bloc this month."""
        model = self.model
        arrays = model.vendor_arrays
        vendors, blocs = len(model.vendors), len(BLOCS)
        revenue, tariffs = np.zeros((vendors, blocs)), np.zeros((vendors, blocs))
        for code, bloc in enumerate(model.country_bloc.values()):  # countries in code order
            revenue[:, BLOC_CODE[bloc]] += arrays.revenue_usd[:, code]
            tariffs[:, BLOC_CODE[bloc]] += arrays.tariff_usd[:, code]
        if self._revenue_codes is None:  # the same every month: one copy, shared by every month's block
            self._revenue_codes = (self.revenue.kept(np.repeat(np.arange(vendors), blocs)),
                                   self.revenue.kept(np.tile(np.arange(blocs), vendors)))
        self.revenue.add(tick, *self._revenue_codes, revenue.ravel(), tariffs.ravel())

    def _record_prices(self, tick: int) -> None:
        """Each vendor's price of each chip this month."""
        arrays = self.model.vendor_arrays
        if self._price_codes is None or self._price_codes[0] is not arrays.cell_chip:  # new only with a variant
            self._price_codes = (arrays.cell_chip, self.prices.kept(arrays.cell_vendor),
                                 self.prices.kept(arrays.cell_chip))
        self.prices.add(tick, *self._price_codes[1:], arrays.price_usd)  # kept as a copy

    def tables(self) -> Tables:
        """The tables recorded so far, each built when first read (the builders hold the recorded rows and the
        names they decode to, not the model)."""
        dates = list(self.dates)
        vendor_ids = [vendor.agent_id for vendor in self.model.vendors]
        fab_ids = [fab.agent_id for fab in self.model.fabs]
        chip_ids = list(self.model.chips.ids)
        bloc_rows, world_rows = list(self.bloc_rows), list(self.world_rows)
        flow_rows, route_rows = list(self.flow_rows), list(self.route_rows)
        alliance_rows, capacity_rows = list(self.alliance_rows), list(self.capacity_rows)
        revenue, prices, production = self.revenue.copy(), self.prices.copy(), self.production.copy()
        # Builders as partial functions, not lambdas: a result can be pickled (sent between processes) unbuilt.
        builders = {
            "blocs": partial(pd.DataFrame, bloc_rows),
            "world": partial(pd.DataFrame, world_rows),
            "revenue": partial(revenue.frame, dates, {"vendor": vendor_ids, "destination_bloc": list(BLOCS)}),
            "flows": partial(pd.DataFrame, flow_rows,
                             columns=["date", "tick", "kind", "from_bloc", "to_bloc", "chips", "h100e", "value_usd"]),
            "prices": partial(prices.frame, dates, {"vendor": vendor_ids, "chip": chip_ids}),
            "production": partial(_production_frame, production, dates, fab_ids, chip_ids,
                                  self.model.chips.h100e.copy()),
            "routes": partial(pd.DataFrame, route_rows, columns=["date", "tick", "from_country", "chips_diverted"]),
            "alliance": partial(pd.DataFrame, alliance_rows, columns=ALLIANCE_COLUMNS),
            "capacity": partial(pd.DataFrame, capacity_rows, columns=CAPACITY_COLUMNS),
        }
        return Tables({name: builders[name] for name in self.recorded})
