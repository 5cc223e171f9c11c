"""Side effects on hand-made results: stocks at the end, flows summed over the run, changes against the reference."""

from __future__ import annotations

import pytest

from sim.sweep.side_effects import side_effects
from tests.unit.sweep_made_up import MONTHS, made_up_results


def test_flows_are_summed_over_the_run_and_stocks_read_at_the_end() -> None:
    # made_up_results: 100 / (1 + added) chips smuggled a month, 10 seized, `added` intermediaries listed.
    results, _plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=4, seeds=2)
    table = side_effects(results, "baseline").set_index(["policy", "side_effect"])
    assert table.loc[("baseline", "chips smuggled over the run"), "median"] == pytest.approx(100.0 * len(MONTHS))
    assert table.loc[("tight", "chips smuggled over the run"), "median"] == pytest.approx(25.0 * len(MONTHS))
    assert table.loc[("tight", "chips smuggled over the run"), "median_change"] == pytest.approx(-75.0 * len(MONTHS))
    assert table.loc[("tight", "intermediaries listed at the end"), "median_change"] == 3.0
    assert table.loc[("tight", "rest of world's compute at the end (H100e)"), "median_change"] == 0.0
    assert table.loc[("baseline", "chips seized over the run"), "median_change"] != \
        table.loc[("baseline", "chips seized over the run"), "median_change"]  # NaN: the reference has no change
