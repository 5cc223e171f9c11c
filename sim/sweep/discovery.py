"""Scenario discovery: for each policy, the conditions under which it misses the target, found with PRIM
(``sim.sweep.prim``) over the uncertain inputs and cross-checked with a CART tree (``sim.sweep.cart``), in plain words.

A run *fails* when its outcome at the last month falls short of the target (``sim.sweep.outcomes.Target``). PRIM
looks for a box over the inputs the sweep varied in which failures are dense; of the trajectory's boxes the one with
the best coverage x density is picked, its cuts that the data do not support (``sim.sweep.prim.simplified``) are
undone, and the box is reported with its coverage (the share of the policy's failures it holds) and density (the
share of its runs that fail). A box drawn from few
runs or few failures is a sketch, and is flagged as one. Beside the box, the leaves of a shallow classification tree
where most runs fail, each with its coverage and density, and whether tree and box agree: the same inputs and most
of the same runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.style import rounded, unit_of_path
from sim.sweep.cart import MAX_DEPTH, MIN_LEAF_SHARE, Agreement, Leaf, agreement, failing_leaves
from sim.sweep.outcomes import Target
from sim.sweep.prim import Box, chosen_box, in_box, peel, simplified, trajectory_frame

# Below these, a box is a sketch: PRIM's 5% peels need some tens of runs to cut anything, and a box around three
# failures says little about where the next one will be.
MIN_RUNS_FOR_DISCOVERY = 50
MIN_FAILURES_FOR_DISCOVERY = 5
CART_COLUMNS = ["policy", "leaf", "runs", "failures", "coverage", "density", "words"]


@dataclass
class Discovery:
    boxes: pd.DataFrame  # per policy: runs, failures, coverage, density, mass, the box in words, a sketch or not,
    # and the CART cross-check: its verdict (agree, partly agree, disagree) and what it says, in words
    limits: pd.DataFrame  # per policy and restricted input: the box's low and high limits
    trajectories: pd.DataFrame  # per policy and peeling step: coverage, density, mass, inputs restricted
    cart: pd.DataFrame  # per policy and CART leaf where most runs fail: runs, failures, coverage, density, words


BOX_COLUMNS = ["policy", "runs", "failures", "coverage", "density", "mass", "sketch", "words", "cart_verdict",
               "cart_words"]


def limit_words(name: str, path: str, low: float | None, high: float | None) -> str:
    """'the smuggling fine is under 120k USD per chip', with the unit its scenario key names."""
    unit = unit_of_path(path)

    def value(number: float) -> str:
        return f"{number:.1%}" if unit == "share" else f"{rounded(number)}{f' {unit}' if unit else ''}"

    subject = f"the {name.replace('_', ' ')}"
    if low is not None and high is not None:
        return f"{subject} is between {value(low)} and {value(high)}"
    if high is not None:
        return f"{subject} is under {value(high)}"
    return f"{subject} is above {value(low)}"


def discover(final: pd.DataFrame, varied: list[str], target: Target,
             factor_paths: dict[str, str] | None = None) -> Discovery:
    """For each policy in ``final`` (a row per run at the last month), the PRIM box of its failures and the CART
    leaves that cross-check it."""
    paths = factor_paths or {}
    boxes, limits, trajectories, cart = [], [], [], []
    for policy, runs in final.groupby("policy", sort=False):
        fails = ~target.met(runs[target.metric]).to_numpy()
        row = {"policy": policy, "runs": len(runs), "failures": int(fails.sum()), "coverage": float("nan"),
               "density": float("nan"), "mass": float("nan"),
               "sketch": len(runs) < MIN_RUNS_FOR_DISCOVERY or fails.sum() < MIN_FAILURES_FOR_DISCOVERY}
        if not varied:
            boxes.append({**row, "words": "no input varies, so there is no condition to find", "sketch": False})
            continue
        if fails.sum() == 0 or fails.all():
            words = "never misses the target" if fails.sum() == 0 else "misses the target in every run"
            boxes.append({**row, "words": words, "sketch": False})  # no box drawn, so no sketch of one
            continue
        inputs = runs[varied]
        trajectory = peel(inputs, fails)
        picked = chosen_box(trajectory)
        box = simplified(inputs, fails, picked)
        clauses = []
        for name in box.restricted:
            low = box.low[name] if box.low[name] > inputs[name].min() else None
            high = box.high[name] if box.high[name] < inputs[name].max() else None
            limits.append({"policy": policy, "factor": name, "low": low, "high": high})
            clauses.append(limit_words(name, paths.get(name, ""), low, high))
        leaves = failing_leaves(inputs, fails)
        cart += [{"policy": policy, **leaf_row} for leaf_row in leaf_rows(leaves, fails, paths)]
        verdict = agreement(in_box(inputs, box), list(box.restricted), leaves, fails) if leaves else None
        boxes.append({**row, "coverage": box.coverage, "density": box.density, "mass": box.mass,
                      "words": failure_words(clauses, "no narrower box does better", box.coverage, box.density,
                                             "box"),
                      "cart_verdict": verdict.verdict if verdict else "no failing leaf",
                      "cart_words": agreement_words(verdict, box)})
        steps = trajectory_frame(trajectory)
        trajectories.append(steps.assign(policy=policy, chosen=steps["step"] == trajectory.index(picked)))
    return Discovery(
        boxes=pd.DataFrame(boxes).reindex(columns=BOX_COLUMNS),
        limits=pd.DataFrame(limits, columns=["policy", "factor", "low", "high"]),
        trajectories=pd.concat(trajectories, ignore_index=True) if trajectories else pd.DataFrame(
            columns=["step", "coverage", "density", "mass", "restricted", "policy", "chosen"]),
        cart=pd.DataFrame(cart, columns=CART_COLUMNS),
    )


def leaf_rows(leaves: list[Leaf], fails: np.ndarray, paths: dict[str, str]) -> list[dict]:
    """CART's failing leaves as rows: their size, coverage and density, and their conditions in words."""
    rows = []
    for number, leaf in enumerate(leaves, start=1):
        clauses = [limit_words(name, paths.get(name, ""), leaf.low[name], leaf.high[name]) for name in leaf.restricted]
        rows.append({"leaf": number, "runs": int(leaf.inside.sum()), "failures": int(fails[leaf.inside].sum()),
                     "coverage": leaf.coverage, "density": leaf.density,
                     "words": failure_words(clauses, "the tree makes no split", leaf.coverage, leaf.density, "leaf")})
    return rows


def failure_words(clauses: list[str], why_unbounded: str, coverage: float, density: float, region: str) -> str:
    """Where a policy fails, as a sentence: the region's limits (or the inputs' whole ranges, and why), the share of
    the failures in it and the share of its runs that fail."""
    where = f"when {' and '.join(clauses)}" if clauses else f"across the inputs' whole ranges ({why_unbounded})"
    return f"fails {where}: {coverage:.0%} of its failures, {density:.0%} of the runs in the {region} fail"


def agreement_words(found: Agreement | None, box: Box) -> str:
    """What the CART cross-check says of PRIM's box, as a sentence."""
    if found is None:
        return (f"CART finds no leaf of at least {MIN_LEAF_SHARE:.0%} of the runs where most runs fail (the failures "
                f"are too few or too scattered for a tree of {MAX_DEPTH} splits), so it does not back PRIM's box.")

    def names(inputs: list[str]) -> str:
        return " and ".join(f"the {name.replace('_', ' ')}" for name in inputs)

    shared = f"{found.shared_runs:.0%} of the runs in either region are in both"
    if found.verdict == "agree":
        return f"CART agrees: its failing leaves restrict the same inputs as PRIM's box, and {shared}."
    parts = [f"CART's failing leaves hold {found.cart_coverage:.0%} of the failures ({found.cart_density:.0%} of their "
             f"runs fail), PRIM's box {box.coverage:.0%} ({box.density:.0%})", shared]
    if found.only_cart:
        parts.append(f"CART also splits on {names(found.only_cart)}, which PRIM's box leaves free")
    if found.only_prim:
        parts.append(f"PRIM's box also restricts {names(found.only_prim)}, which CART's failing leaves leave free")
    return f"CART {'partly agrees' if found.verdict == 'partly agree' else 'disagrees'}: {'; '.join(parts)}."
