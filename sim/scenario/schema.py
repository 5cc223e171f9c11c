"""The scenario file's schema: pydantic models, strict, with unknown keys forbidden.

A scenario has separate sections for the world (countries, catalog, fabs, vendors, intermediaries, data centers,
enforcement bodies, population generators), the uncertain world parameters, and the policy levers. Validation
never rewrites a value: types are strict (``"5"`` is not a number), NaN and infinity are refused, and every bound
is an error rather than a clamp. Objects that carry calibrated numbers have a ``source`` (see ``sim.sources``).
Cross-references between sections (an agent's country, a product line's fab) are checked in ``references.py``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.calendar import parse_month
from sim.scenario.fields import (
    Bloc,
    ChipsPerWafer,
    Count,
    CountryCode,
    Fraction,
    GrowthFactor,
    GrowthUntil,
    Identifier,
    Month,
    Months,
    NonNegative,
    Positive,
    PriceUsd,
    Sourced,
    Strict,
)
from sim.scenario.labs import ModelWeights
from sim.scenario.populations import Populations
from sim.scenario.world_parameters import Parameters
from sim.sources import citation_problem


class Country(Sourced):
    name: str
    bloc: Bloc
    tier: Literal[1, 2, 3]


class Chip(Sourced):
    name: str
    vendor: Identifier
    tpp: Positive = Field(description="total processing performance (export-control TPP)")
    price_usd: PriceUsd
    node: str
    release: Month
    hbm_stacks_per_chip: Count
    die_area_mm2: Positive | None = Field(None, description="for the performance-density prong of the controls")
    memory_bandwidth_gbps: Positive | None = Field(
        None, description="DRAM (HBM) bandwidth in GB/s, for rules with a bandwidth prong (the Jan-2026 H200 rule)"
    )
    dense_8bit_tops: Positive | None = Field(
        None, description="dense 8-bit (FP8/INT8) throughput in TOPS: chipsim's compute measure (H100 = 1,979); "
        "defaults to tpp / 8, exact for every chip whose TPP is set by an 8- or 16-bit format"
    )
    generation: str | None = Field(None, description="the vendor's architecture generation (a label for tables)")


class ProcessNode(Sourced):
    wafers_per_month: NonNegative
    growth_factor_per_year: GrowthFactor = Field(description="capacity growth, x per year, without SME controls")
    yield_fraction: Fraction
    yield_gain_per_year: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="yield points learned per year (up to 0.95), without SME controls"
    )


class Fab(Sourced):
    id: Identifier
    name: str
    country: CountryCode
    nodes: dict[str, ProcessNode]
    packaging_wafers_per_month: NonNegative = Field(description="advanced packaging (CoWoS-class) capacity")
    packaging_growth_factor_per_year: GrowthFactor
    packaging_growth_until: GrowthUntil | None = Field(
        None, description="a different packaging growth up to a month (a faster early ramp); the rate above after it"
    )
    hbm_stacks_per_month: NonNegative = Field(description="HBM stacks delivered to this fab's packaging per month")
    hbm_growth_factor_per_year: GrowthFactor
    hbm_stacks_stock: NonNegative = Field(0.0, description="HBM stacks already stockpiled at the start")
    uses_controlled_equipment: bool = Field(
        False, description="depends on controlled chip-making equipment (SME controls act on it)"
    )
    packaging_yield_fraction: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="share of dies its advanced packaging bonds into a package without fault (a package of n "
        "dies works when all n bonds do)"
    )
    packaging_yield_gain_per_year: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="packaging-yield points learned per year (up to 0.99), without packaging-equipment controls"
    )


class Window(Strict):
    """A stretch of months over which a product line's reservation ramps up (or winds down), linearly."""

    start: Month
    months: Annotated[int, Field(ge=1, le=120)] = Field(
        description="months in the window: full (or none) in its last month")


class Chiplet(Strict):
    """A package of several compute dies made on the line's node and bonded by its fab's own advanced packaging (the
    chiplet route: Huawei's dual-die 910C, the quad-die designs of its 2025 patent)."""

    dies_per_package: Annotated[int, Field(ge=2, le=64)] = Field(
        description="compute dies in one package; chips_per_wafer counts packages' worth of dies"
    )


class ProductLine(Sourced):
    chip: Identifier
    fab: Identifier
    node: str
    chips_per_wafer: ChipsPerWafer = Field(description="candidate chips per wafer, before yield")
    chips_per_packaging_wafer: ChipsPerWafer | None = Field(
        None, description="finished chips per advanced-packaging wafer; null when none is needed"
    )
    max_wafers_per_month: NonNegative | None = Field(None, description="the vendor's capacity reservation at the fab")
    reservation_growth_factor_per_year: GrowthFactor | None = Field(
        None, description="growth of that reservation, x per year"
    )
    reservation_share_of_node: Fraction | None = Field(
        None, description="instead: the reservation is this share of the node's capacity, month by month"
    )
    via_front_company: bool = Field(
        False, description="booked through a front company at a foreign fab (proxy fabrication, the die-bank case)"
    )
    ramp_up: Window | None = Field(
        None, description="the reservation ramps up from none over this window (a fixed reservation starts growing "
        "at its start); without it the line is at full reservation from the scenario's start"
    )
    wind_down: Window | None = Field(
        None, description="the reservation winds down to none over this window, as the next generation takes over"
    )
    chiplet: Chiplet | None = Field(
        None, description="the chip is a package of several dies bonded at this fab (needs chips_per_packaging_wafer)"
    )

    @model_validator(mode="after")
    def _chiplets_are_packaged(self) -> ProductLine:
        if self.chiplet is not None and self.chips_per_packaging_wafer is None:
            raise ValueError("a chiplet line needs chips_per_packaging_wafer: its dies are bonded by the fab's "
                             "advanced packaging")
        return self

    @model_validator(mode="after")
    def _winds_down_after_ramping_up(self) -> ProductLine:
        if self.ramp_up and self.wind_down and parse_month(self.wind_down.start) < parse_month(self.ramp_up.start):
            raise ValueError(f"wind_down starts ({self.wind_down.start}) before ramp_up ({self.ramp_up.start})")
        return self

    @model_validator(mode="after")
    def _one_kind_of_reservation(self) -> ProductLine:
        fixed = self.max_wafers_per_month is not None or self.reservation_growth_factor_per_year is not None
        if fixed == (self.reservation_share_of_node is not None):
            raise ValueError(
                "give either max_wafers_per_month with reservation_growth_factor_per_year, "
                "or reservation_share_of_node"
            )
        if fixed and (self.max_wafers_per_month is None or self.reservation_growth_factor_per_year is None):
            raise ValueError("max_wafers_per_month and reservation_growth_factor_per_year go together")
        return self


class DesignToThreshold(Sourced):
    """How a vendor answers a TPP threshold that catches its best chip: a cut-down variant, after a design lag."""

    lag_months: Annotated[int, Field(ge=0, le=120)]
    tpp_fraction_of_threshold: Annotated[float, Field(gt=0, lt=1)]
    price_ratio_to_base: Annotated[float, Field(gt=0, le=10)]
    reservation_share: Fraction = Field(description="share of the base chip's reservation the variant gets")


class Vendor(Sourced):
    id: Identifier
    name: str
    country: CountryCode
    product_lines: list[ProductLine] = Field(min_length=1)
    design_to_threshold: DesignToThreshold | None = None


class Intermediary(Sourced):
    id: Identifier
    country: CountryCode
    vendors: list[Identifier] = Field(min_length=1)
    markup_fraction: NonNegative
    diversion_capacity_chips_per_month: Count = Field(
        0, description="chips a month it can move covertly to smuggling routes; 0: it never diverts"
    )
    risk_aversion: NonNegative = Field(1.0, description="weight it puts on the expected fine when deciding to divert")
    smuggling_routes: list[Identifier] = Field(default_factory=list, description="data centers it can divert to")
    shell_reentry_months: Months = Field(
        0, description="months after being listed that its owners return as a new shell company; 0: never"
    )


class InstalledCohort(Sourced):
    chip: Identifier
    count: Count
    age_months: Months


class DataCenter(Sourced):
    id: Identifier
    country: CountryCode
    owner_bloc: Bloc | None = Field(None, description="bloc that controls it; defaults to its country's bloc")
    budget_usd_per_month: NonNegative
    budget_growth_factor_per_year: GrowthFactor
    budget_growth_until: GrowthUntil | None = Field(
        None, description="a different budget growth up to a month (the years the data cover); the rate above after it"
    )
    suppliers: list[Identifier] = Field(min_length=1)
    home_vendor_preference: NonNegative = Field(
        0.0, description="price discount (share) a buyer grants vendors of its own bloc"
    )
    initial_installed: list[InstalledCohort] = Field(default_factory=list)
    max_foreign_rental_share: Fraction = Field(0.0, description="share of its compute it will rent to foreign tenants")
    offshore_rental_share: Fraction = Field(0.0, description="share of its budget it spends renting compute abroad")
    rental_routes: list[Identifier] = Field(default_factory=list, description="data centers it can rent from")


class Ally(Sourced):
    """An allied maker of chip-making tools or of HBM that sells to China unless its government aligns with the US
    controls (alliance friction, ``sim.agents.ally``)."""

    id: Identifier
    name: str
    country: CountryCode
    product: Literal["tools", "hbm"] = Field(description="what it sells China: chip-making tools or HBM stacks")
    china_revenue_usd_per_year: NonNegative = Field(description="its sales to Chinese customers a year, at the start")
    china_revenue_growth_factor_per_year: GrowthFactor = Field(1.0, description="how those sales change, x per year")
    share_at_stake: Fraction = Field(
        description="share of its China revenue full alignment would cost it (the sales it could no longer make and "
        "the retaliation it expects)"
    )
    revenue_loss_exponent: Annotated[float, Field(ge=1, le=10)] = Field(
        2.0, description="revenue lost at alignment a is a^k of the revenue at stake: above 1, the first things "
        "aligned (the most strategic) cost less than the last (the bread and butter), so an ally may join partly"
    )
    decision_lag_months: Months = Field(description="months from its government's decision to the rule in force")
    hbm_stacks_to_china_per_month: NonNegative = Field(
        0.0, description="HBM stacks it would sell China's fabs a month if nothing stopped it (memory makers)"
    )
    hbm_growth_factor_per_year: GrowthFactor = Field(1.0, description="growth of those stacks, x per year")
    hbm_customers: list[Identifier] = Field(
        default_factory=list, description="the fabs (in China) its HBM goes to, shared equally"
    )

    @model_validator(mode="after")
    def _memory_makers_have_customers(self) -> Ally:
        if self.product == "hbm" and self.hbm_stacks_to_china_per_month > 0 and not self.hbm_customers:
            raise ValueError("an HBM maker that sells to China needs hbm_customers (fab ids)")
        if self.product == "tools" and (self.hbm_stacks_to_china_per_month > 0 or self.hbm_customers):
            raise ValueError("a tool maker sells no HBM: leave out hbm_stacks_to_china_per_month and hbm_customers")
        return self


class EnforcementBody(Sourced):
    id: Identifier
    name: str
    country: CountryCode
    jurisdiction: list[CountryCode] = Field(min_length=1)
    budget_usd_per_year: NonNegative
    cost_per_inspection_usd: PriceUsd
    chips_per_inspection: Positive = Field(description="chips in the consignment one inspection examines")
    detection_efficacy: Fraction = Field(description="chance that inspecting a diverted shipment finds it")
    targeting: Annotated[float, Field(ge=1, le=1000)] = Field(
        description="how much likelier a diverted shipment is to be picked for inspection than a legal one"
    )


class PolicySpec(Sourced):
    """One policy lever with its dates. Its parameters are checked by the policy registry.

    An ``id`` lets a variant scenario change or switch off (``enabled: false``) this policy by name.
    """

    id: Identifier | None = None
    enabled: bool = True
    type: Identifier
    announce: Month
    effective: Month
    end: Month | None = None
    params: dict[str, object] = Field(default_factory=dict)


class UncertainParameter(Strict):
    """A scenario number that calibration may estimate (``chipsim calibrate --fit``): its key path, as overrides and
    sweeps write it, and the range it is searched over.

    ``scale: log`` searches the range evenly in ratios (budgets, capacities spanning a factor of two or more);
    ``whole`` rounds each value tried (counts of chips, months). The path itself is checked against the scenario
    when a fit starts (``sim.fit.space``): it must name a number the scenario accepts at both ends of the range."""

    path: str = Field(min_length=1, description="dotted key path, e.g. parameters.distillation_gap_share.value")
    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"
    whole: bool = False
    source: str = Field(description="why this range: a source id or 'assumption: ...'")

    @model_validator(mode="after")
    def _a_range_with_a_reason(self) -> UncertainParameter:
        if not self.low < self.high:
            raise ValueError(f"needs low < high, got low={self.low} high={self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"scale log needs low > 0 (it searches ratios), got low={self.low}")
        if self.whole and not (self.low.is_integer() and self.high.is_integer()):
            raise ValueError(f"whole needs whole-number ends, got low={self.low} high={self.high}")
        problem = citation_problem(self.source)
        if problem:
            raise ValueError(f"source {self.source!r}: {problem}")
        return self


class Scenario(Strict):
    name: Identifier
    description: str = ""
    start: Month
    end: Month
    parameters: Parameters
    countries: dict[CountryCode, Country] = Field(min_length=1)
    catalog: dict[Identifier, Chip] = Field(min_length=1)
    fabs: list[Fab] = Field(default_factory=list)
    vendors: list[Vendor] = Field(default_factory=list)
    intermediaries: list[Intermediary] = Field(default_factory=list)
    data_centers: list[DataCenter] = Field(default_factory=list)
    enforcement: list[EnforcementBody] = Field(default_factory=list)
    allies: list[Ally] = Field(
        default_factory=list, description="allied tool and memory makers that choose whether to align with the "
        "US controls (alliance friction)")
    populations: Populations = Field(default_factory=Populations)
    policies: list[PolicySpec] = Field(default_factory=list)
    model_weights: ModelWeights | None = Field(None, description="frontier labs whose weights may leave their bloc")
    uncertain: list[UncertainParameter] = Field(
        default_factory=list, description="numbers calibration may estimate; a file that extends this one inherits "
        "the list, or replaces it whole by giving its own")

    @field_validator("uncertain")
    @classmethod
    def _one_entry_per_path(cls, entries: list[UncertainParameter]) -> list[UncertainParameter]:
        paths = [entry.path for entry in entries]
        repeated = sorted({path for path in paths if paths.count(path) > 1})
        if repeated:
            raise ValueError(f"each path may appear once; repeated: {', '.join(repeated)}")
        return entries
