"""Scenario discovery: for each policy, the conditions under which it misses the target, found with PRIM
(``sim.sweep.prim``) over the uncertain inputs and said in plain words.

A run *fails* when its outcome at the last month falls short of the target (``sim.sweep.outcomes.Target``). PRIM
looks for a box over the inputs the sweep varied in which failures are dense; of the trajectory's boxes the one with
the best coverage x density is picked, its cuts that the data do not support (``sim.sweep.prim.simplified``) are
undone, and the box is reported with its coverage (the share of the policy's failures it holds) and density (the
share of its runs that fail). A box drawn from few
runs or few failures is a sketch, and is flagged as one. A CART tree would cross-check the box, but scikit-learn is
not installed here, so the report says the cross-check was not made.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.style import rounded, unit_of_path
from sim.sweep.outcomes import Target
from sim.sweep.prim import chosen_box, peel, simplified, trajectory_frame

# Below these, a box is a sketch: PRIM's 5% peels need some tens of runs to cut anything, and a box around three
# failures says little about where the next one will be.
MIN_RUNS_FOR_DISCOVERY = 50
MIN_FAILURES_FOR_DISCOVERY = 5
CART_NOTE = "CART cross-check not made: scikit-learn is not installed in this environment."


@dataclass
class Discovery:
    boxes: pd.DataFrame  # per policy: runs, failures, coverage, density, mass, the box in words, a sketch or not
    limits: pd.DataFrame  # per policy and restricted input: the box's low and high limits
    trajectories: pd.DataFrame  # per policy and peeling step: coverage, density, mass, inputs restricted
    cart_note: str = CART_NOTE


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
    """For each policy in ``final`` (a row per run at the last month), the PRIM box of its failures."""
    paths = factor_paths or {}
    boxes, limits, trajectories = [], [], []
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
        where = (f"when {' and '.join(clauses)}" if clauses
                 else "across the inputs' whole ranges (no narrower box does better)")
        boxes.append({**row, "coverage": box.coverage, "density": box.density, "mass": box.mass,
                      "words": f"fails {where}: {box.coverage:.0%} of its failures, "
                               f"{box.density:.0%} of the runs in the box fail"})
        steps = trajectory_frame(trajectory)
        trajectories.append(steps.assign(policy=policy, chosen=steps["step"] == trajectory.index(picked)))
    return Discovery(
        boxes=pd.DataFrame(boxes),
        limits=pd.DataFrame(limits, columns=["policy", "factor", "low", "high"]),
        trajectories=pd.concat(trajectories, ignore_index=True) if trajectories else pd.DataFrame(
            columns=["step", "coverage", "density", "mass", "restricted", "policy", "chosen"]),
    )
