"""Chip export controls: sales of controlled chips to controlled destinations are denied.

A chip is controlled when its TPP is at or above ``tpp_threshold`` (ECCN 3A090.a uses 4,800; source id
``threshold_3a090``) or when it is named in ``chips`` (as the H20 was in April 2025, ``h20_ban``). A destination is
controlled when its country's tier is in ``destination_tiers`` or the country is in ``destination_countries``.
Only chips of vendors in ``origin_blocs`` are covered (US rules bind US-designed chips, not Huawei's).
While the control is in force, vendors neither offer nor ship such chips to such buyers (presumption of denial).
Licensing case by case, volume caps and tariffs come with the full policy set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.policies.registry import Policy, register
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel
    from sim.scenario.schema import Scenario


class ExportControlParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    tpp_threshold: Annotated[float, Field(gt=0)] | None = None
    chips: list[str] = Field(default_factory=list)
    destination_tiers: list[Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=list)
    destination_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    origin_blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=lambda: ["us_allies"])

    @model_validator(mode="after")
    def _says_what_and_where(self) -> ExportControlParams:
        if self.tpp_threshold is None and not self.chips:
            raise ValueError("an export control needs tpp_threshold or chips (what it controls)")
        if not self.destination_tiers and not self.destination_countries:
            raise ValueError("an export control needs destination_tiers or destination_countries (where to)")
        return self


class ExportRules:
    """The export controls in force this month, as the vendors see them."""

    def __init__(self) -> None:
        self._in_force: list[ExportControlParams] = []

    def add(self, params: ExportControlParams) -> None:
        self._in_force.append(params)

    def denied(self, chip_id: str, chip_tpp: float, vendor_bloc: str, country: str, tier: int) -> bool:
        for params in self._in_force:
            if vendor_bloc not in params.origin_blocs:
                continue
            controlled_chip = chip_id in params.chips or (
                params.tpp_threshold is not None and chip_tpp >= params.tpp_threshold
            )
            controlled_place = tier in params.destination_tiers or country in params.destination_countries
            if controlled_chip and controlled_place:
                return True
        return False


@register
class ExportControl(Policy):
    type_name = "export_control"
    Params = ExportControlParams

    def apply(self, model: ChipSupplyModel, month: int) -> None:
        if self.is_effective(month):
            model.export_rules.add(self.params)

    @classmethod
    def reference_problems(cls, params: ExportControlParams, scenario: Scenario, path: tuple) -> list[Problem]:
        problems = [
            Problem(path + ("chips", index), f"unknown chip; the catalog has: {', '.join(sorted(scenario.catalog))}",
                    chip, True)
            for index, chip in enumerate(params.chips)
            if chip not in scenario.catalog
        ]
        problems += [
            Problem(path + ("destination_countries", index),
                    f"unknown country; declared countries are: {', '.join(sorted(scenario.countries))}", code, True)
            for index, code in enumerate(params.destination_countries)
            if code not in scenario.countries
        ]
        return problems
