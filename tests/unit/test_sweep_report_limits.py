"""The report builds from sweeps that cannot show everything, and says what they cannot show: never a traceback."""

from __future__ import annotations

from pathlib import Path

from sim.cli import main
from sim.sweep import analyse_sweep, run_sweep
from sim.sweep.findings import findings_from
from sim.sweep.outcomes import Target
from sim.sweep.report import render_html
from tests.unit.sweep_made_up import made_up_results
from tests.unit.test_sweep import sweep_file  # noqa: F401 - a fixture

PROVENANCE = {"git": {"commit": "abc", "dirty": False}}


def page_of(results, plan, **options) -> str:
    findings = findings_from(results, plan, Target(), **options)
    return render_html(findings, PROVENANCE)


def test_a_sweep_with_one_policy_says_nothing_is_compared() -> None:
    results, plan = made_up_results({"baseline": 0.0})
    page = page_of(results, plan)
    assert "one policy has results, so nothing is compared" in page
    assert "No other policy to compare with baseline" in page


def test_a_sweep_with_no_uncertainties_says_it_cannot_find_conditions() -> None:
    results, plan = made_up_results({"baseline": 0.0, "tight": 2.0}, points=1, seeds=4, factors={})
    findings = findings_from(results, plan, Target())
    assert findings.varied == [] and findings.sensitivity.empty
    page = render_html(findings, PROVENANCE)
    assert "no uncertain input varies across the finished runs" in page
    assert "No uncertain input varies in this sweep, so there is no condition to find" in page
    assert "no input&#x27;s effect can be measured" in page or "no input's effect can be measured" in page


def test_a_partly_finished_sweep_reports_what_has_finished() -> None:
    results, plan = made_up_results({"baseline": 0.0, "tight": 2.0, "cloud_kyc": 1.0}, points=6, seeds=2)
    unfinished = results["policy"].eq("cloud_kyc") | (results["policy"].eq("tight") & results["point"].ge(3))
    findings = findings_from(results[~unfinished], plan, Target())
    assert findings.planned_runs == 36 and len(findings.final) == 18
    assert "no finished runs yet for cloud_kyc" in findings.limits
    assert findings.paired["pairs"].eq(6).all()  # tight's 6 finished runs, paired with the baseline's
    page = render_html(findings, PROVENANCE)
    assert "36 runs planned, 18 with results" in page


def test_a_reference_with_no_results_gives_way_to_a_finished_policy() -> None:
    results, plan = made_up_results({"baseline": 0.0, "tight": 2.0})
    findings = findings_from(results[results["policy"] == "tight"], plan, Target(), reference="baseline")
    assert findings.reference == "tight"
    assert "<b>tight</b> (the reference)" in render_html(findings, PROVENANCE)


def test_one_seed_says_chance_cannot_be_told_apart() -> None:
    results, plan = made_up_results({"baseline": 0.0, "tight": 2.0}, seeds=1)
    findings = findings_from(results, plan, Target())
    assert any("one seed per point" in limit for limit in findings.limits)
    assert findings.spread["seed_spread"].isna().all()
    render_html(findings, PROVENANCE)


def test_a_real_sweep_folder_missing_runs_still_reports(tmp_path: Path, sweep_file: Path, capsys) -> None:  # noqa: F811
    outcome = run_sweep(sweep_file, out=tmp_path / "out", workers=2)
    for result in sorted((outcome.folder / "runs").glob("*.parquet"))[:3]:
        result.unlink()  # as if the sweep had been stopped, or files lost
    findings = analyse_sweep(outcome.folder, Target(ratio=2.0))
    assert len(findings.final) == 5 and findings.planned_runs == 8 and len(findings.notes) == 3
    assert main(["report", str(outcome.folder), "--target-lead", "1"]) == 0
    page = (outcome.folder / "report.html").read_text(encoding="utf-8")
    assert "8 runs planned, 5 with results" in page and "a US lead of at least 1 months" in page
