"""ChipSupplyModel: the Mesa model that wires the world together and runs one month per tick.

``step()`` is the architecture: a list of phases in order. Policies act first, so a rule that takes effect this
month governs this month's trade. Production is booked before orders are placed because fabs work from forecasts,
not from this month's orders; intermediaries fill their customers from stock before restocking, and vendors fill
last, when every order (from data centers and intermediaries alike) is in.
"""

from __future__ import annotations

import functools
import gc
from collections import defaultdict
from dataclasses import dataclass

import mesa
import numpy as np

from sim.agents import DataCenterAgent, EnforcementAgent, FabAgent, IntermediaryAgent, VendorAgent
from sim.agents.base import SupplyChainAgent
from sim.agents.fab import Booking
from sim.agents.rental import clear_rental_market
from sim.calendar import format_month, parse_month
from sim.catalog import build_catalog
from sim.installed import InstalledBase
from sim.metrics import Ledger, TickRecorder
from sim.ordering import place_orders
from sim.policies.cloud import CloudRules
from sim.policies.export_controls import DENIED, AllowanceInForce, ExportRules
from sim.policies.registry import build_policies
from sim.rng import RandomStreams
from sim.scenario.schema import Scenario
from sim.trade import Shipment, TradeNetwork
from sim.world import EDGE_RENTED, EDGE_SMUGGLED, build_world


@dataclass(frozen=True)
class RunParameters:
    """The scenario's world parameters as plain numbers (read in hot loops)."""

    frontier_growth_per_year: float
    chip_lifetime_months: int
    production_lead_time_months: int
    shipping_lead_time_months: int
    demand_noise_sigma: float
    buyer_price_sensitivity: float
    vendor_price_response: float
    vendor_price_floor_ratio: float
    vendor_price_ceiling_ratio: float
    vendor_inventory_cover_months: float
    intermediary_cover_months: float
    budget_carryover_months: float
    stockpile_spending_multiplier: float
    rental_price_usd_per_h100e_month: float
    distillation_gap_share: float
    smuggling_price_markup: float
    smuggling_fine_usd_per_chip: float
    perceived_detection_initial: float
    perceived_detection_learning_rate: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> RunParameters:
        values = {}
        for name, field_type in cls.__annotations__.items():
            value = getattr(scenario.parameters, name).value
            values[name] = int(value) if field_type == "int" else float(value)
        return cls(**values)


ENTITY_LIST_BLOC = "us_allies"


def _without_cyclic_gc(method):
    """Run ``method`` with Python's cyclic garbage collector paused, and back on afterwards.

    Building a world and stepping it create hundreds of thousands of small objects (cohorts, orders, shipments) that
    live on or are freed by reference counting. Each burst of allocations set off the cyclic collector, which walks
    every tracked object of the model, again and again: half the set-up and over a quarter of a tick at 10k agents
    (benchmarks/bench_scale.py). Paused for the call, it runs at most once after it. Results do not change.
    """

    @functools.wraps(method)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return paused


class ChipSupplyModel(mesa.Model):
    """The AI-chip supply chain of one scenario, run with one seed."""

    @_without_cyclic_gc
    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.scenario = scenario
        self.seed = seed
        self.streams = RandomStreams(seed)
        self.params = RunParameters.from_scenario(scenario)
        self.start_month = parse_month(scenario.start)
        self.end_month = parse_month(scenario.end)
        self.month = self.start_month - 1  # no month simulated yet
        self.catalog = build_catalog(scenario)
        self.country_bloc = {code: country.bloc for code, country in scenario.countries.items()}
        self.country_tier = {code: country.tier for code, country in scenario.countries.items()}
        self.vendor_bloc = {vendor.id: self.country_bloc[vendor.country] for vendor in scenario.vendors}
        self.ledger = Ledger()

        world = build_world(scenario, self.streams, self.catalog)
        self.fabs = [FabAgent(self, spec) for spec in scenario.fabs]
        self.vendors = [VendorAgent(self, spec) for spec in scenario.vendors]
        self.intermediaries = [IntermediaryAgent(self, spec) for spec in world.intermediaries]
        self.enforcement_bodies = [EnforcementAgent(self, spec) for spec in scenario.enforcement]
        self.agents_by_id: dict[str, SupplyChainAgent] = {
            agent.agent_id: agent
            for agent in [*self.fabs, *self.vendors, *self.intermediaries, *self.enforcement_bodies]
        }
        # Data centers come last: their initial cohorts need the vendor blocs above.
        self.installed = InstalledBase(len(world.data_centers), self.catalog)
        self.data_centers = [DataCenterAgent(self, spec, index) for index, spec in enumerate(world.data_centers)]
        self.owner_bloc_of_center = np.array([center.owner_bloc for center in self.data_centers], dtype=object)
        self._install_initial_chips()
        self.agents_by_id.update({center.agent_id: center for center in self.data_centers})

        nodes = {
            agent_id: {"kind": agent.kind, "country": agent.country, "bloc": agent.bloc, "tier": agent.tier}
            for agent_id, agent in self.agents_by_id.items()
        }
        self.network = TradeNetwork(world.edges, nodes)
        graph = self.network.graph
        for item in self.intermediaries:
            routes = [target for target in graph.successors(item.agent_id)
                      if graph.edges[item.agent_id, target]["kind"] == EDGE_SMUGGLED]
            item.connect([self.agents_by_id[vendor_id] for vendor_id in item.vendor_ids], routes)
        for center in self.data_centers:
            # Legal suppliers first (in the scenario's order), then smuggling routes: the graph keeps that order.
            suppliers = [
                self.agents_by_id[source]
                for source in self.network.suppliers_of(center.agent_id)
                if graph.edges[source, center.agent_id]["kind"] != EDGE_RENTED
            ]
            center.connect(suppliers, [self.agents_by_id[host] for host in center.rental_host_ids])

        self.policies = build_policies(scenario)
        self._reset_policy_settings()
        self.ledger.initial_installed_chips = self.chips_installed()
        self._seed_production_pipeline()
        self.recorder = TickRecorder(self)

    def _install_initial_chips(self) -> None:
        """Every data center's chips installed before the start, one batch per install month."""
        centers: list[int] = []
        chips: list[str] = []
        sources: list[str] = []
        counts: list[int] = []
        months: list[int] = []
        for center in self.data_centers:
            cohorts = center.initial_installed
            # Column by column (a large world starts with millions of cohorts, a few chip models per center).
            center_chips = [cohort.chip for cohort in cohorts]
            source_of_chip = {chip: center.source_of(chip) for chip in set(center_chips)}
            centers.extend([center.index] * len(cohorts))
            chips.extend(center_chips)
            sources.extend([source_of_chip[chip] for chip in center_chips])
            counts.extend([cohort.count for cohort in cohorts])
            months.extend([self.start_month - cohort.age_months for cohort in cohorts])
        columns = (np.array(centers, dtype=np.int64), np.array(chips, dtype=object),
                   np.array(sources, dtype=object), np.array(counts, dtype=np.int64))
        install_month = np.array(months, dtype=np.int64)
        for month in np.unique(install_month).tolist():
            rows = install_month == month
            self.installed.install(*(column[rows] for column in columns), month=month)

    def _seed_production_pipeline(self) -> None:
        """Chips already in production at the start: one lead time of each line's full-reservation output.

        Front-company lines are left out: whether they produce at all depends on foundry KYC from the first month.
        """
        lead = self.params.production_lead_time_months
        for vendor in self.vendors:
            for line in vendor.product_lines:
                chip = self.catalog[line.chip]
                if chip.release_month > self.start_month or line.via_front_company:
                    continue
                monthly = int(vendor.full_reservation_output(line))
                for months_ahead in range(lead):
                    shipment = Shipment(
                        line.fab, vendor.agent_id, line.chip, monthly, "production", self.start_month - 1
                    )
                    self.network.seed_in_transit(shipment, self.start_month + months_ahead)
                    vendor.production_shipped(line.chip, monthly)
                    self.ledger.initial_in_transit_chips += monthly

    # --- the tick ---------------------------------------------------------------------------------------------
    # The phases of a month, in order; one list, so that benchmarks can time each by name.
    PHASES = (
        "_begin_month",
        "_apply_policies",
        "_grow_capacity",
        "_deliver_arrivals",
        "_retire_chips",
        "_book_and_produce",
        "_receive_budgets",
        "_rent_offshore_compute",
        "_place_orders",
        "_fill_intermediary_orders",
        "_restock_intermediaries",
        "_fill_vendor_orders",
        "_settle_budgets",
        "_inspect",
        "_record",
    )

    @_without_cyclic_gc
    def step(self) -> None:
        for phase in self.PHASES:
            getattr(self, phase)()
        if self.month >= self.end_month:
            self.running = False

    def _record(self) -> None:
        self.recorder.record()

    @property
    def date(self) -> str:
        """The month being (or last) simulated, as YYYY-MM."""
        return format_month(self.month)

    def _begin_month(self) -> None:
        self.month += 1
        self.network.begin_tick()
        self.ledger.begin_tick()
        for agent in (*self.vendors, *self.intermediaries):
            agent.begin_month()

    def _apply_policies(self) -> None:
        self._reset_policy_settings()
        for policy in self.policies:
            policy.apply(self, self.month)
        # Vendors answer the thresholds now in force (variants launch after their design lag).
        for vendor in self.vendors:
            vendor.design_variants(self.month)
        # Listed diverters whose owners set up a new shell company are back in business this month.
        for item in self.intermediaries:
            item.maybe_reenter(self.month)

    def _reset_policy_settings(self) -> None:
        """Every setting a policy may change, back to the scenario's value (see sim.policies.registry)."""
        self.export_rules = ExportRules(self.seed, self.month)
        self.announced_controls = []
        self.cloud_rules = CloudRules()
        self.smuggling_fine_usd_per_chip = self.params.smuggling_fine_usd_per_chip
        self.distillation_kept = 1.0  # share of the distillation uplift that bans and detection leave
        for body in self.enforcement_bodies:
            body.reset_to_scenario()
        for fab in self.fabs:
            fab.sme_reduction = 0.0
            fab.front_company_detection = 0.0
        for center in self.data_centers:
            center.promoted_bloc_preference = 0.0

    def _grow_capacity(self) -> None:
        # Capacity at the start month is the scenario's; growth applies from the second month on.
        if self.month == self.start_month:
            return
        for fab in self.fabs:
            fab.grow_capacity()
        for vendor in self.vendors:
            vendor.grow_reservations()

    def _deliver_arrivals(self) -> None:
        installing = []
        for shipment in self.network.arrivals(self.month):
            receiver = self.agents_by_id[shipment.target]
            if receiver.kind == DataCenterAgent.kind:
                installing.append(
                    (receiver, shipment.chip, receiver.source_for(shipment.chip, shipment.kind), shipment.count))
            else:
                receiver.receive(shipment.chip, shipment.count)
        if installing:
            centers, chips, sources, counts = zip(*installing, strict=True)
            self.installed.install([center.index for center in centers], chips, sources, counts, self.month)
            self.ledger.installed(installing, self.catalog)

    def _retire_chips(self) -> None:
        retired = self.installed.retire(self.month, self.params.chip_lifetime_months)
        if len(retired.chips) == 0:
            return
        blocs = self.owner_bloc_of_center[retired.center]
        for bloc in sorted(set(blocs)):
            mine = blocs == bloc
            self.ledger.retired(bloc, int(retired.chips[mine].sum()), float(retired.h100e[mine].sum()))

    def _book_and_produce(self) -> None:
        bookings_by_fab: dict[str, list[Booking]] = defaultdict(list)
        for vendor in self.vendors:
            for booking in vendor.bookings(self.month):
                bookings_by_fab[booking.line.fab].append(booking)
        for fab in self.fabs:
            bookings = bookings_by_fab.get(fab.agent_id, [])
            fab.produce(bookings)
            for booking in bookings:
                if booking.chips_made:
                    chip = self.catalog[booking.line.chip]
                    self.network.ship(fab.agent_id, booking.vendor_id, chip.id, booking.chips_made, self.month,
                                      chip.h100e, 0.0)
                    self.agents_by_id[booking.vendor_id].production_shipped(chip.id, booking.chips_made)
                    self.ledger.produced(
                        fab.agent_id, fab.bloc, chip.id, booking.chips_made, booking.chips_made * chip.h100e
                    )

    def _receive_budgets(self) -> None:
        # One draw per data center from one stream, in a fixed order: a policy never shifts these shocks.
        sigma = self.params.demand_noise_sigma
        shocks = self.streams["demand_shocks"].lognormal(-0.5 * sigma**2, sigma, size=len(self.data_centers))
        for center, shock in zip(self.data_centers, shocks, strict=True):
            center.receive_budget(self.month, float(shock))

    def _rent_offshore_compute(self) -> None:
        clear_rental_market(self)

    def _place_orders(self) -> None:
        place_orders(self, self.month)

    def _fill_intermediary_orders(self) -> None:
        for item in self.intermediaries:
            item.fill_orders(self.month)

    def _restock_intermediaries(self) -> None:
        for item in self.intermediaries:
            item.restock(self.month)

    def _fill_vendor_orders(self) -> None:
        for vendor in self.vendors:
            vendor.fill_orders(self.month)

    def _settle_budgets(self) -> None:
        for center in self.data_centers:
            center.settle(self.month)

    def _inspect(self) -> None:
        """Enforcement inspects this month's shipments from intermediaries; finds are seized and listed."""
        from_intermediaries = [
            shipment
            for shipment, _h100e, _usd in self.network.shipped_this_tick
            if isinstance(self.agents_by_id[shipment.source], IntermediaryAgent)
        ]
        seized: set[int] = set()
        for body in self.enforcement_bodies:
            in_reach = [s for s in from_intermediaries
                        if self.agents_by_id[s.source].country in body.jurisdiction and id(s) not in seized]
            legal = [s for s in in_reach if s.kind != EDGE_SMUGGLED]
            diverted = [s for s in in_reach if s.kind == EDGE_SMUGGLED]
            for shipment in body.inspect(legal, diverted, self.streams[f"enforcement.{body.agent_id}"]):
                seized.add(id(shipment))
                self.network.seize(shipment)
                destination_bloc = self.country_bloc[self.agents_by_id[shipment.target].country]
                self.ledger.seize(destination_bloc, shipment.count, shipment.count * self.catalog[shipment.chip].h100e)
                self.agents_by_id[shipment.source].list_on_entity_list(self.month)
        self._update_diversion_beliefs(from_intermediaries, seized)

    def _update_diversion_beliefs(self, shipments: list[Shipment], seized: set[int]) -> None:
        """Diverters in a country learn from the share of that country's diverted shipments caught this month.

        With nothing diverted from their country to learn from, beliefs drift back towards the prior (memory fades),
        so one scare does not close a route for ever.
        """
        diverted_by_country: dict[str, int] = defaultdict(int)
        caught_by_country: dict[str, int] = defaultdict(int)
        for shipment in shipments:
            if shipment.kind == EDGE_SMUGGLED:
                country = self.agents_by_id[shipment.source].country
                diverted_by_country[country] += 1
                caught_by_country[country] += id(shipment) in seized
        prior = self.params.perceived_detection_initial
        for item in self.intermediaries:
            diverted = diverted_by_country.get(item.country, 0)
            item.update_belief(caught_by_country[item.country] / diverted if diverted else prior)

    def sale_status(self, chip_id: str, buyer: SupplyChainAgent) -> tuple[str, AllowanceInForce | None]:
        """How export rules and the entity list treat selling this chip to this buyer this month."""
        chip = self.catalog[chip_id]
        vendor_bloc = self.vendor_bloc[chip.vendor_id]
        # The entity list is the controlling bloc's: a listed buyer is cut off from its vendors, not from Huawei.
        if getattr(buyer, "listed", False) and vendor_bloc == ENTITY_LIST_BLOC:
            return DENIED, None
        return self.export_rules.status(chip, vendor_bloc, buyer)

    def may_sell(self, chip_id: str, buyer: SupplyChainAgent) -> bool:
        return self.sale_status(chip_id, buyer)[0] != DENIED

    def denied_soon(self, chip_id: str, buyer: SupplyChainAgent) -> bool:
        """Sellable now, but an announced control will stop it: the window in which buyers stockpile."""
        if not self.announced_controls or not self.may_sell(chip_id, buyer):
            return False
        chip = self.catalog[chip_id]
        return self.export_rules.denied_when_effective(chip, self.vendor_bloc[chip.vendor_id], buyer,
                                                       self.announced_controls)

    # --- stocks, for accounting and tests -------------------------------------------------------------------
    def chips_installed(self) -> int:
        return self.installed.total_chips()

    def chips_in_inventory(self) -> int:
        return sum(sum(v.inventory.values()) for v in self.vendors) + sum(
            sum(i.inventory.values()) for i in self.intermediaries
        )

    def chips_in_transit(self) -> int:
        return sum(self.network.in_transit_chips.values())

    def intermediaries_listed(self) -> int:
        return sum(item.listed for item in self.intermediaries)

    def all_stocks_non_negative(self) -> bool:
        stocks = [self.installed.fewest_chips()]
        for agent in (*self.vendors, *self.intermediaries):
            stocks.extend(agent.inventory.values())
        stocks.extend(self.network.in_transit_chips.values())
        return bool(np.min(stocks, initial=0) >= 0)
