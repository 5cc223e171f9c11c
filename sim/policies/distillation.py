"""Distillation ban: a legal ban on distilling frontier models, and API-side detection of distillation accounts.

The follower bloc (China) gains ``distillation_gap_share`` (a scenario parameter) of its compute gap to the US bloc
as effective compute, by training on frontier models' outputs. While this policy is in force, ``compliance`` of that
is stopped by the ban and ``detection`` of the rest by providers closing distillation accounts (the Feb-2026 report
of 24,000 fraudulent accounts, source id ``distill_accounts``, is detection at work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules

Share = Annotated[float, Field(ge=0, le=1)]


class DistillationBanParams(PolicyParams):
    compliance: Share = 0.0
    detection: Share = 0.0


@register
class DistillationBan(Policy):
    type_name = "distillation_ban"
    Params = DistillationBanParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.distillation_kept *= (1 - self.params.compliance) * (1 - self.params.detection)
