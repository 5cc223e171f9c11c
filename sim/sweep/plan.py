"""From a sweep file to the list of runs: points (grid or Latin hypercube) x policies x seeds, each with a stable id.

A run's id hashes what decides its result: the merged scenario of its policy (after ``extends``), its overrides, its
seed and horizon, and the code version. The same sweep file on the same code gives the same ids, so an interrupted
sweep resumes exactly where it stopped and a changed input never reuses a stale result.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import qmc

import sim
from sim.provenance import git_commit
from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.sweep.spec import SweepSpec

if TYPE_CHECKING:
    from sim.sweep.inputs import LoadedSweep
    from sim.sweep.sample_file import SampleFile


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    policy: str
    scenario_file: str
    seed: int
    point: int
    until: str | None
    metrics: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    factors: dict[str, Any] = field(default_factory=dict)
    # The merged scenario the plan saw: a worker refuses to run a file edited since, whose result would be stored
    # under an id that says otherwise.
    scenario_sha256: str = ""


def sample_points(spec: SweepSpec, sample_file: SampleFile | None = None) -> list[dict[str, Any]]:
    """The factor values of every point: the grid of listed values, crossed with a Latin hypercube over ranges or
    with the rows of the ``sample_from`` table."""
    listed = [factor for factor in spec.factors if not factor.sampled]
    ranged = [factor for factor in spec.factors if factor.sampled]
    grid = [dict(zip([f.name for f in listed], combo, strict=True))
            for combo in itertools.product(*[f.values for f in listed])] or [{}]
    if sample_file is not None:
        return [{**fixed, **drawn} for fixed in grid for drawn in sample_file.points]
    if not ranged:
        return grid
    if spec.sampling.method == "sobol":
        return [dict(zip([f.name for f in ranged], map(float, row), strict=True)) for row in saltelli_points(spec)]
    unit = qmc.LatinHypercube(d=len(ranged), seed=np.random.default_rng(spec.sampling.seed)).random(
        spec.sampling.samples
    )
    lows = np.array([f.low for f in ranged])
    highs = np.array([f.high for f in ranged])
    samples = qmc.scale(unit, lows, highs) if np.any(highs > lows) else np.tile(lows, (len(unit), 1))
    sampled = [{f.name: float(value) for f, value in zip(ranged, row, strict=True)} for row in samples]
    return [{**fixed, **drawn} for fixed in grid for drawn in sampled]


def saltelli_points(spec: SweepSpec) -> np.ndarray:
    """Saltelli's design for Sobol' indices over the ranged factors, in blocks of d + 2 rows per base sample j:
    A_j, B_j, then A_j with factor i taken from B_j for each i. A and B are the two halves of one scrambled Sobol'
    sequence of dimension 2d (scipy's; SALib's sampler does the same, and is not installed here)."""
    factors = spec.factors
    count = len(factors)
    unit = qmc.Sobol(d=2 * count, scramble=True, seed=np.random.default_rng(spec.sampling.seed)).random(
        spec.sampling.samples)
    lows = np.array([f.low for f in factors] * 2)
    highs = np.array([f.high for f in factors] * 2)
    scaled = lows + unit * (highs - lows)
    a, b = scaled[:, :count], scaled[:, count:]
    blocks = []
    for j in range(len(scaled)):
        mixed = np.tile(a[j], (count, 1))
        mixed[np.arange(count), np.arange(count)] = b[j]
        blocks.append(np.vstack([a[j], b[j], mixed]))
    return np.vstack(blocks)


def code_version() -> str:
    commit = git_commit()["commit"]
    return f"{sim.__version__}+{commit}" if commit else sim.__version__


def plan_runs(loaded: LoadedSweep) -> list[RunSpec]:
    spec = loaded.spec
    version = code_version()
    runs = []
    for point_index, point in enumerate(sample_points(spec, loaded.sample_file)):
        overrides = {factor.path: point[factor.name] for factor in loaded.factors}
        for policy in loaded.policies.values():
            for seed in spec.seed_list:
                key = json.dumps([policy.merged_json, overrides, seed, spec.until, version], sort_keys=True,
                                 default=str)
                runs.append(
                    RunSpec(
                        run_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:16],
                        policy=policy.name,
                        scenario_file=str(policy.path),
                        seed=seed,
                        point=point_index,
                        until=spec.until,
                        metrics=spec.kept_metrics,
                        overrides=overrides,
                        factors=dict(point),
                        scenario_sha256=policy.merged_sha256,
                    )
                )
    _refuse_shared_ids(loaded, runs)
    return runs


def _refuse_shared_ids(loaded: LoadedSweep, runs: list[RunSpec]) -> None:
    """Two runs under one id would be run twice and counted twice. The sweep file's checks refuse every way we know
    of making them (repeated seeds, values, policies or sampled points); this is the last line if one is missed."""
    first: dict[str, RunSpec] = {}
    for run in runs:
        twin = first.setdefault(run.run_id, run)
        if twin is not run:
            message = (f"two runs would be the same run (id {run.run_id}): policy {twin.policy!r} point {twin.point} "
                       f"seed {twin.seed}, and policy {run.policy!r} point {run.point} seed {run.seed}; make the "
                       "policies, factor values and seeds distinct")
            raise ScenarioError(str(loaded.path), [Problem((), message)])
