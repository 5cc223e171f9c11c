"""One sweep run, in a worker process: load, run, reduce to the sweep's metrics. Never raises.

This is the function executors pickle and call, so it is top level and returns plain data; a run that fails returns
its traceback instead of a result, and the sweep goes on.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from sim.compute import US_BLOC
from sim.run import RunResult, run_scenario
from sim.scenario import LoadedScenario
from sim.scenario.load import apply_overrides, resolve_extends, validate
from sim.sweep.inputs import merged_sha256
from sim.sweep.plan import RunSpec
from sim.sweep.spec import REVENUE_METRICS


class InputChangedError(RuntimeError):
    """A run's scenario file changed after the sweep was planned."""


def load_for_run(scenario_file: str, overrides: dict[str, Any], expected_sha256: str = "") -> LoadedScenario:
    """``load_scenario`` for one run of a sweep. With ``expected_sha256`` (the hash of the merged mapping the plan
    saw), a file edited since is refused. A worker runs many points of the same few files: they are parsed once per
    process (``sim.scenario.load`` keeps parsed files by the hash of their bytes)."""
    digests: list[str] = []  # the hash of the bytes parsed, not of a second read
    merged = resolve_extends(Path(scenario_file), digests=digests)
    digest = digests[0]
    if expected_sha256 and merged_sha256(merged) != expected_sha256:
        raise InputChangedError(
            f"{scenario_file} (or a file it extends) changed after the sweep started, so this run's result would not "
            "match its id; run the sweep again with --force to start over with the files as they are now"
        )
    data = apply_overrides(merged, overrides, scenario_file) if overrides else merged
    scenario = validate(data, scenario_file)
    return LoadedScenario(scenario=scenario, path=Path(scenario_file), file_sha256=digest, overrides=dict(overrides))


def tables_for(metrics: tuple[str, ...]) -> tuple[str, ...]:
    """The tables beyond blocs and world that a run must record for ``metrics``."""
    return ("revenue",) if any(metric in REVENUE_METRICS for metric in metrics) else ()


def revenue_metrics(result: RunResult) -> pd.DataFrame:
    """Per month: the revenue of the vendors based in the US bloc (net of export tariffs, USD, all destinations),
    and the export tariffs every vendor paid on sales under an allowance (USD; the controlling government's)."""
    revenue = result.tables["revenue"]
    country_bloc = {code: country.bloc for code, country in result.scenario.countries.items()}
    us_vendors = {vendor.id for vendor in result.scenario.vendors if country_bloc[vendor.country] == US_BLOC}
    us_revenue = revenue["revenue_usd"].where(revenue["vendor"].isin(us_vendors), 0.0)
    return pd.DataFrame({"us_allies_vendor_revenue_usd": us_revenue.groupby(revenue["date"]).sum(),
                         "tariffs_collected_usd": revenue.groupby("date")["tariff_usd"].sum()})


def metrics_frame(result: RunResult, metrics: tuple[str, ...]) -> pd.DataFrame:
    """One row per month with the requested metrics (world metrics, bloc metrics as ``<bloc>_<column>``, and the
    revenue metrics summed from the revenue table)."""
    world = result.world.set_index("date")
    blocs = result.blocs.pivot(index="date", columns="bloc")
    blocs.columns = [f"{bloc}_{column}" for column, bloc in blocs.columns]
    revenue = revenue_metrics(result).reindex(world.index, fill_value=0.0) if tables_for(metrics) else None
    columns = {}
    for metric in metrics:
        if metric in REVENUE_METRICS:
            columns[metric] = revenue[metric]
        else:
            columns[metric] = world[metric] if metric in world.columns else blocs[metric]
    frame = pd.DataFrame(columns, index=world.index).reset_index()
    frame.insert(1, "tick", world["tick"].to_numpy())
    return frame


def execute_run(run: RunSpec) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        loaded = load_for_run(run.scenario_file, run.overrides, run.scenario_sha256)
        # A sweep keeps a few metrics of the bloc and world tables (and of the revenue table, when it keeps vendor
        # revenue or tariffs): the other tables are not recorded at all.
        result = run_scenario(loaded, seed=run.seed, until=run.until, tables=tables_for(run.metrics))
        frame = metrics_frame(result, run.metrics)
    except InputChangedError as error:
        return {"run_id": run.run_id, "status": "failed", "error": str(error),
                "wall_time_s": time.perf_counter() - started}
    except Exception:  # noqa: BLE001 - a failed run is recorded with its traceback; the sweep goes on
        return {"run_id": run.run_id, "status": "failed", "error": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - started}
    return {"run_id": run.run_id, "status": "ok", "frame": frame, "wall_time_s": time.perf_counter() - started}
