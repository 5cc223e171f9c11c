"""One candidate of a fit: the scenario with a set of uncertain values, run over the seeds and held to the targets.

``evaluate_candidate`` is what the process pool pickles and calls, so it is top level, returns plain data and never
raises (a failed run returns its traceback). Every candidate runs the same seeds, so two candidates differ only by
their values: common random numbers make the loss a deterministic function of the values, which the optimiser and
the checkpoint rely on.

The loss follows the targets' own tolerance: per non-informational target, how far the median over seeds lies
outside [low, high], in band widths, squared; zero inside the band. ``spread`` is the same over each seed's
value (the worst seed below and above): zero only when every seed is inside. That is stricter than
``chipsim calibrate``, which holds the median over seeds to the band: a fitted or kept set meets every target on
every seed, so it also meets them by the median.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass
from typing import Any

from sim.calibration import LAST_MONTH_NEEDED, TARGETS, check
from sim.run import run_scenario
from sim.sweep.execute import load_for_run

CALIBRATION_TABLES = ("production",)  # what the targets read besides the bloc and world tables


@dataclass(frozen=True)
class Candidate:
    scenario_file: str
    values: dict[str, Any]  # key path -> value
    seeds: tuple[int, ...]
    merged_sha256: str  # the merged scenario the fit planned on: a file edited since is refused


def band_distance(value: float, low: float, high: float) -> float:
    """How far ``value`` lies outside [low, high], in band widths (infinite for a value the model could not
    measure, such as a share of nothing)."""
    if not math.isfinite(value):
        return math.inf
    return max(low - value, value - high, 0.0) / (high - low)


def target_figures(report: Any) -> dict[str, dict[str, float]]:
    """``sim.calibration.check``'s frame as target id -> median, min, max (what a checkpoint keeps)."""
    return {row.target: {"median": row.model_median, "min": row.model_min, "max": row.model_max}
            for row in report.itertuples()}


def scores(figures: dict[str, dict[str, float]]) -> dict[str, float | int]:
    """Loss (median outside the bands), spread (any seed outside) and how many targets every seed meets."""
    loss = spread = 0.0
    met = 0
    for target in TARGETS:
        if target.informational:
            continue
        figure = figures[target.id]
        loss += band_distance(figure["median"], target.low, target.high) ** 2
        worst = (band_distance(figure["min"], target.low, target.high) ** 2
                 + band_distance(figure["max"], target.low, target.high) ** 2)
        spread += worst
        met += worst == 0.0
    return {"loss": loss, "spread": spread, "targets_met": met}


def evaluate_candidate(candidate: Candidate) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        loaded = load_for_run(candidate.scenario_file, candidate.values, candidate.merged_sha256)
        results = [run_scenario(loaded, seed=seed, until=LAST_MONTH_NEEDED, tables=CALIBRATION_TABLES)
                   for seed in candidate.seeds]
        figures = target_figures(check(results))
    except Exception:  # noqa: BLE001 - a failed candidate is reported with its traceback; the fit goes on
        return {"status": "failed", "error": traceback.format_exc(), "wall_time_s": time.perf_counter() - started}
    return {"status": "ok", "targets": figures, **scores(figures), "wall_time_s": time.perf_counter() - started}
