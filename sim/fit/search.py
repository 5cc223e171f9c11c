"""Fitting a scenario's uncertain parameters to the calibration targets: differential evolution over a process pool.

Why differential evolution (``scipy.optimize.differential_evolution``): the loss is flat (zero) wherever every target
is met and jagged elsewhere, because a run is a sum of discrete, seeded decisions; gradients and simplex steps
(Nelder-Mead) stall on such a surface, while a population of candidates does not need them. Its first population
is a Latin hypercube of the ranges, not the scenario's own values, so the fit is not anchored to the hand-tuned
numbers (those are evaluated once, as a reference). A generation's candidates are independent, so they are
evaluated together on the pool (``updating="deferred"``). The search stops when a candidate meets every target on
every seed, or when the budget is spent: ``budget`` counts every candidate asked for, reference included, whether
it ran now or was found in the checkpoint, so a resumed fit makes exactly the decisions of an uninterrupted one.

``keep`` then gathers parameter sets that meet every target on every seed: those evaluated so far, then, while
budget remains, draws around the best one (normal steps of ``KEEP_STEP`` in the unit cube), for sweeps to use as
the calibration's uncertainty sample.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import differential_evolution
from scipy.stats import qmc

from sim.calibration import TARGETS, require_horizon
from sim.fit.checkpoint import Checkpoint, evaluation_key
from sim.fit.evaluate import Candidate, evaluate_candidate
from sim.fit.space import SearchSpace, search_space
from sim.scenario import Scenario
from sim.scenario.load import resolve_extends, validate, value_at
from sim.storage import writing_to
from sim.sweep.inputs import merged_sha256
from sim.sweep.lock import sweep_lock
from sim.sweep.plan import code_version
from sim.sweep.runner import IN_FLIGHT_PER_WORKER, make_executor

POPULATION_PER_PARAMETER = 5  # scipy's own default is 15; with runs of a second, 5 keeps generations affordable
KEEP_STEP = 0.1  # spread of the draws around the best set, as a share of each range
FIT_TARGETS = sum(not target.informational for target in TARGETS)
RESUME_HINT = "Evaluations done are kept in evaluations.jsonl: run the same command again to resume."
ProgressCallback = Callable[[int, int, float, int], None]  # evaluations done, budget, best loss, its targets met


@dataclass(frozen=True)
class FitSettings:
    seeds: int  # every candidate runs seeds 0 to seeds - 1
    budget: int | None  # candidates asked for, the scenario's own values included; None: ``smallest_budget``
    workers: int | None = None
    keep: int = 0
    rng_seed: int = 0


@dataclass
class FitOutcome:
    scenario: Scenario
    scenario_file: Path
    merged: dict
    space: SearchSpace
    folder: Path
    settings: FitSettings
    budget: int  # the budget in force (the settings', or the smallest)
    reference: dict[str, Any]  # the scenario's own values, evaluated
    best: dict[str, Any]
    evaluations: list[dict[str, Any]]  # every distinct candidate asked for, in order
    kept: list[dict[str, Any]]
    asked: int  # candidates asked for (at most the budget)
    ran: int  # of which run now; the rest came from the checkpoint
    wall_time_s: float
    notes: list[str] = field(default_factory=list)
    finished_utc: str = ""

    @property
    def met(self) -> bool:
        return self.best["spread"] == 0.0


def population_size(dimensions: int) -> int:
    """Candidates per generation (scipy needs five). It does not depend on the budget, so a larger budget given to
    a finished fit continues the same search, and every evaluation done is reused."""
    return max(5, POPULATION_PER_PARAMETER * dimensions)


def smallest_budget(dimensions: int) -> int:
    """The scenario's own values and a first population: a Latin hypercube search without generations."""
    return 1 + population_size(dimensions)


def _rank(record: dict[str, Any]) -> tuple[float, float]:
    return record["loss"], record["spread"]


class _Evaluations:
    """Candidates in, records out: the checkpoint first, the pool for the rest; counts against the budget."""

    def __init__(self, pool: Callable[[], Executor], workers: int, checkpoint: Checkpoint, candidate: Candidate,
                 scenario_sha256: str, budget: int, progress: ProgressCallback | None) -> None:
        self.pool, self.workers, self.checkpoint = pool, workers, checkpoint
        self.candidate, self.scenario_sha256, self.version = candidate, scenario_sha256, code_version()
        self.budget, self.progress = budget, progress
        self.by_key: dict[str, dict[str, Any]] = {}  # this fit's records, failed ones included
        self.order: list[str] = []  # the candidates' keys in the order first asked for (not the reference's)
        self.asked = self.ran = 0
        self.best: dict[str, Any] | None = None

    @property
    def left(self) -> int:
        return self.budget - self.asked

    def key(self, values: dict[str, Any]) -> str:
        return evaluation_key(self.scenario_sha256, self.version, self.candidate.seeds, values)

    def record(self, values: dict[str, Any]) -> dict[str, Any]:
        return self.by_key[self.key(values)]

    def evaluate(self, value_sets: list[dict[str, Any]], candidates: bool = True) -> list[dict[str, Any]]:
        """Records of these value sets; ``candidates=False`` for the reference, which competes for neither best
        nor kept: the fit's answer comes from its own search."""
        if len(value_sets) > self.left:
            raise ValueError(f"{len(value_sets)} candidates asked for with {self.left} left of the budget")
        keys = [self.key(values) for values in value_sets]
        todo = {}
        for key, values in zip(keys, value_sets, strict=True):
            found = self.by_key.get(key) or self.checkpoint.get(key)
            if found is not None:
                self.by_key[key] = found
            elif key not in todo:
                todo[key] = values
        self._run(todo, done_before=self.asked + len(value_sets) - len(todo))
        if candidates:
            for key in keys:
                self._note(key)
        self.asked += len(value_sets)
        self._report(self.asked)
        return [self.by_key[key] for key in keys]

    def _note(self, key: str) -> None:
        if key in self.order:
            return
        self.order.append(key)
        record = self.by_key[key]
        if record["status"] == "ok" and (self.best is None or _rank(record) < _rank(self.best)):
            self.best = record

    def _run(self, todo: dict[str, dict[str, Any]], done_before: int) -> None:
        queue = list(todo.items())
        in_flight: dict[Future, tuple[str, dict[str, Any]]] = {}
        while queue or in_flight:
            while queue and len(in_flight) < self.workers * IN_FLIGHT_PER_WORKER:
                key, values = queue.pop(0)
                candidate = Candidate(self.candidate.scenario_file, values, self.candidate.seeds,
                                      self.candidate.merged_sha256)
                in_flight[self.pool().submit(evaluate_candidate, candidate)] = (key, values)
            finished, _pending = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                key, values = in_flight.pop(future)
                outcome = future.result()  # evaluate_candidate never raises; a dead worker stops the fit here
                record = {"key": key, "scenario_sha256": self.scenario_sha256, "code_version": self.version,
                          "seeds": list(self.candidate.seeds), "values": values, **outcome,
                          "evaluated_utc": datetime.now(UTC).isoformat(timespec="seconds")}
                if outcome["status"] != "ok":
                    record.update(loss=math.inf, spread=math.inf, targets_met=0)
                self.checkpoint.add(record)
                self.ran += 1
                self.by_key[key] = record
                self._report(done_before + len(todo) - len(queue) - len(in_flight))

    def _report(self, done: int) -> None:
        if self.progress is not None:
            best = self.best or {"loss": math.inf, "targets_met": 0}
            self.progress(done, self.budget, best["loss"], best["targets_met"])


def _differential_evolution(space: SearchSpace, evaluations: _Evaluations, rng_seed: int) -> None:
    """Spend the budget left on differential evolution from a Latin hypercube; stop once every target is met."""
    size = population_size(space.dimensions)
    generations = evaluations.left // size - 1
    start = qmc.LatinHypercube(d=space.dimensions, seed=np.random.default_rng(rng_seed)).random(size)

    def loss(unit: np.ndarray) -> float:
        return evaluations.record(space.values(unit))["loss"]

    def evaluate_generation(function: Callable[[np.ndarray], float], units) -> list[float]:
        units = list(units)
        evaluations.evaluate([space.values(unit) for unit in units])
        return [function(unit) for unit in units]

    def every_target_met(intermediate_result) -> bool:  # noqa: ARG001 - scipy passes the generation's best
        return evaluations.best is not None and evaluations.best["spread"] == 0.0

    if not every_target_met(None):
        differential_evolution(loss, [(0.0, 1.0)] * space.dimensions, init=start, maxiter=generations,
                               updating="deferred", workers=evaluate_generation, polish=False,
                               rng=np.random.default_rng(rng_seed), callback=every_target_met)


def _meeting(evaluations: _Evaluations) -> list[dict[str, Any]]:
    records = (evaluations.by_key[key] for key in evaluations.order)
    return [record for record in records if record["status"] == "ok" and record["spread"] == 0.0]


def _keep(space: SearchSpace, evaluations: _Evaluations, keep: int, rng_seed: int) -> list[dict[str, Any]]:
    """Up to ``keep`` distinct sets meeting every target: those found, then draws around the best set."""
    rng = np.random.default_rng(rng_seed + 1)
    centre = space.unit(evaluations.best["values"])
    batch = max(1, evaluations.workers * IN_FLIGHT_PER_WORKER)
    while len(_meeting(evaluations)) < keep and evaluations.left > 0:
        draws = [space.values(np.clip(centre + rng.normal(0.0, KEEP_STEP, space.dimensions), 0.0, 1.0))
                 for _ in range(min(batch, evaluations.left))]
        evaluations.evaluate(draws)
    meeting = _meeting(evaluations)
    if len(meeting) <= keep:
        return meeting
    chosen = sorted(np.random.default_rng(rng_seed + 2).choice(len(meeting), size=keep, replace=False))
    return [meeting[index] for index in chosen]


def fit_scenario(scenario_file: str | Path, out: str | Path, settings: FitSettings,
                 progress: ProgressCallback | None = None) -> FitOutcome:
    """Fit the scenario's ``uncertain:`` parameters; evaluations go to ``<out>/<scenario name>/evaluations.jsonl``.

    Raises ScenarioError for a scenario that cannot be fitted, ValueError for settings out of range, SweepBusyError
    if another fit holds the folder, StorageError if the checkpoint cannot be written."""
    started = time.perf_counter()
    path = Path(scenario_file)
    merged = resolve_extends(path)
    scenario = validate(merged, str(path))
    require_horizon(scenario, str(path))
    space = search_space(merged, list(scenario.uncertain), str(path))
    budget = settings.budget or smallest_budget(space.dimensions)
    if budget < smallest_budget(space.dimensions):
        raise ValueError(f"--budget {budget}: a fit of {space.dimensions} parameters needs at least "
                         f"{smallest_budget(space.dimensions)} evaluations (the scenario's own values and a first "
                         f"population of {population_size(space.dimensions)})")
    folder = Path(out) / scenario.name
    workers = settings.workers or os.cpu_count() or 1
    candidate = Candidate(str(path), {}, tuple(range(settings.seeds)), merged_sha256(merged))
    # The uncertain: section moves no run: ranges can be widened without losing the evaluations done.
    runs_on = merged_sha256({key: value for key, value in merged.items() if key != "uncertain"})
    with writing_to(folder, "Nothing was evaluated."):
        folder.mkdir(parents=True, exist_ok=True)
    with sweep_lock(folder), writing_to(folder, RESUME_HINT), ExitStack() as started_pool:
        pools: list[Executor] = []

        def pool() -> Executor:
            """The process pool, started when a first candidate is not in the checkpoint (a resumed fit that finds
            every one starts none)."""
            if not pools:
                pools.append(started_pool.enter_context(make_executor("process", workers, None)))
            return pools[0]

        checkpoint = Checkpoint.open(folder)
        evaluations = _Evaluations(pool, workers, checkpoint, candidate, runs_on, budget, progress)
        own_values = {entry.path: value_at(merged, entry.path)[0] for entry in space.entries}
        reference = evaluations.evaluate([own_values], candidates=False)[0]
        _differential_evolution(space, evaluations, settings.rng_seed)
        if evaluations.best is None:
            raise RuntimeError(f"every evaluation failed; the first error:\n{reference.get('error')}")
        kept = _keep(space, evaluations, settings.keep, settings.rng_seed) if settings.keep else []
    return FitOutcome(scenario=scenario, scenario_file=path, merged=merged, space=space, folder=folder,
                      settings=settings, budget=budget, reference=reference, best=evaluations.best,
                      evaluations=[evaluations.by_key[key] for key in evaluations.order], kept=kept,
                      asked=evaluations.asked, ran=evaluations.ran, wall_time_s=time.perf_counter() - started,
                      notes=checkpoint.notes, finished_utc=datetime.now(UTC).strftime("%Y-%m-%d"))
