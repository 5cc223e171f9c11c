"""`chipsim project` over a fit's kept parameter sets: each set is applied to every scenario, so the bands carry the
calibration's uncertainty; a kept set a scenario cannot take is refused before any run."""

from __future__ import annotations

from pathlib import Path

from conftest import tiny_dict, write_yaml

from sim.cli import EXIT_BAD_INPUT, main
from sim.projections import project_one, read_kept_sets, tasks_for

CHINA_BUDGET = "data_centers.cndc.budget_usd_per_month"


def _tiny_to_2026(tmp_path: Path) -> Path:
    world = tiny_dict()
    world["start"], world["end"] = "2024-01", "2026-12"  # calibration reads 2024 to 2026
    return write_yaml(tmp_path / "tiny.yaml", world)


def _kept(tmp_path: Path, column: str, values: list[float]) -> Path:
    path = tmp_path / "kept.csv"
    path.write_text("\n".join([column, *(str(v) for v in values)]) + "\n", encoding="utf-8")
    return path


def test_every_scenario_runs_under_every_kept_set_at_every_seed(tmp_path: Path) -> None:
    kept = read_kept_sets(_kept(tmp_path, CHINA_BUDGET, [50_000, 500_000]))
    assert kept == [{CHINA_BUDGET: 50_000}, {CHINA_BUDGET: 500_000}]
    tasks = tasks_for([Path("a.yaml"), Path("b.yaml")], seeds=3, kept_sets=kept)
    assert len(tasks) == 2 * 2 * 3
    assert {(t.path, t.kept_set, t.seed) for t in tasks} == {
        (p, k, s) for p in ("a.yaml", "b.yaml") for k in (0, 1) for s in range(3)}
    assert tasks_for([Path("a.yaml")], seeds=2) == tasks_for([Path("a.yaml")], seeds=2, kept_sets=[])
    assert {t.kept_set for t in tasks_for([Path("a.yaml")], seeds=2)} == {None}


def test_a_kept_set_changes_the_run_it_is_applied_to(tmp_path: Path) -> None:
    scenario = _tiny_to_2026(tmp_path)
    kept = read_kept_sets(_kept(tmp_path, CHINA_BUDGET, [50_000, 500_000]))
    small, large = (project_one(task) for task in tasks_for([scenario], seeds=1, kept_sets=kept))
    assert (small.kept_set, large.kept_set) == (0, 1)
    [small_2026] = small.rows
    [large_2026] = large.rows
    # ten times the Chinese buyer's budget: China's domestic compute grows, so the US lead shrinks
    assert large_2026["china_domestic"] > 2 * small_2026["china_domestic"]
    assert large_2026["us_china_ratio"] < small_2026["us_china_ratio"]


def test_a_kept_set_a_scenario_cannot_take_is_refused_before_any_run(tmp_path: Path, capsys) -> None:
    scenario = _tiny_to_2026(tmp_path)
    kept = _kept(tmp_path, "vendors.nvidia.product_lines.b300.max_wafers_per_month", [100])
    out = tmp_path / "projections.md"
    code = main(["project", str(scenario), "--baseline", str(scenario), "--seeds", "1", "--kept", str(kept),
                 "--out", str(out)])
    assert code == EXIT_BAD_INPUT
    message = capsys.readouterr().err
    assert "tiny.yaml" in message and "nvidia" in message
    assert not out.exists()
