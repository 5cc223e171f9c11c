"""What a sweep runs on: the sweep file, each policy's scenario resolved, and the hashes that tie results to them.

Every policy file is read once here, with its ``extends`` chain; the plan and the checks use these merged mappings,
and the hashes of every file read (the sweep file too) go into plan.json so that ``--resume`` can refuse to mix
results of different inputs. Two policies that are the same scenario would make the same run ids, so they are
refused, as is a ``base`` that is missing or, next to policies, not one of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.scenario.load import resolve_extends
from sim.sweep.check import check_scenarios
from sim.sweep.sample_file import SampleFile, read_sample_file
from sim.sweep.spec import MAX_RUNS, Factor, SweepSpec, read_spec


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def merged_json(merged: dict[str, Any]) -> str:
    return json.dumps(merged, sort_keys=True, default=str)


def merged_sha256(merged: dict[str, Any]) -> str:
    """The hash of a merged scenario mapping: what a run's worker checks it is about to run."""
    return hashlib.sha256(merged_json(merged).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyInput:
    """One policy's scenario: its file, the mapping it makes once extended, and the hash of every file read."""

    name: str
    path: Path
    merged: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # resolved path -> sha256, the file and all it extends

    @property
    def merged_json(self) -> str:
        return merged_json(self.merged)

    @property
    def merged_sha256(self) -> str:
        return merged_sha256(self.merged)


@dataclass(frozen=True)
class LoadedSweep:
    spec: SweepSpec
    path: Path
    sha256: str
    policies: dict[str, PolicyInput]
    reference: str  # the policy the report compares the others with
    sample_file: SampleFile | None = None  # the points of ``sample_from``

    @property
    def factors(self) -> list[Factor]:
        """The sweep file's factors, then one per column of its ``sample_from`` table."""
        return self.spec.factors + list(self.sample_file.factors if self.sample_file else ())

    @property
    def policy_files(self) -> dict[str, Path]:
        return {name: policy.path for name, policy in self.policies.items()}

    @property
    def input_hashes(self) -> dict[str, str]:
        """Every file the results depend on -> its sha256: the sweep file and every policy's extends chain."""
        hashes = {str(self.path.resolve()): self.sha256}
        for policy in self.policies.values():
            hashes.update(policy.files)
        if self.sample_file is not None:
            hashes[str(self.sample_file.path.resolve())] = self.sample_file.sha256
        return dict(sorted(hashes.items()))


def _read_policy(name: str, path: Path) -> PolicyInput:
    read: list[Path] = []
    merged = resolve_extends(path, read=read)
    return PolicyInput(name=name, path=path.resolve(), merged=merged,
                       files={str(file): file_sha256(file) for file in dict.fromkeys(read)})


def _reference(spec: SweepSpec, folder: Path, policies: dict[str, PolicyInput]) -> tuple[str, list[Problem]]:
    """The policy whose file is ``base`` (the report's reference), or why ``base`` cannot be used."""
    if not spec.policies:
        return "base", []
    base = folder / spec.base if spec.base is not None else None
    if base is None:
        return ("baseline" if "baseline" in policies else next(iter(policies))), []
    if not base.is_file():
        return "", [Problem(("base",), f"no such scenario file: {base}", spec.base, True)]
    for name, policy in policies.items():
        if policy.path == base.resolve():
            return name, []
    names = ", ".join(f"{name} ({spec.policies[name]})" for name in policies)
    message = (f"with policies, base must be one of their files: it is the reference the report compares the others "
               f"with (policies: {names}); add it as a policy, or leave base out")
    return "", [Problem(("base",), message, spec.base, True)]


def _sample_file_problems(spec: SweepSpec, sample_file: SampleFile) -> list[Problem]:
    """A table column that repeats a factor's key or name, or more runs than a sweep holds."""
    problems = []
    for factor in sample_file.factors:
        twin = next((f for f in spec.factors if factor.path == f.path or factor.name == f.name), None)
        if twin is not None:
            problems.append(Problem(("sample_from",), f"column {factor.path!r} (factor {factor.name!r}) repeats "
                                    f"factor {twin.name!r} ({twin.path}): vary a key in one place", spec.sample_from,
                                    True))
    runs = spec.run_count * len(sample_file.points)
    if runs > MAX_RUNS:
        problems.append(Problem(("sample_from",), f"its {len(sample_file.points):,} points make {runs:,} runs; the "
                                f"limit is {MAX_RUNS:,}: use fewer rows, or split the sweep", spec.sample_from, True))
    return problems


def load_sweep(path: str | Path) -> LoadedSweep:
    """Read and validate a sweep file, and check every policy, factor and point against the scenarios before any
    run (see ``sim.sweep.check``). Every problem is a ScenarioError naming the file, key path and value."""
    path = Path(path)
    spec = read_spec(path)
    folder = path.parent
    written = dict(spec.policies) or {"base": spec.base}
    files = {name: folder / file for name, file in written.items()}
    missing = [Problem(("policies", name) if spec.policies else ("base",), f"no such scenario file: {files[name]}",
                       written[name], True) for name in files if not files[name].is_file()]
    if missing:
        raise ScenarioError(str(path), missing)
    policies = {name: _read_policy(name, file) for name, file in files.items()}
    reference, problems = _reference(spec, folder, policies)
    seen: dict[str, str] = {}
    for name, policy in policies.items():
        twin = seen.setdefault(policy.merged_sha256, name)
        if twin != name:
            problems.append(Problem(("policies", name), f"is the same scenario as policy {twin!r} once extends is "
                                    "resolved, so their runs would share ids and count twice: keep one",
                                    spec.policies[name], True))
    sample_file = read_sample_file(folder / spec.sample_from) if spec.sample_from is not None else None
    if sample_file is not None:
        problems += _sample_file_problems(spec, sample_file)
    if problems:
        raise ScenarioError(str(path), problems)
    loaded = LoadedSweep(spec=spec, path=path, sha256=file_sha256(path), policies=policies, reference=reference,
                         sample_file=sample_file)
    check_scenarios(loaded)
    return loaded
