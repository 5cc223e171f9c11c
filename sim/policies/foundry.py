"""Foundry KYC: foundries check who their customers really are, and refuse front companies.

While in force, fabs in ``fab_countries`` (or the named ``fabs``) refuse each month's booking from a front company
with probability ``detection``; 1.0 closes the proxy-fabrication channel (as TSMC did after the die-bank case, source
id ``huawei_die_bank``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class FoundryKycParams(PolicyParams):
    fabs: list[str] = Field(default_factory=list)
    fab_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    detection: Annotated[float, Field(ge=0, le=1)]

    @model_validator(mode="after")
    def _says_where(self) -> FoundryKycParams:
        if not self.fabs and not self.fab_countries:
            raise ValueError("foundry_kyc needs fabs or fab_countries")
        return self


@register
class FoundryKyc(Policy):
    type_name = "foundry_kyc"
    Params = FoundryKycParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        detection = rules.front_company_detection
        for index, fab in enumerate(world.fabs):
            if fab.id in self.params.fabs or fab.country in self.params.fab_countries:
                detection[index] = max(detection[index], self.params.detection)

    @classmethod
    def reference_problems(cls, params: FoundryKycParams, scenario: Scenario, path: tuple) -> list[Problem]:
        fabs = [fab.id for fab in scenario.fabs]
        return unknown_ids(path + ("fabs",), params.fabs, "fab", fabs) + unknown_ids(
            path + ("fab_countries",), params.fab_countries, "country", scenario.countries
        )
