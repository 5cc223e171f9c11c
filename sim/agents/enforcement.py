"""Enforcement bodies (BIS-like agencies and their allied and hub-country counterparts).

A body turns its budget into inspections each month; each inspection examines a consignment of
``chips_per_inspection`` chips among those leaving intermediaries in its jurisdiction. A diverted shipment's chance of
being examined is its share of those chips, weighted ``targeting`` times up for intelligence on diverted flows; an
examined diverted shipment is found with probability ``detection_efficacy``. Finds are seized and the intermediary
is entity-listed (the model does both). Budget, efficacy and targeting are this month's (``Rules.enforcement``):
the scenario's, as policies in force change them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.scenario.schema import EnforcementBody

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


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

    @property
    def budget_usd_per_year(self) -> float:
        return self.model.rules.enforcement[self.agent_id].budget_usd_per_year

    @property
    def detection_efficacy(self) -> float:
        return self.model.rules.enforcement[self.agent_id].detection_efficacy

    @property
    def targeting(self) -> float:
        return self.model.rules.enforcement[self.agent_id].targeting

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
