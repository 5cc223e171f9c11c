"""Sensitivity on hand-made data: a driving input is found, an idle one is not, per policy; Sobol' from a design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.sweep.plan import saltelli_points
from sim.sweep.sensitivity import correlation_ratio, sensitivity
from sim.sweep.spec import SweepSpec
from tests.unit.sweep_made_up import made_up_results


def test_the_correlation_ratio_of_a_step_is_its_share_of_the_variance() -> None:
    x = np.repeat([0.0, 1.0], 50)
    assert correlation_ratio(x, x * 2.0, bins=2) == pytest.approx(1.0)
    assert correlation_ratio(x, np.tile([0.0, 1.0], 50), bins=2) == pytest.approx(0.0)


def test_an_input_that_drives_the_outcome_is_told_from_one_that_does_not() -> None:
    results, _plan = made_up_results({"baseline": 0.0}, points=60, seeds=2, factors={"fine": 5.0, "idle": 0.0})
    final = results[results["date"] == "2030-12"]
    table = sensitivity(final, ["fine", "idle"], ["lead_months"], sobol=False).set_index("factor")
    assert (table["method"] == "given data").all()
    assert table.loc["fine", "first_order"] > 0.8 and table.loc["fine", "first_low"] > table.loc["fine",
                                                                                                   "no_effect_level"]
    # An input with no effect cannot be told from shuffled inputs: its interval reaches below their level.
    assert table.loc["idle", "first_low"] < table.loc["idle", "no_effect_level"]
    assert table.loc["idle", "first_order"] < table.loc["fine", "first_low"]
    for factor in ("fine", "idle"):  # each interval holds its estimate
        assert table.loc[factor, "first_low"] <= table.loc[factor, "first_order"] <= table.loc[factor, "first_high"]


def test_indices_are_per_policy() -> None:
    # Under "tight" the fine does nothing: its lead is the same at every point.
    results, _plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=40, seeds=1, factors={"fine": 5.0})
    final = results[results["date"] == "2030-12"].copy()
    final.loc[final["policy"] == "tight", "lead_months"] = 20.0
    table = sensitivity(final, ["fine"], ["lead_months"], sobol=False).set_index("policy")
    assert table.loc["baseline", "first_order"] > 0.8 and table.loc["tight", "first_order"] == 0.0


def test_sobol_indices_from_a_saltelli_design_find_the_additive_shares() -> None:
    # y = 4 a + 2 b on [0, 1]^2 (c idle): first-order shares 16/20 and 4/20, totals the same, c's zero.
    spec = SweepSpec.model_validate({"name": "s", "base": "b.yaml", "sampling": {"method": "sobol", "samples": 256},
                                     "uncertainties": [{"name": n, "path": f"p.{n}", "low": 0.0, "high": 1.0}
                                                       for n in ("a", "b", "c")]})
    design = pd.DataFrame(saltelli_points(spec), columns=["a", "b", "c"])
    assert len(design) == 256 * 5 == spec.run_count
    final = design.assign(policy="baseline", point=range(len(design)), seed=0,
                          lead_months=4 * design["a"] + 2 * design["b"])
    table = sensitivity(final, ["a", "b", "c"], ["lead_months"], sobol=True).set_index("factor")
    assert (table["method"] == "Sobol'").all()
    assert table.loc["a", "first_order"] == pytest.approx(0.8, abs=0.08)
    assert table.loc["b", "first_order"] == pytest.approx(0.2, abs=0.08)
    assert table.loc["c", "total_order"] == pytest.approx(0.0, abs=0.02)
    assert table.loc["a", "first_low"] <= table.loc["a", "first_order"] <= table.loc["a", "first_high"]


def test_a_partly_finished_sobol_sweep_uses_its_complete_blocks() -> None:
    spec = SweepSpec.model_validate({"name": "s", "base": "b.yaml", "sampling": {"method": "sobol", "samples": 64},
                                     "uncertainties": [{"name": n, "path": f"p.{n}", "low": 0.0, "high": 1.0}
                                                       for n in ("a", "b")]})
    design = pd.DataFrame(saltelli_points(spec), columns=["a", "b"])
    final = design.assign(policy="baseline", point=range(len(design)), seed=0, lead_months=3 * design["a"])
    final = final.drop(index=[5, 77, 130])  # three blocks broken: 61 complete, 32 used
    table = sensitivity(final, ["a", "b"], ["lead_months"], sobol=True).set_index("factor")
    assert (table["method"] == "Sobol'").all() and table.loc["a", "first_order"] > 0.7
    # b never moves the outcome: with it swapped in, every block gives the same value, so its indices are 0.
    assert table.loc["b", "first_order"] == 0.0 and table.loc["b", "total_order"] == 0.0


def test_sobol_sampling_needs_ranges_and_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of 2"):
        SweepSpec.model_validate({"name": "s", "base": "b.yaml", "sampling": {"method": "sobol", "samples": 12},
                                  "uncertainties": [{"name": "a", "path": "p.a", "low": 0.0, "high": 1.0}]})
    with pytest.raises(ValueError, match="needs low and high for every factor"):
        SweepSpec.model_validate({"name": "s", "base": "b.yaml", "sampling": {"method": "sobol", "samples": 8},
                                  "uncertainties": [{"name": "a", "path": "p.a", "values": [1.0, 2.0]}]})
    # a pinned input would shift the design's blocks by one point each, giving every other input a wrong index
    with pytest.raises(ValueError, match="low < high for every factor; pinned: c"):
        SweepSpec.model_validate({"name": "s", "base": "b.yaml", "sampling": {"method": "sobol", "samples": 8},
                                  "uncertainties": [{"name": "a", "path": "p.a", "low": 0.0, "high": 1.0},
                                                    {"name": "c", "path": "p.c", "low": 2.0, "high": 2.0}]})
