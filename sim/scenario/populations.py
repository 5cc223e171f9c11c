"""Population generators: many data centers or intermediaries described at once, expanded by ``sim.world``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.fields import (
    Bloc,
    Count,
    CountryCode,
    Fraction,
    GrowthFactor,
    GrowthUntil,
    Identifier,
    Months,
    NonNegative,
    Sourced,
    Strict,
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
    budget_growth_until: GrowthUntil | None = Field(
        None, description="a different budget growth up to a month (the years the data cover); the rate above after it"
    )
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
