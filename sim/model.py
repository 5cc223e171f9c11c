"""ChipSupplyModel: the Mesa model that wires the world together and runs one month per tick.

``step()`` is the architecture: a list of phases in order. Policies act first, so a rule that takes effect this
month governs this month's trade. Production is booked before orders are placed because fabs work from forecasts,
not from this month's orders; intermediaries fill their customers from stock before restocking, and vendors fill
last, when every order (from data centers and intermediaries alike) is in.
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa

from sim.agents import DataCenterAgent, EnforcementAgent, FabAgent, IntermediaryAgent, VendorAgent
from sim.agents.ally import AllyAgent, AllyArrays
from sim.agents.base import SupplyChainAgent
from sim.agents.datacenter import DataCenterArrays
from sim.agents.enforcement import EnforcementBodies
from sim.agents.fab import FabNodes, book_and_produce
from sim.agents.intermediary_arrays import IntermediaryArrays
from sim.agents.intermediary_sales import fill_intermediary_orders
from sim.agents.lab import Labs
from sim.agents.market import Orders
from sim.agents.rental import RentalRoutes, clear_rental_market
from sim.agents.vendor_arrays import VendorArrays
from sim.agents.vendor_sales import fill_vendor_orders
from sim.calendar import format_month, parse_month
from sim.catalog import ChipIndex, build_catalog
from sim.compute import bloc_compute
from sim.export_gate import ExportGate
from sim.gc_pause import without_cyclic_gc
from sim.installed import InstalledBase
from sim.ledger import Ledger
from sim.metrics import TickRecorder
from sim.ordering import OfferRoutes, plan_orders
from sim.parameters import run_parameters
from sim.policies.registry import PoliciesInForce
from sim.rng import RandomStreams
from sim.rules import PolicyWorld, Rules
from sim.scenario.schema import Scenario
from sim.stocks import ChipStocks
from sim.table_names import recorded_tables
from sim.trade import SHIPMENT_KINDS, TradeNetwork
from sim.world import EDGE_RENTED, build_world


class ChipSupplyModel(mesa.Model):
    """The AI-chip supply chain of one scenario, run with one seed."""

    @without_cyclic_gc
    def __init__(self, scenario: Scenario, seed: int = 0, tables: Iterable[str] | None = None) -> None:
        """``tables``: which of sim.table_names.TABLES to record besides blocs and world (None: all of them)."""
        tables = recorded_tables(tables)  # a bad name is refused before any set-up work
        super().__init__(seed=seed)
        self.scenario = scenario
        self.seed = seed
        self.streams = RandomStreams(seed)
        self.params = run_parameters(scenario)
        self.start_month = parse_month(scenario.start)
        self.end_month = parse_month(scenario.end)
        self.month = self.start_month - 1  # no month simulated yet
        self.catalog = build_catalog(scenario)
        self.country_bloc = {code: country.bloc for code, country in scenario.countries.items()}
        self.country_tier = {code: country.tier for code, country in scenario.countries.items()}
        self.vendor_bloc = {vendor.id: self.country_bloc[vendor.country] for vendor in scenario.vendors}
        self.chips = ChipIndex(self.catalog, self.vendor_bloc)  # the one numbering of chips for array code
        self.ledger = Ledger()

        world = build_world(scenario, self.streams, self.catalog)
        self.fabs = [FabAgent(self, spec, index) for index, spec in enumerate(scenario.fabs)]
        self.fab_nodes = FabNodes(scenario.fabs)
        self.allies = [AllyAgent(self, spec, index) for index, spec in enumerate(scenario.allies)]
        self.ally_arrays = AllyArrays(scenario.allies, {fab.agent_id: fab.index for fab in self.fabs},
                                      self.start_month)
        self.vendors = [VendorAgent(self, spec, index) for index, spec in enumerate(scenario.vendors)]
        self.intermediaries = [IntermediaryAgent(self, spec, index) for index, spec in enumerate(world.intermediaries)]
        self.intermediary_arrays = IntermediaryArrays(self.intermediaries, self.chips, self.params)
        self.enforcement_bodies = EnforcementBodies([EnforcementAgent(self, spec) for spec in scenario.enforcement],
                                                    self.streams)
        self.agents_by_id: dict[str, SupplyChainAgent] = {
            agent.agent_id: agent for agent in
            [*self.fabs, *self.vendors, *self.intermediaries, *self.enforcement_bodies.agents, *self.allies]
        }
        # Data centers come last: their initial cohorts need the vendor blocs above.
        self.installed = InstalledBase(len(world.data_centers), self.catalog, self.chips)
        self.center_arrays = DataCenterArrays(world.data_centers, self.start_month, self.country_bloc, self.installed)
        self.data_centers = [DataCenterAgent(self, spec, index) for index, spec in enumerate(world.data_centers)]
        self.center_arrays.install_initial(world.initial_chips, world.initial_chip_ids)
        # After the installed base: chips are numbered as first met, installed chips first (sums run in that order).
        self.vendor_arrays = VendorArrays(self.vendors, self.fabs, self.fab_nodes, self.catalog, self.chips,
                                          self.params, len(self.country_bloc))
        self.agents_by_id.update({center.agent_id: center for center in self.data_centers})

        self.network = network = TradeNetwork(world.graph, self.chips, self.country_bloc)
        self.nodes = [self.agents_by_id[node_id] for node_id in network.node_ids]  # the agent of each node
        for number, agent in enumerate(self.nodes):
            agent.node = number
        self.export_gate = ExportGate(self.catalog, self.chips, self.vendor_bloc, self.nodes, network.node_country,
                                      len(network.country_code), self.intermediary_arrays.node_listed)
        self.vendor_arrays.connect(network.node_vendor)
        self.intermediary_arrays.connect(network, self.agents_by_id, self.vendors, self.vendor_arrays,
                                         self.export_gate)
        supplying = tuple(kind for kind in SHIPMENT_KINDS if kind != EDGE_RENTED)
        for center in self.data_centers:
            # Legal suppliers first (in the scenario's order), then smuggling routes: the edges come in that order.
            suppliers = [self.agents_by_id[source] for source in network.suppliers_of(center.agent_id, supplying)]
            center.connect(suppliers, [self.agents_by_id[host] for host in center.rental_host_ids])

        self.offer_routes = OfferRoutes(self)
        self.rental_routes = RentalRoutes(self)
        # Labs are agents but not trade-network nodes: they move weights, not chips.
        self.labs = Labs(self, scenario, {center.agent_id: center.index for center in self.data_centers})
        self.policies = PoliciesInForce(scenario)
        self.policy_world = PolicyWorld.of(scenario, self.nodes, self.data_centers, self.catalog, self.chips,
                                           self.streams, self.labs.roster())
        self._use_rules(Rules.of_scenario(scenario, self.policy_world, seed, self.month))
        self.sme_reduction_in_effect = self.rules.sme_reduction.copy()  # by fab; allies' alignment moves it monthly
        self.stocks = ChipStocks(self.installed, self.vendor_arrays, self.intermediary_arrays, network)
        self.ledger.initial_installed_chips = self.stocks.installed()
        under_way = self.vendor_arrays.production_under_way(self.start_month)
        network.seed_in_transit(under_way)
        self.ledger.initial_in_transit_chips = sum(count for _fab, _vendor, _chip, count, _sent, _due in under_way)
        self.recorder = TickRecorder(self, tables)
        self.orders_placed_this_month = 0  # data centers' and restocking orders (the market's work; benchmarks)

    # --- the tick ---------------------------------------------------------------------------------------------
    # The phases of a month, in order; one list, so that benchmarks can time each by name.
    PHASES = (
        "_begin_month",
        "_apply_policies",
        "_allies_decide",
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
        "_policies_observe",
        "_move_weights",
        "_account_compute",
        "_record",
    )

    @without_cyclic_gc
    def step(self) -> None:
        for phase in self.PHASES:
            getattr(self, phase)()
        if self.month >= self.end_month:
            self.running = False

    def _begin_month(self) -> None:
        self.month += 1
        self.network.begin_tick()
        self.ledger.begin_tick()
        self.vendor_arrays.begin_month()
        self.intermediary_arrays.begin_month()

    def _apply_policies(self) -> None:
        # Fresh rules from the scenario every month; each policy in force writes what it changes, in file order.
        rules = Rules.of_scenario(self.scenario, self.policy_world, self.seed, self.month)
        self.policies.apply(rules, self.policy_world, self.month)
        self._use_rules(rules)
        # Vendors answer the thresholds now in force (variants launch after their design lag).
        for vendor in self.vendors:
            vendor.design_variants(self.month)
        # Listed diverters whose owners set up a new shell company are back in business this month.
        self.intermediary_arrays.reenter(self.month)

    def _use_rules(self, rules: Rules) -> None:
        """From now on every phase reads ``rules``; those who ask the month's questions are handed them."""
        self.rules = rules
        self.export_gate.use(rules)
        self.intermediary_arrays.use(rules, self.month)
        self.enforcement_bodies.use(rules)

    def _allies_decide(self) -> None:
        """Allied governments weigh the month's pressure against their makers' China revenue; what they align
        sets how hard SME controls bite, and their memory makers' HBM that is let through reaches China's fabs."""
        allies = self.ally_arrays
        allies.decide(self.rules.alliance, self.month)
        allies.deliver_hbm(self.fabs)
        self.sme_reduction_in_effect = self.rules.sme_reduction_in_effect(allies.tools_alignment())

    def _grow_capacity(self) -> None:
        # Capacity at the start month is the scenario's; growth applies from the second month on.
        if self.month == self.start_month:
            return
        for fab in self.fabs:
            fab.grow_capacity(float(self.sme_reduction_in_effect[fab.index]), self.month,
                              float(self.rules.packaging_reduction[fab.index]))
        self.vendor_arrays.grow_reservations(self.month)

    def _deliver_arrivals(self) -> None:
        arriving = self.network.arrivals(self.month)
        self.intermediary_arrays.receive(arriving)
        self.vendor_arrays.receive(arriving)
        self.center_arrays.install_arrivals(arriving, self.network.node_center, self.ledger, self.month)

    def _retire_chips(self) -> None:
        self.center_arrays.retire(self.month, self.params.chip_lifetime_months, self.ledger)

    def _book_and_produce(self) -> None:
        book_and_produce(self, self.month)

    def _receive_budgets(self) -> None:
        self.center_arrays.receive_budgets(self.month, self.streams["demand_shocks"], self.params.demand_noise_sigma)
        if self.labs.agents:
            # Labs' security beyond what budgets already paid for comes out of their data centers' cash for chips.
            self.labs.pay_for_security(self.center_arrays, self.rules.weights.center_budget_kept,
                                       self.center_arrays.owner_bloc_code)

    def _rent_offshore_compute(self) -> None:
        clear_rental_market(self)

    def _place_orders(self) -> None:
        self.orders = plan_orders(self, self.month)

    def _fill_intermediary_orders(self) -> None:
        fill_intermediary_orders(self, self.orders, self.month)

    def _restock_intermediaries(self) -> None:
        self.restock_orders = self.intermediary_arrays.restock_orders(self.month)

    def _fill_vendor_orders(self) -> None:
        # Vendors' orders from data centers first, then intermediaries' restocking: the order they were placed in.
        fill_vendor_orders(self, Orders.concatenate([self.orders, self.restock_orders]), self.month)
        # Done with: not kept through the next month's phases (6 MB of orders at S10k).
        self.orders_placed_this_month = len(self.orders) + len(self.restock_orders)
        self.orders = self.restock_orders = Orders.empty()

    def _settle_budgets(self) -> None:
        self.center_arrays.settle(self.month, self.params.budget_carryover_months)

    def _inspect(self) -> None:
        """Enforcement inspects this month's shipments from intermediaries; finds are seized, their diverters listed,
        and diverters everywhere learn from what was caught."""
        shipped = self.network.shipped_this_tick
        found = self.enforcement_bodies.inspect_shipments(shipped, self.network)
        self.ledger.seize(shipped.count[found.seized_rows], self.chips.h100e[shipped.chip[found.seized_rows]])
        self.network.seize(found.seized_rows)
        self.intermediary_arrays.after_inspections(found, shipped, self.month)

    def _policies_observe(self) -> None:
        network = self.network
        self.policies.observe(network.rented_this_tick, network.unseized_this_tick, self.policy_world, self.month)

    def _move_weights(self) -> None:
        """Labs train and release models, deploy weights abroad as the rules allow, and lose some to theft."""
        if not self.labs.agents:
            return
        installed_h100e = self.installed.h100e_by_center_and_source().sum(axis=1)
        self.labs.step(self.month, self.start_month, installed_h100e, self.rules.weights, self.streams)

    def _account_compute(self) -> None:
        centers, params = self.center_arrays, self.params
        self.compute = bloc_compute(self.installed, centers.owner_bloc_code, centers.rented_in_h100e,
                                    centers.rented_out_h100e, params.distillation_gap_share,
                                    params.distillation_cap_share_of_own, self.rules.distillation_kept,
                                    self.labs.obtained.h100e(self.month) if self.labs.agents else None)

    def _record(self) -> None:
        self.recorder.record()

    @property
    def date(self) -> str:
        """The month being (or last) simulated, as YYYY-MM."""
        return format_month(self.month)
