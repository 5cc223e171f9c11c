"""A sweep folder that is damaged, shared or outdated: nothing gets stuck, nothing is mixed, nothing is a traceback.

A result file cut short or of the wrong shape is not a result (``--resume`` runs it again, the report leaves it out,
both name it); a manifest line that is not a record is skipped and named; a plan.json that cannot be read ends in
exit code 2 naming it; ``--resume`` refuses when an input file changed since the sweep started; a second sweep on a
busy folder exits at once; and the report counts each run by its latest record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sim.storage import read_json_lines
from sim.sweep.lock import sweep_lock


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, " ".join(captured.out.split()), " ".join(captured.err.split())


def _sweep(sweep: Path, folder: Path, *extra: str) -> list[str]:
    return ["sweep", str(sweep), "--out", str(folder.parent), "--workers", "1", "--quiet", *extra]


def _run_ids(folder: Path) -> list[str]:
    return [run["run_id"] for run in json.loads((folder / "plan.json").read_text())["runs"]]


def _report_page(folder: Path) -> str:
    return " ".join((folder / "report.html").read_text(encoding="utf-8").split())


@pytest.mark.parametrize("damage", ["truncated", "wrong columns"])
def test_a_damaged_result_file_is_named_left_out_of_the_report_and_run_again(finished_sweep, capsys,
                                                                             damage: str) -> None:
    sweep, folder = finished_sweep
    victim = folder / "runs" / f"{_run_ids(folder)[1]}.parquet"
    if damage == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
        why = "is unreadable"
    else:
        pd.DataFrame({"month": ["2025-01"]}).to_parquet(victim)
        why = "lacks the columns date, tick, us_china_ratio"

    code, _out, err = _cli(["report", str(folder)], capsys)
    assert code == EXIT_OK and f"{victim} {why}" in err and "is left out" in err
    assert "4 runs planned, 3 with results, 0 failed" in _report_page(folder)

    code, out, err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_OK and f"{victim} {why}" in err and "is run again" in err
    assert "4 runs, 3 already done, 1 ran, 0 failed" in out
    assert len(pd.read_parquet(victim)) == 3  # whole again: three months


def test_damaged_manifest_lines_are_skipped_and_named(finished_sweep, capsys) -> None:
    sweep, folder = finished_sweep
    manifest = folder / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    damaged = [b'{"run_id": "\xff\xfe"}\n', b"[1, 2]\n", b'{"status": "ok"}\n', b"not json\n"]
    manifest.write_bytes(lines[0] + b"".join(damaged) + b"".join(lines[1:]))

    code, _out, err = _cli(["report", str(folder)], capsys)
    assert code == EXIT_OK
    assert f"{manifest} line 2: not UTF-8" in err and f"{manifest} line 3: a JSON list, not a record" in err
    assert "a record without a run id or status" in err and f"{manifest} line 5: not JSON" in err
    assert "4 runs planned, 4 with results, 0 failed" in _report_page(folder)

    code, out, err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_OK and f"{manifest} line 2: not UTF-8" in err
    assert "4 runs, 4 already done, 0 ran" in out


@pytest.mark.parametrize("plan, words", [
    (b"[]", "expected the sweep's plan: a mapping whose runs are a non-empty list"),
    (b'{"runs": [{"run_id": 3, "policy": "open", "point": 0, "seed": 0}]}', "runs[0].run_id = 3: expected a str"),
    (b'{"runs": [', "cannot be read"),
    (b"\xff[]", "cannot be read"),
])
def test_a_damaged_plan_ends_in_exit_2_naming_it(finished_sweep, capsys, plan: bytes, words: str) -> None:
    sweep, folder = finished_sweep
    (folder / "plan.json").write_bytes(plan)
    code, _out, err = _cli(["report", str(folder)], capsys)
    assert code == EXIT_BAD_INPUT and f"{folder / 'plan.json'}" in err and words in err
    code, _out, err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_BAD_INPUT and words in err and "--force" in err


def test_a_folder_with_nothing_readable_ends_in_exit_2(finished_sweep, capsys) -> None:
    _sweep_file, folder = finished_sweep
    for result in (folder / "runs").glob("*.parquet"):
        result.write_bytes(b"PAR1")
    code, _out, err = _cli(["report", str(folder)], capsys)
    assert code == EXIT_BAD_INPUT and "has no finished runs to report on (4 damaged files" in err
    assert not (folder / "report.html").exists()


def test_the_report_counts_each_run_by_its_latest_record(finished_sweep, capsys) -> None:
    # A run failed, then a resume ran it: the failure is history, not a failed run.
    sweep, folder = finished_sweep
    manifest = folder / "manifest.jsonl"
    first = read_json_lines(manifest)[0]
    failed = {**first, "status": "failed", "error": "the worker process running this run died"}
    manifest.write_text(json.dumps(failed) + "\n" + manifest.read_text())
    assert _cli(["report", str(folder)], capsys)[0] == EXIT_OK
    assert "4 runs planned, 4 with results, 0 failed." in _report_page(folder)
    code, out, _err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_OK and "4 already done, 0 ran" in out


@pytest.mark.parametrize("edit", ["policy", "sweep metrics"])
def test_resume_refuses_when_an_input_changed_since_the_sweep_started(small_sweep_file: Callable[..., Path],
                                                                      capsys, edit: str) -> None:
    sweep = small_sweep_file()
    folder = sweep.parent / "out" / "small"
    assert _cli(_sweep(sweep, folder), capsys)[0] == EXIT_OK
    before = read_json_lines(folder / "manifest.jsonl")
    if edit == "policy":
        changed = sweep.parent / "controlled.yaml"
        changed.write_text(changed.read_text().replace("tpp_threshold: 4800.0", "tpp_threshold: 9000.0"))
    else:
        changed = sweep
        sweep.write_text(sweep.read_text().replace("- us_china_ratio", "- smuggled_chips"))
    code, _out, err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_BAD_INPUT
    assert f"{changed.resolve()} changed (sha256" in err and "--force to start over" in err
    assert read_json_lines(folder / "manifest.jsonl") == before  # nothing ran, nothing was touched
    code, out, _err = _cli(_sweep(sweep, folder, "--force"), capsys)
    assert code == EXIT_OK and "4 runs, 0 already done, 4 ran" in out


def test_a_second_sweep_on_a_busy_folder_exits_at_once(finished_sweep, capsys) -> None:
    sweep, folder = finished_sweep
    before = sorted(path.name for path in (folder / "runs").iterdir())
    with sweep_lock(folder):  # as a running sweep holds it
        for extra in (["--force"], ["--resume"], []):
            code, _out, err = _cli(_sweep(sweep, folder, *extra), capsys)
            assert code == EXIT_BAD_INPUT
            assert f"another chipsim sweep is using this folder (pid {os.getpid()})" in err
        assert sorted(path.name for path in (folder / "runs").iterdir()) == before  # --force deleted nothing
    code, out, _err = _cli(_sweep(sweep, folder, "--resume"), capsys)
    assert code == EXIT_OK and "4 already done" in out
    assert sorted(path.name for path in folder.parent.iterdir()) == ["small"]  # the lock file went with the sweep
