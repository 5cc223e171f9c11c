"""Hand-made sweep results whose answers are known, for the report's tests (no model runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHS = ["2030-10", "2030-11", "2030-12"]


def made_up_results(policies: dict[str, float], points: int = 8, seeds: int = 2, factors: dict | None = None,
                    seed_noise: float = 0.1, rng_seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, plan) for ``policies`` (name -> months of lead it adds) over ``points`` x ``seeds``.

    Factors are drawn uniformly on [0, 1] per point (``factors``: name -> effect on the lead per unit); China's
    compute falls as the lead grows, so a policy that adds lead lowers it in every pair."""
    rng = np.random.default_rng(rng_seed)
    factors = factors if factors is not None else {"fine": 2.0, "noise_input": 0.0}
    values = {name: rng.uniform(0, 1, points) for name in factors}
    plan_rows, result_rows = [], []
    for policy, added in policies.items():
        for point in range(points):
            for seed in range(seeds):
                run_id = f"{policy}-{point}-{seed}"
                inputs = {name: float(values[name][point]) for name in factors}
                lead = 10.0 + added + sum(effect * inputs[name] for name, effect in factors.items()) \
                    + seed_noise * (seed - (seeds - 1) / 2)
                plan_rows.append({"run_id": run_id, "policy": policy, "point": point, "seed": seed, **inputs})
                for month_index, date in enumerate(MONTHS):
                    grown = lead * (0.9 + 0.05 * month_index)
                    china = 2e6 * np.exp(-grown / 20)
                    result_rows.append({"run_id": run_id, "date": date, "tick": month_index, "lead_months": grown,
                                        "us_china_ratio": grown / 2, "china_effective_h100e": china,
                                        "china_installed_h100e_domestic": china * 0.6,
                                        "china_installed_h100e_smuggled": china * 0.4,
                                        "us_allies_effective_h100e": china * grown / 2,
                                        "rest_effective_h100e": 1e6, "smuggled_chips": 100.0 / (1 + added),
                                        "seized_chips": 10.0, "intermediaries_listed": float(added)})
    plan = pd.DataFrame(plan_rows)
    return plan.merge(pd.DataFrame(result_rows), on="run_id"), plan
