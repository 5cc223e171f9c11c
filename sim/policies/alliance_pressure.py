"""Alliance pressure: the US presses allied governments to align their export controls with its own, and may pay
for it.

While in force, each ally it covers (``allies``, every declared ally by default) weighs ``pressure_usd_per_year``
(what not aligning costs its government a year: tariffs, market access, security ties, in USD) against the China
revenue full alignment would cost its maker, less the share ``compensation_share`` the US pays back (side
payments, subsidies). The allies decide, late and possibly only partly (``sim.agents.ally``); this lever only says
what is asked and offered. Timing is the policy's dates: pressure starts at ``effective``, and each ally's rule
follows its decision after that ally's own ``decision_lag_months``.

Two campaigns on one ally add their pressure; the best compensation offered counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem
from sim.scenario.fields import MAX_QUANTITY

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class AlliancePressureParams(PolicyParams):
    pressure_usd_per_year: Annotated[float, Field(ge=0, le=MAX_QUANTITY)]
    compensation_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    allies: list[str] | None = Field(None, description="ids of the allies pressed; every ally when left out")

    def covers(self, ally_id: str) -> bool:
        return self.allies is None or ally_id in self.allies


@register
class AlliancePressure(Policy):
    type_name = "alliance_pressure"
    Params = AlliancePressureParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.alliance.pressure.append(self.params)

    @classmethod
    def reference_problems(cls, params: AlliancePressureParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return unknown_ids(path + ("allies",), params.allies or [], "ally", [ally.id for ally in scenario.allies])
