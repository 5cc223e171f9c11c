"""Running a sweep: runs go to an executor, results stream to disk as each run finishes, and a sweep resumes.

On disk, ``<out>/<sweep name>/`` holds ``sweep.yaml`` (the sweep file as run), ``plan.json`` (the input files'
hashes and every run's id, policy, point, factor values and seed), ``runs/<run id>.parquet`` (one file per finished
run, written atomically) and ``manifest.jsonl`` (a line per finished run: id, policy, point, factor values, seed,
status, the traceback of a failure, wall time); see ``sim.sweep.folder``. A run is done when its latest manifest line
says ok and its file can be read; ``resume`` runs only what is not done. One sweep at a time holds the folder
(``sim.sweep.lock``). The driver keeps at most a few runs per worker in flight, so its memory does not grow with the
number of runs. A failed run is recorded and the others go on; when a worker process dies, every run in flight gets
a record (failed, unless it had finished) and the pool is restarted.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.storage import append_json_line, atomic_write_parquet, writing_to
from sim.sweep.execute import execute_run, metrics_frame
from sim.sweep.folder import SweepExistsError, done_runs, prepare_folder, read_manifest, read_results
from sim.sweep.inputs import load_sweep
from sim.sweep.lock import sweep_lock
from sim.sweep.plan import RunSpec, plan_runs
from sim.sweep.spec import METRICS

__all__ = ["SweepExistsError", "SweepOutcome", "load_results", "run_model", "run_sweep"]

IN_FLIGHT_PER_WORKER = 2
WORKERS_PER_CORE = 4
MAX_CLUSTER_WORKERS = 256
MAX_BARREN_POOLS = 3
WORKER_DIED = "the worker process running this run died (killed or out of memory)"
ProgressCallback = Callable[[int, int, int], None]  # done, failed, total

RESUME_HINT = "Finished runs are kept: fix that, then run the same command with --resume to finish the sweep."


@dataclass
class SweepOutcome:
    folder: Path
    total: int
    done: int
    failed: int
    skipped: int
    notes: list[str] = field(default_factory=list)  # damaged files found in the folder, and what was done about them

    def results(self) -> pd.DataFrame:
        return load_results(self.folder)


PARENT_CHECK_SECONDS = 1.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else (the pid was reused): the driver is gone all the same
        return False
    return True


def _stop_with_parent(driver_pid: int) -> None:
    """Worker initializer: exit as soon as the driver is gone.

    A pool worker waits on a queue whose writing end it also holds, so a driver killed with SIGKILL would leave its
    workers waiting for ever. A daemon thread checks once a second that the driver is still there (the worker's
    parent is the driver, or the fork server the driver started) and ends the worker when it is not.
    """
    parent_pid = os.getppid()

    def watch() -> None:
        while os.getppid() == parent_pid and _alive(driver_pid):
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="chipsim-parent-watch", daemon=True).start()


# What a worker runs: imported once by the fork server, so a new worker starts with them loaded.
WORKER_MODULES = ["sim.sweep.execute", "sim.fit.evaluate", "sim.projections"]


def worker_processes() -> multiprocessing.context.BaseContext:
    """How pool workers are started. Importing Mesa sets the whole process's start method to "spawn" (its
    batchrunner does so), so each worker would import numpy, pandas, scipy, Mesa and chipsim anew: about 5 s of CPU
    a worker. A fork server imports them once and forks every worker from itself; unlike a plain fork it copies no
    thread of the driver (progress bars, the watch above). Where there is no fork server (Windows), the default."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


@contextmanager
def make_executor(kind: str, workers: int, scheduler: str | None) -> Iterator[Executor]:
    """A concurrent.futures executor: a local process pool, or Dask (a LocalCluster, or the scheduler given)."""
    if kind == "process":
        with ProcessPoolExecutor(max_workers=workers, mp_context=worker_processes(),
                                 initializer=_stop_with_parent, initargs=(os.getpid(),)) as pool:
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


def _worker_cap(executor: str, scheduler: str | None) -> tuple[int, str]:
    """The most workers that make sense, and why: local workers are processes of about 200 MB each that compete for
    the cores beyond a few per core; on a cluster, ``workers`` only sets how many runs are kept in flight."""
    if executor == "dask" and (scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")):
        return MAX_CLUSTER_WORKERS, "runs kept in flight on the cluster"
    cores = os.cpu_count() or 1
    return WORKERS_PER_CORE * cores, (f"{WORKERS_PER_CORE} per core on this machine's {cores} cores: each worker is "
                                      "a process of about 200 MB, and more only compete for the cores")


def _check_arguments(workers: int | None, executor: str, scheduler: str | None, resume: bool, force: bool) -> None:
    if resume and force:
        raise ValueError("--resume keeps a sweep's results and --force deletes them: choose one")
    if executor not in ("process", "dask"):
        raise ValueError(f"unknown executor {executor!r}; use process or dask")
    cap, why = _worker_cap(executor, scheduler)
    if workers is not None and not (isinstance(workers, int) and 1 <= workers <= cap):
        raise ValueError(f"--workers {workers!r}: allowed 1 to {cap} ({why})")


def _died(run: RunSpec, why: str = WORKER_DIED) -> dict[str, Any]:
    return {"run_id": run.run_id, "status": "failed", "wall_time_s": 0.0, "error": why}


def _outcome_of(future: Future, run: RunSpec) -> tuple[dict[str, Any], bool]:
    """A finished future's outcome, and whether its pool broke. ``execute_run`` never raises, so an exception here
    is the executor's: a dead worker (a broken pool, or Dask giving up on a killed worker) fails the run."""
    try:
        return future.result(), False
    except BrokenProcessPool:
        return _died(run), True
    except Exception as error:  # noqa: BLE001 - whatever the executor raises, the run is recorded as failed
        return _died(run, f"the worker running this run failed: {type(error).__name__}: {error}"), False


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

    Raises ScenarioError for a sweep that cannot run, ValueError for arguments out of range, SweepExistsError if
    ``out`` already holds this sweep and neither ``resume`` nor ``force`` is given, SweepFolderError if a resumed
    sweep's inputs changed, SweepBusyError if another sweep holds the folder, and StorageError (saying what
    happened; finished runs are kept) if results cannot be written.
    """
    _check_arguments(workers, executor, scheduler, resume, force)
    loaded = load_sweep(sweep_file)
    runs = plan_runs(loaded)
    folder = Path(out) / loaded.spec.name  # the name is an identifier, so the folder cannot be elsewhere
    with ExitStack() as locked:
        with writing_to(Path(out), "Nothing was run."):
            Path(out).mkdir(parents=True, exist_ok=True)
            locked.enter_context(sweep_lock(folder))
        prepare_folder(loaded, runs, folder, resume, force)
        manifest = read_manifest(folder)
        done_before, unusable = done_runs(folder, manifest, [r.run_id for r in runs], list(loaded.spec.kept_metrics))
        notes = manifest.notes + [f"{why}: run {run_id} is run again" for run_id, why in unusable.items()]
        todo = [run for run in runs if run.run_id not in done_before]

        def progressed(done: int, failed: int) -> None:
            if progress is not None:
                progress(done + len(done_before), failed, len(runs))

        counts = _run_all(todo, folder, workers or os.cpu_count() or 1, executor, scheduler, progressed)
    if progress is not None:
        progress(counts[0] + len(done_before), counts[1], len(runs))
    return SweepOutcome(folder=folder, total=len(runs), done=counts[0], failed=counts[1], skipped=len(done_before),
                        notes=notes)


def _run_all(todo: list[RunSpec], folder: Path, workers: int, executor: str, scheduler: str | None,
             progress: Callable[[int, int], None]) -> tuple[int, int]:
    """Run ``todo`` and record each run as it ends; return how many ran and how many failed."""
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
        progress(done, failed)

    queue = list(reversed(todo))
    barren_pools = 0  # pools that broke before finishing any run: a worker that cannot even start
    while queue:
        recorded_before = done + failed
        with make_executor(executor, workers, scheduler) as pool:
            in_flight: dict[Future, RunSpec] = {}
            broken = False
            while (queue or in_flight) and not broken:
                while queue and len(in_flight) < workers * IN_FLIGHT_PER_WORKER and not broken:
                    try:
                        in_flight[pool.submit(execute_run, queue[-1])] = queue[-1]
                        queue.pop()
                    except BrokenProcessPool:
                        broken = True
                if not in_flight:
                    break
                finished, _pending = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in finished:
                    run = in_flight.pop(future)
                    outcome, lost = _outcome_of(future, run)
                    broken |= lost
                    record(run, outcome)
            # A worker died (killed, out of memory): every run still in flight gets a record, its own result if it
            # finished, failed otherwise; the pool is then replaced and the rest go on.
            for future, run in in_flight.items():
                record(run, _outcome_of(future, run)[0] if future.done() else _died(run))
        barren_pools = barren_pools + 1 if done + failed == recorded_before else 0
        if barren_pools >= MAX_BARREN_POOLS:
            for run in reversed(queue):
                record(run, _died(run, "worker processes kept dying before finishing any run"))
            queue.clear()
    return done, failed


def load_results(folder: str | Path) -> pd.DataFrame:
    """One tidy table: a row per run and month, with the run's policy, point, factor values and seed as columns.
    Damaged files are left out (``sim.sweep.folder.read_results`` says which)."""
    return read_results(Path(folder)).frame


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
