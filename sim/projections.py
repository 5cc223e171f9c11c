"""What the model projects, kept apart from what it was calibrated to.

``chipsim project`` runs the scenario library over several seeds and writes two tables for the README:

- **validation**: the baseline against its calibration targets (``sim.calibration``): each target's band and source
  beside the model's median and range over the runs. These numbers were fitted or derived from the sources;
  meeting them is what calibration means.
- **projections**: the US:China ratio, the lead in months and China's effective compute by source at the end of
  2026, 2028 and 2030, for every scenario, median and range over the runs. Nothing was fitted to these: they
  emerge from the calibrated world under each scenario's policies.

The runs are the seeds, or, given the parameter sets a fit kept (``chipsim calibrate --fit --keep N``), every kept
set at every seed: then the ranges carry the calibration's uncertainty as well as the model's randomness.

Runs go to a process pool, one (scenario, seed, kept set) per task; each task sends back only the few numbers the
tables need, not its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.style import compact, figure, source_label

PROJECTION_YEARS = ("2026", "2028", "2030")

Progress = Callable[[int], None]  # called with the number of runs done so far


@dataclass(frozen=True)
class ScenarioRun:
    """One (scenario, seed, kept set) run, reduced to what the projection table reads: a row per projection year."""

    scenario: str
    seed: int
    kept_set: int | None
    rows: list[dict]


@dataclass(frozen=True)
class ProjectionTask:
    """A run to make: the scenario file, the seed and, when projecting over a fit's kept sets, which set and its
    values (key path -> value, applied as overrides)."""

    path: str
    seed: int
    kept_set: int | None = None
    overrides: tuple[tuple[str, float], ...] = ()


def tasks_for(paths: Sequence[Path], seeds: int, kept_sets: Sequence[Mapping[str, float]] = ()) -> list[ProjectionTask]:
    """Every scenario at seeds 0..seeds-1, under each kept parameter set if there are any."""
    sets: list[tuple[int | None, tuple[tuple[str, float], ...]]] = (
        [(index, tuple(values.items())) for index, values in enumerate(kept_sets)] or [(None, ())])
    return [ProjectionTask(str(path), seed, index, overrides)
            for path in paths for index, overrides in sets for seed in range(seeds)]


def read_kept_sets(path: Path) -> list[dict[str, float]]:
    """The parameter sets a fit kept (a CSV, a column per key path, as ``--keep`` writes it), checked as a sweep's
    ``sample_from`` table is."""
    from sim.sweep.sample_file import read_sample_file

    table = read_sample_file(path)
    path_of = {factor.name: factor.path for factor in table.factors}
    return [{path_of[name]: value for name, value in point.items()} for point in table.points]


def measure_calibration(task: ProjectionTask) -> dict[str, float]:
    """The baseline to the last month the calibration targets read, for one seed and kept set: each target's
    figure (``sim.calibration.judge`` compares them with the bands)."""
    from sim.calibration import LAST_MONTH_NEEDED, measure
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    return measure(run_scenario(load_scenario(task.path, dict(task.overrides)), seed=task.seed,
                                until=LAST_MONTH_NEEDED))


def project_one(task: ProjectionTask) -> ScenarioRun:
    """One run, reduced to the projection years' ratio, lead and China's compute by source (the end-of-run
    tables of ``sim.report`` at those Decembers)."""
    from sim.report import china_sources_table, summary_table
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    result = run_scenario(load_scenario(task.path, dict(task.overrides)), seed=task.seed, tables=())
    summary, sources = summary_table(result), china_sources_table(result)
    rows = []
    for year in PROJECTION_YEARS:
        date = f"{year}-12"
        if date not in summary.index:
            continue
        row = {"year": year, **{column: float(summary.at[date, column])
                                for column in ("us_china_ratio", "lead_months", "china_h100e")}}
        row.update({f"china_{source}": float(sources.at[date, source]) for source in sources.columns})
        rows.append(row)
    return ScenarioRun(result.scenario.name, task.seed, task.kept_set, rows)


def _in_pool(function: Callable, tasks: Sequence[ProjectionTask], workers: int, progress: Progress | None) -> list:
    from sim.sweep.runner import make_executor

    results = []
    with make_executor("process", workers, None) as pool:
        for done, result in enumerate(pool.map(function, tasks), start=1):
            results.append(result)
            if progress:
                progress(done)
    return results


def validation_figures(baseline: Path, seeds: int, kept_sets: Sequence[Mapping[str, float]], workers: int,
                       progress: Progress | None = None) -> list[dict[str, float]]:
    """The calibration targets' figures of the baseline at every seed (and kept set)."""
    return _in_pool(measure_calibration, tasks_for([baseline], seeds, kept_sets), workers, progress)


def library_runs(paths: Sequence[Path], seeds: int, kept_sets: Sequence[Mapping[str, float]], workers: int,
                 progress: Progress | None = None) -> pd.DataFrame:
    """Every scenario's runs: one row per (scenario, seed, kept set, projection year)."""
    runs: list[ScenarioRun] = _in_pool(project_one, tasks_for(paths, seeds, kept_sets), workers, progress)
    return pd.DataFrame([{"scenario": run.scenario, "seed": run.seed, "kept_set": run.kept_set, **row}
                         for run in runs for row in run.rows])


def _median_and_range(values: pd.Series, fmt: Callable[[float], str]) -> str:
    if values.min() == values.max():
        return fmt(values.median())
    return f"{fmt(values.median())} ({fmt(values.min())}-{fmt(values.max())})"


def projections_markdown(runs: pd.DataFrame) -> str:
    """The projection table: per scenario and year, the ratio, the lead and China's compute, median (range)."""
    sources = [c.removeprefix("china_") for c in runs.columns if c.startswith("china_") and c != "china_h100e"]
    headings = ["scenario", "year", "US:China", "lead (months)", "China, H100e",
                *(f"China {source_label(source)}" for source in sources)]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for (scenario, year), rows in runs.groupby(["scenario", "year"], sort=False):
        cells = [scenario, year,
                 _median_and_range(rows["us_china_ratio"], lambda v: f"{v:.1f}x"),
                 _median_and_range(rows["lead_months"], lambda v: f"{v:.1f}"),
                 _median_and_range(rows["china_h100e"], compact),
                 *(compact(rows[f"china_{source}"].median()) for source in sources)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def validation_markdown(report: pd.DataFrame) -> str:
    """The validation table from ``sim.calibration.judge``: target, model median (range), band, source."""
    lines = ["| target | model median (range over runs) | target band | source | met |", "|---|---|---|---|---|"]
    for row in report.itertuples():
        met = ("yes" if row.ok else "no") + (" (shown, not checked)" if row.informational else "")
        lines.append(f"| {row.description} | {figure(row.model_median, row.unit)} ({figure(row.model_min, row.unit)} "
                     f"to {figure(row.model_max, row.unit)}) | {figure(row.low, row.unit)} to "
                     f"{figure(row.high, row.unit)} | `{row.source}` | {met} |")
    return "\n".join(lines)


def projections_page(command: str, day: str, over: str, figures: list[dict[str, float]], runs: pd.DataFrame) -> str:
    """The page ``chipsim project`` writes: the validation table, then the projections, each saying over what."""
    from sim.calibration import judge

    return (
        f"<!-- Written by `{command}` on {day}; do not edit. -->\n"
        f"# Validation and projections\n\n"
        f"## Validation: the baseline against its calibration targets ({over})\n\n"
        f"These figures are what the baseline was calibrated to (derived from the sources, or fitted).\n\n"
        f"{validation_markdown(judge(figures))}\n\n"
        f"## Projections: what emerges ({over}; median, range over the runs in brackets)\n\n"
        f"Nothing was fitted to these. China's compute by source is the median over the runs, in H100e.\n\n"
        f"{projections_markdown(runs)}\n"
    )
