"""HBM export control: allied memory makers may not sell HBM to China (the US rule of December 2024, ECCN 3A090.c,
which reaches Samsung's and SK hynix's stacks through a foreign direct product rule).

While in force, ``compliance`` of the HBM each covered memory maker (``allies``, every HBM maker by default) would
sell China's fabs is stopped; what its own government's alignment stops comes on top (``sim.agents.ally``). Before
the rule, Samsung sold China HBM2E in volume and China stockpiled it (source ids ``samsung_hbm_china_2024``,
``china_hbm_stockpile``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class HbmExportControlParams(PolicyParams):
    compliance: Annotated[float, Field(ge=0, le=1)]
    allies: list[str] | None = Field(None, description="ids of the memory makers bound; every HBM maker when left out")

    def covers(self, ally_id: str) -> bool:
        return self.allies is None or ally_id in self.allies


@register
class HbmExportControl(Policy):
    type_name = "hbm_export_control"
    Params = HbmExportControlParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.alliance.hbm_controls.append(self.params)

    @classmethod
    def reference_problems(cls, params: HbmExportControlParams, scenario: Scenario, path: tuple) -> list[Problem]:
        makers = [ally.id for ally in scenario.allies if ally.product == "hbm"]
        return unknown_ids(path + ("allies",), params.allies or [], "HBM-making ally", makers)
