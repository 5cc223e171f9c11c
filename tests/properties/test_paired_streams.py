"""Switching a policy on leaves the random draws of unrelated processes unchanged (named streams).

Every lever scenario in the library keeps the baseline's population and demand: its members are drawn from the same
streams and its monthly budget shocks are the same draws, so its budget column equals the baseline's exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import run_scenario
from sim.scenario import load_scenario
from tests.conftest import BASELINE, SCENARIOS

# Scenarios that change the world rather than a policy lever draw different budgets on purpose.
WORLD_CHANGES = {"baseline", "packaging_boom", "capex_boom"}
LEVER_SCENARIOS = [path for path in SCENARIOS if path.stem not in WORLD_CHANGES]
UNTIL = "2026-12"


@pytest.fixture(scope="module")
def baseline_blocs():
    return run_scenario(BASELINE, seed=11, until=UNTIL).blocs


@pytest.mark.parametrize("scenario_file", LEVER_SCENARIOS, ids=[p.stem for p in LEVER_SCENARIOS])
def test_lever_scenarios_share_the_baselines_population_and_demand_draws(scenario_file: Path, baseline_blocs) -> None:
    loaded = load_scenario(scenario_file)
    assert loaded.scenario.populations == load_scenario(BASELINE).scenario.populations
    blocs = run_scenario(loaded, seed=11, until=UNTIL).blocs
    assert blocs["budget_usd"].equals(baseline_blocs["budget_usd"])
