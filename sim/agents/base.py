"""What every supply-chain agent has: a stable string id, a country and that country's bloc and tier."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import mesa
import numpy as np

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


class RowOf:
    """An agent's attribute kept in its row (``agent.index``) of an array over all agents of its kind.

    Array code updates a whole kind of agent at once; the attribute keeps the one-agent view the visualization, the
    tests and the per-agent rules read. ``array_of(model)`` finds the array.
    """

    def __init__(self, array_of: Callable[[ChipSupplyModel], np.ndarray], cast: type = float) -> None:
        self.array_of = array_of
        self.cast = cast

    def __get__(self, agent: SupplyChainAgent | None, owner: type):
        if agent is None:
            return self
        return self.cast(self.array_of(agent.model)[agent.index])

    def __set__(self, agent: SupplyChainAgent, value) -> None:
        self.array_of(agent.model)[agent.index] = value


class ChipRow(Mapping):
    """One agent's values by chip, read as a mapping from chip id to value: chips with a non-zero value are its keys;
    any other chip reads as zero. ``chip_numbers`` and ``values`` are the agent's part of array state (a handful)."""

    def __init__(self, chip_numbers: np.ndarray, values: np.ndarray, chip_ids: list[str],
                 number: dict[str, int]) -> None:
        self.chip_numbers = chip_numbers
        self.values_by_chip = values
        self.chip_ids = chip_ids
        self.number = number

    def __getitem__(self, chip: str):
        at = np.flatnonzero(self.chip_numbers == self.number.get(chip, -1))
        return self.values_by_chip[at[0]].item() if len(at) else self.values_by_chip.dtype.type(0).item()

    def __iter__(self):
        return (self.chip_ids[number] for number in self.chip_numbers[self.values_by_chip != 0].tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.values_by_chip))
