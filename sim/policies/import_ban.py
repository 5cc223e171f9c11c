"""An importing government's refusal of foreign chips to its own buyers: China's import restrictions.

While in force, buyers in the countries of ``importing_bloc`` (China's) may not import the chips the ban covers:
those named in ``chips``, and, when ``vendors`` or ``below_tpp`` is given, every chip that is of one of ``vendors``
and has a TPP below ``below_tpp`` (each criterion given must hold). Chips of the importing bloc's own vendors are
never covered: they are not imports (a Huawei die made abroad through a front company included). Two such measures
are on record (source id ``china_blocks_h200``): the 2025 guidance of China's Cyberspace Administration against
buying NVIDIA's H20, and in January 2026 customs told agents that H200 entries are not permitted, despite the US
licences, with purchases to be made only when "necessary".

The ban binds at the border, where the export gate answers: a covered chip may not be sold by a foreign vendor to a
buyer in the bloc, data center or distributor. It then drops out of the buyers' offers, so their budget goes to the
offers left (domestic chips, other imports); an order already placed is refused. Smuggled chips do not pass customs
and are not stopped. A US allowance and a Chinese ban on one chip compose: the sale needs both governments' leave.

How strictly it binds is ``compliance``: guidance is ignored, exemptions are granted (university and R&D use were
discussed), and customs enforcement comes and goes. The model reads it as the chance that the ban holds for a
(country, chip) in a given month; in the other months the chip clears customs as if there were no ban, so about
``1 - compliance`` of the would-be imports still arrive over a year. Whole months rather than a share of each
buyer's orders, because buyers in one country are quoted one list (``sim.ordering``), and a ban that holds for some
buyers of a country and not others would have to split it. The draws are counter-based (run seed, month, country,
chip), like licences, so the ban never shifts another process's random draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.rng import counter_draw

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.catalog import ChipModel
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.errors import Problem
    from sim.scenario.schema import Scenario


class ImportBanParams(PolicyParams):
    importing_bloc: Literal["us_allies", "china", "rest"] = "china"
    chips: list[str] = Field(default_factory=list)
    vendors: list[str] = Field(default_factory=list)
    below_tpp: Annotated[float, Field(gt=0)] | None = None
    compliance: Annotated[float, Field(ge=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _says_what(self) -> ImportBanParams:
        if not self.chips and not self.vendors and self.below_tpp is None:
            raise ValueError("an import ban needs chips, vendors or below_tpp (what it refuses)")
        return self

    def covers(self, chip: ChipModel) -> bool:
        if chip.id in self.chips:
            return True
        if not self.vendors and self.below_tpp is None:
            return False
        return ((not self.vendors or chip.vendor_id in self.vendors)
                and (self.below_tpp is None or chip.tpp < self.below_tpp))


@dataclass(frozen=True)
class ImportBanInForce:
    params: ImportBanParams
    seed: int
    month: int

    def refuses(self, chip: ChipModel, vendor_bloc: str, buyer: SupplyChainAgent) -> bool:
        """Whether this month the ban stops ``chip`` of a vendor of ``vendor_bloc`` from reaching ``buyer``."""
        params = self.params
        if buyer.bloc != params.importing_bloc or vendor_bloc == params.importing_bloc or not params.covers(chip):
            return False
        return (params.compliance == 1.0
                or counter_draw(self.seed, "policy.import_ban", self.month, buyer.country, chip.id) < params.compliance)

    def signature(self) -> tuple:
        """What its answers depend on besides the chip and the buyer: a partial ban draws anew each month."""
        return id(self.params), self.month if self.params.compliance < 1.0 else None


@register
class ImportBan(Policy):
    type_name = "import_ban"
    Params = ImportBanParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.import_bans.append(ImportBanInForce(self.params, rules.export.seed, month))

    @classmethod
    def reference_problems(cls, params: ImportBanParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return (unknown_ids(path + ("chips",), params.chips, "chip", scenario.catalog)
                + unknown_ids(path + ("vendors",), params.vendors, "vendor", [v.id for v in scenario.vendors]))
