"""Names cannot write outside the output folder, and existing results are never overwritten without --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sim.scenario import ScenarioError, load_scenario
from sim.storage import read_json_lines
from sim.sweep.inputs import load_sweep
from tests.conftest import tiny_dict, write_yaml

HOSTILE_NAMES = ["../escape", "/etc/cron.d/x", "a/b", "..", ".", "name with spaces", "C:\\x", "x" * 65, "",
                 "ünïcode", "nul\x00l", "Upper"]


def _files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*")}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_scenario_name_that_is_not_an_identifier_is_refused(tmp_path: Path, name: str) -> None:
    data = tiny_dict()
    data["name"] = name
    path = write_yaml(tmp_path / "scenario.yaml", data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert any(problem.path == ("name",) for problem in caught.value.problems)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_sweep_or_policy_name_that_is_not_an_identifier_is_refused(tmp_path: Path, name: str) -> None:
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    for spec in ({"name": name, "base": "tiny.yaml"},
                 {"name": "ok", "base": "tiny.yaml", "policies": {name: "tiny.yaml"}}):
        with pytest.raises(ScenarioError):
            load_sweep(write_yaml(tmp_path / "sweep.yaml", spec))


def test_a_run_writes_only_inside_its_output_folder(tmp_path: Path) -> None:
    scenario = write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    before = _files_under(tmp_path)
    assert main(["run", str(scenario), "--until", "2025-03", "--out", str(tmp_path / "out"), "--quiet"]) == EXIT_OK
    created = _files_under(tmp_path) - before
    assert created and all(path.is_relative_to(tmp_path / "out" / "tiny") or path == tmp_path / "out"
                           for path in created)


@pytest.fixture
def small_sweep(tmp_path: Path) -> Path:
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    return write_yaml(tmp_path / "sweep.yaml", {"name": "small", "base": "tiny.yaml", "seeds": 2, "until": "2025-03"})


def test_an_existing_sweep_is_replaced_only_with_force(tmp_path: Path, small_sweep: Path, capsys) -> None:
    out = tmp_path / "out"
    argv = ["sweep", str(small_sweep), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == EXIT_OK
    manifest = out / "small" / "manifest.jsonl"
    first = read_json_lines(manifest)
    (out / "small" / "notes.txt").write_text("mine")
    assert main(argv) == EXIT_BAD_INPUT
    assert "--force" in capsys.readouterr().err
    assert read_json_lines(manifest) == first  # untouched
    assert main(argv + ["--resume", "--force"]) == EXIT_BAD_INPUT
    assert "choose one" in capsys.readouterr().err
    assert main(argv + ["--force"]) == EXIT_OK
    assert len(read_json_lines(manifest)) == 2 and not (out / "small" / "notes.txt").exists()
    assert [p.name for p in out.iterdir()] == ["small"]  # the replaced folder is gone, not left beside it


def test_an_existing_report_is_replaced_only_with_force(tmp_path: Path, small_sweep: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["sweep", str(small_sweep), "--out", str(out), "--workers", "1", "--quiet"]) == EXIT_OK
    assert main(["report", str(out / "small")]) == EXIT_OK
    report = out / "small" / "report.html"
    report.write_text("edited by hand")
    assert main(["report", str(out / "small")]) == EXIT_BAD_INPUT
    assert "--force" in capsys.readouterr().err and report.read_text() == "edited by hand"
    assert main(["report", str(out / "small"), "--force"]) == EXIT_OK
    assert report.read_text().lower().startswith("<!doctype html>")


def test_runs_of_the_same_scenario_and_seed_never_overwrite_each_other(tmp_path: Path) -> None:
    scenario = write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    argv = ["run", str(scenario), "--until", "2025-02", "--out", str(tmp_path / "out"), "--quiet"]
    assert main(argv) == EXIT_OK and main(argv) == EXIT_OK
    assert len(list((tmp_path / "out" / "tiny").iterdir())) == 2
