"""What a fit says: the fitted values against their ranges, each target's fit and why a missed one is missed, the
fitted scenario (a file that extends the original) and the kept parameter sets. No file IO (``sim.outputs`` writes).
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from sim.calibration import TARGETS, Target
from sim.fit.search import FIT_TARGETS, FitOutcome
from sim.scenario.load import value_at

AT_BOUND = 0.02  # a fitted value this close to an end of its range (as a share of it) is at the bound


def short_path(path: str) -> str:
    """The last two keys of a path (``us_hyperscaler.total_budget_usd_per_month``): enough to tell entries apart
    in a sentence."""
    return ".".join(path.split(".")[-2:])


def _bounds_hit(outcome: FitOutcome) -> list[tuple[str, str]]:
    """(path, "lower" or "upper") for each fitted value at an end of its range."""
    unit = outcome.space.unit(outcome.best["values"])
    return [(path, "lower" if share <= AT_BOUND else "upper")
            for path, share in zip(outcome.space.paths, unit, strict=True)
            if share <= AT_BOUND or share >= 1 - AT_BOUND]


def parameter_table(outcome: FitOutcome) -> pd.DataFrame:
    at_bound = dict(_bounds_hit(outcome))
    rows = []
    for entry in outcome.space.entries:
        rows.append({"path": entry.path, "low": entry.low, "high": entry.high, "scale": entry.scale,
                     "scenario": value_at(outcome.merged, entry.path)[0], "fitted": outcome.best["values"][entry.path],
                     "note": f"at the {at_bound[entry.path]} bound" if entry.path in at_bound else ""})
    return pd.DataFrame(rows)


def _why(target: Target, figures: dict[str, float], outcome: FitOutcome) -> str:
    """One line on why a target stays outside its band at the fitted values."""
    if target.low <= figures["median"] <= target.high:
        return "the median is inside; a seed falls outside: seed-to-seed noise around the band's edge"
    tried = [record for record in outcome.evaluations if record["status"] == "ok"]
    reached = [record for record in tried if record["targets"][target.id]["min"] >= target.low
               and record["targets"][target.id]["max"] <= target.high]
    if reached:
        return (f"met by {len(reached)} of the {len(tried)} sets tried, never together with every other target: "
                "the targets pull the parameters apart")
    medians = [record["targets"][target.id]["median"] for record in tried]
    bounds = "; ".join(f"at the {side} bound of {short_path(path)}" for path, side in _bounds_hit(outcome))
    return (f"no set tried reached it (model {min(medians):.3g} to {max(medians):.3g})"
            + (f"; {bounds}: the range does not reach the target" if bounds
               else ": the uncertain parameters do not move it enough"))


def target_table(outcome: FitOutcome) -> pd.DataFrame:
    rows = []
    for target in TARGETS:
        figures = outcome.best["targets"][target.id]
        ok = target.low <= figures["min"] and figures["max"] <= target.high  # every seed in band, as the fit holds
        rows.append({"target": target.id, "description": target.description, "unit": target.unit,
                     "low": target.low, "high": target.high, "model_median": figures["median"],
                     "model_min": figures["min"], "model_max": figures["max"], "ok": ok,
                     "informational": target.informational,
                     "why": "" if ok or target.informational else _why(target, figures, outcome)})
    return pd.DataFrame(rows)


def fit_citation(outcome: FitOutcome, path: str) -> str:
    entry = outcome.space.entries[outcome.space.paths.index(path)]
    best = outcome.best
    return (f"fit: chipsim calibrate --fit, {outcome.finished_utc}, loss {best['loss']:.3g}, "
            f"{best['targets_met']}/{FIT_TARGETS} targets met on {len(best['seeds'])} seeds, range {entry.low:g} to "
            f"{entry.high:g} ({entry.scale}); the targets cite their sources (sim/calibration.py)")


def _source_overrides(outcome: FitOutcome) -> dict[str, Any]:
    """Overrides that cite the fit for each fitted value, in the source of the nearest object that has one: one key
    of a source mapping, or, for a single citation, a mapping that keeps it for the object's other keys."""
    owners: dict[str, tuple[dict, dict[str, str]]] = {}
    for path in outcome.space.paths:
        parts = path.split(".")
        for depth in range(len(parts) - 1, 0, -1):
            owner = ".".join(parts[:depth])
            node = value_at(outcome.merged, owner)[0]
            if isinstance(node, dict) and "source" in node:
                owners.setdefault(owner, (node, {}))[1][parts[depth]] = fit_citation(outcome, path)
                break
    overrides: dict[str, Any] = {}
    for owner, (node, cited) in owners.items():
        if isinstance(node["source"], dict):
            overrides.update({f"{owner}.source.{key}": citation for key, citation in cited.items()})
        else:
            overrides[f"{owner}.source"] = {**{key: node["source"] for key in node if key != "source"}, **cited}
    return overrides


def fitted_scenario(outcome: FitOutcome, destination_folder: str | os.PathLike) -> dict[str, Any]:
    """The fitted scenario: it extends the original and overrides the fitted values, each citing the fit."""
    scenario = outcome.scenario
    best = outcome.best
    return {
        "name": f"{scenario.name}_fitted",
        "description": (f"{scenario.name} with its uncertain parameters fitted to the calibration targets by chipsim "
                        f"calibrate --fit on {outcome.finished_utc}: loss {best['loss']:.3g}, {best['targets_met']} of "
                        f"{FIT_TARGETS} targets met on each of {len(best['seeds'])} seeds."),
        "extends": os.path.relpath(outcome.scenario_file.resolve(), os.path.abspath(destination_folder)),
        "overrides": {**best["values"], **_source_overrides(outcome)},
    }


def kept_table(outcome: FitOutcome) -> pd.DataFrame:
    """The kept sets: a column per key path, a row per set; what a sweep's ``sample_from`` reads."""
    return pd.DataFrame([record["values"] for record in outcome.kept], columns=outcome.space.paths)
