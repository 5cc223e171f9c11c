"""What each policy costs besides its aim, from what a sweep records: allied and rest-of-world compute at the end,
chips smuggled and seized, the US bloc's vendors' revenue and the export tariffs collected over the whole run,
intermediaries on the entity list at the end.

Flows recorded month by month (chips, revenue, tariffs) are summed over the run; stocks (compute, listings) are
read at the last month. Each is shown as its median over the policy's runs and as the median paired change against
the reference policy: a fall in the vendors' revenue is the revenue the policy costs them. A sweep run before
revenue and tariffs were recorded (or that left them out of its metrics) lacks them, and the notes say so rather
than guess them.
"""

from __future__ import annotations

import pandas as pd

from sim.sweep.analysis import SCENARIO_KEYS, final_outcomes
from sim.sweep.spec import REVENUE_METRICS

STOCKS_AT_END = {
    "us_allies_effective_h100e": "US & allies' compute at the end (H100e)",
    "rest_effective_h100e": "rest of world's compute at the end (H100e)",
    "intermediaries_listed": "intermediaries listed at the end",
}
FLOWS_OVER_RUN = {
    "smuggled_chips": "chips smuggled over the run",
    "seized_chips": "chips seized over the run",
    "us_allies_vendor_revenue_usd": "US & allies' vendors' revenue over the run (USD)",
    "tariffs_collected_usd": "export tariffs collected over the run (USD)",
}
REVENUE_NOT_RECORDED = ("vendor revenue and export tariffs were not recorded by this sweep (it was run before "
                        "sweeps recorded them, or its metrics leave them out): run it again to see them")
NO_TARIFFS = ("no export tariff was collected in any run: no policy in this sweep lets chips out under an allowance "
              "that charges one (export_allowance's tariff_fraction)")


def side_effect_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """A row per run: the stocks at its last month and the flows summed over its months (where recorded)."""
    final = final_outcomes(results)
    keys = ["run_id", "policy", *SCENARIO_KEYS]
    table = final[keys + [c for c in STOCKS_AT_END if c in final]].set_index("run_id")
    flows = [c for c in FLOWS_OVER_RUN if c in results]
    if flows:
        table = table.join(results.groupby("run_id")[flows].sum())
    return table.reset_index()


def side_effect_notes(results: pd.DataFrame) -> list[str]:
    """What the side-effects table cannot show, or shows as nothing for a reason worth saying."""
    if not set(REVENUE_METRICS) <= set(results.columns):
        return [REVENUE_NOT_RECORDED]
    return [NO_TARIFFS] if (results["tariffs_collected_usd"] == 0).all() else []


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
