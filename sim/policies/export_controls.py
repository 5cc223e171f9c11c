"""Chip export controls and the exceptions to them.

``export_control``: a chip is controlled when its TPP is at or above ``tpp_threshold`` (ECCN 3A090.a uses 4,800;
source id ``threshold_3a090``), or its performance density (TPP per mm2 of die) is at or above
``density_threshold`` with TPP at least ``density_tpp_floor`` (the second prong), or it is named in ``chips`` (the
H20 in April 2025, ``h20_ban``). Only chips of vendors in ``origin_blocs`` are covered (US rules bind US-designed
chips, not Huawei's). A destination is controlled when its tier is in ``destination_tiers`` or it is in
``destination_countries``. ``licence: deny`` (presumption of denial) stops such sales; ``case_by_case`` grants a
licence for a destination country and chip in a month with ``approval_probability``. With
``ratchet_cadence_months`` the threshold is dynamic: every cadence it is reset to ``ratchet_frontier_fraction`` of the
best chip then on sale, so it tightens as new chips appear (quarterly vs every two years, say).

``export_allowance``: chips may be sold to named destinations despite any control, within a volume cap, paying
``tariff_fraction`` of the revenue to the controlling government. The allowance covers the chips named in ``chips``
and, with prongs, every chip of a vendor of ``origin_blocs`` below them: TPP below ``max_tpp`` and DRAM bandwidth
below ``max_memory_bandwidth_gbps`` (both, when both are given). The BIS rule effective 15 Jan 2026 (source ids
``threshold_h200_rule``, ``h200_china_allowed``) reviews case by case exports to China of chips with TPP < 21,000 and
total DRAM bandwidth < 6,500 GB/s: the H200, the MI325X "and less advanced" chips, with a 25% tariff. A chip whose
bandwidth the catalog does not give cannot be judged by a bandwidth prong; rather than guess it in or out, such a
chip is an error when the scenario is loaded (unless its TPP already puts it out of band), and a chip designed during
the run without one (none is, today: variants keep their base chip's bandwidth) is not covered.

The volume cap is in chips: ``volume_cap_chips_per_month``, and/or ``volume_cap_share_of_home_sales`` of a monthly
"home volume" of the vendor, last month's sales to buyers of its own bloc. The rule certifies that "the aggregate
shipments of the chips to China ... will be no more than 50 percent of the total shipped to customers for end-use in
the U.S."; which total is meant is a reading, so ``volume_cap_basis`` says which, in chips (the rule counts units):

- ``same_chip_home_sales`` (default): each covered chip on its own, against the vendor's home sales of that same
  chip. As US buyers move to newer chips, home sales of an older covered chip fall and its cap with them.
- ``covered_chips_home_sales``: the vendor's covered chips together, against its home sales of all the chips the
  allowance covers ("the chips" as the covered class); one cap shared by those chips.
- ``vendor_home_sales``: the vendor's covered chips together, against all its home sales, newer chips included
  (a Blackwell sold in the US counts as one chip, as an H200 does); one cap shared by those chips.

A shared cap is used up in the order the vendor fills its chips. Each month's cap reads one month's sales: the rule's
"aggregate ... total" is cumulative, which a monthly flow cap approximates when both volumes grow alike.

Licences are decided by counter-based draws: a hash of (run seed, month, country, chip) gives the same answer
whatever else the run does, so licensing never shifts another process's random draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.policies.diffusion import TieredCapsInForce
from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.rng import counter_draw
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.catalog import ChipModel
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario

BlocName = Literal["us_allies", "china", "rest"]
Tier = Annotated[int, Field(ge=1, le=3)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

FREE, DENIED, LICENSED, ALLOWANCE, TIERED = "free", "denied", "licensed", "allowance", "tiered"
SALE_STATUSES = (FREE, DENIED, LICENSED, ALLOWANCE, TIERED)
STATUS_CODE = {status: code for code, status in enumerate(SALE_STATUSES)}  # in arrays of statuses


class _Destinations(PolicyParams):
    destination_tiers: list[Tier] = Field(default_factory=list)
    destination_countries: list[CountryCode] = Field(default_factory=list)
    origin_blocs: list[BlocName] = Field(default_factory=lambda: ["us_allies"])

    def covers_destination(self, buyer: SupplyChainAgent) -> bool:
        return buyer.tier in self.destination_tiers or buyer.country in self.destination_countries

    @model_validator(mode="after")
    def _says_where(self) -> _Destinations:
        if not self.destination_tiers and not self.destination_countries:
            raise ValueError("needs destination_tiers or destination_countries (where the rule applies)")
        return self


class ExportControlParams(_Destinations):
    tpp_threshold: Annotated[float, Field(gt=0)] | None = None
    density_threshold: Annotated[float, Field(gt=0)] | None = None
    density_tpp_floor: Annotated[float, Field(ge=0)] = 1600.0
    chips: list[str] = Field(default_factory=list)
    licence: Literal["deny", "case_by_case"] = "deny"
    approval_probability: Annotated[float, Field(ge=0, le=1)] = 0.0
    ratchet_cadence_months: Annotated[int, Field(ge=1, le=240)] | None = None
    ratchet_frontier_fraction: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _says_what(self) -> ExportControlParams:
        if self.tpp_threshold is None and self.density_threshold is None and not self.chips:
            raise ValueError("an export control needs tpp_threshold, density_threshold or chips (what it controls)")
        if (self.ratchet_cadence_months is None) != (self.ratchet_frontier_fraction is None):
            raise ValueError("a dynamic threshold needs both ratchet_cadence_months and ratchet_frontier_fraction")
        if self.ratchet_cadence_months is not None and self.tpp_threshold is None:
            raise ValueError("a dynamic threshold ratchets tpp_threshold: give its starting value")
        if self.licence == "deny" and self.approval_probability:
            raise ValueError("approval_probability only applies with licence: case_by_case")
        return self


SAME_CHIP, COVERED_CHIPS, VENDOR = "same_chip_home_sales", "covered_chips_home_sales", "vendor_home_sales"


class ExportAllowanceParams(_Destinations):
    chips: list[str] = Field(default_factory=list)
    max_tpp: Annotated[float, Field(gt=0)] | None = None
    max_memory_bandwidth_gbps: Annotated[float, Field(gt=0)] | None = None
    volume_cap_chips_per_month: Annotated[int, Field(ge=0)] | None = None
    volume_cap_share_of_home_sales: Annotated[float, Field(ge=0)] | None = None
    volume_cap_basis: Literal["same_chip_home_sales", "covered_chips_home_sales", "vendor_home_sales"] = SAME_CHIP
    tariff_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0

    @model_validator(mode="after")
    def _says_which_chips(self) -> ExportAllowanceParams:
        if not self.chips and self.max_tpp is None and self.max_memory_bandwidth_gbps is None:
            raise ValueError("an export allowance needs chips, max_tpp or max_memory_bandwidth_gbps (what it covers)")
        if self.volume_cap_basis != SAME_CHIP and self.volume_cap_share_of_home_sales is None:
            raise ValueError("volume_cap_basis only applies with volume_cap_share_of_home_sales")
        return self

    @property
    def has_prongs(self) -> bool:
        return self.max_tpp is not None or self.max_memory_bandwidth_gbps is not None

    def in_band(self, chip: ChipModel) -> bool:
        """Below every prong given (the rule's "below": strictly); unknown bandwidth is never below a prong."""
        if not self.has_prongs:
            return False
        if self.max_tpp is not None and chip.tpp >= self.max_tpp:
            return False
        if self.max_memory_bandwidth_gbps is None:
            return True
        return chip.memory_bandwidth_gbps is not None and chip.memory_bandwidth_gbps < self.max_memory_bandwidth_gbps

    def covers_chip(self, chip: ChipModel) -> bool:
        """Named, or in band (the vendor's bloc is checked apart: ``origin_blocs``)."""
        return chip.id in self.chips or self.in_band(chip)


@dataclass
class ControlInForce:
    params: ExportControlParams
    tpp_threshold: float | None

    def controls(self, chip: ChipModel) -> bool:
        if chip.id in self.params.chips:
            return True
        if self.tpp_threshold is not None and chip.tpp >= self.tpp_threshold:
            return True
        density = chip.performance_density
        return (
            self.params.density_threshold is not None
            and density is not None
            and density >= self.params.density_threshold
            and chip.tpp >= self.params.density_tpp_floor
        )


@dataclass
class AllowanceInForce:
    params: ExportAllowanceParams
    used_chips: dict[str, int] = field(default_factory=dict)  # this month, by chip


class ExportRules:
    """The export controls and allowances in force this month, as the vendors see them."""

    def __init__(self, seed: int = 0, month: int = 0) -> None:
        self.controls: list[ControlInForce] = []
        self.allowances: list[AllowanceInForce] = []
        self.tiered: list[TieredCapsInForce] = []
        self.seed = seed
        self.month = month

    def status(
        self, chip: ChipModel, vendor_bloc: str, buyer: SupplyChainAgent
    ) -> tuple[str, AllowanceInForce | TieredCapsInForce | None]:
        """FREE, DENIED, LICENSED (case by case, approved), ALLOWANCE (with the allowance that permits it) or
        TIERED (within the tiered regime's caps, which come with it)."""
        controlled_by = [
            control for control in self.controls
            if vendor_bloc in control.params.origin_blocs
            and control.params.covers_destination(buyer)
            and control.controls(chip)
        ]
        if not controlled_by:
            for regime in self.tiered:
                if regime.covers(chip, vendor_bloc, buyer):
                    return TIERED, regime
            return FREE, None
        for allowance in self.allowances:
            params = allowance.params
            if vendor_bloc in params.origin_blocs and params.covers_chip(chip) and params.covers_destination(buyer):
                return ALLOWANCE, allowance
        if all(c.params.licence == "case_by_case" for c in controlled_by):
            probability = min(c.params.approval_probability for c in controlled_by)
            if self._licence_draw(buyer.country, chip.id) < probability:
                return LICENSED, None
        return DENIED, None

    def signature(self) -> tuple:
        """What the status of a sale depends on besides the chip and the buyer: months with equal signatures give
        equal answers (licence draws are the month's own, so a case-by-case control puts the month in it)."""
        licensing = any(control.params.licence == "case_by_case" for control in self.controls)
        return (tuple((id(control.params), control.tpp_threshold) for control in self.controls),
                tuple(id(allowance.params) for allowance in self.allowances),
                tuple(id(regime.params) for regime in self.tiered),
                self.month if licensing else None)

    def _licence_draw(self, country: str, chip_id: str) -> float:
        return counter_draw(self.seed, "licensing", self.month, country, chip_id)

    def denied_when_effective(self, chip: ChipModel, vendor_bloc: str, buyer: SupplyChainAgent,
                              announced: list[ControlInForce]) -> bool:
        """Whether a control announced but not yet in force will stop this sale (buyers stockpile ahead of it)."""
        return any(
            vendor_bloc in c.params.origin_blocs and c.params.covers_destination(buyer) and c.controls(chip)
            for c in announced
        )


@register
class ExportControl(Policy):
    type_name = "export_control"
    Params = ExportControlParams

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.tpp_threshold = self.params.tpp_threshold
        self.last_ratchet_month: int | None = None

    def current_threshold(self, world: PolicyWorld, month: int) -> float | None:
        params = self.params
        if params.ratchet_cadence_months is None or not self.is_effective(month):
            return self.tpp_threshold
        since = month - self.effective_month
        if since % params.ratchet_cadence_months == 0 and self.last_ratchet_month != month:
            self.last_ratchet_month = month
            # The threshold only tightens: a new frontier chip pulls it down, never up past its current value.
            ratcheted = params.ratchet_frontier_fraction * world.frontier_tpp(month)
            self.tpp_threshold = min(self.tpp_threshold, ratcheted) if since else self.tpp_threshold
        return self.tpp_threshold

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        threshold = self.current_threshold(world, month)
        control = ControlInForce(self.params, threshold)
        if self.is_effective(month):
            rules.export.controls.append(control)
        elif self.is_announced(month):
            rules.announced_controls.append(control)

    @classmethod
    def reference_problems(cls, params: ExportControlParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return _chip_problems(params.chips, scenario, path) + _country_problems(params, scenario, path)


@register
class ExportAllowance(Policy):
    type_name = "export_allowance"
    Params = ExportAllowanceParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.export.allowances.append(AllowanceInForce(self.params))

    @classmethod
    def reference_problems(cls, params: ExportAllowanceParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return (_chip_problems(params.chips, scenario, path) + _country_problems(params, scenario, path)
                + _unjudged_bandwidth_problems(params, scenario, path))


def _unjudged_bandwidth_problems(params: ExportAllowanceParams, scenario: Scenario, path: tuple) -> list[Problem]:
    """A chip of an origin bloc's vendor that the bandwidth prong must judge but whose bandwidth is not given."""
    if params.max_memory_bandwidth_gbps is None:
        return []
    vendor_bloc = {vendor.id: scenario.countries[vendor.country].bloc for vendor in scenario.vendors
                   if vendor.country in scenario.countries}
    return [
        Problem(path + ("max_memory_bandwidth_gbps",),
                f"chip {chip_id!r} (vendor {chip.vendor}) has no memory_bandwidth_gbps in the catalog, so this "
                f"prong cannot say whether it is covered: give catalog.{chip_id}.memory_bandwidth_gbps",
                params.max_memory_bandwidth_gbps, True)
        for chip_id, chip in scenario.catalog.items()
        if chip.memory_bandwidth_gbps is None and vendor_bloc.get(chip.vendor) in params.origin_blocs
        and (params.max_tpp is None or chip.tpp < params.max_tpp)
    ]


def _chip_problems(chips: list[str], scenario: Scenario, path: tuple) -> list[Problem]:
    return unknown_ids(path + ("chips",), chips, "chip", scenario.catalog)


def _country_problems(params: _Destinations, scenario: Scenario, path: tuple) -> list[Problem]:
    return unknown_ids(path + ("destination_countries",), params.destination_countries, "country", scenario.countries)
