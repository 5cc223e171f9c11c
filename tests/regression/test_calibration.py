"""The shipped baseline reproduces its calibration targets (sim/calibration.py) on several seeds."""

from __future__ import annotations

from sim import run_scenario
from sim.calibration import LAST_MONTH_NEEDED, TARGETS, check
from sim.cli import main
from sim.sources import registry
from tests.conftest import BASELINE


def test_baseline_meets_every_calibration_target() -> None:
    results = [run_scenario(BASELINE, seed=seed, until=LAST_MONTH_NEEDED) for seed in (0, 1, 2)]
    report = check(results)
    targets = report[~report["informational"]]
    assert targets["ok"].all(), targets[~targets["ok"]].to_string()


def test_every_target_cites_known_sources() -> None:
    for target in TARGETS:
        assert all(part in registry() for part in target.source.split("+")), target.id


def test_calibrate_command_prints_model_vs_target(capsys) -> None:
    assert main(["calibrate", str(BASELINE), "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "huawei_2025_low+huawei_2025_high" in out and "ok" in out


def test_calibrate_command_fails_when_a_target_is_missed(tmp_path, capsys) -> None:
    from tests.conftest import write_yaml

    starved = write_yaml(tmp_path / "starved.yaml", {
        "extends": str(BASELINE), "name": "starved",
        # Huawei's lines are not unique by chip (910B at SMIC and via a front at TSMC): addressed by index.
        "overrides": {"vendors.huawei.product_lines.0.reservation_share_of_node": 0.0001},
    })
    assert main(["calibrate", str(starved), "--seeds", "1"]) == 1
    assert "OUT" in capsys.readouterr().out


def test_calibrate_refuses_a_scenario_starting_after_the_first_target_month(tmp_path, capsys) -> None:
    from tests.conftest import write_yaml

    late = write_yaml(tmp_path / "late.yaml", {"extends": str(BASELINE), "name": "late", "start": "2025-01"})
    assert main(["calibrate", str(late), "--seeds", "1"]) == 2
    assert "calibration needs a run from 2024-01" in capsys.readouterr().err
