"""Packaging-equipment controls: export controls on the tools of advanced packaging (die and hybrid bonders, the
interposer's lithography and their servicing), acting on the fabs that package chiplets with them.

While in force, each fab covered (``fabs``, or by default every fab with ``uses_controlled_equipment``) loses
``reduction`` of its advanced-packaging capacity growth above 1 and of its packaging-yield learning: the packaging
step of the chiplet route (several dies bonded into one package), as SME controls act on the wafers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class PackagingControlParams(PolicyParams):
    reduction: Annotated[float, Field(ge=0, le=1)]
    fabs: list[str] | None = Field(None, description="fab ids; every fab using controlled equipment when left out")


@register
class PackagingControls(Policy):
    type_name = "packaging_controls"
    Params = PackagingControlParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        for index, fab in enumerate(world.fabs):
            covered = fab.id in self.params.fabs if self.params.fabs is not None else fab.uses_controlled_equipment
            if covered:
                rules.packaging_reduction[index] = max(rules.packaging_reduction[index], self.params.reduction)

    @classmethod
    def reference_problems(cls, params: PackagingControlParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return unknown_ids(path + ("fabs",), params.fabs or [], "fab", [fab.id for fab in scenario.fabs])
