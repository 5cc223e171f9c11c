"""Sweeps: validated before anything runs, the same results whatever the executor, resumable, failure-tolerant."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.scenario import ScenarioError
from sim.storage import read_json_lines
from sim.sweep import load_sweep, run_model, run_sweep
from sim.sweep.plan import plan_runs
from tests.conftest import BASELINE, tiny_dict, write_yaml


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    """Two policies on the tiny world (with and without an export control), 2 points x 2 seeds: 8 runs."""
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    controlled = tiny_dict()
    controlled["name"] = "tiny_controlled"
    controlled["policies"] = [{"type": "export_control", "announce": "2025-01", "effective": "2025-01",
                               "source": "assumption: test", "params": {"tpp_threshold": 4800.0,
                                                                        "destination_tiers": [2]}}]
    write_yaml(tmp_path / "controlled.yaml", controlled)
    return write_yaml(tmp_path / "sweep.yaml", {
        "name": "tiny_sweep",
        "base": "tiny.yaml",
        "policies": {"open": "tiny.yaml", "controlled": "controlled.yaml"},
        "uncertainties": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "values": [0.1, 0.3]}],
        "seeds": 2,
        "until": "2025-06",
        "metrics": ["us_china_ratio", "rest_effective_h100e", "smuggled_chips"],
    })


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["run_id", "date"]).reset_index(drop=True)


def test_plan_pairs_every_policy_with_the_same_points_and_seeds(sweep_file: Path) -> None:
    runs = plan_runs(load_sweep(sweep_file))
    assert len(runs) == 8 and len({run.run_id for run in runs}) == 8
    by_policy = {policy: {(r.point, r.seed) for r in runs if r.policy == policy} for policy in ("open", "controlled")}
    assert by_policy["open"] == by_policy["controlled"]
    assert plan_runs(load_sweep(sweep_file))[0].run_id == runs[0].run_id  # stable ids


def test_latin_hypercube_samples_ranges_within_bounds(tmp_path: Path, sweep_file: Path) -> None:
    lhs = write_yaml(tmp_path / "lhs.yaml", {
        "name": "lhs", "base": "tiny.yaml", "seeds": 1, "sampling": {"method": "lhs", "samples": 5, "seed": 3},
        "uncertainties": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "low": 0.0, "high": 0.5}],
        "levers": [{"name": "markup", "path": "intermediaries.sgdist.markup_fraction", "values": [0.1, 0.2]}],
    })
    runs = plan_runs(load_sweep(lhs))
    noise = sorted({run.factors["noise"] for run in runs})
    assert len(runs) == 10 and len(noise) == 5 and all(0.0 <= value <= 0.5 for value in noise)
    # One draw per fifth of the range: a Latin hypercube, not five random points.
    assert sorted(int(value / 0.1) for value in noise) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"uncertainties": [{"name": "x", "path": "parameters.no_such_thing.value", "values": [1.0]}]},
         "parameters.no_such_thing: unknown key"),
        ({"levers": [{"name": "m", "path": "intermediaries.nobody.markup_fraction", "values": [0.1]}]},
         "no item 'nobody' here"),
        ({"levers": [{"name": "m", "path": "intermediaries.sgdist.markup_fraction", "values": [-1.0]}]},
         "greater than or equal to 0"),
        ({"metrics": ["happiness"]}, "unknown metrics ['happiness']"),
        ({"uncertainties": [{"name": "x", "path": "parameters.demand_noise_sigma.value", "low": 0.1, "high": 0.2}]},
         "use method lhs to sample ranges"),
        ({"policies": {"ghost": "ghost.yaml"}}, "no such scenario file"),
    ],
)
def test_bad_sweeps_are_refused_before_anything_runs(tmp_path: Path, sweep_file: Path, change: dict,
                                                     words: str) -> None:
    bad = write_yaml(tmp_path / "bad.yaml", {"name": "bad", "base": "tiny.yaml", **change})
    with pytest.raises(ScenarioError, match=words.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        run_sweep(bad, out=tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_results_are_the_same_whatever_the_executor_and_worker_count(tmp_path: Path, sweep_file: Path) -> None:
    one = run_sweep(sweep_file, out=tmp_path / "one", workers=1).results()
    two = run_sweep(sweep_file, out=tmp_path / "two", workers=2).results()
    dask = run_sweep(sweep_file, out=tmp_path / "dask", workers=2, executor="dask").results()
    assert len(one) == 8 * 6  # 8 runs x 6 months
    pd.testing.assert_frame_equal(_sorted(one), _sorted(two))
    pd.testing.assert_frame_equal(_sorted(one), _sorted(dask))
    controlled = one[one["policy"] == "controlled"]
    assert (controlled["rest_effective_h100e"] <= one[one["policy"] == "open"]["rest_effective_h100e"].max()).all()


def test_resume_after_an_interruption_finishes_with_identical_results(tmp_path: Path, sweep_file: Path) -> None:
    whole = run_sweep(sweep_file, out=tmp_path / "whole", workers=2).results()
    partial = run_sweep(sweep_file, out=tmp_path / "cut", workers=2)
    manifest = partial.folder / "manifest.jsonl"
    lines = manifest.read_text().splitlines()
    # Interrupted after 3 runs: the rest never happened, and the last manifest line was torn mid-write.
    for record in read_json_lines(manifest)[3:]:
        (partial.folder / "runs" / f"{record['run_id']}.parquet").unlink()
    manifest.write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    resumed = run_sweep(sweep_file, out=tmp_path / "cut", workers=2, resume=True)
    assert (resumed.skipped, resumed.done, resumed.failed) == (3, 5, 0)
    pd.testing.assert_frame_equal(_sorted(resumed.results()), _sorted(whole))


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path: Path, sweep_file: Path, monkeypatch) -> None:
    # The controlled policy's file is edited once the sweep is planned: its runs must fail (their ids name the file as
    # it was) while the open policy's complete.
    import sim.sweep.runner

    def plan_then_edit(loaded):
        runs = plan_runs(loaded)
        edited = tiny_dict(**{"parameters.buyer_price_sensitivity.value": 2.0})
        edited["name"] = "tiny_controlled"
        write_yaml(tmp_path / "controlled.yaml", edited)
        return runs

    monkeypatch.setattr(sim.sweep.runner, "plan_runs", plan_then_edit)
    outcome = run_sweep(sweep_file, out=tmp_path / "out", workers=2)
    assert (outcome.done, outcome.failed) == (4, 4)
    failures = [r for r in read_json_lines(outcome.folder / "manifest.jsonl") if r["status"] == "failed"]
    assert all("changed after the sweep started" in r["error"] and "--force" in r["error"] for r in failures)
    assert {(r["policy"], r["seed"]) for r in failures} == {("controlled", 0), ("controlled", 1)}
    assert sorted(r["factors"]["noise"] for r in failures) == [0.1, 0.1, 0.3, 0.3]
    assert set(outcome.results()["policy"]) == {"open"}


def test_a_run_that_raises_returns_its_traceback(tmp_path: Path, sweep_file: Path, monkeypatch) -> None:
    import sim.sweep.execute

    def broken(*args, **kwargs):
        raise RuntimeError("the model broke down")

    monkeypatch.setattr(sim.sweep.execute, "run_scenario", broken)
    outcome = sim.sweep.execute.execute_run(plan_runs(load_sweep(sweep_file))[0])
    assert outcome["status"] == "failed"
    assert "Traceback" in outcome["error"] and "the model broke down" in outcome["error"]


def test_cli_sweep_refuses_to_overwrite_and_resumes(tmp_path: Path, sweep_file: Path, capsys) -> None:
    argv = ["sweep", str(sweep_file), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "8 runs, 0 already done, 8 ran, 0 failed" in printed
    # What to run next, ready to paste.
    assert f"next: chipsim report {tmp_path / 'out' / 'tiny_sweep'}" in printed.replace("\n", "")
    assert main(argv) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 0
    assert "8 already done, 0 ran" in capsys.readouterr().out


def test_run_model_returns_named_outcomes() -> None:
    outcomes = run_model(str(BASELINE), seed=1, until="2025-06", parameters__demand_noise_sigma__value=0.2)
    assert set(outcomes) >= {"us_china_ratio", "lead_months", "china_effective_h100e", "smuggled_chips"}
    assert outcomes["us_china_ratio"] > 1


def test_worker_cache_sees_an_edited_scenario(tmp_path: Path, sweep_file: Path) -> None:
    from sim.sweep.execute import load_for_run

    scenario = tmp_path / "tiny.yaml"
    assert load_for_run(str(scenario), {}).scenario.end == "2025-12"
    data = tiny_dict()
    data["end"] = "2026-06"
    write_yaml(scenario, data)
    assert load_for_run(str(scenario), {}).scenario.end == "2026-06"
