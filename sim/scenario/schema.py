"""The scenario file's schema: pydantic models, strict, with unknown keys forbidden.

A scenario has separate sections for the world (countries, catalog, fabs, vendors, intermediaries, data centers,
enforcement bodies, population generators), the uncertain world parameters, and the policy levers. Validation
never rewrites a value: types are strict (``"5"`` is not a number), NaN and infinity are refused, and every bound
is an error rather than a clamp. Objects that carry calibrated numbers have a ``source`` (see ``sim.sources``).
Cross-references between sections (an agent's country, a product line's fab) are checked in ``references.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.calendar import parse_month
from sim.sources import citation_problem

Bloc = Literal["us_allies", "china", "rest"]
BLOCS: tuple[str, ...] = ("us_allies", "china", "rest")
BLOC_CODE = {bloc: code for code, bloc in enumerate(BLOCS)}  # a bloc's number in array code
# The bloc that controls exports: its entity list, its remote-access rule, the hardware some policies promote.
CONTROLLING_BLOC = "us_allies"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
# Upper bounds far above any real quantity (a trillion chips, wafers or dollars a month) keep a typo or a fuzzed file
# from overflowing the model's arithmetic; real scenarios never come near them.
MAX_QUANTITY = 1e12
NonNegative = Annotated[float, Field(ge=0, le=MAX_QUANTITY)]
Positive = Annotated[float, Field(gt=0, le=MAX_QUANTITY)]
Fraction = Annotated[float, Field(ge=0, le=1)]
GrowthFactor = Annotated[float, Field(gt=0, le=100)]
Count = Annotated[int, Field(ge=0, le=int(MAX_QUANTITY))]
Months = Annotated[int, Field(ge=0, le=1200)]
PriceUsd = Annotated[float, Field(ge=1, le=1e9, description="US dollars; at least 1 so money converts to whole chips")]
ChipsPerWafer = Annotated[float, Field(gt=0, le=100_000, description="dies per wafer: thousands at the very most")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def _check_month(value: str) -> str:
    parse_month(value)
    return value


Month = Annotated[str, Field(description="a calendar month, YYYY-MM")]


class Sourced(Strict):
    """An object whose numbers come from public sources or stated assumptions.

    ``source`` is one citation for the whole object, or a mapping from field name to citation.
    """

    source: str | dict[str, str]

    @model_validator(mode="after")
    def _citations_are_known(self) -> Sourced:
        citations = self.source if isinstance(self.source, dict) else {"": self.source}
        fields = set(type(self).model_fields) - {"source"}
        for field_name, citation in citations.items():
            if field_name and field_name not in fields:
                raise ValueError(
                    f"source names field {field_name!r}, which this object does not have; "
                    f"its fields are: {', '.join(sorted(fields))}"
                )
            problem = citation_problem(citation)
            if problem:
                where = f"source of {field_name!r}" if field_name else "source"
                raise ValueError(f"{where} {citation!r}: {problem}")
        return self


class Parameter(Sourced):
    value: float


def _parameter(description: str, low: float, high: float, whole: bool = False) -> Any:
    """A world parameter's field: what it means, its allowed range and whether it is a whole number (months). The
    ``Parameters`` class below is the one table of world parameters: the bounds, the model's plain numbers
    (``sim.parameters.RunParameters``) and the tests all read it."""
    return Field(description=description, json_schema_extra={"low": low, "high": high, "whole": whole})


class Parameters(Strict):
    """Uncertain world parameters: the things sweeps vary that are not policy choices."""

    frontier_growth_per_year: Parameter = _parameter("g in the lead formula; x per year, > 1", 1.0, 100.0)
    chip_lifetime_months: Parameter = _parameter("useful life before an installed chip retires", 1, 600, whole=True)
    production_lead_time_months: Parameter = _parameter("fab wafer start to finished chip at vendor", 1, 24,
                                                        whole=True)
    shipping_lead_time_months: Parameter = _parameter("sale to arrival at the buyer", 1, 24, whole=True)
    demand_noise_sigma: Parameter = _parameter("lognormal sigma of monthly budget shocks", 0.0, 3.0)
    buyer_price_sensitivity: Parameter = _parameter("logit weight on relative price per H100e", 0.0, 100.0)
    vendor_price_response: Parameter = _parameter("elasticity of price to last month's demand/supply", 0.0, 5.0)
    vendor_price_floor_ratio: Parameter = _parameter("lowest price as a share of list price", 0.01, 1.0)
    vendor_price_ceiling_ratio: Parameter = _parameter("highest price as a multiple of list price", 1.0, 100.0)
    vendor_inventory_cover_months: Parameter = _parameter("finished-goods stock a vendor aims to hold", 0.0, 24.0)
    intermediary_cover_months: Parameter = _parameter("stock an intermediary aims to hold", 0.0, 24.0)
    budget_carryover_months: Parameter = _parameter("unspent budget a buyer may carry, in months", 0.0, 120.0)
    stockpile_spending_multiplier: Parameter = _parameter(
        "how much more buyers spend on a chip between a control's announcement and its effect", 1.0, 100.0)
    rental_price_usd_per_h100e_month: Parameter = _parameter("offshore cloud price of one H100e for a month", 1.0,
                                                             1e6)
    distillation_gap_share: Parameter = _parameter(
        "share of the compute gap the follower (China) recovers by distilling frontier models", 0.0, 1.0)
    distillation_cap_share_of_own: Parameter = _parameter(
        "most distillation adds, as a share of the follower's own compute (a student learns only as far as it trains)",
        0.0, 100.0)
    smuggling_price_markup: Parameter = _parameter("grey-market price in the destination over list price", 1.0,
                                                   100.0)
    smuggling_fine_usd_per_chip: Parameter = _parameter("penalty a caught diverter expects per chip", 0.0, 1e9)
    perceived_detection_initial: Parameter = _parameter("diverters' prior chance that a shipment is caught", 0.0, 1.0)
    perceived_detection_learning_rate: Parameter = _parameter("weight of last month's seizures in beliefs", 0.0, 1.0)

    @model_validator(mode="after")
    def _values_in_range(self) -> Parameters:
        for name, (low, high, whole) in PARAMETER_BOUNDS.items():
            value = getattr(self, name).value
            if name == "frontier_growth_per_year" and value <= low:
                raise ValueError(f"{name}.value = {value}: must be > 1 (growth factor per year)")
            if not low <= value <= high:
                raise ValueError(f"{name}.value = {value}: allowed range is {low} to {high}")
            if whole and value != int(value):
                raise ValueError(f"{name}.value = {value}: must be a whole number of months")
        return self


# Allowed range of each world parameter, and whether it must be whole (months): (low, high, whole), as the table says.
PARAMETER_BOUNDS: dict[str, tuple[float, float, bool]] = {
    name: (field.json_schema_extra["low"], field.json_schema_extra["high"], field.json_schema_extra["whole"])
    for name, field in Parameters.model_fields.items()
}


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

    @field_validator("release")
    @classmethod
    def _release_is_a_month(cls, value: str) -> str:
        return _check_month(value)


class ProcessNode(Sourced):
    wafers_per_month: NonNegative
    growth_factor_per_year: GrowthFactor = Field(description="capacity growth, x per year, without SME controls")
    yield_fraction: Fraction
    yield_gain_per_year: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="yield points learned per year (up to 0.95), without SME controls"
    )


class GrowthUntil(Strict):
    """A growth rate that holds until a month, the fab's own rate after it: a ramp faster than the long-run one
    (TSMC's CoWoS more than doubled in 2024 and 2025, then grows about 1.5x a year)."""

    until: Month = Field(description="the last month that grows at this rate")
    growth_factor_per_year: GrowthFactor

    @field_validator("until")
    @classmethod
    def _until_is_a_month(cls, value: str) -> str:
        return _check_month(value)


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

    @field_validator("start")
    @classmethod
    def _start_is_a_month(cls, value: str) -> str:
        return _check_month(value)


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


class LognormalShares(Strict):
    """Relative sizes drawn lognormally (median 1) and normalised to sum to 1."""

    sigma: Annotated[float, Field(ge=0, le=5)]


class InitialStock(Sourced):
    h100e_total: NonNegative
    chip: Identifier
    max_age_months: Months


class DataCenterPopulation(Sourced):
    """``count`` data centers in one country sharing a total budget, with seeded random sizes."""

    id: Identifier = Field(description="prefix of the generated ids")
    country: CountryCode
    owner_bloc: Bloc | None = None
    count: Annotated[int, Field(ge=1, le=1_000_000)]
    total_budget_usd_per_month: NonNegative
    budget_growth_factor_per_year: GrowthFactor
    size_distribution: LognormalShares
    vendors: list[Identifier] = Field(default_factory=list, description="vendors every member buys from directly")
    intermediaries_per_buyer: Count = Field(0, description="local intermediaries each member buys from")
    home_vendor_preference: NonNegative = 0.0
    initial_stock: list[InitialStock] = Field(
        default_factory=list, description="chips installed before the start, shared out by size"
    )
    max_foreign_rental_share: Fraction = Field(0.0, description="share of compute members rent to foreign tenants")
    offshore_rental_share: Fraction = Field(0.0, description="share of members' budget spent renting abroad")
    rents_from: list[Identifier] = Field(
        default_factory=list, description="data-center populations (or data centers) members can rent from"
    )
    rental_routes_per_tenant: Count = Field(0, description="hosts each member can rent from")

    @model_validator(mode="after")
    def _tenants_have_hosts(self) -> DataCenterPopulation:
        if self.offshore_rental_share > 0 and (not self.rents_from or self.rental_routes_per_tenant == 0):
            raise ValueError("members that rent abroad need rents_from and rental_routes_per_tenant >= 1")
        return self


class IntermediaryPopulation(Sourced):
    id: Identifier = Field(description="prefix of the generated ids")
    country: CountryCode
    count: Annotated[int, Field(ge=1, le=1_000_000)]
    vendors: list[Identifier] = Field(min_length=1)
    markup_fraction_low: NonNegative
    markup_fraction_high: NonNegative
    diverting_share: Fraction = Field(0.0, description="share of members willing to divert when it pays")
    diversion_capacity_chips_per_month: Count = Field(0, description="covert capacity of each willing member")
    risk_aversion_sigma: Annotated[float, Field(ge=0, le=5)] = Field(
        0.0, description="lognormal spread of members' risk aversion around 1"
    )
    smuggles_to: list[Identifier] = Field(
        default_factory=list, description="data-center populations (or data centers) its diverters can reach"
    )
    routes_per_diverter: Count = Field(0, description="destination data centers each willing member can reach")
    shell_reentry_months: Months = Field(
        0, description="months after being listed that a diverter returns as a new shell company; 0: never"
    )

    @model_validator(mode="after")
    def _diverters_have_routes(self) -> IntermediaryPopulation:
        if self.diverting_share > 0 and (not self.smuggles_to or self.routes_per_diverter == 0):
            raise ValueError("diverting members need smuggles_to and routes_per_diverter >= 1")
        return self

    @model_validator(mode="after")
    def _markup_range(self) -> IntermediaryPopulation:
        if self.markup_fraction_high < self.markup_fraction_low:
            raise ValueError(
                f"markup_fraction_high ({self.markup_fraction_high}) is below markup_fraction_low "
                f"({self.markup_fraction_low}); the range must run low to high"
            )
        return self


class Populations(Strict):
    data_centers: list[DataCenterPopulation] = Field(default_factory=list)
    intermediaries: list[IntermediaryPopulation] = Field(default_factory=list)


SecurityLevel = Annotated[int, Field(ge=1, le=5, description="RAND's weight-security level, SL1 to SL5")]
# Training compute of any model ever trained stays far below 1e40 FLOP; the bound keeps a typo from overflowing.
Flop = Annotated[float, Field(gt=0, le=1e40)]
# A month of an H100e training at realistic utilisation: 400 dense BF16 TFLOPS sustained (about 40% of the H100's
# 989; Llama 3.1 405B ran at 380-430 on 16k H100s, llama3_mfu) for 30.44 days. Frontier training runs count FLOP this
# way (Epoch AI), which is how thresholds (model_weights_threshold, monitoring_threshold_eu) read them.
TRAINING_FLOP_PER_H100E_MONTH = 400e12 * 30.4375 * 86_400


class TheftProbabilities(Strict):
    """The chance, each month, that a determined state operation exfiltrates weights held at each security level."""

    sl1: Fraction
    sl2: Fraction
    sl3: Fraction
    sl4: Fraction
    sl5: Fraction

    def at(self, level: int) -> float:
        return getattr(self, f"sl{level}")

    @model_validator(mode="after")
    def _higher_levels_are_safer(self) -> TheftProbabilities:
        for level in range(2, 6):
            if self.at(level) > self.at(level - 1):
                raise ValueError(f"sl{level} ({self.at(level)}) is above sl{level - 1} ({self.at(level - 1)}): a "
                                 "higher security level must not make theft likelier")
        return self


class Licensee(Sourced):
    """A site abroad where a lab deploys its closed weights (a sovereign-AI partner's data center, say): from
    ``start`` on it receives each new model the export rules allow, and holds it at its own security level."""

    data_center: Identifier = Field(description="a data center or data-center population (as one site)")
    start: Month
    security_level: SecurityLevel

    @field_validator("start")
    @classmethod
    def _start_is_a_month(cls, value: str) -> str:
        return _check_month(value)


class Lab(Sourced):
    """A frontier AI lab: it trains on a share of the compute of the data centers it names, releases a model every
    ``model_cadence_months`` (each run taking the last ``training_months`` of them on ``training_share`` of its
    compute), holds the weights at ``security_level`` and deploys them at its licensees."""

    id: Identifier
    name: str
    country: CountryCode
    trains_on: list[Identifier] = Field(min_length=1, description="data centers or data-center populations")
    compute_share: Annotated[float, Field(gt=0, le=1)] = Field(description="its share of their installed compute")
    training_share: Annotated[float, Field(gt=0, le=1)] = Field(
        description="share of its compute in a final training run")
    training_months: Annotated[int, Field(ge=1, le=24)]
    model_cadence_months: Annotated[int, Field(ge=1, le=60)] = Field(description="months between releases")
    security_level: SecurityLevel
    licensees: list[Licensee] = Field(default_factory=list)

    @model_validator(mode="after")
    def _runs_fit_between_releases(self) -> Lab:
        if self.training_months > self.model_cadence_months:
            raise ValueError(f"training_months ({self.training_months}) exceeds model_cadence_months "
                             f"({self.model_cadence_months}): a lab runs one final training run at a time")
        return self


class ModelWeights(Sourced):
    """Frontier labs and what their weights are worth to a bloc that obtains them (the model-weights channel)."""

    monthly_theft_probability: TheftProbabilities
    value_halving_months: Annotated[float, Field(gt=0, le=1200)] = Field(
        description="months for the compute needed to train a model as good to halve (algorithmic progress)")
    training_flop_per_h100e_month: Flop = TRAINING_FLOP_PER_H100E_MONTH
    thief_bloc: Bloc = Field("china", description="the bloc whose state operations steal weights")
    labs: list[Lab] = Field(default_factory=list)


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

    @field_validator("announce", "effective", "end")
    @classmethod
    def _months_are_months(cls, value: str | None) -> str | None:
        return value if value is None else _check_month(value)


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

    @field_validator("start", "end")
    @classmethod
    def _months_are_months(cls, value: str) -> str:
        return _check_month(value)
