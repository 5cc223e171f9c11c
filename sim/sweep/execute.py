"""One sweep run, in a worker process: load, run, reduce to the sweep's metrics. Never raises.

This is the function executors pickle and call, so it is top level and returns plain data; a run that fails returns
its traceback instead of a result, and the sweep goes on.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import pandas as pd

from sim.run import RunResult, run_scenario
from sim.scenario import load_scenario
from sim.sweep.plan import RunSpec


def metrics_frame(result: RunResult, metrics: tuple[str, ...]) -> pd.DataFrame:
    """One row per month with the requested metrics (world metrics, and bloc metrics as ``<bloc>_<column>``)."""
    world = result.world.set_index("date")
    blocs = result.blocs.pivot(index="date", columns="bloc")
    blocs.columns = [f"{bloc}_{column}" for column, bloc in blocs.columns]
    columns = {}
    for metric in metrics:
        columns[metric] = world[metric] if metric in world.columns else blocs[metric]
    frame = pd.DataFrame(columns, index=world.index).reset_index()
    frame.insert(1, "tick", world["tick"].to_numpy())
    return frame


def execute_run(run: RunSpec) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        loaded = load_scenario(run.scenario_file, run.overrides)
        result = run_scenario(loaded, seed=run.seed, until=run.until)
        frame = metrics_frame(result, run.metrics)
    except Exception:  # noqa: BLE001 - a failed run is recorded with its traceback; the sweep goes on
        return {"run_id": run.run_id, "status": "failed", "error": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - started}
    return {"run_id": run.run_id, "status": "ok", "frame": frame, "wall_time_s": time.perf_counter() - started}
