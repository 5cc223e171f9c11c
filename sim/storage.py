"""Everything chipsim writes to disk, written so that nothing is ever half-written or overwritten.

A run's results are assembled in a hidden ``.partial`` folder next to their final place and renamed into place only
when every file is complete, so a crash or Ctrl-C never leaves a folder that looks like a finished result. Single
files are written to a temporary name in the same folder, flushed and synced, then renamed. The sweep manifest is a
JSON-lines file appended one complete line at a time; a torn last line (a killed process) is ignored when read.
The CLI and the sweep API are the only callers: no other module of chipsim writes files.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pandas as pd
import yaml


class StorageError(Exception):
    """Results could not be written: where, why in plain words, and what became of what was already there."""

    def __init__(self, message: str, errno_code: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_code


WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (is the folder read-only?)",
    errno.EPERM: "the operation is not permitted",
    errno.ENOTDIR: "a file is in the way where a folder is needed",
    errno.ENAMETOOLONG: "the path is too long",
}


# pyarrow's I/O errors carry the system's words but no errno.
TEXT_CLUES = ((errno.ENOSPC, "no space left"), (errno.EROFS, "read-only file system"),
              (errno.EACCES, "permission denied"), (errno.EDQUOT, "quota exceeded"))


def _errno_of(error: OSError) -> int | None:
    if error.errno in WHY:
        return error.errno
    text = str(error).lower()
    return next((code for code, words in TEXT_CLUES if words in text), error.errno)


@contextmanager
def writing_to(place: Path, aftermath: str) -> Iterator[None]:
    """Turn an operating-system error while writing under ``place`` into a StorageError that says what happened
    and, in ``aftermath``, what was kept and what to do next."""
    try:
        yield
    except OSError as error:
        code = _errno_of(error)
        why = WHY.get(code) or error.strerror or str(error)
        raise StorageError(f"could not write to {place}: {why}. {aftermath}", code) from error


def remove_stale_temporaries(folder: Path) -> int:
    """Delete the temporary files a killed writer left behind (never a finished file); return how many."""
    stale = [path for path in folder.glob(".*.tmp") if path.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _umask_mode() -> int:
    """The mode an ordinary new file gets (mkstemp would make it private: 0600)."""
    current = os.umask(0)
    os.umask(current)
    return 0o666 & ~current


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _umask_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        os.chmod(temporary, _umask_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_json_line(path: Path, record: dict) -> None:
    """Append one JSON record as one line, flushed and synced before returning.

    If a killed writer left a torn last line, it is closed off first so that this record starts on a line of its own.
    """
    line = json.dumps(record, default=str, sort_keys=True) + "\n"
    if path.exists() and path.stat().st_size:
        with open(path, "rb") as existing:
            existing.seek(-1, os.SEEK_END)
            if existing.read(1) != b"\n":
                line = "\n" + line
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line)
        stream.flush()
        os.fsync(stream.fileno())


def read_json_records(path: Path) -> tuple[list[dict], list[tuple[int, str]]]:
    """The records of a JSON-lines file, and (line number, why) for each line that is not one.

    A line that is not UTF-8, not JSON or not a JSON object is skipped, never fatal: one damaged line must not
    hide the records around it. A torn last line (a writer killed mid-line) is skipped without comment.
    """
    if not path.exists():
        return [], []
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn_last = not data.endswith(b"\n")
    records, damaged = [], []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            why = f"not UTF-8 ({error.reason} at byte {error.start})"
        except json.JSONDecodeError as error:
            why = f"not JSON ({error.msg})"
        else:
            if isinstance(record, dict):
                records.append(record)
                continue
            why = f"a JSON {type(record).__name__}, not a record"
        if not (torn_last and number == len(lines)):
            damaged.append((number, why))
    return records, damaged


def read_json_lines(path: Path) -> list[dict]:
    """The complete records of a JSON-lines file; a torn or damaged line is skipped."""
    return read_json_records(path)[0]


def _run_id(seed: int, resolved_sha256: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-seed{seed}-{resolved_sha256[:8]}-{uuid.uuid4().hex[:4]}"


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def write_run_outputs(result, loaded, out_root: Path) -> Path:
    """Write a run's tables, figure, resolved scenario and summary.json atomically; return the final folder."""
    scenario = result.scenario
    run_dir = out_root / scenario.name / _run_id(result.seed, loaded.resolved_sha256)
    if run_dir.exists():
        raise FileExistsError(f"{run_dir} already exists; results are never overwritten")
    partial = run_dir.with_name(f".{run_dir.name}.partial")
    with writing_to(out_root, "Nothing was kept: free space or choose another folder (--out) and run again."):
        partial.mkdir(parents=True)
        try:
            _fill_run_folder(partial, result, loaded)
            os.replace(partial, run_dir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return run_dir


def _fill_run_folder(partial: Path, result, loaded) -> None:
    """Write a run's files into its hidden ``.partial`` folder (the caller removes it if anything fails)."""
    from sim.provenance import environment
    from sim.report import compute_figure, summary_table

    scenario = result.scenario
    for name, frame in result.tables.items():
        frame.to_parquet(partial / f"{name}.parquet", index=False)
        frame.to_csv(partial / f"{name}.csv", index=False)
    (partial / "scenario.resolved.yaml").write_text(
        yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    figure = compute_figure(result)
    figure.savefig(partial / "compute_by_bloc.png", dpi=120)
    if result.network is not None:
        nx.write_graphml(result.network.to_graph(), partial / "network.graphml")
    last = summary_table(result).iloc[-1]
    summary = {
        "scenario": scenario.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_file_sha256": loaded.file_sha256,
        "resolved_scenario_sha256": loaded.resolved_sha256,
        "overrides": loaded.overrides,
        "seed": result.seed,
        "start": scenario.start,
        "until": result.until,
        "months": len(result.world),
        "tables": list(result.tables),
        "wall_time_s": round(result.wall_time_s, 4),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "final": {
            "date": result.until,
            "us_allies_h100e": float(last.us_allies_h100e),
            "china_h100e": float(last.china_h100e),
            "rest_h100e": float(last.rest_h100e),
            "us_china_ratio": float(last.us_china_ratio),
            "lead_months": float(last.lead_months),
        },
        "provenance": environment(),
        "files": sorted(p.name for p in partial.iterdir()) + ["summary.json"],
    }
    # summary.json is written last: its presence marks a complete result.
    _write_json(partial / "summary.json", summary)


def write_sweep_report(folder: Path, target_ratio: float, destination: Path | None = None,
                       force: bool = False) -> tuple[Path, list[str]]:
    """Build the sweep's HTML report from its results and write it (atomically) into the sweep folder; return where,
    and notes on damaged files that were left out. An existing report is replaced only with ``force``."""
    from sim.provenance import environment
    from sim.sweep.folder import SweepFolderError, read_results
    from sim.sweep.report import render_html

    folder = Path(folder)
    results = read_results(folder)
    if results.frame.empty:
        damaged = f" ({len(results.notes)} damaged files or lines: {'; '.join(results.notes[:3])})" if results.notes \
            else ""
        raise SweepFolderError(f"{folder} has no finished runs to report on{damaged}")
    destination = destination or folder / "report.html"
    if destination.exists() and not force:
        raise FileExistsError(f"{destination} already exists; use --force to replace it")
    page = render_html(results.frame, results.plan.runs, results.manifest.failed,
                       {"name": results.plan.name or folder.name, "description": results.plan.description},
                       target_ratio, environment(), reference=results.plan.reference, notes=results.notes)
    with writing_to(destination.parent, "The previous report, if any, is untouched."):
        atomic_write_bytes(destination, page.encode("utf-8"))
    return destination, results.notes


def read_run_network(run_folder: Path):
    """The trade network a run wrote (``network.graphml``), as a networkx graph; FileNotFoundError or ValueError
    saying what is wrong with the folder or the file."""
    path = Path(run_folder) / "network.graphml"
    if not Path(run_folder).is_dir():
        raise FileNotFoundError(f"{run_folder}: no such run folder (chipsim run writes one per run under outputs/)")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; is {run_folder} a run folder written by chipsim run?")
    try:
        return nx.read_graphml(path)
    except Exception as error:  # noqa: BLE001 - the XML parser's and networkx's errors alike: say which file
        raise ValueError(f"{path}: not a readable GraphML file ({type(error).__name__}: {error})") from None


def write_figure(figure, path: Path, force: bool = False) -> Path:
    """Save a matplotlib figure as PNG, atomically; an existing file is replaced only with ``force``."""
    import io

    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; add --force to replace it")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    with writing_to(path.parent, "Nothing was written."):
        atomic_write_bytes(path, buffer.getvalue())
    return path
