"""Export controls on model weights: closed weights trained with at least a threshold of compute may not be deployed
at licensees in controlled tiers (ECCN 4E091 of the January-2025 Diffusion Rule, ``model_weights_threshold``: 1e26
FLOP for every destination outside Tier 1; rescinded with the rule in May 2025, ``diffusion_rescinded``).

Thresholds are by destination tier (``tier_1_threshold_flop`` ... ``tier_3_threshold_flop``; a tier left out is not
controlled) and apply to labs of ``origin_blocs``. While in force, a lab releasing a model at or above its licensee's
tier's threshold keeps the new weights at home and serves that market from there: the licensee keeps the model it
already had. The control never draws: it only decides which copies exist for thieves to try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.policies.registry import Policy, PolicyParams, register

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules

Threshold = Annotated[float, Field(gt=0, le=1e40)] | None


class WeightExportControlParams(PolicyParams):
    tier_1_threshold_flop: Threshold = None
    tier_2_threshold_flop: Threshold = None
    tier_3_threshold_flop: Threshold = None
    origin_blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=lambda: ["us_allies"])

    @model_validator(mode="after")
    def _controls_some_tier(self) -> WeightExportControlParams:
        if self.tier_1_threshold_flop is None and self.tier_2_threshold_flop is None and (
                self.tier_3_threshold_flop is None):
            raise ValueError("weight_export_control needs a threshold for at least one tier: tier_1_threshold_flop, "
                             "tier_2_threshold_flop or tier_3_threshold_flop")
        return self

    def denies(self, origin_bloc: str, destination_tier: int, training_flop: float) -> bool:
        threshold = getattr(self, f"tier_{destination_tier}_threshold_flop")
        return origin_bloc in self.origin_blocs and threshold is not None and training_flop >= threshold


@register
class WeightExportControl(Policy):
    type_name = "weight_export_control"
    Params = WeightExportControlParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.weights.export_controls.append(self.params)
