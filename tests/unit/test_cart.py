"""The CART cross-check on hand-made runs with planted failure regions: the tree's failing leaves, in words, with
their coverage and density, and whether it agrees with PRIM's box."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.sweep.cart import failing_leaves
from sim.sweep.discovery import discover
from sim.sweep.findings import findings_from
from sim.sweep.outcomes import Target
from tests.unit.sweep_made_up import made_up_results

INPUTS = ["markup", "fine", "noise"]
FINE_PATH = "parameters.smuggling_fine_usd_per_chip.value"


def runs(fails_when, count: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    """``count`` runs of one policy over three inputs uniform on [0, 1] (seeded), failing (a 5-month lead against
    20) where ``fails_when(inputs)`` is true."""
    rng = np.random.default_rng(1)
    inputs = pd.DataFrame(rng.uniform(0, 1, (count, 3)), columns=INPUTS)
    fails = np.asarray(fails_when(inputs), dtype=bool)
    return inputs.assign(policy="baseline", lead_months=np.where(fails, 5.0, 20.0)), fails


def test_the_tree_finds_a_planted_box_as_one_failing_leaf() -> None:
    final, fails = runs(lambda x: (x["markup"] < 0.3) & (x["fine"] > 0.6))  # 44 of the 400 runs
    [leaf] = failing_leaves(final[INPUTS], fails)
    assert set(leaf.restricted) == {"markup", "fine"}  # the noise input plays no part
    assert leaf.high["markup"] == pytest.approx(0.3, abs=0.02) and leaf.low["fine"] == pytest.approx(0.6, abs=0.02)
    assert leaf.low["markup"] is None and leaf.high["fine"] is None
    assert leaf.coverage == 1.0 and leaf.density == 1.0 and leaf.inside.sum() == 44


def test_sibling_leaves_that_both_fail_are_one_region() -> None:
    # Above a markup of 0.5 every run fails where the fine is above 0.5 and 70% of them where it is below: the tree
    # splits on the fine there, but both sides mostly fail, so the region a reader needs is the markup alone.
    chance = np.random.default_rng(5).uniform(size=400)
    final, fails = runs(lambda x: (x["markup"] > 0.5) & ((x["fine"] > 0.5) | (chance < 0.7)))
    [leaf] = failing_leaves(final[INPUTS], fails)
    assert leaf.restricted == ["markup"] and leaf.low["markup"] == pytest.approx(0.5, abs=0.02)
    assert leaf.coverage == 1.0 and leaf.density == pytest.approx(fails[final["markup"] > 0.5].mean())


def test_discovery_gives_the_leaf_in_words_and_says_cart_agrees_with_prim() -> None:
    final, fails = runs(lambda x: (x["markup"] < 0.3) & (x["fine"] > 0.6))
    found = discover(final, INPUTS, Target(lead_months=10), {"fine": FINE_PATH})
    leaf = found.cart.iloc[0]
    assert len(found.cart) == 1 and (leaf["runs"], leaf["failures"]) == (44, 44)
    assert leaf["words"] == ("fails when the markup is under 0.288 and the fine is above 0.604 USD per chip: 100% of "
                             "its failures, 100% of the runs in the leaf fail")
    box = found.boxes.iloc[0]
    assert box["cart_verdict"] == "agree"
    assert box["cart_words"].startswith("CART agrees: its failing leaves restrict the same inputs as PRIM's box")


def test_cart_disagrees_when_failures_lie_in_two_regions_no_single_box_holds() -> None:
    # Failures at both ends of the markup's range: PRIM peels one end at a time, and a cut at either end throws
    # failures out, so its box stays the whole range (42% of its runs fail); the tree finds both ends, the larger
    # share of the failures first.
    final, _fails = runs(lambda x: (x["markup"] < 0.2) | (x["markup"] > 0.8))
    found = discover(final, INPUTS, Target(lead_months=10))
    assert found.cart["words"].tolist() == [
        "fails when the markup is above 0.8: 53% of its failures, 100% of the runs in the leaf fail",
        "fails when the markup is under 0.199: 47% of its failures, 100% of the runs in the leaf fail",
    ]
    box = found.boxes.iloc[0]
    assert box["cart_verdict"] == "disagree"
    assert box["cart_words"] == (
        "CART disagrees: CART's failing leaves hold 100% of the failures (100% of their runs fail), PRIM's box 100% "
        "(42%); 42% of the runs in either region are in both; CART also splits on the markup, which PRIM's box "
        "leaves free.")


def test_cart_says_so_when_no_leaf_is_mostly_failures() -> None:
    # One run in ten fails, whatever the inputs: no leaf of 20 runs or more has a majority of failures.
    final, fails = runs(lambda x: np.random.default_rng(7).uniform(size=len(x)) < 0.1)
    found = discover(final, INPUTS, Target(lead_months=10))
    assert found.cart.empty
    box = found.boxes.iloc[0]
    assert box["cart_verdict"] == "no failing leaf"
    assert box["cart_words"].startswith("CART finds no leaf of at least 5% of the runs where most runs fail")


def test_analyse_sweep_gives_the_cart_leaves_as_a_table() -> None:
    # made_up_results: the lead is 10 + 2 x fine (+ the policy's months), so with a target of 11 months the baseline
    # fails where the fine is under 0.5 and "tight" (3 months more) never does.
    results, plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=40, seeds=2)
    found = findings_from(results, plan, Target(lead_months=11))
    assert list(found.discovery.cart.columns) == ["policy", "leaf", "runs", "failures", "coverage", "density", "words"]
    assert set(found.discovery.cart["policy"]) == {"baseline"}
    leaf = found.discovery.cart.iloc[0]
    # The seeds move the lead by +-0.05 months, so runs just by the edge may go either way.
    assert leaf["words"].startswith("fails when the fine is under 0.")
    assert leaf["coverage"] == 1.0 and leaf["density"] >= 0.95
    verdicts = found.discovery.boxes.set_index("policy")["cart_verdict"]
    assert verdicts["baseline"] == "agree" and pd.isna(verdicts["tight"])  # no failure, nothing to cross-check
