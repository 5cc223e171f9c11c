"""PRIM, the patient rule induction method (Friedman & Fisher 1999, "Bump hunting in high-dimensional data"), as
scenario discovery uses it (Bryant & Lempert 2010): find a box over the inputs inside which the cases of interest
(here, the runs where a policy fails) are dense.

Peeling starts from the box holding every case. Each step considers, for every input, cutting off the ``alpha``
share of the cases still in the box at its low end or at its high end, and makes the cut that leaves the highest
share of cases of interest in the box. It goes on while the box holds at least ``min_mass`` of all cases. Each box
along the way is one step of the *peeling trajectory*, with its

- coverage: the share of all cases of interest that fall in the box,
- density: the share of the cases in the box that are of interest,
- mass: the share of all cases in the box.

Patience is the small ``alpha``: a greedy cut of 5% at a time leaves room for later cuts on other inputs. Pasting
(growing the box back) is not done: on the sweeps' few hundred runs it rarely moves a limit by more than one case.
No PRIM package installs here (EMA Workbench is not in the lock), so this is written from the paper; its tests plant
a box and check that it is found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

PEEL_ALPHA = 0.05
MIN_MASS = 0.05
# A restriction is kept when the failures in the box would be this unlikely at the density the box has without it.
RESTRICTION_P_VALUE = 0.05


@dataclass(frozen=True)
class Box:
    """One box of the trajectory: limits per input (inclusive), and how well it isolates the cases of interest."""

    low: dict[str, float]
    high: dict[str, float]
    coverage: float
    density: float
    mass: float
    restricted: tuple[str, ...]  # the inputs whose range the box narrows, in the order they were first cut


def box_stats(inside: np.ndarray, interesting: np.ndarray) -> tuple[float, float, float]:
    """(coverage, density, mass) of the runs ``inside`` a region: its share of the interesting runs, the share of its
    runs that are interesting, and its share of all runs."""
    count = inside.sum()
    hits = (interesting & inside).sum()
    return float(hits / max(interesting.sum(), 1)), float(hits / max(count, 1)), float(count / inside.size)


def peel(inputs: pd.DataFrame, interesting: pd.Series | np.ndarray, alpha: float = PEEL_ALPHA,
         min_mass: float = MIN_MASS) -> list[Box]:
    """The peeling trajectory of PRIM: the first box holds every case, each next one is a cut of it."""
    values = inputs.to_numpy(dtype=float)
    wanted = np.asarray(interesting, dtype=bool)
    names = list(inputs.columns)
    low, high = values.min(axis=0), values.max(axis=0)
    inside = np.ones(len(values), dtype=bool)
    order: list[str] = []
    trajectory = [Box(dict(zip(names, low, strict=True)), dict(zip(names, high, strict=True)),
                      *box_stats(inside, wanted), ())]
    while True:
        best = None  # (density after the cut, cases kept, input, side, new limit, cases kept as a mask)
        for column, name in enumerate(names):
            within = values[inside, column]
            for side, limit in (("low", np.quantile(within, alpha)), ("high", np.quantile(within, 1 - alpha))):
                kept = inside & (values[:, column] >= limit if side == "low" else values[:, column] <= limit)
                if side == "low" and not (values[inside, column] < limit).any():
                    # Ties at the edge: cut to the next value up, so a peel always removes something.
                    above = within[within > within.min()]
                    if above.size == 0:
                        continue
                    limit = above.min()
                    kept = inside & (values[:, column] >= limit)
                if side == "high" and not (values[inside, column] > limit).any():
                    below = within[within < within.max()]
                    if below.size == 0:
                        continue
                    limit = below.max()
                    kept = inside & (values[:, column] <= limit)
                if kept.sum() < min_mass * len(values) or kept.sum() == 0:
                    continue
                density = (wanted & kept).sum() / kept.sum()
                # The densest box wins; between equals, the one that keeps more cases (the more patient cut).
                candidate = (density, kept.sum(), name, side, limit, kept)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
        if best is None:
            return trajectory
        _density, _count, name, side, limit, inside = best
        (low if side == "low" else high)[names.index(name)] = limit
        if name not in order:
            order.append(name)
        trajectory.append(Box(dict(zip(names, low, strict=True)), dict(zip(names, high, strict=True)),
                              *box_stats(inside, wanted), tuple(order)))


def chosen_box(trajectory: list[Box]) -> Box:
    """The box an analyst would pick by default: the best product of coverage and density (a box that explains
    most failures and holds mostly failures), the earlier (wider) box on ties."""
    scores = [box.coverage * box.density for box in trajectory]
    return trajectory[int(np.argmax(scores))]


def _inside(values: pd.DataFrame, low: dict[str, float], high: dict[str, float]) -> np.ndarray:
    inside = np.ones(len(values), dtype=bool)
    for name in values.columns:
        inside &= (values[name] >= low[name]).to_numpy() & (values[name] <= high[name]).to_numpy()
    return inside


def in_box(inputs: pd.DataFrame, box: Box) -> np.ndarray:
    """Which cases (rows of ``inputs``) fall in ``box``."""
    return _inside(inputs, box.low, box.high)


def restriction_p_value(inputs: pd.DataFrame, interesting: np.ndarray, box: Box, name: str) -> float:
    """How likely the box's failures would be if its cut on ``name`` did nothing: a one-sided binomial test of the
    box's count at the density of the box with that cut undone (the quasi-p-value of scenario discovery)."""
    inside = _inside(inputs, box.low, box.high)
    widened_low = {**box.low, name: inputs[name].min()}
    widened_high = {**box.high, name: inputs[name].max()}
    widened = _inside(inputs, widened_low, widened_high)
    return float(binomtest(int((interesting & inside).sum()), int(inside.sum()),
                           float(interesting[widened].mean()), alternative="greater").pvalue)


def simplified(inputs: pd.DataFrame, interesting: pd.Series | np.ndarray, box: Box,
               p_value: float = RESTRICTION_P_VALUE) -> Box:
    """The box without the cuts that do not matter: the least significant cut is undone while its p-value is above
    ``p_value``, so a box says only what the data support. Coverage, density and mass are those of the box kept."""
    wanted = np.asarray(interesting, dtype=bool)
    while box.restricted:
        values = {name: restriction_p_value(inputs, wanted, box, name) for name in box.restricted}
        weakest = max(values, key=values.get)
        if values[weakest] <= p_value:
            return box
        low = {**box.low, weakest: float(inputs[weakest].min())}
        high = {**box.high, weakest: float(inputs[weakest].max())}
        box = Box(low, high, *box_stats(_inside(inputs, low, high), wanted),
                  tuple(name for name in box.restricted if name != weakest))
    return box


def trajectory_frame(trajectory: list[Box]) -> pd.DataFrame:
    return pd.DataFrame({
        "step": range(len(trajectory)),
        "coverage": [box.coverage for box in trajectory],
        "density": [box.density for box in trajectory],
        "mass": [box.mass for box in trajectory],
        "restricted": [len(box.restricted) for box in trajectory],
    })
