"""Enforcement funding and penalties, for the US, allied and hub-country bodies.

While in force, the named enforcement bodies (all of them when ``bodies`` is empty) get their budget multiplied by
``budget_multiplier`` and, where given, a new ``detection_efficacy`` (better forensics, allied information sharing)
and ``targeting`` (intelligence on diverted flows); ``fine_usd_per_chip`` sets the penalty diverters expect. Hub
countries' own regimes (Singapore's and Malaysia's permit rules) are bodies in those countries named here.

``targeting_rule`` says where the bodies' inspections go. ``flow`` (the default): over all chips leaving the
intermediaries in reach, diverted flows ``targeting`` times likelier to be picked. ``betweenness``: every
``retarget_months`` the bodies look at what flowed over the network since the last look and spread their
inspections over intermediaries in proportion to their flow-weighted betweenness between the US bloc's vendors and
China's data centers (``sim.network_analysis.hub_betweenness``): intermediaries on the main routes get the most,
those on none get nothing. Until the first look (one cadence after the effective month) they go by flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import networkx as nx
import numpy as np
from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario
    from sim.trade import Shipments


class EnforcementFundingParams(PolicyParams):
    bodies: list[str] = Field(default_factory=list, description="enforcement body ids; empty: all")
    budget_multiplier: Annotated[float, Field(ge=0, le=1000)] = 1.0
    detection_efficacy: Annotated[float, Field(ge=0, le=1)] | None = None
    targeting: Annotated[float, Field(ge=1, le=1000)] | None = None
    fine_usd_per_chip: Annotated[float, Field(ge=0)] | None = None
    targeting_rule: Literal["flow", "betweenness"] = "flow"
    retarget_months: Annotated[int, Field(ge=1, le=60)] = 3


@register
class EnforcementFunding(Policy):
    type_name = "enforcement_funding"
    Params = EnforcementFundingParams

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self._flow_keys: list[np.ndarray] = []  # (source node, target node) keys of what moved since the last look
        self._flow_h100e: list[np.ndarray] = []
        self._inspection_weight: np.ndarray | None = None  # by node number, from the last look

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        params = self.params
        for body_id, settings in rules.enforcement.items():
            if params.bodies and body_id not in params.bodies:
                continue
            if self._inspection_weight is not None:
                settings.inspection_weight = self._inspection_weight
            settings.budget_usd_per_year *= params.budget_multiplier
            if params.detection_efficacy is not None:
                settings.detection_efficacy = params.detection_efficacy
            if params.targeting is not None:
                settings.targeting = params.targeting
        if params.fine_usd_per_chip is not None:
            rules.smuggling_fine_usd_per_chip = params.fine_usd_per_chip

    @property
    def observes(self) -> bool:
        return self.params.targeting_rule == "betweenness"  # flow targeting needs nothing of what happened

    def observe(self, shipped: Shipments, world: PolicyWorld, month: int) -> None:
        if self.params.targeting_rule != "betweenness" or not self.is_effective(month):
            return
        nodes = len(world.node_kind)
        self._flow_keys.append(shipped.source.astype(np.int64) * nodes + shipped.target)
        self._flow_h100e.append(shipped.h100e)
        if (month - self.effective_month + 1) % self.params.retarget_months == 0:
            self._inspection_weight = _betweenness_by_node(np.concatenate(self._flow_keys),
                                                           np.concatenate(self._flow_h100e), world)
            self._flow_keys, self._flow_h100e = [], []

    @classmethod
    def reference_problems(cls, params: EnforcementFundingParams, scenario: Scenario, path: tuple) -> list[Problem]:
        bodies = [body.id for body in scenario.enforcement]
        return unknown_ids(path + ("bodies",), params.bodies, "enforcement body", bodies)


def _betweenness_by_node(keys: np.ndarray, h100e: np.ndarray, world: PolicyWorld) -> np.ndarray:
    """Each node's flow-weighted betweenness over what moved (rows of (source * nodes + target) keys and H100e)."""
    from sim.network_analysis import hub_betweenness

    nodes = len(world.node_kind)
    edge_keys, edge_of_row = np.unique(keys, return_inverse=True)
    carried = np.bincount(edge_of_row, weights=h100e)
    graph = nx.DiGraph()
    graph.add_nodes_from((number, {"kind": world.node_kind[number], "bloc": world.node_bloc[number],
                                   "country": world.node_country[number]}) for number in range(nodes))
    graph.add_edges_from((int(key // nodes), int(key % nodes), {"h100e_total": float(value)})
                         for key, value in zip(edge_keys.tolist(), carried.tolist(), strict=True) if value > 0)
    weight = np.zeros(nodes)
    hubs = hub_betweenness(graph)
    weight[hubs["intermediary"].to_numpy(dtype=np.int64)] = hubs["betweenness"].to_numpy()
    return weight
