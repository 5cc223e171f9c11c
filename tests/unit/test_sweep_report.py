"""The sweep report: rankings, regret, paired differences and sensitivity on hand-made results, and the page itself."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import run_sweep
from sim.sweep.report import bands, paired_differences, ranking, sensitivity
from tests.unit.test_sweep import sweep_file  # noqa: F401 - a fixture

# Two policies in three scenarios (point, seed); "tight" leads by 2, 4 and 6 months more than "base".
FINAL = pd.DataFrame({
    "run_id": list("abcdef"),
    "policy": ["base", "base", "base", "tight", "tight", "tight"],
    "point": [0, 1, 2, 0, 1, 2],
    "seed": [0, 0, 0, 0, 0, 0],
    "fine": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
    "lead_months": [10.0, 12.0, 14.0, 12.0, 16.0, 20.0],
    "us_china_ratio": [5.0, 8.0, 12.0, 7.0, 11.0, 15.0],
})


def test_ranking_regret_and_target_share_are_written_out() -> None:
    table = ranking(FINAL, target_ratio=10.0)
    assert list(table.index) == ["tight", "base"]
    assert table.loc["tight", "median_lead_months"] == 16.0
    assert table.loc["base", "median_regret_months"] == 4.0  # short of tight by 2, 4, 6
    assert table.loc["base", "max_regret_months"] == 6.0
    assert table.loc["tight", "median_regret_months"] == 0.0
    assert table.loc["base", "share_meeting_target"] == pytest.approx(1 / 3)
    assert table.loc["tight", "share_meeting_target"] == pytest.approx(2 / 3)


def test_paired_differences_average_the_pairs_with_an_interval_around_the_mean() -> None:
    paired = paired_differences(FINAL, "base", ["lead_months"]).iloc[0]
    assert paired["policy"] == "tight" and paired["pairs"] == 3
    assert paired["mean_difference"] == pytest.approx(4.0)
    assert 2.0 <= paired["ci95_low"] <= 4.0 <= paired["ci95_high"] <= 6.0
    assert paired["share_better"] == 1.0


def test_sensitivity_finds_a_monotone_input() -> None:
    table = sensitivity(FINAL, ["fine"], ["lead_months"])
    assert table.loc[0, "factor"] == "fine" and table.loc[0, "lead_months"] == pytest.approx(1.0)


def test_bands_are_percentiles_across_scenarios() -> None:
    results = FINAL.assign(date="2030-12")
    table = bands(results, "lead_months").set_index("policy")
    assert table.loc["tight", "median"] == 16.0
    assert table.loc["tight", "p05"] < 16.0 < table.loc["tight", "p95"]


def test_report_builds_from_a_small_sweep(tmp_path: Path, sweep_file: Path, capsys) -> None:  # noqa: F811
    outcome = run_sweep(sweep_file, out=tmp_path / "out", workers=2)
    assert main(["report", str(outcome.folder), "--target-ratio", "2"]) == 0
    page = (outcome.folder / "report.html").read_text(encoding="utf-8")
    assert "gives the US bloc the longest lead" in page
    for heading in ("Ranking", "Paired differences against open", "Over time", "Which uncertainties matter"):
        assert heading in page
    assert page.count("data:image/png;base64,") == 3  # bands, sources at the end, sources over time
    assert "controlled" in page and "regret, median" in page


def test_report_refuses_a_folder_that_is_not_a_sweep(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "not a sweep output folder" in capsys.readouterr().err
