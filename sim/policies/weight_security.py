"""Weight security: labs raise the security of their weights ("weight vaults") to a level, at a cost to their compute.

While announced (building up) and in force, every covered lab whose own level is below ``security_level`` spends
``budget_share`` of its compute budget on security: its share (``compute_share``) of the budgets of the data centers
it trains on goes to security instead of chips. From the effective date its weights are held at ``security_level``,
and with ``licensees: true`` so are the copies deployed at its licensees abroad (a vault the licence requires). A
lab already at or above the level is left as it is and pays nothing. Levels are RAND's SL1-SL5
(``rand_weight_security``); each level's monthly theft probability is world data (``model_weights``), so this lever
only moves labs between levels and never draws: thefts use the labs' own streams either way.

Covered labs are those named in ``labs``, or every lab of ``blocs`` when ``labs`` is empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class WeightSecurityParams(PolicyParams):
    security_level: Annotated[int, Field(ge=1, le=5)]
    budget_share: Annotated[float, Field(ge=0, le=1)] = Field(
        description="share of a covered lab's compute budget its security takes while announced or in force")
    labs: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(default_factory=list)
    blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=lambda: ["us_allies"])
    licensees: bool = Field(False, description="copies deployed at the covered labs' licensees are vaulted too")


@register
class WeightSecurity(Policy):
    type_name = "weight_security"
    Params = WeightSecurityParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_announced(month):
            return
        labs, weights, level = world.labs, rules.weights, self.params.security_level
        for lab in self._covered(world):
            if labs.security_level[lab] >= level:
                continue
            # Each data center the lab trains on gives the lab's share of its budget times the share security takes.
            centers = labs.centers[lab]
            weights.center_budget_kept[centers] -= labs.compute_share[lab] * self.params.budget_share
            if self.is_effective(month):
                weights.security_level[lab] = max(int(weights.security_level[lab]), level)
                if self.params.licensees:
                    np.maximum(weights.licensee_security_level[lab], level,
                               out=weights.licensee_security_level[lab])

    def _covered(self, world: PolicyWorld) -> list[int]:
        labs = world.labs
        if self.params.labs:
            return [index for index, lab_id in enumerate(labs.ids) if lab_id in self.params.labs]
        return [index for index, bloc in enumerate(labs.bloc) if bloc in self.params.blocs]

    @classmethod
    def reference_problems(cls, params: WeightSecurityParams, scenario: Scenario, path: tuple) -> list[Problem]:
        declared = [lab.id for lab in scenario.model_weights.labs] if scenario.model_weights else []
        return unknown_ids(path + ("labs",), params.labs, "lab", declared)
