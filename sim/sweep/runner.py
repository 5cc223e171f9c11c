"""Running a sweep: runs go to an executor, results stream to disk as each run finishes, and a sweep resumes.

On disk, ``<out>/<sweep name>/`` holds ``sweep.yaml`` (the sweep file as run), ``plan.json`` (every run's id,
policy, point, factor values and seed), ``runs/<run id>.parquet`` (one file per finished run, written atomically)
and ``manifest.jsonl`` (a line per finished run: id, policy, point, factor values, seed, status, the traceback of a
failure, wall time). A run is done when its manifest line
says ok and its file exists; ``resume`` runs only what is not done. The driver keeps at most a few runs per worker in
flight, so its memory does not grow with the number of runs. A failed run is recorded and the others go on; when a
worker process dies, the runs it held are recorded as failed and the pool is restarted.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.storage import (
    append_json_line,
    atomic_write_bytes,
    atomic_write_parquet,
    read_json_lines,
    remove_stale_temporaries,
    writing_to,
)
from sim.sweep.execute import execute_run, metrics_frame
from sim.sweep.plan import RunSpec, plan_runs
from sim.sweep.spec import METRICS, load_sweep

IN_FLIGHT_PER_WORKER = 2
ProgressCallback = Callable[[int, int, int], None]  # done, failed, total


class SweepExistsError(FileExistsError):
    """The output folder already holds this sweep; resume it, replace it (force) or choose another folder."""


RESUME_HINT = "Finished runs are kept: fix that, then run the same command with --resume to finish the sweep."


@dataclass
class SweepOutcome:
    folder: Path
    total: int
    done: int
    failed: int
    skipped: int

    def results(self) -> pd.DataFrame:
        return load_results(self.folder)


PARENT_CHECK_SECONDS = 1.0


def _stop_with_parent(parent_pid: int) -> None:
    """Worker initializer: exit as soon as the driver is gone.

    A pool worker waits on a queue whose writing end it also holds, so a driver killed with SIGKILL would leave its
    workers waiting for ever. A daemon thread checks the parent once a second and ends the worker when it changes.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="chipsim-parent-watch", daemon=True).start()


@contextmanager
def make_executor(kind: str, workers: int, scheduler: str | None) -> Iterator[Executor]:
    """A concurrent.futures executor: a local process pool, or Dask (a LocalCluster, or the scheduler given)."""
    if kind == "process":
        with ProcessPoolExecutor(max_workers=workers, initializer=_stop_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            yield pool
        return
    if kind != "dask":
        raise ValueError(f"unknown executor {kind!r}; use process or dask")
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        with Client(address) as client:
            yield client.get_executor()
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client.get_executor()


def _done_ids(folder: Path) -> set[str]:
    return {
        record["run_id"]
        for record in read_json_lines(folder / "manifest.jsonl")
        if record.get("status") == "ok" and (folder / "runs" / f"{record['run_id']}.parquet").exists()
    }


def _prepare_folder(loaded, runs: list[RunSpec], out: Path, resume: bool, force: bool) -> Path:
    """The sweep's folder under ``out`` (its name is an identifier, so it cannot point elsewhere), ready to run in.

    An existing sweep is resumed with ``resume``, replaced with ``force``, and otherwise left alone (an error).
    """
    folder = out / loaded.spec.name
    if resume and force:
        raise ValueError("--resume keeps a sweep's results and --force deletes them: choose one")
    exists = (folder / "plan.json").exists() or (folder / "manifest.jsonl").exists()
    if exists and not (resume or force):
        raise SweepExistsError(
            f"{folder} already holds the sweep {loaded.spec.name!r}: resume it (--resume), replace it (--force) "
            "or write elsewhere (--out)"
        )
    with writing_to(out, "Nothing was run."):
        if exists and force:
            # Out of the way in one rename, then deleted: a crash in between leaves a hidden folder, never a mix.
            doomed = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
            os.replace(folder, doomed)
            shutil.rmtree(doomed)
        (folder / "runs").mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder / "runs")
        remove_stale_temporaries(folder)
        atomic_write_bytes(folder / "sweep.yaml", loaded.path.read_bytes())
        plan = [{"run_id": r.run_id, "policy": r.policy, "point": r.point, "seed": r.seed, **r.factors} for r in runs]
        atomic_write_bytes(folder / "plan.json", json.dumps(plan, indent=1, default=str).encode("utf-8"))
    return folder


def run_sweep(
    sweep_file: str | Path,
    out: str | Path = "outputs/sweeps",
    workers: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> SweepOutcome:
    """Run every run of a sweep file not already done; return where the results are and how it went.

    Raises SweepExistsError if ``out`` already holds this sweep and neither ``resume`` nor ``force`` is given, and
    StorageError (saying what happened; finished runs are kept) if results cannot be written.
    """
    loaded = load_sweep(sweep_file)
    runs = plan_runs(loaded)
    folder = _prepare_folder(loaded, runs, Path(out), resume, force)
    done_before = _done_ids(folder)
    todo = [run for run in runs if run.run_id not in done_before]
    workers = workers or os.cpu_count() or 1
    done = failed = 0

    def record(run: RunSpec, outcome: dict[str, Any]) -> None:
        nonlocal done, failed
        with writing_to(folder, RESUME_HINT):
            if outcome["status"] == "ok":
                atomic_write_parquet(folder / "runs" / f"{outcome['run_id']}.parquet", outcome["frame"])
            # The manifest line comes last: it is what marks the run as finished.
            append_json_line(folder / "manifest.jsonl", {
                "run_id": outcome["run_id"], "status": outcome["status"], "error": outcome.get("error"),
                "wall_time_s": round(outcome["wall_time_s"], 4), "policy": run.policy, "point": run.point,
                "seed": run.seed, "factors": run.factors,
            })
        if outcome["status"] == "ok":
            done += 1
        else:
            failed += 1
        if progress is not None:
            progress(done + len(done_before), failed, len(runs))

    queue = list(reversed(todo))
    while queue:
        with make_executor(executor, workers, scheduler) as pool:
            in_flight: dict[Future, RunSpec] = {}
            try:
                while queue or in_flight:
                    while queue and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                        run = queue.pop()
                        in_flight[pool.submit(execute_run, run)] = run
                    finished, _pending = wait(list(in_flight), return_when=FIRST_COMPLETED)
                    for future in finished:
                        run = in_flight.pop(future)
                        record(run, future.result())
            except BrokenProcessPool:
                # A worker died (killed, out of memory): the runs it held cannot be trusted; the rest go on.
                for run in in_flight.values():
                    record(run, {"run_id": run.run_id, "status": "failed", "wall_time_s": 0.0,
                                 "error": "the worker process running this run died (killed or out of memory)"})
                continue
    if progress is not None:
        progress(done + len(done_before), failed, len(runs))
    return SweepOutcome(folder=folder, total=len(runs), done=done, failed=failed, skipped=len(done_before))


def load_results(folder: str | Path) -> pd.DataFrame:
    """One tidy table: a row per run and month, with the run's policy, point, factor values and seed as columns."""
    folder = Path(folder)
    plan = pd.DataFrame(json.loads((folder / "plan.json").read_text(encoding="utf-8")))
    done = _done_ids(folder)
    frames = [
        pd.read_parquet(folder / "runs" / f"{run_id}.parquet").assign(run_id=run_id)
        for run_id in plan["run_id"] if run_id in done
    ]
    if not frames:
        return pd.DataFrame(columns=list(plan.columns) + ["date", "tick"])
    return plan.merge(pd.concat(frames, ignore_index=True), on="run_id", how="inner")


def run_model(scenario: str | Path = "scenarios/baseline.yaml", seed: int = 0, until: str | None = None,
              **overrides: Any) -> dict[str, float]:
    """Run one scenario and return the final month's outcomes, for exploratory-modelling tools (EMA Workbench...).

    Overrides are keyword arguments with ``__`` for the dots of a key path, e.g.
    ``run_model(parameters__demand_noise_sigma__value=0.2)``.
    """
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    loaded = load_scenario(scenario, {key.replace("__", "."): value for key, value in overrides.items()})
    result = run_scenario(loaded, seed=seed, until=until)
    final = metrics_frame(result, METRICS).iloc[-1]
    return {metric: float(final[metric]) for metric in METRICS}
