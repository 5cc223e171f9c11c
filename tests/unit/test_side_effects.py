"""Side effects on hand-made results: stocks at the end, flows summed over the run, changes against the reference;
and what a sweep run records of vendor revenue and export tariffs, on the tiny world."""

from __future__ import annotations

import pytest

from sim import run_scenario
from sim.sweep.execute import metrics_frame, tables_for
from sim.sweep.side_effects import NO_TARIFFS, REVENUE_NOT_RECORDED, side_effect_notes, side_effects
from sim.sweep.spec import METRICS
from tests.conftest import tiny
from tests.unit.sweep_made_up import MONTHS, made_up_results


def test_flows_are_summed_over_the_run_and_stocks_read_at_the_end() -> None:
    # made_up_results: 100 / (1 + added) chips smuggled a month, 10 seized, `added` intermediaries listed.
    results, _plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=4, seeds=2)
    table = side_effects(results, "baseline").set_index(["policy", "side_effect"])
    assert table.loc[("baseline", "chips smuggled over the run"), "median"] == pytest.approx(100.0 * len(MONTHS))
    assert table.loc[("tight", "chips smuggled over the run"), "median"] == pytest.approx(25.0 * len(MONTHS))
    assert table.loc[("tight", "chips smuggled over the run"), "median_change"] == pytest.approx(-75.0 * len(MONTHS))
    assert table.loc[("tight", "intermediaries listed at the end"), "median_change"] == 3.0
    assert table.loc[("tight", "rest of world's compute at the end (H100e)"), "median_change"] == 0.0
    assert table.loc[("baseline", "chips seized over the run"), "median_change"] != \
        table.loc[("baseline", "chips seized over the run"), "median_change"]  # NaN: the reference has no change


def test_vendor_revenue_lost_and_tariffs_are_totals_over_the_run() -> None:
    # made_up_results: vendors earn 1e9 - 1e8 * added USD a month; 5M USD of tariffs a month under the baseline only.
    results, _plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=4, seeds=2)
    table = side_effects(results, "baseline").set_index(["policy", "side_effect"])
    revenue = "US & allies' vendors' revenue over the run (USD)"
    assert table.loc[("baseline", revenue), "median"] == pytest.approx(3e9)
    assert table.loc[("tight", revenue), "median_change"] == pytest.approx(-9e8)  # 300M USD lost a month
    tariffs = "export tariffs collected over the run (USD)"
    assert table.loc[("baseline", tariffs), "median"] == pytest.approx(1.5e7)
    assert table.loc[("tight", tariffs), "median_change"] == pytest.approx(-1.5e7)
    assert side_effect_notes(results) == []


def test_the_notes_say_when_revenue_was_not_recorded_or_no_tariff_was_collected() -> None:
    results, _plan = made_up_results({"baseline": 0.0, "tight": 3.0}, points=2, seeds=1)
    assert side_effect_notes(results.drop(columns=["us_allies_vendor_revenue_usd", "tariffs_collected_usd"])) == [
        REVENUE_NOT_RECORDED]
    assert side_effect_notes(results.assign(tariffs_collected_usd=0.0)) == [NO_TARIFFS]
    shown = side_effects(results.drop(columns=["tariffs_collected_usd"]), "baseline")
    assert "export tariffs collected over the run (USD)" not in set(shown["side_effect"])  # not guessed


def test_a_sweep_run_records_us_vendors_revenue_and_the_tariffs_they_pay() -> None:
    # The tiny world: China may buy 7 of the US vendor's "big" chips (10,000 USD) a month under an allowance with a
    # 25% tariff: 17,500 USD of tariffs a month, and 52,500 USD of revenue net of them. The Chinese vendor's sales
    # (2 chips at 10,000 USD a month to China's data center) are not the US bloc's vendors' revenue.
    control = {"type": "export_control", "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
               "params": {"tpp_threshold": 4800.0, "destination_tiers": [3]}}
    allowance = {"type": "export_allowance", "announce": "2025-01", "effective": "2025-01",
                 "source": "assumption: test", "params": {"chips": ["big"], "destination_countries": ["CN"],
                                                          "volume_cap_chips_per_month": 7, "tariff_fraction": 0.25}}
    scenario = tiny(**{"data_centers.cndc.suppliers": ["cnv", "usv"], "policies": [control, allowance]})
    result = run_scenario(scenario, seed=0, tables=tables_for(METRICS))
    recorded = metrics_frame(result, METRICS).set_index("date")
    assert (recorded["tariffs_collected_usd"] == 17_500.0).all()
    revenue = result.tables["revenue"]
    us_vendor = revenue[revenue["vendor"] == "usv"].groupby("date")["revenue_usd"].sum()
    assert recorded["us_allies_vendor_revenue_usd"].tolist() == us_vendor.tolist()
    first = revenue[revenue["date"] == "2025-01"].set_index(["vendor", "destination_bloc"])["revenue_usd"]
    assert first[("usv", "china")] == 52_500.0 and first[("cnv", "china")] == 20_000.0
    assert recorded.loc["2025-01", "us_allies_vendor_revenue_usd"] == first["usv"].sum()


def test_a_sweep_that_keeps_no_revenue_metric_records_no_revenue_table() -> None:
    assert tables_for(("lead_months", "smuggled_chips")) == ()
    assert tables_for(METRICS) == ("revenue",)
