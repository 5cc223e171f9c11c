"""Extreme but valid parameters: no NaN, no negative stock, chips conserved every month.

Hypothesis picks parameters at the edges of what the schema allows (zero capacity, zero budget, enormous markups and
growth, every model parameter at its bounds) and horizons of up to half a century, on the tiny world.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import ChipSupplyModel
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.fields import MAX_QUANTITY
from sim.scenario.load import resolve_extends
from sim.scenario.world_parameters import PARAMETER_BOUNDS
from tests.conftest import BASELINE, tiny, write_yaml
from tests.properties.test_conservation import assert_balanced_each_month
from tests.reliability.test_fuzz_loaders import assert_tables_sane

QUANTITY = [0.0, 1e-9, 1.0, MAX_QUANTITY]
GROWTH = [0.01, 1.0, 100.0]
AGENT_FIELDS = {
    "fabs.usfab.nodes.N4.wafers_per_month": QUANTITY,
    "fabs.usfab.nodes.N4.growth_factor_per_year": GROWTH,
    "fabs.usfab.nodes.N4.yield_fraction": [0.0, 1.0],
    "fabs.usfab.packaging_wafers_per_month": QUANTITY,
    "fabs.usfab.hbm_stacks_per_month": QUANTITY,
    "fabs.cnfab.nodes.N7.wafers_per_month": QUANTITY,
    "vendors.usv.product_lines.big.max_wafers_per_month": QUANTITY,
    "vendors.usv.product_lines.big.reservation_growth_factor_per_year": GROWTH,
    "data_centers.usdc.budget_usd_per_month": QUANTITY,
    "data_centers.cndc.budget_usd_per_month": QUANTITY,
    "data_centers.sgdc.budget_usd_per_month": QUANTITY,
    "data_centers.cndc.budget_growth_factor_per_year": GROWTH,
    "data_centers.usdc.initial_installed.big.count": [1, 10**9],
    "intermediaries.sgdist.markup_fraction": [0.0, 1e6, MAX_QUANTITY],
    "enforcement.agency.budget_usd_per_year": QUANTITY,
    "enforcement.agency.cost_per_inspection_usd": [1.0, 1e9],
    "catalog.big.price_usd": [1.0, 1e9],
}
PARAMETER_VALUES = {f"parameters.{name}.value": sorted({low, high}) for name, (low, high, _whole) in
                    PARAMETER_BOUNDS.items() if name != "frontier_growth_per_year"}
ALL_FIELDS = {**AGENT_FIELDS, **PARAMETER_VALUES}
DIVERSION = {  # let the intermediary smuggle, so the grey channel is exercised too
    "intermediaries.sgdist.diversion_capacity_chips_per_month": 10**6,
    "intermediaries.sgdist.smuggling_routes": ["cndc"],
}


@st.composite
def extreme_worlds(draw) -> tuple[dict, str]:
    chosen = draw(st.lists(st.sampled_from(sorted(ALL_FIELDS)), min_size=1, max_size=8, unique=True))
    overrides = {path: draw(st.sampled_from(ALL_FIELDS[path])) for path in chosen}
    if draw(st.booleans()):
        overrides.update(DIVERSION)
    end = draw(st.sampled_from(["2025-12", "2034-12", "2074-12"]))
    return overrides, end


@settings(max_examples=60)
@given(extreme_worlds())
def test_extreme_parameters_keep_stocks_finite_non_negative_and_conserved(world: tuple[dict, str]) -> None:
    overrides, end = world
    try:
        scenario = tiny(**overrides, end=end)
    except ScenarioError as error:  # 10^12 wafers at both the node and the line: more than is counted exactly
        assert all(problem.message.startswith("could make") for problem in error.problems), str(error)
        return
    model = ChipSupplyModel(scenario, seed=1)
    assert_balanced_each_month(model, model.end_month - model.start_month + 1)
    assert_tables_sane(model.recorder.tables())


def test_a_horizon_of_decades_with_the_fastest_growth_stays_finite() -> None:
    """Every growth factor at its maximum for 50 years: numbers get enormous but never overflow to inf or NaN."""
    overrides = {path: 100.0 for path in AGENT_FIELDS if path.endswith("growth_factor_per_year")}
    overrides.update({"data_centers.usdc.budget_growth_factor_per_year": 100.0,
                      "fabs.usfab.packaging_growth_factor_per_year": 100.0,
                      "fabs.usfab.hbm_growth_factor_per_year": 100.0, **DIVERSION})
    model = ChipSupplyModel(tiny(**overrides, end="2074-12"), seed=0)
    assert_balanced_each_month(model, model.end_month - model.start_month + 1)
    assert_tables_sane(model.recorder.tables())
    assert model.recorder.world_rows[-1]["chips_installed"] > 10**12


def _set_everywhere(data, names: set[str], value) -> None:
    """Set every key in ``names``, wherever it appears in the nested scenario mapping."""
    if isinstance(data, dict):
        for key in data:
            if key in names:
                data[key] = value
            elif key != "source":  # citations name fields too; they are not values
                _set_everywhere(data[key], names, value)
    elif isinstance(data, list):
        for item in data:
            _set_everywhere(item, names, value)


BASELINE_EXTREMES = {
    "no capacity anywhere": ({"wafers_per_month", "packaging_wafers_per_month", "hbm_stacks_per_month",
                              "max_wafers_per_month"}, 0.0),
    "no budget anywhere": ({"budget_usd_per_month", "total_budget_usd_per_month", "budget_usd_per_year"}, 0.0),
    "enormous markups": ({"markup_fraction", "markup_fraction_low", "markup_fraction_high"}, 1e6),
}


@pytest.mark.parametrize("case", list(BASELINE_EXTREMES))
def test_the_baseline_at_extremes_stays_sane(tmp_path: Path, case: str) -> None:
    names, value = BASELINE_EXTREMES[case]
    data = resolve_extends(BASELINE)
    _set_everywhere(data, names, value)
    scenario = load_scenario(write_yaml(tmp_path / "extreme.yaml", data)).scenario
    model = ChipSupplyModel(scenario, seed=0)
    assert_balanced_each_month(model, model.end_month - model.start_month + 1)
    assert_tables_sane(model.recorder.tables())
