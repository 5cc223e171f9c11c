"""The tiered regime of the January-2025 AI Diffusion Rule (source ids ``diffusion_*``).

While in force, controlled chips (TPP at or above ``tpp_threshold``, from ``origin_blocs``) sold to buyers in
``destination_tiers`` count against a cumulative cap for the buyer's country (``country_cap_h100e``, 50,000 H100e;
``country_caps`` for countries with a government-to-government deal, 100,000). An order of at most
``small_order_h100e`` (1,700 H100e) is exempt and not counted. Data centers named in ``national_veu`` have their own
cap (``national_veu_cap_h100e``, 320,000) instead of their country's; data centers owned by a bloc in
``universal_veu_blocs`` are exempt from country caps but may hold at most ``universal_veu_country_share`` (7%) of
their bloc's installed compute in any one such country. Tier 3 stays under the presumption of denial of the
``export_control`` in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.catalog import ChipModel
    from sim.model import ChipSupplyModel
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario

NonNegative = Annotated[float, Field(ge=0)]


class TieredCapsParams(PolicyParams):
    tpp_threshold: Annotated[float, Field(gt=0)] = 4800.0
    origin_blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=lambda: ["us_allies"])
    destination_tiers: list[Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=lambda: [2])
    country_cap_h100e: NonNegative
    country_caps: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], NonNegative] = Field(default_factory=dict)
    small_order_h100e: NonNegative = 0.0
    national_veu: list[str] = Field(default_factory=list)
    national_veu_cap_h100e: NonNegative = 0.0
    universal_veu_blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=list)
    universal_veu_country_share: Annotated[float, Field(ge=0, le=1)] = 0.0


@dataclass
class TieredCapsInForce:
    """Caps and what has been used of them since the regime took effect (kept across months)."""

    params: TieredCapsParams
    used_h100e: dict[str, float] = field(default_factory=dict)  # by cap key (country or data-center id)

    def covers(self, chip: ChipModel, vendor_bloc: str, buyer: SupplyChainAgent) -> bool:
        params = self.params
        return (
            buyer.tier in params.destination_tiers
            and vendor_bloc in params.origin_blocs
            and chip.tpp >= params.tpp_threshold
        )

    def exempt(self, order_h100e: float) -> bool:
        return order_h100e <= self.params.small_order_h100e

    def cap_key(self, buyer: SupplyChainAgent) -> str:
        if buyer.agent_id in self.params.national_veu:
            return buyer.agent_id
        if getattr(buyer, "owner_bloc", None) in self.params.universal_veu_blocs:
            return f"uveu:{buyer.owner_bloc}:{buyer.country}"
        return buyer.country

    def remaining_h100e(self, model: ChipSupplyModel, buyer: SupplyChainAgent) -> float:
        params = self.params
        key = self.cap_key(buyer)
        if key.startswith("uveu:"):
            owner, country = key.split(":")[1:]
            bloc_total = sum(c.installed_h100e for c in model.data_centers if c.owner_bloc == owner)
            here = sum(c.installed_h100e for c in model.data_centers
                       if c.owner_bloc == owner and c.country == country)
            return max(0.0, params.universal_veu_country_share * bloc_total - here - self.used_h100e.get(key, 0.0))
        cap = params.national_veu_cap_h100e if key == buyer.agent_id else params.country_caps.get(
            key, params.country_cap_h100e
        )
        return max(0.0, cap - self.used_h100e.get(key, 0.0))

    def use(self, buyer: SupplyChainAgent, h100e: float) -> None:
        key = self.cap_key(buyer)
        self.used_h100e[key] = self.used_h100e.get(key, 0.0) + h100e


@register
class TieredCaps(Policy):
    type_name = "tiered_caps"
    Params = TieredCapsParams

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.state = TieredCapsInForce(self.params)

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.export.tiered.append(self.state)

    @classmethod
    def reference_problems(cls, params: TieredCapsParams, scenario: Scenario, path: tuple) -> list[Problem]:
        problems = unknown_ids(path + ("country_caps",), params.country_caps, "country", scenario.countries)
        declared = [c.id for c in scenario.data_centers] + [p.id for p in scenario.populations.data_centers]
        for index, name in enumerate(params.national_veu):
            known = name in declared or any(name.startswith(f"{p.id}_") for p in scenario.populations.data_centers)
            if not known:
                problems.append(Problem(path + ("national_veu", index),
                                        "unknown data center; name a data center or a population member", name, True))
        return problems
