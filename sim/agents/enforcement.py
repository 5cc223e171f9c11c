"""Enforcement bodies (BIS-like agencies and their allied and hub-country counterparts).

A body turns its budget into inspections each month; each inspection examines a consignment of
``chips_per_inspection`` chips among those leaving intermediaries in its jurisdiction. A diverted shipment's chance of
being examined is its share of those chips, weighted ``targeting`` times up for intelligence on diverted flows; an
examined diverted shipment is found with probability ``detection_efficacy``. ``EnforcementBodies.inspect_shipments``
returns the finds; they are seized, their senders entity-listed, and diverters learn from them. Budget, efficacy and
targeting are this month's (``Rules.enforcement``, handed over by ``EnforcementBodies.use``): the scenario's, as
policies in force change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.scenario.schema import EnforcementBody
from sim.trade import SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.rng import RandomStreams
    from sim.rules import EnforcementSettings, Rules
    from sim.trade import Shipments, TradeNetwork


class EnforcementAgent(SupplyChainAgent):
    kind = "enforcement"

    def __init__(self, model: ChipSupplyModel, spec: EnforcementBody) -> None:
        super().__init__(model, spec.id, spec.country)
        self.spec = spec
        self.name = spec.name
        self.jurisdiction = set(spec.jurisdiction)
        self.cost_per_inspection_usd = spec.cost_per_inspection_usd
        self.chips_per_inspection = spec.chips_per_inspection
        self.inspections_this_month = 0
        self.finds_this_month = 0
        self.in_force: EnforcementSettings | None = None  # this month's settings (EnforcementBodies.use)

    @property
    def budget_usd_per_year(self) -> float:
        return self.in_force.budget_usd_per_year

    @property
    def detection_efficacy(self) -> float:
        return self.in_force.detection_efficacy

    @property
    def targeting(self) -> float:
        return self.in_force.targeting

    @property
    def inspections_per_month(self) -> int:
        """Inspections the budget pays for each month."""
        return int(self.budget_usd_per_year / 12 // self.cost_per_inspection_usd)

    def examined_share(self, legal_chips: int, diverted_chips: int) -> float:
        """Share of a diverted chip flow that this month's inspections examine (targeted)."""
        weight = legal_chips + self.targeting * diverted_chips
        if weight == 0:
            return 0.0
        return min(1.0, self.inspections_per_month * self.chips_per_inspection * self.targeting / weight)

    @property
    def inspection_weight(self) -> np.ndarray | None:
        """This month's weight of each network node in where inspections go (None: by flow alone)."""
        return self.in_force.inspection_weight

    def inspect(self, legal_chips: int, diverted_chips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which of this month's diverted shipments (their chip counts, in the order shipped) the inspections find,
        as a boolean per shipment, with ``legal_chips`` the other chips leaving intermediaries in reach.

        Each diverted shipment is found with probability ``examined share x detection_efficacy`` (one draw per
        shipment, in order), and a find exposes the whole shipment: in expectation that share of diverted chips is
        seized.
        """
        diverted_total = int(diverted_chips.sum())
        flow = legal_chips + diverted_total
        self.inspections_this_month = min(self.inspections_per_month, int(-(-flow // self.chips_per_inspection)))
        share = self.examined_share(legal_chips, diverted_total)
        found = rng.random(len(diverted_chips)) < share * self.detection_efficacy
        self.finds_this_month = int(found.sum())
        return found

    def inspect_by_weight(self, source: np.ndarray, chips: np.ndarray, diverted: np.ndarray, weight: np.ndarray,
                          rng: np.random.Generator) -> np.ndarray:
        """``inspect`` with the month's inspections spread over the intermediaries in reach in proportion to their
        ``weight`` (by node number) instead of over the whole flow: each intermediary's shipments (``source``,
        ``chips``, whether ``diverted``, a row each) get its share of the chips examined, targeted as in ``inspect``.
        Intermediaries of no weight are not inspected; with no weight anywhere, inspections go by flow. One draw per
        diverted shipment, in order, as ``inspect`` makes."""
        weights = weight[source]
        if not weights.sum() > 0:
            return self.inspect(int(chips[~diverted].sum()), chips[diverted], rng)
        flow = int(chips.sum())
        self.inspections_this_month = min(self.inspections_per_month, int(-(-flow // self.chips_per_inspection)))
        hubs, hub_of_row = np.unique(source, return_inverse=True)
        hub_weight = weight[hubs]
        examined_chips = self.inspections_per_month * self.chips_per_inspection * hub_weight / hub_weight.sum()
        legal = np.bincount(hub_of_row, weights=np.where(diverted, 0, chips), minlength=len(hubs))
        illicit = np.bincount(hub_of_row, weights=np.where(diverted, chips, 0), minlength=len(hubs))
        load = legal + self.targeting * illicit
        share = np.divide(examined_chips * self.targeting, load, out=np.zeros(len(hubs)), where=load > 0)
        found = rng.random(int(diverted.sum())) < np.minimum(1.0, share)[hub_of_row[diverted]] * self.detection_efficacy
        self.finds_this_month = int(found.sum())
        return found


@dataclass(frozen=True)
class Finds:
    """What a month's inspections found among the shipments leaving intermediaries."""

    seized_rows: np.ndarray  # rows of the month's shipments seized, body by body, each body's in shipping order
    diverted_from: np.ndarray  # country code of each diverted shipment leaving an intermediary, in shipping order
    diverted_caught: np.ndarray  # whether each of those was seized


class EnforcementBodies:
    """Every enforcement body, in the scenario's order (``agents``): together they inspect each month's shipments
    from intermediaries, each body from its own random stream."""

    def __init__(self, agents: list[EnforcementAgent], streams: RandomStreams) -> None:
        self.agents = agents
        self._streams = [streams[f"enforcement.{body.agent_id}"] for body in agents]

    def use(self, rules: Rules) -> None:
        """This month's budgets, efficacy and targeting, body by body."""
        for body in self.agents:
            body.in_force = rules.enforcement[body.agent_id]

    def inspection_capacity(self) -> int:
        """Inspections this month's budgets pay for, over every body."""
        return sum(body.inspections_per_month for body in self.agents)

    def inspections_made(self) -> int:
        """Inspections made this month, over every body."""
        return sum(body.inspections_this_month for body in self.agents)

    def inspect_shipments(self, shipped: Shipments, network: TradeNetwork) -> Finds:
        """Every body inspects the month's shipments from intermediaries in its jurisdiction, in the scenario's
        order; a shipment one body seized is out of the next one's reach."""
        from_intermediary = np.flatnonzero(network.node_intermediary[shipped.source] >= 0)
        count = shipped.count[from_intermediary]
        diverted = shipped.kind[from_intermediary] == SMUGGLED_CODE
        country = network.node_country[shipped.source[from_intermediary]]
        country_code = network.country_code
        seized = np.zeros(len(from_intermediary), dtype=bool)
        seized_rows = []
        for body, stream in zip(self.agents, self._streams, strict=True):
            jurisdiction = [country_code[code] for code in sorted(body.jurisdiction) if code in country_code]
            in_reach = np.isin(country, jurisdiction) & ~seized
            looked_at = np.flatnonzero(in_reach & diverted)
            weight = body.inspection_weight
            if weight is None:
                found = body.inspect(int(count[in_reach & ~diverted].sum()), count[looked_at], stream)
            else:
                reach = np.flatnonzero(in_reach)
                found = body.inspect_by_weight(shipped.source[from_intermediary[reach]], count[reach],
                                               diverted[reach], weight, stream)
            finds = looked_at[found]
            seized[finds] = True
            seized_rows.append(from_intermediary[finds])
        rows = np.concatenate(seized_rows) if seized_rows else np.zeros(0, dtype=np.int64)
        return Finds(rows, country[diverted], seized[diverted])
