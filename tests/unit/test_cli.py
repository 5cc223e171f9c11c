"""``chipsim run`` writes a complete, self-describing result folder, or nothing at all."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.report
from sim.cli import main
from sim.scenario import load_scenario
from tests.conftest import write_yaml

EXPECTED_FILES = {
    "blocs.parquet", "blocs.csv", "world.parquet", "world.csv", "revenue.parquet", "revenue.csv",
    "flows.parquet", "flows.csv", "prices.parquet", "prices.csv", "scenario.resolved.yaml",
    "production.parquet", "production.csv", "routes.parquet", "routes.csv", "compute_by_bloc.png", "summary.json",
    "network.graphml", "alliance.parquet", "alliance.csv", "capacity.parquet", "capacity.csv",
}


def _only_run_dir(out: Path) -> Path:
    runs = [p for p in (out / "tiny").iterdir()]
    assert len(runs) == 1, runs
    return runs[0]


def test_run_writes_tables_figure_resolved_scenario_and_provenance(tiny_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(tiny_file), "--seed", "4", "--until", "2025-06", "--out", str(out)]) == 0
    run_dir = _only_run_dir(out)
    assert {p.name for p in run_dir.iterdir()} == EXPECTED_FILES
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["seed"] == 4 and summary["until"] == "2025-06" and summary["months"] == 6
    assert summary["scenario_file_sha256"] == load_scenario(tiny_file).file_sha256
    assert set(summary["provenance"]) >= {"chipsim_version", "mesa_version", "python_version", "git"}
    assert summary["wall_time_s"] > 0
    blocs = pd.read_parquet(run_dir / "blocs.parquet")
    assert list(blocs["date"].unique()) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "blocs.csv"), blocs, check_dtype=False)
    resolved = yaml.safe_load((run_dir / "scenario.resolved.yaml").read_text())
    assert resolved["name"] == "tiny" and "extends" not in resolved
    assert (run_dir / "compute_by_bloc.png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "US:China" in printed and "2025-06" in printed and str(run_dir) in printed.replace("\n", "")


def test_resolved_scenario_reruns_to_identical_results(tiny_file: Path, tmp_path: Path) -> None:
    assert main(["run", str(tiny_file), "--seed", "2", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    first = _only_run_dir(tmp_path / "a")
    assert main(["run", str(first / "scenario.resolved.yaml"), "--seed", "2", "--out", str(tmp_path / "b"),
                 "--quiet"]) == 0
    second = _only_run_dir(tmp_path / "b")
    pd.testing.assert_frame_equal(pd.read_parquet(first / "blocs.parquet"), pd.read_parquet(second / "blocs.parquet"))


def test_a_crash_while_writing_leaves_no_result_behind(tiny_file: Path, tmp_path: Path, monkeypatch) -> None:
    def broken_figure(result):
        raise RuntimeError("disk trouble while drawing")

    monkeypatch.setattr(sim.report, "compute_figure", broken_figure)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk trouble"):
        main(["run", str(tiny_file), "--out", str(out), "--quiet"])
    assert list((out / "tiny").iterdir()) == []


def test_ctrl_c_during_the_run_leaves_nothing_and_exits_130(tiny_file: Path, tmp_path: Path, monkeypatch,
                                                             capsys) -> None:
    import sim.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.run, "run_scenario", interrupted)
    out = tmp_path / "out"
    assert main(["run", str(tiny_file), "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists()


def test_two_runs_never_overwrite_each_other(tiny_file: Path, tmp_path: Path) -> None:
    for _ in range(2):
        argv = ["run", str(tiny_file), "--seed", "1", "--until", "2025-02", "--out", str(tmp_path), "--quiet"]
        assert main(argv) == 0
    assert len(list((tmp_path / "tiny").iterdir())) == 2


def test_validate_says_fine_for_a_good_file(tiny_file: Path, capsys) -> None:
    assert main(["validate", str(tiny_file)]) == 0
    assert capsys.readouterr().out.startswith(f"ok {tiny_file}: scenario 'tiny'")


def test_sources_lists_the_registry(capsys) -> None:
    assert main(["sources"]) == 0
    assert "smuggled_2024" in capsys.readouterr().out


def test_run_writes_only_the_tables_asked_for_besides_blocs_and_world(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(tiny_file), "--tables", "flows", "routes", "--out", str(out), "--quiet"]) == 0
    run_dir = _only_run_dir(out)
    written = {p.name for p in run_dir.iterdir()}
    left_out = {f"{name}.{kind}" for name in ("revenue", "prices", "production", "alliance", "capacity")
                for kind in ("parquet", "csv")}
    assert written == EXPECTED_FILES - left_out
    assert json.loads((run_dir / "summary.json").read_text())["tables"] == ["blocs", "world", "flows", "routes"]


def test_an_unknown_table_is_refused_with_the_list(tiny_file: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", str(tiny_file), "--tables", "price", "--out", str(tmp_path / "out")])
    assert caught.value.code == 2
    assert "invalid choice: 'price'" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_negative_seed_is_refused(tiny_file: Path, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", str(tiny_file), "--seed", "-3"])
    assert caught.value.code == 2
    assert "expected a whole number >= 0" in capsys.readouterr().err


def test_scenario_name_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    from tests.conftest import tiny_dict

    data = tiny_dict()
    data["name"] = "../../escape"
    assert main(["validate", str(write_yaml(tmp_path / "evil.yaml", data))]) == 2
