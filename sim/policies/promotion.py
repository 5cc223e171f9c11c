"""Promotion of the US stack: buyers in covered countries prefer US-bloc hardware over rivals' (Huawei's) exports.

While in force, data centers in ``tiers`` (or ``countries``) see chips from US-bloc vendors at ``preference`` below
their price when they choose what to buy (financing, support and diplomatic packages, as in the 2025 deals), so they
buy more US and less Huawei hardware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.scenario.schema import Scenario

class UsStackPromotionParams(PolicyParams):
    tiers: list[Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=lambda: [2])
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    preference: Annotated[float, Field(ge=0, lt=1)]


@register
class UsStackPromotion(Policy):
    type_name = "us_stack_promotion"
    Params = UsStackPromotionParams

    def apply(self, model: ChipSupplyModel, month: int) -> None:
        if not self.is_effective(month):
            return
        for center in model.data_centers:
            covered = center.country in self.params.countries if self.params.countries else (
                center.tier in self.params.tiers
            )
            if covered:
                center.promoted_bloc_preference = max(center.promoted_bloc_preference, self.params.preference)

    @classmethod
    def reference_problems(cls, params: UsStackPromotionParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return unknown_ids(path + ("countries",), params.countries, "country", scenario.countries)
