"""The uncertain world parameters of a scenario, each with its meaning, its allowed range and its source."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from sim.scenario.fields import Sourced, Strict


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
