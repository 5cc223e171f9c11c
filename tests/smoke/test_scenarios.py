"""Every shipped scenario loads, validates and runs to its end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import run_scenario
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("scenario_file", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_runs_to_its_end(scenario_file: Path) -> None:
    loaded = load_scenario(scenario_file)
    result = run_scenario(loaded, seed=0)
    assert result.world["date"].iloc[-1] == loaded.scenario.end
    numbers = result.blocs.select_dtypes("number")
    assert np.isfinite(numbers.to_numpy()).all()
    assert (numbers >= 0).all().all()
    assert (result.blocs["installed_h100e"] > 0).all()
