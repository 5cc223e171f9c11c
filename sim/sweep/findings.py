"""A sweep's findings as DataFrames, from its folder or from a results table: what the report shows, for Python too.

``analyse_sweep(folder)`` reads a sweep folder (finished or not) and returns every table the report is drawn from.
What a sweep cannot show (one policy: no comparison; no varied input: no discovery or sensitivity; one seed: no
seed spread) is said in ``limits``, never raised: a partial sweep still has findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.style import factor_label
from sim.sweep.analysis import (
    HEADLINE_OUTCOMES,
    MIN_PAIRS_FOR_INTERVAL,
    factor_columns,
    final_outcomes,
    paired_differences,
    ranking,
    seed_and_input_spread,
    varied_factors,
)
from sim.sweep.discovery import Discovery, discover
from sim.sweep.outcomes import Target
from sim.sweep.sensitivity import sensitivity
from sim.sweep.side_effects import side_effects

# The lead and China's compute: the ratio moves with the lead, so its indices would repeat the lead's.
SENSITIVITY_OUTCOMES = ("lead_months", "china_effective_h100e")


@dataclass
class SweepFindings:
    name: str
    description: str
    target: Target
    reference: str
    results: pd.DataFrame  # a row per finished run and month
    final: pd.DataFrame  # a row per finished run, at the last month
    policies: pd.DataFrame  # policy -> description, runs planned and finished
    factors: pd.DataFrame  # factor -> scenario key, label, varied or not
    ranking: pd.DataFrame
    paired: pd.DataFrame
    spread: pd.DataFrame
    discovery: Discovery
    sensitivity: pd.DataFrame  # per policy, outcome and varied input: its index, interval and method
    side_effects: pd.DataFrame  # per policy and side effect: median, and median change against the reference
    planned_runs: int
    failed_runs: int
    notes: list[str] = field(default_factory=list)  # damaged files left out
    limits: list[str] = field(default_factory=list)  # what this sweep cannot show, and why

    @property
    def varied(self) -> list[str]:
        return list(self.factors.index[self.factors["varied"]])


def findings_from(results: pd.DataFrame, plan: pd.DataFrame, target: Target, *, name: str = "",
                  description: str = "", reference: str | None = None, factor_paths: dict[str, str] | None = None,
                  policy_descriptions: dict[str, str] | None = None, sampling: str = "", failed_runs: int = 0,
                  notes: list[str] | None = None) -> SweepFindings:
    """Every table of the report from a tidy results table (a row per run and month) and the sweep's plan."""
    final = final_outcomes(results)
    policies = list(dict.fromkeys(plan["policy"]))
    finished = [p for p in policies if p in set(final["policy"])]
    if reference not in finished:
        reference = "baseline" if "baseline" in finished else finished[0]
    factors = factor_columns(plan)
    varied = varied_factors(final, factors)
    paths = factor_paths or {}
    factor_table = pd.DataFrame({
        "path": [paths.get(f, "") for f in factors],
        "label": [factor_label(f, paths.get(f, "")) for f in factors],
        "varied": [f in varied for f in factors],
    }, index=pd.Index(factors, name="factor"))
    described = policy_descriptions or {}
    policy_table = pd.DataFrame({
        "description": [described.get(p, "") for p in policies],
        "planned": plan.groupby("policy").size().reindex(policies).to_numpy(),
        "finished": final.groupby("policy").size().reindex(policies, fill_value=0).to_numpy(),
    }, index=pd.Index(policies, name="policy"))
    outcomes = [o for o in HEADLINE_OUTCOMES if o in final.columns]
    paired = paired_differences(final, reference, outcomes)
    limits = []
    if len(finished) < 2:
        limits.append("one policy has results, so nothing is compared: no paired differences or regret")
    if not varied:
        limits.append("no uncertain input varies across the finished runs, so nothing says when a policy fails or "
                      "which input matters: only seeds differ")
    if final["seed"].nunique() < 2:
        limits.append("one seed per point, so chance cannot be told from the inputs' effect (no seed spread)")
    if not paired.empty and paired["few_pairs"].any():
        limits.append(f"some comparisons rest on fewer than {MIN_PAIRS_FOR_INTERVAL} pairs: their intervals are "
                      "flagged and too narrow to trust")
    if len(finished) < len(policies):
        missing = ", ".join(p for p in policies if p not in finished)
        limits.append(f"no finished runs yet for {missing}")
    return SweepFindings(
        name=name, description=description, target=target, reference=reference, results=results, final=final,
        policies=policy_table, factors=factor_table, ranking=ranking(final, target), paired=paired,
        spread=seed_and_input_spread(final, outcomes), discovery=discover(final, varied, target, paths),
        sensitivity=sensitivity(final, varied, [o for o in SENSITIVITY_OUTCOMES if o in final],
                                sampling == "sobol")
        if varied else pd.DataFrame(),
        side_effects=side_effects(results, reference),
        planned_runs=len(plan), failed_runs=failed_runs,
        notes=list(notes or []), limits=limits,
    )


def analyse_sweep(folder: str | Path, target: Target | None = None) -> SweepFindings:
    """The findings of the sweep in ``folder``. SweepFolderError when it has no plan or no finished run."""
    from sim.sweep.folder import SweepFolderError, read_results

    folder = Path(folder)
    read = read_results(folder)
    if read.frame.empty:
        damaged = f" ({len(read.notes)} damaged files or lines: {'; '.join(read.notes[:3])})" if read.notes else ""
        raise SweepFolderError(f"{folder} has no finished runs to report on{damaged}")
    plan = read.plan
    failed = {record.get("run_id") for record in read.manifest.failed} & set(plan.runs["run_id"])
    return findings_from(read.frame, plan.runs, target or Target(), name=plan.name or folder.name,
                         description=plan.description, reference=plan.reference, factor_paths=plan.factor_paths,
                         policy_descriptions=plan.policy_descriptions, sampling=plan.sampling, failed_runs=len(failed),
                         notes=read.notes)
