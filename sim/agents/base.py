"""What every supply-chain agent has: a stable string id, a country and that country's bloc and tier."""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


class AgentNumbers(weakref.WeakKeyDictionary):
    """Mesa's per-model agent numbering (``unique_id`` counts from 1 in each model), held weakly.

    Mesa 3.3.1 keeps the counters in a class-level ``defaultdict`` keyed by model, which keeps every model ever built
    alive: a sweep of thousands of runs, or a browser page reset again and again, would grow without bound. Our
    agents look the counter up here instead, so a model is freed as soon as nothing else uses it.
    """

    def __getitem__(self, model: ChipSupplyModel) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class SupplyChainAgent(mesa.Agent):
    kind: str = "agent"
    _ids = AgentNumbers()  # shadows mesa.Agent._ids, read by mesa.Agent.__init__

    def __init__(self, model: ChipSupplyModel, agent_id: str, country: str) -> None:
        super().__init__(model)
        self.agent_id = agent_id
        self.country = country
        self.bloc = model.country_bloc[country]
        self.tier = model.country_tier[country]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.agent_id!r}, {self.country})"
