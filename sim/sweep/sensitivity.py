"""Which uncertain inputs drive each outcome under each policy, told apart from the model's own randomness.

Seeds are averaged within each point first, so what is left varies with the inputs (the seed spread is shown beside
it in the report). Then, per policy and outcome:

- a sweep sampled for it (``sampling: sobol``, Saltelli's design) gets Sobol' indices: first order (the share of
  the outcome's variance an input explains alone) and total (with its interactions), by scipy's estimator on the
  design's blocks, with 95% bootstrap intervals;
- any other sweep gets a first-order index from the data as given: the correlation ratio, the share of the
  outcome's variance explained by the input's quantile bins, with a 95% bootstrap interval and the level that
  shuffled inputs reach (an index below it cannot be told from no effect).

Indices are per policy: an input can matter under one policy and not under another.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import sobol_indices

BOOTSTRAP_SAMPLES = 300
SHUFFLES = 200
# Bins for the correlation ratio: enough to follow a curved effect, few enough to hold several points each.
MAX_BINS = 8


def point_means(final: pd.DataFrame, factors: list[str], outcome: str) -> pd.DataFrame:
    """Each point's inputs and its outcome averaged over its seeds."""
    return final.groupby("point").agg({**{f: "first" for f in factors}, outcome: "mean"})


def correlation_ratio(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    """The share of the variance of y explained by the mean of y within quantile bins of x."""
    if np.var(y) == 0:
        return 0.0
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    labels = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max(len(edges) - 2, 0))
    means = np.bincount(labels, weights=y) / np.maximum(np.bincount(labels), 1)
    return float(np.var(means[labels]) / np.var(y))


def given_data_indices(points: pd.DataFrame, factors: list[str], outcome: str, seed: int = 0) -> pd.DataFrame:
    """First-order indices from the points as sampled, with bootstrap intervals and the shuffled-input level."""
    rng = np.random.default_rng(seed)
    y = points[outcome].to_numpy(dtype=float)
    bins = int(min(MAX_BINS, max(2, len(points) // 5)))
    rows = []
    for factor in factors:
        x = points[factor].to_numpy(dtype=float)
        resampled = [rng.integers(0, len(y), len(y)) for _ in range(BOOTSTRAP_SAMPLES)]
        boot = [correlation_ratio(x[i], y[i], bins) for i in resampled]
        shuffled = [correlation_ratio(rng.permutation(x), y, bins) for _ in range(SHUFFLES)]
        index = correlation_ratio(x, y, bins)
        # The basic (reverse percentile) interval: a resample repeats points, which packs the bins and pushes the
        # index up; reflecting the resamples' quantiles about the estimate takes that shift off, where plain
        # percentiles would carry it (an index of 0.09 came out as 0.06 to 0.42 on the discovery sweep).
        rows.append({"factor": factor, "first_order": index,
                     "first_low": float(np.clip(2 * index - np.quantile(boot, 0.975), 0, 1)),
                     "first_high": float(np.clip(2 * index - np.quantile(boot, 0.025), 0, 1)),
                     "total_order": float("nan"), "total_low": float("nan"), "total_high": float("nan"),
                     "no_effect_level": float(np.quantile(shuffled, 0.95))})
    return pd.DataFrame(rows)


def saltelli_blocks(points: pd.DataFrame, factors: list[str], outcome: str) -> dict[str, np.ndarray] | None:
    """f_A, f_B and f_AB from a Saltelli design (blocks of len(factors) + 2 points), kept to the largest power of
    2 of complete blocks (a partly finished sweep has gaps; the estimator needs a power of 2). None if under 2."""
    width = len(factors) + 2
    blocks = {}
    for point, value in points[outcome].items():
        blocks.setdefault(point // width, {})[point % width] = value
    complete = [block for _index, block in sorted(blocks.items()) if len(block) == width]
    if len(complete) < 2:
        return None
    kept = complete[: 2 ** int(np.log2(len(complete)))]
    values = np.array([[block[role] for role in range(width)] for block in kept])  # (n, d + 2)
    return {"f_A": values[:, 0][None, :], "f_B": values[:, 1][None, :], "f_AB": values[:, 2:].T[:, None, :]}


def sobol_table(points: pd.DataFrame, factors: list[str], outcome: str, seed: int = 0) -> pd.DataFrame | None:
    design = saltelli_blocks(points, factors, outcome)
    if design is None or np.var(np.concatenate([design["f_A"][0], design["f_B"][0]])) == 0:
        return None
    found = sobol_indices(func=design, n=design["f_A"].shape[1])
    with warnings.catch_warnings():
        # An input with no effect has the same index in every resample: scipy warns that its BCa interval is
        # degenerate, and the interval it gives (a point, or NaN) says just that.
        warnings.simplefilter("ignore")
        intervals = found.bootstrap(confidence_level=0.95, n_resamples=BOOTSTRAP_SAMPLES)
    first, total = intervals.first_order.confidence_interval, intervals.total_order.confidence_interval
    # One outcome: scipy drops the outputs' axis, so every array is flattened to one value per factor.
    return pd.DataFrame({
        "factor": factors, "first_order": np.ravel(found.first_order), "first_low": np.ravel(first.low),
        "first_high": np.ravel(first.high), "total_order": np.ravel(found.total_order),
        "total_low": np.ravel(total.low), "total_high": np.ravel(total.high), "no_effect_level": float("nan"),
    })


def sensitivity(final: pd.DataFrame, factors: list[str], outcomes: list[str], sobol: bool) -> pd.DataFrame:
    """Per policy, outcome and input: its index (Sobol' or given-data), interval, and the method used."""
    tables = []
    for policy, runs in final.groupby("policy", sort=False):
        for outcome in outcomes:
            points = point_means(runs, factors, outcome)
            table = sobol_table(points, factors, outcome) if sobol else None
            method = "Sobol'"
            if table is None:
                table, method = given_data_indices(points, factors, outcome), "given data"
            tables.append(table.assign(policy=policy, outcome=outcome, method=method, points=len(points)))
    if not tables:
        return pd.DataFrame()
    columns = ["policy", "outcome", "factor", "method", "points"]
    table = pd.concat(tables, ignore_index=True)
    return table[columns + [c for c in table.columns if c not in columns]]
