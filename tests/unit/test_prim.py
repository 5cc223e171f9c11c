"""PRIM on hand-made data with a planted box: it finds the box, with the coverage and density the data has."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.sweep.discovery import discover
from sim.sweep.outcomes import Target
from sim.sweep.prim import chosen_box, peel, trajectory_frame


def planted(count: int, inside_rate: float, outside_rate: float, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three inputs on [0, 1]; failures planted in the box fine < 0.3 and share > 0.6 (12% of the cases)."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame(rng.uniform(0, 1, (count, 3)), columns=["fine", "share", "markup"])
    in_box = (inputs["fine"] < 0.3) & (inputs["share"] > 0.6)
    fails = np.where(in_box, rng.uniform(size=count) < inside_rate, rng.uniform(size=count) < outside_rate)
    return inputs, fails


def test_prim_finds_a_clean_planted_box() -> None:
    inputs, fails = planted(2000, 1.0, 0.0)
    box = chosen_box(peel(inputs, fails))
    assert set(box.restricted) == {"fine", "share"}  # markup plays no part, so it is not cut
    assert box.high["fine"] == pytest.approx(0.3, abs=0.03) and box.low["share"] == pytest.approx(0.6, abs=0.03)
    assert box.coverage >= 0.9 and box.density >= 0.95


def test_prim_states_the_coverage_and_density_of_a_noisy_box() -> None:
    # 90% of the runs in the box fail and 5% outside: in the planted box, the density is 0.9 and the coverage
    # 0.12 * 0.9 / (0.12 * 0.9 + 0.88 * 0.05) = 0.71.
    inputs, fails = planted(4000, 0.9, 0.05, seed=1)
    box = chosen_box(peel(inputs, fails))
    assert {"fine", "share"} <= set(box.restricted)
    assert box.density == pytest.approx(0.9, abs=0.06)
    assert box.coverage == pytest.approx(0.71, abs=0.08)
    inside = np.ones(len(inputs), dtype=bool)
    for name in inputs:
        inside &= (inputs[name] >= box.low[name]).to_numpy() & (inputs[name] <= box.high[name]).to_numpy()
    assert box.density == pytest.approx(fails[inside].mean()) and box.mass == pytest.approx(inside.mean())


def test_the_trajectory_starts_with_every_case_and_narrows() -> None:
    inputs, fails = planted(500, 1.0, 0.0)
    trajectory = peel(inputs, fails)
    table = trajectory_frame(trajectory)
    assert table.loc[0, "coverage"] == 1.0 and table.loc[0, "mass"] == 1.0
    assert table.loc[0, "density"] == pytest.approx(fails.mean())
    assert (table["mass"].diff().dropna() < 0).all()  # each peel removes cases
    assert table["mass"].iloc[-1] >= 0.05  # it stops at the minimum mass
    assert table["density"].iloc[-1] == pytest.approx(1.0)


def test_peeling_works_on_a_grid_of_few_values() -> None:
    # Two values per input (a grid sweep): ties at the edges, and the cut still removes cases.
    inputs = pd.DataFrame({"fine": [0.0, 0.0, 1.0, 1.0] * 10, "share": [0.0, 1.0, 0.0, 1.0] * 10})
    fails = ((inputs["fine"] == 0.0) & (inputs["share"] == 1.0)).to_numpy()
    box = chosen_box(peel(inputs, fails))
    assert box.high["fine"] == 0.0 and box.low["share"] == 1.0
    assert box.coverage == 1.0 and box.density == 1.0


def test_discovery_says_when_each_policy_fails_in_words() -> None:
    inputs, fails = planted(400, 1.0, 0.0, seed=2)
    final = inputs.assign(policy="baseline", us_china_ratio=[5.0 if fail else 20.0 for fail in fails])
    found = discover(final, ["fine", "share", "markup"], Target(ratio=10.0),
                     {"fine": "parameters.smuggling_fine_usd_per_chip.value"})
    box = found.boxes.iloc[0]
    assert box["failures"] == fails.sum() and not box["sketch"]
    assert box["words"].startswith("fails when the fine is under 0.")
    assert "USD per chip and the share is above 0." in box["words"]
    assert box["words"].endswith(f"{box['coverage']:.0%} of its failures, {box['density']:.0%} of the runs in the "
                                 "box fail")
    assert set(found.limits["factor"]) == {"fine", "share"}
    assert found.trajectories["chosen"].sum() == 1


def test_discovery_says_so_when_a_policy_never_fails() -> None:
    final = pd.DataFrame({"policy": "tight", "fine": [0.0, 1.0, 2.0], "us_china_ratio": [20.0, 30.0, 40.0]})
    box = discover(final, ["fine"], Target(ratio=10.0)).boxes.iloc[0]
    assert box["words"] == "never misses the target" and not box["sketch"]  # no box, so nothing sketched


def test_limits_are_said_with_their_units() -> None:
    from sim.sweep.discovery import limit_words

    assert limit_words("smuggling_fine", "parameters.smuggling_fine_usd_per_chip.value", None, 120_000) == \
        "the smuggling fine is under 120.0k USD per chip"
    assert limit_words("distillation", "parameters.distillation_gap_share.value", 0.04, None) == \
        "the distillation is above 4.0%"
    assert limit_words("markup", "parameters.smuggling_price_markup.value", 1.5, 1.75) == \
        "the markup is between 1.5 and 1.75"


def test_a_cut_the_data_do_not_support_is_undone() -> None:
    from sim.sweep.prim import Box, restriction_p_value, simplified

    inputs, fails = planted(2000, 1.0, 0.0, seed=3)
    low = {"fine": 0.0, "share": 0.6, "markup": 0.1}  # markup cut at 0.1: it has nothing to do with failing
    high = {"fine": 0.3, "share": 1.0, "markup": 1.0}
    inside = ((inputs["fine"] <= 0.3) & (inputs["share"] >= 0.6) & (inputs["markup"] >= 0.1)).to_numpy()
    box = Box(low, high, fails[inside].sum() / fails.sum(), fails[inside].mean(), inside.mean(),
              ("share", "markup", "fine"))
    assert restriction_p_value(inputs, fails, box, "markup") > 0.5
    assert restriction_p_value(inputs, fails, box, "fine") < 1e-6
    kept = simplified(inputs, fails, box)
    assert kept.restricted == ("share", "fine") and kept.low["markup"] == inputs["markup"].min()
    assert kept.coverage == 1.0 and kept.density == 1.0  # the whole planted box, its stats recomputed
