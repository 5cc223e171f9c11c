"""The CART cross-check of scenario discovery: a shallow classification tree (scikit-learn's DecisionTreeClassifier)
of which runs fail, over the same inputs PRIM peels, read back as the leaves where most runs fail.

PRIM finds one box by peeling; a tree splits the inputs' space into leaves by another rule (Breiman et al. 1984), so
where the two point at the same inputs and the same runs the finding does not hang on PRIM's way of searching, and
where they part (a second failure region PRIM's single box leaves out, a split on an input the box leaves free) the
reader should trust neither alone. The tree is kept shallow so each leaf is a sentence of a few conditions, and no
leaf holds fewer runs than PRIM's smallest box, so the two look at regions of the same size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from sim.sweep.prim import MIN_MASS, box_stats

# Three splits give a leaf of at most three conditions: as many as a reader takes in at once.
MAX_DEPTH = 3
# PRIM stops peeling at MIN_MASS of the runs; a leaf smaller than that would be a finding PRIM may not make.
MIN_LEAF_SHARE = MIN_MASS
MIN_LEAF_RUNS = 5
# The tree's own tie-breaking between equally good splits is random: fixed, so a report is the same when rebuilt.
TREE_SEED = 0


@dataclass
class Leaf:
    """A leaf of the tree where most runs fail: its limits per input (None where the leaf leaves that side open)."""

    low: dict[str, float | None]
    high: dict[str, float | None]
    inside: np.ndarray  # which runs fall in the leaf
    coverage: float  # the share of all failures that are in the leaf
    density: float  # the share of the leaf's runs that fail

    @property
    def restricted(self) -> list[str]:
        return [name for name in self.low if self.low[name] is not None or self.high[name] is not None]


def failing_leaves(inputs: pd.DataFrame, fails: np.ndarray) -> list[Leaf]:
    """The regions of a shallow tree fitted to ``fails`` (one bool per row of ``inputs``) where most runs fail, the
    one holding most failures first. Sibling leaves that both fail are one region: the split between them does not
    change the answer, so it is not worth a reader's condition. Empty when no leaf has a majority of failures."""
    fails = np.asarray(fails, dtype=bool)
    min_leaf = max(MIN_LEAF_RUNS, math.ceil(MIN_LEAF_SHARE * len(fails)))
    tree = DecisionTreeClassifier(max_depth=MAX_DEPTH, min_samples_leaf=min_leaf, random_state=TREE_SEED)
    values = inputs.to_numpy(dtype=float)
    tree.fit(values, fails)
    on_path = tree.decision_path(values).toarray().astype(bool)  # a row per run, a column per node it passes
    leaves = []
    for node, (low, high) in _failing_regions(tree, list(inputs.columns), on_path, fails).items():
        inside = on_path[:, node]
        coverage, density, _mass = box_stats(inside, fails)
        leaves.append(Leaf(low=low, high=high, inside=inside, coverage=coverage, density=density))
    return sorted(leaves, key=lambda leaf: -leaf.coverage)


def _failing_regions(tree: DecisionTreeClassifier, names: list[str], on_path: np.ndarray,
                     fails: np.ndarray) -> dict[int, tuple[dict, dict]]:
    """The highest nodes under which every leaf has a majority of failures -> their (low, high) limits per input,
    from the splits on the way down (a run goes left when its value is at most the split's threshold)."""
    structure = tree.tree_

    def all_failing(node: int) -> bool:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf: both children are -1
            inside = on_path[:, node]
            return bool(fails[inside].sum() * 2 > inside.sum())
        return all_failing(left) and all_failing(right)

    found: dict[int, tuple[dict, dict]] = {}

    def descend(node: int, low: dict, high: dict) -> None:
        if all_failing(node):
            found[node] = (low, high)
            return
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:
            return
        name, threshold = names[structure.feature[node]], float(structure.threshold[node])
        tighter_high = threshold if high[name] is None else min(high[name], threshold)
        tighter_low = threshold if low[name] is None else max(low[name], threshold)
        descend(left, low, {**high, name: tighter_high})
        descend(right, {**low, name: tighter_low}, high)

    descend(0, dict.fromkeys(names), dict.fromkeys(names))
    return found


@dataclass
class Agreement:
    verdict: str  # "agree", "partly agree" or "disagree"
    shared_runs: float  # of the runs in PRIM's box or in CART's failing leaves, the share that are in both
    cart_coverage: float  # the share of all failures in CART's failing leaves (together)
    cart_density: float  # the share of the runs in CART's failing leaves (together) that fail
    only_cart: list[str]  # inputs CART's failing leaves restrict and PRIM's box leaves free
    only_prim: list[str]  # inputs PRIM's box restricts and CART's failing leaves leave free


# Both regions restrict the same inputs and share this much of their runs: the same finding, found twice.
AGREE_SHARED_RUNS = 0.75
# Below this share of runs in common (or with no input in common) the two point at different places.
PARTLY_SHARED_RUNS = 0.4


def agreement(in_box: np.ndarray, in_box_inputs: list[str], leaves: list[Leaf], fails: np.ndarray) -> Agreement:
    """How far CART's failing leaves and PRIM's box single out the same runs and the same inputs."""
    in_leaves = np.zeros_like(in_box, dtype=bool)
    for leaf in leaves:
        in_leaves |= leaf.inside
    either = (in_box | in_leaves).sum()
    shared = float((in_box & in_leaves).sum() / either) if either else 0.0
    cart_inputs = list(dict.fromkeys(name for leaf in leaves for name in leaf.restricted))
    only_cart = [name for name in cart_inputs if name not in in_box_inputs]
    only_prim = [name for name in in_box_inputs if name not in cart_inputs]
    if shared >= AGREE_SHARED_RUNS and not only_cart and not only_prim:
        verdict = "agree"
    elif shared >= PARTLY_SHARED_RUNS and set(cart_inputs) & set(in_box_inputs):
        verdict = "partly agree"
    else:
        verdict = "disagree"
    cart_coverage, cart_density, _mass = box_stats(in_leaves, fails)
    return Agreement(verdict=verdict, shared_runs=shared, cart_coverage=cart_coverage, cart_density=cart_density,
                     only_cart=only_cart, only_prim=only_prim)
