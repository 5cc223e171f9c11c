"""chipsim calibrate --fit: finds a planted value, resumes without running again, refuses bad uncertain: entries, keeps
only sets that meet the targets, and a sweep samples those sets.

The planted fit: the baseline with the share of their budget Chinese clouds spend renting offshore moved from 0.167 to
0.02 (compute rented offshore then falls short of its target) and that share marked uncertain over 0.01 to 0.5; the
fit must bring it back to where the targets are met (the targets pin it to an interval, about 0.08 and up, not to a
point), and exit 0. One fit (one seed, 16 evaluations on 2 workers) serves every test that reads its output.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration import LAST_MONTH_NEEDED, TARGETS, check
from sim.cli import main
from sim.fit.search import FitSettings, fit_scenario
from sim.fit.space import SearchSpace
from sim.run import run_scenario
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import UncertainParameter
from sim.storage import read_json_lines
from sim.sweep import load_sweep
from sim.sweep.folder import read_plan, write_plan
from sim.sweep.plan import plan_runs
from tests.conftest import BASELINE, tiny_dict, write_yaml

SHARE_PATH = "populations.data_centers.cn_cloud.offshore_rental_share"
PLANTED = 0.1669  # the baseline's (fitted) value, which meets every target
FIT_ARGS = ["--fit", "--seeds", "1", "--budget", "16", "--workers", "2", "--keep", "3", "--quiet"]


def _planted_scenario(folder: Path, **entry) -> Path:
    uncertain = {"path": SHARE_PATH, "low": 0.01, "high": 0.5, "source": "assumption: test", **entry}
    return write_yaml(folder / "planted.yaml", {
        "extends": os.path.relpath(BASELINE, folder), "name": "planted",
        "overrides": {SHARE_PATH: 0.02}, "uncertain": [uncertain]})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """(scenario file, the fit's folder, exit code) of the planted fit."""
    folder = tmp_path_factory.mktemp("fit")
    scenario = _planted_scenario(folder)
    code = main(["calibrate", str(scenario), *FIT_ARGS, "--out", str(folder / "out")])
    return scenario, folder / "out" / "planted", code


def _records(fit_folder: Path) -> list[dict]:
    return read_json_lines(fit_folder / "evaluations.jsonl")  # a torn line, left by an interrupted fit, skipped


def test_the_fit_recovers_a_planted_value(fitted: tuple[Path, Path, int]) -> None:
    scenario, fit_folder, code = fitted
    records = _records(fit_folder)
    checked = sum(not target.informational for target in TARGETS)
    assert records[0]["values"] == {SHARE_PATH: 0.02} and records[0]["targets_met"] < checked  # planted off target
    assert code == 0
    fitted_file = fit_folder / "fitted.yaml"
    clouds = next(p for p in load_scenario(fitted_file).scenario.populations.data_centers if p.id == "cn_cloud")
    assert 0.4 * PLANTED < clouds.offshore_rental_share < 2.8 * PLANTED
    # The fitted file is a scenario like any other: it cites the fit, and plain calibrate agrees with the fit.
    assert main(["calibrate", str(fitted_file), "--seeds", "1"]) == 0


def test_a_rerun_resumes_from_the_checkpoint_without_running_again(fitted: tuple[Path, Path, int],
                                                                   tmp_path: Path) -> None:
    scenario, fit_folder, _code = fitted
    settings = FitSettings(seeds=1, budget=16, workers=2, keep=3)
    before = _records(fit_folder)
    again = fit_scenario(scenario, fit_folder.parent, settings)
    assert again.ran == 0 and again.asked == len(before) and _records(fit_folder) == before
    # Interrupted after three evaluations, with a torn last line: the rest run, nothing twice, the same answer.
    copy = tmp_path / "planted"
    copy.mkdir()
    lines = (fit_folder / "evaluations.jsonl").read_text().splitlines(keepends=True)
    (copy / "evaluations.jsonl").write_text("".join(lines[:3]) + lines[3][:40])
    resumed = fit_scenario(scenario, tmp_path, settings)
    assert resumed.ran == len(before) - 3
    keys = [record["key"] for record in _records(copy)]
    assert len(keys) == len(set(keys)) and set(keys) == {record["key"] for record in before}
    assert resumed.best["values"] == again.best["values"]


def test_kept_sets_all_meet_every_target(fitted: tuple[Path, Path, int]) -> None:
    scenario, fit_folder, _code = fitted
    kept = pd.read_csv(fit_folder / "kept.csv", float_precision="round_trip")
    assert list(kept.columns) == [SHARE_PATH] and len(kept) == 3
    by_value = {record["values"][SHARE_PATH]: record for record in _records(fit_folder)}
    for value in kept[SHARE_PATH]:
        figures = by_value[value]["targets"]
        assert all(t.low <= figures[t.id]["min"] and figures[t.id]["max"] <= t.high
                   for t in TARGETS if not t.informational)
    # and independently of the fit's bookkeeping, for one of them
    loaded = load_scenario(scenario, {SHARE_PATH: float(kept[SHARE_PATH].iloc[0])})
    report = check([run_scenario(loaded, seed=0, until=LAST_MONTH_NEEDED)])
    assert report.loc[~report["informational"], "ok"].all()


def test_a_sweep_samples_the_kept_sets(fitted: tuple[Path, Path, int], tmp_path: Path) -> None:
    scenario, fit_folder, _code = fitted
    shutil.copy(fit_folder / "kept.csv", tmp_path / "kept.csv")
    sweep = write_yaml(tmp_path / "sweep.yaml", {
        "name": "projection", "base": os.path.relpath(scenario, tmp_path), "sample_from": "kept.csv",
        "levers": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "values": [0.1, 0.2]}],
        "seeds": 1, "until": "2025-03"})
    runs = plan_runs(load_sweep(sweep))
    kept = pd.read_csv(tmp_path / "kept.csv", float_precision="round_trip")[SHARE_PATH].tolist()
    assert len(runs) == 2 * len(kept)
    assert sorted({run.overrides[SHARE_PATH] for run in runs}) == sorted(kept)
    assert {"noise", "offshore_rental_share"} == set(runs[0].factors)


@pytest.mark.parametrize("entry, words", [
    ({"source": "made_up"}, "unknown source id 'made_up'"),
    ({"low": 0.9}, "needs low < high"),
    ({"low": 0.0, "scale": "log"}, "scale log needs low > 0"),
    ({"path": "populations.data_centers.nobody.offshore_rental_share"}, "no item 'nobody' here"),
    ({"path": "populations.data_centers.us_hyperscaler.vendors"}, "not a number"),
    ({"high": 1.5}, "less than or equal to 1"),
    ({"path": "populations.intermediaries.sg_dist.diversion_capacity_chips_per_month", "low": 500.0, "high": 3000.0},
     "add whole: true"),
])
def test_bad_uncertain_entries_exit_2_naming_file_path_and_value(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                 entry: dict, words: str) -> None:
    scenario = _planted_scenario(tmp_path, **entry)
    assert main(["calibrate", str(scenario), *FIT_ARGS, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert str(scenario) in error and "uncertain[0]" in error and words in error
    assert not (tmp_path / "out" / "planted" / "evaluations.jsonl").exists()


def test_search_space_maps_the_unit_cube_onto_the_ranges() -> None:
    space = SearchSpace((
        UncertainParameter(path="a", low=1.0, high=100.0, scale="log", source="assumption: test"),
        UncertainParameter(path="b", low=500.0, high=3000.0, whole=True, source="assumption: test"),
    ))
    assert space.values(np.array([0.5, 0.5])) == {"a": pytest.approx(10.0), "b": 1750}
    assert space.values(np.array([0.0, 1.0])) == {"a": 1.0, "b": 3000}
    assert space.unit({"a": 10.0, "b": 1750}) == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("table, words", [
    ("parameters.demand_noise_sigma.value\nhigh\n", "row 1 is not a number"),
    ("parameters.demand_noise_sigma.value\n0.1\n0.2\nabc\n", "value = 'abc': row 3 is not a number"),
    ("parameters.demand_noise_sigma.value\n0.1\ninf\n", "row 2 is not a finite number"),
    ("parameters.demand_noise_sigma.value\n", "has no rows"),
    ("parameters.demand_noise_sigma.value\n0.1\n0.1\n", "repeat earlier rows"),
    ("parameters.nothing_here.value\n0.1\n", "parameters.nothing_here: unknown key"),
])
def test_bad_sample_tables_are_refused_naming_the_file(tmp_path: Path, table: str, words: str) -> None:
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    (tmp_path / "points.csv").write_text(table)
    sweep = write_yaml(tmp_path / "sweep.yaml", {"name": "s", "base": "tiny.yaml", "sample_from": "points.csv"})
    with pytest.raises(ScenarioError) as caught:
        load_sweep(sweep)
    assert words in str(caught.value)


def test_sample_from_cannot_sit_beside_a_sampled_range(tmp_path: Path) -> None:
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    (tmp_path / "points.csv").write_text("parameters.demand_noise_sigma.value\n0.1\n")
    sweep = write_yaml(tmp_path / "sweep.yaml", {
        "name": "s", "base": "tiny.yaml", "sample_from": "points.csv", "sampling": {"method": "lhs"},
        "uncertainties": [{"name": "m", "path": "intermediaries.sgdist.markup_fraction", "low": 0.1, "high": 0.2}]})
    with pytest.raises(ScenarioError, match="sample_from gives the sampled points"):
        load_sweep(sweep)


def test_a_whole_number_column_is_checked_with_its_whole_numbers(tmp_path: Path) -> None:
    # Counts (a diverter's covert capacity) refuse 737.0; a kept.csv column of them must be probed as written.
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    (tmp_path / "points.csv").write_text("intermediaries.sgdist.diversion_capacity_chips_per_month\n737\n2479\n")
    sweep = write_yaml(tmp_path / "sweep.yaml", {"name": "s", "base": "tiny.yaml", "sample_from": "points.csv"})
    loaded = load_sweep(sweep)  # refused before: the check probed the column's range as floats
    values = [value for point in loaded.sample_file.points for value in point.values()]
    assert values == [737, 2479] and all(isinstance(value, int) for value in values)


def test_the_plan_keeps_the_key_path_of_every_sampled_column(tmp_path: Path) -> None:
    # The report labels an input and gives its unit from its key path (a share reads as a percentage).
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    (tmp_path / "points.csv").write_text("intermediaries.sgdist.markup_fraction\n0.1\n0.2\n")
    loaded = load_sweep(write_yaml(tmp_path / "sweep.yaml", {"name": "s", "base": "tiny.yaml",
                                                             "sample_from": "points.csv"}))
    write_plan(tmp_path, loaded, plan_runs(loaded))
    assert read_plan(tmp_path).factor_paths == {"markup_fraction": "intermediaries.sgdist.markup_fraction"}
