"""SME controls: export controls on chip-making equipment, acting on fabs that depend on it.

While in force, every fab with ``uses_controlled_equipment`` loses a share of its capacity growth above 1 and of its
yield learning: ``unilateral_reduction`` with the allied alignment of today (the Dutch and Japanese rules of 2023-24,
which leave much allied equipment and servicing on sale), ``coordinated_reduction`` when the Netherlands, Japan and
South Korea align fully. In between, the share follows how far the allied toolmakers have chosen to align
(``sim.agents.ally``, moved by ``alliance_pressure``): coordination is an outcome. ``coordinated: true`` is the old
switch, kept with its meaning: the allies are taken as fully aligned from the policy's effective month, whatever
they would choose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from sim.policies.registry import Policy, PolicyParams, register

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules

Share = Annotated[float, Field(ge=0, le=1)]


class SmeControlParams(PolicyParams):
    coordinated: bool = False
    unilateral_reduction: Share
    coordinated_reduction: Share

    @model_validator(mode="after")
    def _coordination_helps(self) -> SmeControlParams:
        if self.coordinated_reduction < self.unilateral_reduction:
            raise ValueError("coordinated_reduction must be at least unilateral_reduction (allies add to the effect)")
        return self

    @property
    def reduction(self) -> float:
        return self.coordinated_reduction if self.coordinated else self.unilateral_reduction


@register
class SmeControls(Policy):
    type_name = "sme_controls"
    Params = SmeControlParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        for index, fab in enumerate(world.fabs):
            if fab.uses_controlled_equipment:
                rules.sme_reduction[index] = max(rules.sme_reduction[index], self.params.reduction)
                rules.sme_coordinated_reduction[index] = max(rules.sme_coordinated_reduction[index],
                                                             self.params.coordinated_reduction)
        if self.params.coordinated:
            rules.alliance.imposed_tools_alignment = 1.0
