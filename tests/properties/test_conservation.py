"""Chips are conserved every month: initial + produced = installed + inventories + in transit + retired + seized."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS, tiny

SEEDS = [0, 1, 7]


def assert_balanced_each_month(model: ChipSupplyModel, months: int) -> None:
    ledger = model.ledger
    initial = ledger.initial_installed_chips + ledger.initial_in_transit_chips
    for _ in range(months):
        model.step()
        accounted = (
            model.stocks.installed()
            + model.stocks.in_inventory()
            + model.stocks.in_transit()
            + ledger.retired_chips_total
            + ledger.seized_chips_total
        )
        assert initial + ledger.produced_chips_total == accounted, f"chips unbalanced in {model.date}"
        assert model.stocks.all_non_negative(), f"a stock went negative in {model.date}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario_file", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_conserves_chips(scenario_file: Path, seed: int) -> None:
    scenario = load_scenario(scenario_file).scenario
    model = ChipSupplyModel(scenario, seed=seed)
    assert_balanced_each_month(model, model.end_month - model.start_month + 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_tiny_world_conserves_chips_through_retirement(seed: int) -> None:
    """Short lifetimes and noisy demand exercise retirement and rationing on every tick."""
    scenario = tiny(**{
        "parameters.chip_lifetime_months.value": 3,
        "parameters.demand_noise_sigma.value": 0.5,
        "end": "2027-12",
    })
    model = ChipSupplyModel(scenario, seed=seed)
    assert_balanced_each_month(model, 36)
    assert model.ledger.retired_chips_total > 0


def test_world_table_carries_a_balance_that_closes() -> None:
    world = run_scenario(tiny(), seed=3).world
    lhs = world["chips_initial"] + world["chips_produced_total"]
    rhs = (world["chips_installed"] + world["chips_in_inventory"] + world["chips_in_transit"]
           + world["chips_retired_total"] + world["chips_seized_total"])
    assert (lhs == rhs).all()
