"""Promotion of the US stack: buyers in covered countries prefer US-bloc hardware over rivals' (Huawei's) exports.

While in force, data centers in ``tiers`` (or ``countries``) see chips from US-bloc vendors at ``preference`` below
their price when they choose what to buy (financing, support and diplomatic packages, as in the 2025 deals), so they
buy more US and less Huawei hardware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario


class UsStackPromotionParams(PolicyParams):
    tiers: list[Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=lambda: [2])
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    preference: Annotated[float, Field(ge=0, lt=1)]


@register
class UsStackPromotion(Policy):
    type_name = "us_stack_promotion"
    Params = UsStackPromotionParams
    _covered: np.ndarray | None = None  # which of the model's data centers it covers (they never move)

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        if self._covered is None:
            countries, tiers = self.params.countries, self.params.tiers
            self._covered = (np.isin(world.center_country, countries) if countries
                             else np.isin(world.center_tier, tiers))
        preference = rules.promoted_bloc_preference
        preference[self._covered] = np.maximum(preference[self._covered], self.params.preference)

    @classmethod
    def reference_problems(cls, params: UsStackPromotionParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return unknown_ids(path + ("countries",), params.countries, "country", scenario.countries)
