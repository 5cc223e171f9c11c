"""What a sweep says, as tables (no HTML, no files): rankings, paired differences, seed against input spread.

A *scenario* is one (point, seed): the same world, with every policy run in it, so policies are compared in pairs.
A *point* is one draw of the uncertain inputs; its seeds are the model's own randomness. The two are kept apart:
what an input changes is told from what chance alone changes by comparing the spread across points with the spread
across the seeds of one point. Outcomes are read at the sweep's last month. Regret is how far a policy's lead falls
short of the best policy in the same scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.sweep.outcomes import Target, direction

SCENARIO_KEYS = ["point", "seed"]
RUN_KEYS = ("run_id", "policy", "point", "seed")
RANKING_OUTCOME = "lead_months"
HEADLINE_OUTCOMES = ("lead_months", "us_china_ratio", "china_effective_h100e")
BOOTSTRAP_SAMPLES = 2000
# Below this many pairs a bootstrap interval of a mean is too narrow to trust (it cannot see the tails it has not
# sampled): it is shown, flagged.
MIN_PAIRS_FOR_INTERVAL = 20


def final_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its inputs and its outcomes at the last month."""
    last = results["date"].max()
    return results[results["date"] == last].reset_index(drop=True)


def factor_columns(plan: pd.DataFrame) -> list[str]:
    return [column for column in plan.columns if column not in RUN_KEYS]


def varied_factors(final: pd.DataFrame, factors: list[str]) -> list[str]:
    """The factors that take more than one numeric value in the finished runs: the ones an analysis can read."""
    return [f for f in factors if pd.api.types.is_numeric_dtype(final[f]) and final[f].nunique() > 1]


def ranking(final: pd.DataFrame, target: Target) -> pd.DataFrame:
    """Per policy: median and 10th percentile of the lead, regret against the best policy, share meeting the target."""
    best = final.groupby(SCENARIO_KEYS)[RANKING_OUTCOME].transform("max")
    final = final.assign(regret=best - final[RANKING_OUTCOME], meets=target.met(final[target.metric]))
    table = final.groupby("policy").agg(
        median_lead_months=(RANKING_OUTCOME, "median"),
        p10_lead_months=(RANKING_OUTCOME, lambda v: v.quantile(0.10)),
        median_ratio=("us_china_ratio", "median"),
        median_regret_months=("regret", "median"),
        max_regret_months=("regret", "max"),
        share_meeting_target=("meets", "mean"),
        runs=("run_id", "count"),
    )
    table = table.sort_values(["median_lead_months", "p10_lead_months"], ascending=False)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def paired_differences(final: pd.DataFrame, reference: str, outcomes: list[str], seed: int = 0) -> pd.DataFrame:
    """Per policy and outcome: mean of (policy - reference) over shared scenarios, with a 95% bootstrap interval,
    the share of scenarios where the policy did better for the US bloc (by the outcome's direction; NaN for an
    outcome with none), and whether the interval rests on too few pairs to trust."""
    rng = np.random.default_rng(seed)
    base = final[final["policy"] == reference].set_index(SCENARIO_KEYS)
    rows = []
    for policy, group in final[final["policy"] != reference].groupby("policy"):
        joined = group.set_index(SCENARIO_KEYS).join(base, rsuffix="_ref", how="inner")
        for outcome in outcomes:
            differences = (joined[outcome] - joined[f"{outcome}_ref"]).to_numpy(dtype=float)
            if len(differences) == 0:
                continue
            means = rng.choice(differences, size=(BOOTSTRAP_SAMPLES, len(differences))).mean(axis=1)
            sign = direction(outcome)
            rows.append({
                "policy": policy, "outcome": outcome, "pairs": len(differences),
                "mean_difference": float(differences.mean()),
                "ci95_low": float(np.quantile(means, 0.025)), "ci95_high": float(np.quantile(means, 0.975)),
                "share_better": float((sign * differences > 0).mean()) if sign else float("nan"),
                "few_pairs": len(differences) < MIN_PAIRS_FOR_INTERVAL,
            })
    return pd.DataFrame(rows)


def seed_and_input_spread(final: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per policy and outcome: the spread the uncertain inputs make beside the spread chance alone makes.

    Input spread: the standard deviation across points of each point's mean over its seeds. Seed spread: the
    standard deviation across the seeds of one point, pooled over points. NaN where the sweep cannot tell (one seed,
    or one point). An input effect smaller than the seed spread cannot be read from a handful of seeds."""
    rows = []
    for policy, group in final.groupby("policy"):
        for outcome in outcomes:
            by_point = group.groupby("point")[outcome]
            within = by_point.var(ddof=1).dropna()
            point_means = by_point.mean()
            rows.append({
                "policy": policy, "outcome": outcome,
                "points": int(point_means.size), "seeds_per_point": float(by_point.size().median()),
                "input_spread": float(point_means.std(ddof=1)) if point_means.size > 1 else float("nan"),
                "seed_spread": float(np.sqrt(within.mean())) if within.size else float("nan"),
            })
    return pd.DataFrame(rows)


def bands(results: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per policy and month: 5th, 50th and 95th percentiles of an outcome across scenarios."""
    grouped = results.groupby(["policy", "date"])[outcome]
    return pd.DataFrame({
        "p05": grouped.quantile(0.05), "median": grouped.quantile(0.5), "p95": grouped.quantile(0.95)
    }).reset_index()
