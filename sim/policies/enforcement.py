"""Enforcement funding and penalties, for the US, allied and hub-country bodies.

While in force, the named enforcement bodies (all of them when ``bodies`` is empty) get their budget multiplied by
``budget_multiplier`` and, where given, a new ``detection_efficacy`` (better forensics, allied information sharing)
and ``targeting`` (intelligence on diverted flows); ``fine_usd_per_chip`` sets the penalty diverters expect. Hub
countries' own regimes (Singapore's and Malaysia's permit rules) are bodies in those countries named here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class EnforcementFundingParams(PolicyParams):
    bodies: list[str] = Field(default_factory=list, description="enforcement body ids; empty: all")
    budget_multiplier: Annotated[float, Field(ge=0, le=1000)] = 1.0
    detection_efficacy: Annotated[float, Field(ge=0, le=1)] | None = None
    targeting: Annotated[float, Field(ge=1, le=1000)] | None = None
    fine_usd_per_chip: Annotated[float, Field(ge=0)] | None = None


@register
class EnforcementFunding(Policy):
    type_name = "enforcement_funding"
    Params = EnforcementFundingParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        params = self.params
        for body_id, settings in rules.enforcement.items():
            if params.bodies and body_id not in params.bodies:
                continue
            settings.budget_usd_per_year *= params.budget_multiplier
            if params.detection_efficacy is not None:
                settings.detection_efficacy = params.detection_efficacy
            if params.targeting is not None:
                settings.targeting = params.targeting
        if params.fine_usd_per_chip is not None:
            rules.smuggling_fine_usd_per_chip = params.fine_usd_per_chip

    @classmethod
    def reference_problems(cls, params: EnforcementFundingParams, scenario: Scenario, path: tuple) -> list[Problem]:
        bodies = [body.id for body in scenario.enforcement]
        return unknown_ids(path + ("bodies",), params.bodies, "enforcement body", bodies)
