"""Faults in sweeps: a worker or the driver killed with SIGKILL, a full disk, a folder turned read-only.

Each test checks the same promises: the manifest stays readable (every complete line is a record), no result file is
half-written (every run the manifest says is done has a complete Parquet file, and no temporary file is left), the
error says what happened, and ``--resume`` finishes the sweep with results identical to an uninterrupted one.

The full-disk and read-only cases run on a real small tmpfs when this machine lets us mount one (root, as in CI), and
always with the failure injected at the point where chipsim writes.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from sim.storage import StorageError, read_json_lines
from sim.sweep import run_sweep
from tests.conftest import REPO, tiny_dict, write_yaml

RUNS = 12  # 2 noise levels x 6 seeds


@pytest.fixture(scope="module")
def slow_sweep(tmp_path_factory) -> Path:
    """Twelve runs of the tiny world over fifty years (about 0.3 s each), so there is time to kill things mid-way.
    Shared by the tests (read only): each writes its results to a folder of its own."""
    folder = tmp_path_factory.mktemp("slow_sweep")
    write_yaml(folder / "tiny.yaml", tiny_dict(end="2074-12"))
    return write_yaml(folder / "sweep.yaml", {
        "name": "faults",
        "base": "tiny.yaml",
        "uncertainties": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "values": [0.1, 0.3]}],
        "seeds": 6,
        "metrics": ["us_china_ratio", "smuggled_chips"],
    })


@pytest.fixture(scope="module")
def reference(tmp_path_factory, slow_sweep: Path) -> pd.DataFrame:
    """The same sweep, never interrupted."""
    return _sorted(run_sweep(slow_sweep, out=tmp_path_factory.mktemp("reference"), workers=2).results())


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["run_id", "date"]).reset_index(drop=True)


def assert_consistent(folder: Path, temporaries_allowed: bool = False) -> None:
    """The manifest's complete lines are records; every run it calls done has a whole result file; no temporaries
    (unless ``temporaries_allowed``: a writer killed with SIGKILL cannot clean up, and the next start removes them)."""
    manifest = folder / "manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
    records = read_json_lines(manifest)
    assert len(records) >= len(lines) - 1, "more than a torn last line is unreadable"
    for record in records:
        assert record["status"] in ("ok", "failed")
        if record["status"] == "ok":
            frame = pd.read_parquet(folder / "runs" / f"{record['run_id']}.parquet")
            assert len(frame) > 0
    for parquet in (folder / "runs").glob("*.parquet"):
        pd.read_parquet(parquet)  # a result file that exists is whole, recorded or not
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]
    if temporaries_allowed:
        assert all(name.startswith(".") for name in leftovers), f"a temporary file looks like a result: {leftovers}"
    else:
        assert leftovers == [], f"temporary files left behind: {leftovers}"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *args]


def _wait_for_manifest_lines(folder: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read_json_lines(folder / "manifest.jsonl")) >= count:
            return
        if process.poll() is not None:
            pytest.fail(f"the sweep ended (exit {process.returncode}) before {count} runs were recorded")
        time.sleep(0.02)
    pytest.fail(f"fewer than {count} runs recorded within {timeout} s")


def _workers(process: subprocess.Popen) -> list[psutil.Process]:
    """The pool's workers: the driver's descendants but for multiprocessing's helpers (the resource tracker, and
    the fork server the workers are forked from, which is their parent)."""
    descendants = psutil.Process(process.pid).children(recursive=True)
    return [process for process in descendants
            if "resource_tracker" not in " ".join(process.cmdline()) and not process.children()]


def _kill_all(process: subprocess.Popen) -> None:
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        member.kill()
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def _start(sweep: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(_cli("sweep", str(sweep), "--out", str(out), "--workers", "2", "--quiet"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_killed_mid_sweep_is_recorded_and_resume_finishes_it(tmp_path: Path, slow_sweep: Path,
                                                                      reference: pd.DataFrame) -> None:
    out = tmp_path / "out"
    process = _start(slow_sweep, out)
    try:
        _wait_for_manifest_lines(out / "faults", 2, process)
        victims = _workers(process)
        assert victims, "no worker processes found"
        os.kill(victims[0].pid, signal.SIGKILL)
        stdout, _stderr = process.communicate(timeout=120)
    finally:
        _kill_all(process)
    assert process.returncode == 1, stdout
    assert "--resume to retry" in stdout
    folder = out / "faults"
    assert_consistent(folder)
    failed = [r for r in read_json_lines(folder / "manifest.jsonl") if r["status"] == "failed"]
    assert failed and all("worker process running this run died" in r["error"] for r in failed)
    # Every run has a record, the killed worker's own included (it was lost when its future was the one to raise).
    planned = {run["run_id"] for run in json.loads((folder / "plan.json").read_text())["runs"]}
    assert {r["run_id"] for r in read_json_lines(folder / "manifest.jsonl")} == planned

    resumed = subprocess.run(_cli("sweep", str(slow_sweep), "--out", str(out), "--workers", "2", "--quiet",
                                  "--resume"), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert_consistent(folder)
    pd.testing.assert_frame_equal(_sorted(run_sweep(slow_sweep, out=out, resume=True).results()), reference)


def test_a_driver_killed_mid_sweep_loses_only_runs_in_flight(tmp_path: Path, slow_sweep: Path,
                                                             reference: pd.DataFrame) -> None:
    out = tmp_path / "out"
    process = _start(slow_sweep, out)
    try:
        _wait_for_manifest_lines(out / "faults", 3, process)
        workers = _workers(process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # Orphaned workers notice their driver is gone and stop on their own.
        _gone, alive = psutil.wait_procs(workers, timeout=30)
        assert alive == [], f"workers outlived their driver: {alive}"
    finally:
        _kill_all(process)
    folder = out / "faults"
    # Killed while writing a result, the driver leaves that result's temporary file; --resume removes it.
    assert_consistent(folder, temporaries_allowed=True)
    kept = [r for r in read_json_lines(folder / "manifest.jsonl") if r["status"] == "ok"]
    assert 3 <= len(kept) < RUNS

    # Whether the kill landed mid-write is a matter of timing; a planted half-written file makes the clean-up certain.
    (folder / "runs" / f".{kept[0]['run_id']}.parquet.planted.tmp").write_bytes(b"PAR1 half")

    outcome = run_sweep(slow_sweep, out=out, workers=2, resume=True)
    assert outcome.skipped == len(kept) and outcome.done == RUNS - len(kept) and outcome.failed == 0
    assert_consistent(folder)
    pd.testing.assert_frame_equal(_sorted(outcome.results()), reference)


# Full disk and read-only folder ------------------------------------------------------------------------------------


@pytest.fixture
def small_filesystem(tmp_path: Path):
    """A 4 MB tmpfs, mounted for the test (skipped where mounting is not allowed); unmounted afterwards."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount failed'}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(mount_point: Path) -> Path:
    """Take every free byte of the file system; return the filler file (delete it to free the space)."""
    filler = mount_point / "filler"
    with open(filler, "wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def _interrupt_after(runs: int, action):
    """A progress callback that performs ``action`` once, after ``runs`` runs are recorded."""
    state = {"fired": False}

    def progress(done: int, failed: int, total: int) -> None:
        if done + failed >= runs and not state["fired"]:
            state["fired"] = True
            action()

    return progress


def test_a_disk_that_fills_up_mid_sweep(small_filesystem: Path, slow_sweep: Path, reference: pd.DataFrame) -> None:
    filler: list[Path] = []
    with pytest.raises(StorageError) as caught:
        run_sweep(slow_sweep, out=small_filesystem, workers=2,
                  progress=_interrupt_after(3, lambda: filler.append(_fill(small_filesystem))))
    message = str(caught.value)
    assert "the disk is full" in message and "--resume" in message and str(small_filesystem) in message
    folder = small_filesystem / "faults"
    assert_consistent(folder)
    filler[0].unlink()  # space freed
    outcome = run_sweep(slow_sweep, out=small_filesystem, workers=2, resume=True)
    assert outcome.failed == 0
    assert_consistent(folder)
    pd.testing.assert_frame_equal(_sorted(outcome.results()), reference)


def test_a_folder_that_turns_read_only_mid_sweep(small_filesystem: Path, slow_sweep: Path,
                                                 reference: pd.DataFrame) -> None:
    def read_only() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)

    with pytest.raises(StorageError) as caught:
        run_sweep(slow_sweep, out=small_filesystem, workers=2, progress=_interrupt_after(3, read_only))
    assert "the file system is read-only" in str(caught.value) and "--resume" in str(caught.value)
    folder = small_filesystem / "faults"
    assert_consistent(folder)
    subprocess.run(["mount", "-o", "remount,rw", str(small_filesystem)], check=True)
    outcome = run_sweep(slow_sweep, out=small_filesystem, workers=2, resume=True)
    assert_consistent(folder)
    pd.testing.assert_frame_equal(_sorted(outcome.results()), reference)


def test_a_read_only_output_folder_is_reported_before_anything_runs(small_filesystem: Path, slow_sweep: Path,
                                                                     capsys) -> None:
    from sim.cli import EXIT_STORAGE, main

    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    argv = ["sweep", str(slow_sweep), "--out", str(small_filesystem / "sweeps"), "--workers", "1", "--quiet"]
    assert main(argv) == EXIT_STORAGE
    err = capsys.readouterr().err
    assert "read-only" in err and "Nothing was run" in err and "Traceback" not in err
    run_argv = ["run", str(slow_sweep.parent / "tiny.yaml"), "--until", "2025-03", "--out",
                str(small_filesystem / "runs"), "--quiet"]
    assert main(run_argv) == EXIT_STORAGE
    assert "Nothing was kept" in capsys.readouterr().err


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EACCES])
def test_a_write_failure_injected_mid_sweep(tmp_path: Path, slow_sweep: Path, reference: pd.DataFrame,
                                            monkeypatch, fault: int) -> None:
    """The same promises with the failure injected where chipsim writes (for machines where we cannot mount): the
    result file is half-written when the error strikes."""
    import sim.storage

    original = pd.DataFrame.to_parquet
    calls = {"count": 0}

    def failing_to_parquet(frame, path, *args, **kwargs):
        calls["count"] += 1
        if calls["count"] > 3:
            Path(path).write_bytes(b"PAR1 half a file")
            raise OSError(fault, os.strerror(fault), str(path))
        return original(frame, path, *args, **kwargs)

    monkeypatch.setattr(sim.storage.pd.DataFrame, "to_parquet", failing_to_parquet)
    with pytest.raises(StorageError) as caught:
        run_sweep(slow_sweep, out=tmp_path / "out", workers=1)
    expected = {errno.ENOSPC: "the disk is full", errno.EACCES: "permission denied"}[fault]
    assert expected in str(caught.value) and "--resume" in str(caught.value)
    assert caught.value.errno == fault
    folder = tmp_path / "out" / "faults"
    assert_consistent(folder)
    assert len(read_json_lines(folder / "manifest.jsonl")) == 3
    monkeypatch.undo()
    outcome = run_sweep(slow_sweep, out=tmp_path / "out", workers=2, resume=True)
    assert (outcome.skipped, outcome.done) == (3, RUNS - 3)
    pd.testing.assert_frame_equal(_sorted(outcome.results()), reference)
