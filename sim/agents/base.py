"""What every supply-chain agent has: a stable string id, a country and that country's bloc and tier."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


class SupplyChainAgent(mesa.Agent):
    kind: str = "agent"

    def __init__(self, model: ChipSupplyModel, agent_id: str, country: str) -> None:
        super().__init__(model)
        self.agent_id = agent_id
        self.country = country
        self.bloc = model.country_bloc[country]
        self.tier = model.country_tier[country]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.agent_id!r}, {self.country})"
