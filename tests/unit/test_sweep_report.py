"""The sweep report: rankings, regret, paired differences and spreads on hand-made results, and the page itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import run_sweep
from sim.sweep.analysis import bands, paired_differences, ranking, seed_and_input_spread
from sim.sweep.findings import findings_from
from sim.sweep.outcomes import Target
from sim.sweep.report import render_html
from tests.unit.sweep_made_up import made_up_results
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
    table = ranking(FINAL, Target(ratio=10.0))
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


def test_a_target_lead_counts_runs_at_or_above_it() -> None:
    table = ranking(FINAL, Target(lead_months=14.0))
    assert table.loc["base", "share_meeting_target"] == pytest.approx(1 / 3)  # 14 of 10, 12, 14
    assert table.loc["tight", "share_meeting_target"] == pytest.approx(2 / 3)  # 16 and 20 of 12, 16, 20


def test_better_follows_each_metrics_direction_for_the_us_bloc() -> None:
    # tight lowers China's compute in every pair: that is better for the US bloc, in 100% of them.
    final = FINAL.assign(china_effective_h100e=[3e6, 3e6, 3e6, 2e6, 2.5e6, 1e6],
                         rest_effective_h100e=[1.0, 1.0, 1.0, 2.0, 2.0, 2.0])
    paired = paired_differences(final, "base", ["lead_months", "china_effective_h100e", "rest_effective_h100e"])
    share = paired.set_index("outcome")["share_better"]
    assert share["lead_months"] == 1.0
    assert share["china_effective_h100e"] == 1.0
    assert np.isnan(share["rest_effective_h100e"])  # no side wants more or less of it


def test_intervals_from_fewer_than_twenty_pairs_are_flagged() -> None:
    few = paired_differences(FINAL, "base", ["lead_months"]).iloc[0]
    assert few["pairs"] == 3 and few["few_pairs"]
    final = made_up_results({"base": 0.0, "tight": 2.0}, points=10, seeds=2)[0].query("date == '2030-12'")
    enough = paired_differences(final, "base", ["lead_months"]).iloc[0]
    assert enough["pairs"] == 20 and not enough["few_pairs"]


def test_seed_spread_is_kept_apart_from_input_spread() -> None:
    # Two seeds 1.0 apart at every point: the seed sd is sqrt(0.5); the input moves the lead by 3 months per unit.
    results, _plan = made_up_results({"base": 0.0}, points=12, seeds=2, factors={"fine": 3.0}, seed_noise=1.0)
    final = results[results["date"] == "2030-12"]
    row = seed_and_input_spread(final.assign(lead_months=final["lead_months"] / 1.0), ["lead_months"]).iloc[0]
    assert row["points"] == 12 and row["seeds_per_point"] == 2
    assert row["seed_spread"] == pytest.approx(np.sqrt(0.5) * 1.0, rel=1e-9)
    inputs = final.groupby("point")["fine"].first()
    assert row["input_spread"] == pytest.approx(3.0 * inputs.std(ddof=1))


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
    for heading in ("Ranking", "Paired differences", "When each policy fails", "Inputs against chance",
                    "Which inputs matter", "Every run", "Over time"):
        assert heading in page
    # every run, the lead against the inputs, bands, sources at the end, sources over time
    assert page.count("data:image/png;base64,") == 5
    assert "controlled" in page and "regret, median" in page and "US:China compute ratio (x)" in page


def test_report_refuses_a_folder_that_is_not_a_sweep(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "not a sweep output folder" in capsys.readouterr().err


def test_the_page_shows_rounded_numbers_and_human_labels() -> None:
    results, plan = made_up_results({"baseline": 0.0, "tight": 3.0})
    page = render_html(findings_from(results, plan, Target()), {"git": {"commit": "abc", "dirty": False}})
    assert "China&#x27;s effective compute (H100e)" in page or "China's effective compute (H100e)" in page
    assert "china_effective_h100e" not in page  # no raw metric names
    assert "k</td>" in page  # thousands of H100e as 123.4k, never 123,456.78
    assert not any(len(number) > 8 for number in __import__("re").findall(r"<td>(-?[\d,.]+)</td>", page))
    assert "<td>16 ⚠ few</td>" in page  # 16 pairs: the comparison's own row is flagged


def test_the_answer_says_when_the_best_policy_fails() -> None:
    # At the end tight's lead is 13 + 5 x fine: under a 15.5-month target it fails where the fine is under 0.5.
    results, plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=60, seeds=1, factors={"fine": 5.0})
    findings = findings_from(results, plan, Target(lead_months=15.5))
    box = findings.discovery.boxes.set_index("policy").loc["tight"]
    # 5% peels land near the planted edge, not on it: a run or two either side.
    assert box["coverage"] >= 0.9 and box["density"] >= 0.9
    limit = findings.discovery.limits.set_index("policy").loc["tight"]
    assert limit["factor"] == "fine" and 0.4 < limit["high"] < 0.6 and pd.isna(limit["low"])
    page = render_html(findings, {})
    assert f"It fails when the fine is under {limit['high']:.3g}: {box['coverage']:.0%} of its failures" in page
