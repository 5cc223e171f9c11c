"""What the model projects, kept apart from what it was calibrated to.

``chipsim project`` runs the scenario library over several seeds and writes two tables for the README:

- **validation**: the baseline against its calibration targets (``sim.calibration``): each target's band and source
  beside the model's median and range over the seeds. These numbers were fitted or derived from the sources;
  meeting them is what calibration means.
- **projections**: the US:China ratio, the lead in months and China's effective compute by source at the end of
  2026, 2028 and 2030, for every scenario, median and range over the seeds. Nothing was fitted to these: they
  emerge from the calibrated world under each scenario's policies.

Runs go to a process pool, one (scenario, seed) per task; each task sends back only the few numbers the tables
need, not its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.report import china_sources
from sim.style import compact

PROJECTION_YEARS = ("2026", "2028", "2030")
CHINA_SOURCE_HEADINGS = {"domestic": "domestic", "import": "import", "smuggled": "smuggled", "proxy_fab": "proxy fab",
                         "rented_offshore": "rented", "distillation": "distillation"}


@dataclass(frozen=True)
class ScenarioRun:
    """One (scenario, seed) run, reduced to what the projection table reads: a row per projection year."""

    scenario: str
    seed: int
    rows: list[dict]


def _project_one(task: tuple[str, int, tuple[str, ...]]) -> ScenarioRun:
    from sim.run import run_scenario

    path, seed, years = task
    result = run_scenario(path, seed=seed, tables=())
    world = result.world.set_index("date")
    china = result.blocs[result.blocs["bloc"] == "china"].set_index("date")
    layers = pd.DataFrame(china_sources(china))
    rows = []
    for year in years:
        date = f"{year}-12"
        if date not in world.index:
            continue
        row = {"year": year, "us_china_ratio": float(world.at[date, "us_china_ratio"]),
               "lead_months": float(world.at[date, "lead_months"]),
               "china_h100e": float(china.at[date, "effective_h100e"])}
        row.update({f"china_{source}": float(layers.at[date, source]) for source in layers.columns})
        rows.append(row)
    return ScenarioRun(result.scenario.name, seed, rows)


def run_library(paths: Sequence[Path], seeds: int, workers: int,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every scenario at seeds 0..seeds-1: one row per (scenario, seed, projection year)."""
    tasks = [(str(path), seed, PROJECTION_YEARS) for path in paths for seed in range(seeds)]
    runs: list[ScenarioRun] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, run in enumerate(pool.map(_project_one, tasks), start=1):
            runs.append(run)
            if progress:
                progress(done, len(tasks))
    return pd.DataFrame([{"scenario": run.scenario, "seed": run.seed, **row} for run in runs for row in run.rows])


def _median_and_range(values: pd.Series, fmt: Callable[[float], str]) -> str:
    if values.min() == values.max():
        return fmt(values.median())
    return f"{fmt(values.median())} ({fmt(values.min())}-{fmt(values.max())})"


def projections_markdown(runs: pd.DataFrame) -> str:
    """The projection table: per scenario and year, the ratio, the lead and China's compute, median (range)."""
    sources = [c.removeprefix("china_") for c in runs.columns if c.startswith("china_") and c != "china_h100e"]
    headings = ["scenario", "year", "US:China", "lead (months)", "China, H100e",
                *(f"China {CHINA_SOURCE_HEADINGS.get(source, source)}" for source in sources)]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for (scenario, year), rows in runs.groupby(["scenario", "year"], sort=False):
        cells = [scenario, year,
                 _median_and_range(rows["us_china_ratio"], lambda v: f"{v:.1f}x"),
                 _median_and_range(rows["lead_months"], lambda v: f"{v:.1f}"),
                 _median_and_range(rows["china_h100e"], compact),
                 *(compact(rows[f"china_{source}"].median()) for source in sources)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def validation_markdown(report: pd.DataFrame, fmt: Callable[[float, str], str]) -> str:
    """The validation table from ``sim.calibration.check``: target, model median (range), band, source."""
    lines = ["| target | model median (range over seeds) | target band | source | met |", "|---|---|---|---|---|"]
    for row in report.itertuples():
        met = ("yes" if row.ok else "no") + (" (shown, not checked)" if row.informational else "")
        lines.append(f"| {row.description} | {fmt(row.model_median, row.unit)} ({fmt(row.model_min, row.unit)} to "
                     f"{fmt(row.model_max, row.unit)}) | {fmt(row.low, row.unit)} to {fmt(row.high, row.unit)} | "
                     f"`{row.source}` | {met} |")
    return "\n".join(lines)
