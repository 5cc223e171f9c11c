"""What each policy costs besides its aim, from what a sweep records: allied and rest-of-world compute at the end,
chips smuggled and seized over the whole run, intermediaries on the entity list at the end.

Flows recorded month by month (smuggled and seized chips) are summed over the run; stocks (compute, listings) are
read at the last month. Each is shown as its median over the policy's runs and as the median paired change against
the reference policy. Vendor revenue and export tariffs are in a run's ``revenue`` table, which sweep runs do not
record (they keep only the bloc and world metrics), so the report says so instead of guessing them.
"""

from __future__ import annotations

import pandas as pd

from sim.sweep.analysis import SCENARIO_KEYS, final_outcomes

STOCKS_AT_END = {
    "us_allies_effective_h100e": "US & allies' compute at the end (H100e)",
    "rest_effective_h100e": "rest of world's compute at the end (H100e)",
    "intermediaries_listed": "intermediaries listed at the end",
}
FLOWS_OVER_RUN = {
    "smuggled_chips": "chips smuggled over the run",
    "seized_chips": "chips seized over the run",
}
NOT_RECORDED = ("vendor revenue lost and export tariffs collected are not recorded by sweep runs (only a single "
                "run's revenue table has them: chipsim run, or run_scenario(..., tables=['revenue']))")


def side_effect_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """A row per run: the stocks at its last month and the flows summed over its months (where recorded)."""
    final = final_outcomes(results)
    keys = ["run_id", "policy", *SCENARIO_KEYS]
    table = final[keys + [c for c in STOCKS_AT_END if c in final]].set_index("run_id")
    flows = [c for c in FLOWS_OVER_RUN if c in results]
    if flows:
        table = table.join(results.groupby("run_id")[flows].sum())
    return table.reset_index()


def side_effects(results: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per policy and side effect: the median over its runs, and the median paired change against ``reference``."""
    per_run = side_effect_outcomes(results)
    labels = {**STOCKS_AT_END, **FLOWS_OVER_RUN}
    measured = [c for c in labels if c in per_run]
    base = per_run[per_run["policy"] == reference].set_index(SCENARIO_KEYS)[measured]
    rows = []
    for policy, runs in per_run.groupby("policy", sort=False):
        changes = runs.set_index(SCENARIO_KEYS)[measured] - base.reindex(runs.set_index(SCENARIO_KEYS).index)
        for column in measured:
            rows.append({"policy": policy, "side_effect": labels[column], "median": float(runs[column].median()),
                         "median_change": float("nan") if policy == reference else float(changes[column].median())})
    return pd.DataFrame(rows, columns=["policy", "side_effect", "median", "median_change"])
