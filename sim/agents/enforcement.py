"""Enforcement bodies (BIS-like agencies and their allied and hub-country counterparts).

A body turns its budget into a monthly capacity of inspections in its jurisdiction. What inspections find, and the
seizures and entity listings that follow, come with the leakage channels; here the capacity is set up, reported
and available to policies that change funding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.base import SupplyChainAgent
from sim.scenario.schema import EnforcementBody

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


class EnforcementAgent(SupplyChainAgent):
    kind = "enforcement"

    def __init__(self, model: ChipSupplyModel, spec: EnforcementBody) -> None:
        super().__init__(model, spec.id, spec.country)
        self.name = spec.name
        self.jurisdiction = list(spec.jurisdiction)
        self.budget_usd_per_year = spec.budget_usd_per_year
        self.cost_per_inspection_usd = spec.cost_per_inspection_usd
        self.inspections_this_month = 0

    @property
    def inspections_per_month(self) -> int:
        """Inspections the budget pays for each month."""
        return int(self.budget_usd_per_year / 12 // self.cost_per_inspection_usd)

    def plan_inspections(self) -> None:
        self.inspections_this_month = self.inspections_per_month
