"""A sweep's folder: plan.json, manifest.jsonl and runs/, prepared for a run and read back without trusting them.

A folder outlives the process that wrote it: disks fail, files get copied half-way or edited by hand. So reading
never stops at a damaged file: a manifest line that is not a record is skipped, a result file that cannot be read
(or is not this sweep's shape) is not a result, and each is named in a note the caller shows. Only a plan.json that
cannot be read stops the report, because without it nothing says what the runs are.

plan.json records the sweep's name, its metrics, its reference policy, the sha256 of every input file (the sweep
file and each policy's extends chain) and every run. ``--resume`` compares those hashes with the files as they are
now and refuses when one changed: results of different inputs would otherwise be mixed under the same run ids.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.storage import atomic_write_bytes, read_json_records, remove_stale_temporaries, writing_to
from sim.sweep.inputs import LoadedSweep
from sim.sweep.plan import RunSpec

PLAN_FORMAT = 2  # 1 was a bare list of runs, with no input hashes
RUN_KEYS = {"run_id": str, "policy": str, "point": int, "seed": int}


class SweepFolderError(ValueError):
    """A sweep folder that cannot be used as asked: what is wrong, with which file, and what to do."""


class SweepExistsError(FileExistsError):
    """The output folder already holds this sweep; resume it, replace it (force) or choose another folder."""


@dataclass
class Plan:
    runs: pd.DataFrame  # run_id, policy, point, seed and the factor values
    name: str = ""
    description: str = ""
    reference: str | None = None
    metrics: list[str] = field(default_factory=list)
    inputs: dict[str, str] | None = None  # file -> sha256; None in a plan written before hashes were recorded
    # What the report says about the inputs: each factor's scenario key (its unit is in the name), each policy's
    # description from its scenario file, and how points were drawn. Empty in a plan written before they were kept.
    factor_paths: dict[str, str] = field(default_factory=dict)
    policy_descriptions: dict[str, str] = field(default_factory=dict)
    sampling: str = ""


def write_plan(folder: Path, loaded: LoadedSweep, runs: list[RunSpec]) -> None:
    plan = {
        "format": PLAN_FORMAT, "name": loaded.spec.name, "description": loaded.spec.description,
        "reference": loaded.reference, "metrics": list(loaded.spec.kept_metrics), "inputs": loaded.input_hashes,
        "factor_paths": {factor.name: factor.path for factor in loaded.factors},
        "policy_descriptions": {name: " ".join(str(policy.merged.get("description", "")).split())
                                for name, policy in loaded.policies.items()},
        "sampling": loaded.spec.sampling.method,
        "runs": [{"run_id": r.run_id, "policy": r.policy, "point": r.point, "seed": r.seed, **r.factors}
                 for r in runs],
    }
    atomic_write_bytes(folder / "plan.json", json.dumps(plan, indent=1, default=str).encode("utf-8"))


def _plan_problem(data: Any) -> str | None:
    runs = data.get("runs") if isinstance(data, dict) else data
    if not isinstance(runs, list) or not runs:
        return "expected the sweep's plan: a mapping whose runs are a non-empty list"
    for index, run in enumerate(runs):
        if not isinstance(run, dict):
            return f"runs[{index}] is a {type(run).__name__}, not a run"
        for key, kind in RUN_KEYS.items():
            if not isinstance(run.get(key), kind) or isinstance(run.get(key), bool):
                return f"runs[{index}].{key} = {run.get(key)!r}: expected a {kind.__name__}"
    if isinstance(data, dict) and not isinstance(data.get("inputs", {}), dict):
        return "inputs must map each input file to its sha256"
    return None


def read_plan(folder: Path) -> Plan:
    """The folder's plan; SweepFolderError naming plan.json and what is wrong with it when it cannot be used."""
    path = folder / "plan.json"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise SweepFolderError(f"{folder} is not a sweep output folder (no plan.json)") from None
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as error:
        raise SweepFolderError(f"{path} cannot be read ({error}); it is written by chipsim sweep: run the sweep "
                               "again with --force to rebuild the folder") from None
    why = _plan_problem(data)
    if why is not None:
        raise SweepFolderError(f"{path}: {why}; it is written by chipsim sweep: run the sweep again with --force to "
                               "rebuild the folder")
    if isinstance(data, list):  # format 1
        return Plan(runs=pd.DataFrame(data).drop_duplicates("run_id"))
    return Plan(runs=pd.DataFrame(data["runs"]).drop_duplicates("run_id"), name=str(data.get("name", "")),
                description=str(data.get("description", "")), reference=data.get("reference"),
                metrics=list(data.get("metrics") or []), inputs=data.get("inputs"),
                factor_paths=_text_mapping(data.get("factor_paths")),
                policy_descriptions=_text_mapping(data.get("policy_descriptions")),
                sampling=str(data.get("sampling", "")))


def _text_mapping(value: Any) -> dict[str, str]:
    """A mapping of names to text from plan.json, or nothing when it is missing or not one (it only labels)."""
    if not isinstance(value, dict):
        return {}
    return {str(key): str(text) for key, text in value.items()}


@dataclass
class Manifest:
    latest: dict[str, dict]  # run id -> its latest record: a resume's success replaces an earlier failure
    notes: list[str]

    @property
    def failed(self) -> list[dict]:
        return [record for record in self.latest.values() if record.get("status") == "failed"]


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.jsonl"
    records, damaged = read_json_records(path)
    notes = [f"{path} line {number}: {why} (skipped)" for number, why in damaged]
    latest: dict[str, dict] = {}
    for record in records:
        if isinstance(record.get("run_id"), str) and record.get("status") in ("ok", "failed"):
            latest[record["run_id"]] = record
        else:
            notes.append(f"{path}: a record without a run id or status (skipped): {str(record)[:80]}")
    return Manifest(latest=latest, notes=notes)


def read_run_result(path: Path, metrics: list[str]) -> tuple[pd.DataFrame | None, str | None]:
    """A run's result table, or why it cannot be used (a truncated or foreign file is not a result)."""
    try:
        frame = pq.read_table(path).to_pandas()
    except FileNotFoundError:
        return None, f"{path} is missing"
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for damaged files; all mean unreadable
        return None, f"{path} is unreadable ({type(error).__name__}: {str(error)[:120]})"
    missing = [column for column in ["date", "tick", *metrics] if column not in frame.columns]
    if missing or frame.empty:
        what = f"lacks the columns {', '.join(missing)}" if missing else "has no rows"
        return None, f"{path} {what}, so it is not a result of this sweep"
    return frame, None


def done_runs(folder: Path, manifest: Manifest, run_ids: list[str], metrics: list[str]
              ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The finished runs among ``run_ids`` (latest record ok, with a usable result file) by id, and the runs recorded
    ok whose result file is unusable, with why."""
    results, unusable = {}, {}
    for run_id in run_ids:
        if manifest.latest.get(run_id, {}).get("status") != "ok":
            continue
        frame, why = read_run_result(folder / "runs" / f"{run_id}.parquet", metrics)
        if why is None:
            results[run_id] = frame
        else:
            unusable[run_id] = why
    return results, unusable


@dataclass
class SweepResults:
    frame: pd.DataFrame  # a row per finished run and month, with the run's policy, point, factor values and seed
    plan: Plan
    manifest: Manifest
    notes: list[str]


def read_results(folder: Path) -> SweepResults:
    plan = read_plan(folder)
    manifest = read_manifest(folder)
    done, unusable = done_runs(folder, manifest, list(plan.runs["run_id"]), plan.metrics)
    notes = manifest.notes + [f"{why}: run {run_id} is left out" for run_id, why in unusable.items()]
    frames = [frame.assign(run_id=run_id) for run_id, frame in done.items()]
    if frames:
        frame = plan.runs.merge(pd.concat(frames, ignore_index=True), on="run_id", how="inner")
    else:
        frame = pd.DataFrame(columns=list(plan.runs.columns) + ["date", "tick"])
    return SweepResults(frame=frame, plan=plan, manifest=manifest, notes=notes)


def _changed_inputs(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    changes = [f"{file} changed (sha256 {recorded[file][:12]} when the sweep started, {now[file][:12]} now)"
               for file in recorded if file in now and recorded[file] != now[file]]
    changes += [f"{file} is no longer an input" for file in recorded if file not in now]
    changes += [f"{file} is a new input" for file in now if file not in recorded]
    return changes


def _check_resumable(folder: Path, loaded: LoadedSweep) -> None:
    """Refuse to resume a sweep whose inputs changed since it started: its results would not match them."""
    if not (folder / "plan.json").exists():
        raise SweepFolderError(f"{folder} has results but no plan.json, so nothing says which inputs they came from; "
                               "use --force to start over")
    plan = read_plan(folder)
    if plan.inputs is None:
        raise SweepFolderError(f"{folder / 'plan.json'} records no input hashes (an older chipsim wrote it), so "
                               "its results cannot be checked against the files; use --force to start over")
    changes = _changed_inputs(plan.inputs, loaded.input_hashes)
    if changes:
        raise SweepFolderError(
            f"cannot resume {folder}: its results no longer match their inputs: {'; '.join(changes)}. Use --force to "
            "start over (it deletes these results), or --out to write the new sweep elsewhere"
        )


def prepare_folder(loaded: LoadedSweep, runs: list[RunSpec], folder: Path, resume: bool, force: bool) -> None:
    """Make ``folder`` ready to run in (the caller holds its lock).

    An existing sweep is resumed with ``resume`` (if its inputs are unchanged), replaced with ``force``, and otherwise
    left alone (an error).
    """
    exists = (folder / "plan.json").exists() or (folder / "manifest.jsonl").exists()
    if exists and not (resume or force):
        raise SweepExistsError(
            f"{folder} already holds the sweep {loaded.spec.name!r}: resume it (--resume), replace it (--force) "
            "or write elsewhere (--out)"
        )
    if exists and resume:
        _check_resumable(folder, loaded)
    with writing_to(folder.parent, "Nothing was run."):
        if exists and force:
            # Out of the way in one rename, then deleted: a crash in between leaves a hidden folder, never a mix.
            doomed = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
            os.replace(folder, doomed)
            shutil.rmtree(doomed)
        (folder / "runs").mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder / "runs")
        remove_stale_temporaries(folder)
        atomic_write_bytes(folder / "sweep.yaml", loaded.path.read_bytes())
        write_plan(folder, loaded, runs)
