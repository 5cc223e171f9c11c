"""Multilateral monitoring of large training runs on the tiny world, numbers written out: controlled tenants found
through their rented runs and refused in member jurisdictions, diverted clusters found through their size, and
nothing seen where nobody joined."""

from __future__ import annotations

import pytest

from sim import run_scenario
from sim.scenario.labs import TRAINING_FLOP_PER_H100E_MONTH
from tests.conftest import CONTROL, smuggling_world, tiny

# Without monitoring, the Chinese tenant rents half of Singapore's sgdc, capped at the 100 H100e-months it asks for:
# sgdc's 100 H100e grow as it installs the chips it buys (106 in March, 116, 129, 144, 160, 177, 195, 213 ...).
UNWATCHED_RENT = [50.0, 50.0, 53.0, 58.0, 64.5, 72.0, 80.0, 88.5, 97.5, 100.0, 100.0, 100.0]


def _rental_world(policies: list[dict], **overrides):
    return tiny(**{
        "data_centers.sgdc.max_foreign_rental_share": 0.5,
        "data_centers.sgdc.initial_installed": [{"chip": "big", "count": 100, "age_months": 0,
                                                 "source": "assumption: test"}],
        "data_centers.cndc.offshore_rental_share": 0.2,
        "data_centers.cndc.rental_routes": ["sgdc"],
        "policies": policies,
        **overrides,
    })


def _monitoring(**params) -> dict:
    return {"type": "training_run_monitoring", "announce": "2025-01", "effective": "2025-01",
            "source": "assumption: test", "params": {"tenant_detection": 1.0, "cluster_detection": 1.0, **params}}


def _china(result, column: str) -> list[float]:
    return result.blocs[result.blocs["bloc"] == "china"][column].tolist()


def test_without_a_regime_the_tenant_rents_what_it_can() -> None:
    assert _china(run_scenario(_rental_world([]), seed=0), "rented_in_h100e") == pytest.approx(UNWATCHED_RENT)


def test_a_tenants_run_above_the_threshold_is_found_and_refused_in_the_regime_for_a_while() -> None:
    # A monitored run: 120 H100e-months over 3 months. 50 + 50 + 53 = 153 crosses it in March; refused in April and
    # May; June and July (72 + 80) cross it again; refused in August and September; October and November again.
    regime = _monitoring(coverage={"SG": 1.0}, threshold_flop=120 * TRAINING_FLOP_PER_H100E_MONTH, refusal_months=2)
    result = run_scenario(_rental_world([regime]), seed=0)
    assert _china(result, "rented_in_h100e") == [50.0, 50.0, 53.0, 0.0, 0.0, 72.0, 80.0, 0.0, 0.0, 100.0, 100.0, 0.0]
    assert result.world["tenants_barred"].tolist() == [0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]


def test_runs_below_the_threshold_or_outside_the_regime_go_unseen() -> None:
    above_any_run = _monitoring(coverage={"SG": 1.0}, threshold_flop=400 * TRAINING_FLOP_PER_H100E_MONTH)
    elsewhere = _monitoring(coverage={"US": 1.0}, threshold_flop=120 * TRAINING_FLOP_PER_H100E_MONTH)
    no_reports = _monitoring(coverage={"SG": 0.0}, threshold_flop=120 * TRAINING_FLOP_PER_H100E_MONTH)
    for regime in (above_any_run, elsewhere, no_reports):
        assert _china(run_scenario(_rental_world([regime]), seed=0), "rented_in_h100e") == pytest.approx(UNWATCHED_RENT)


def test_a_diverter_whose_diversions_add_up_to_a_cluster_is_found_and_listed() -> None:
    # sgdist diverts 6, 10, 13, 15, 17, 18 chips (1 H100e each) in January to July; a cluster for a monitored run
    # (150 H100e-months over 3 months) is 50 H100e: May to July add up to 15 + 17 + 18 = 50, it is found in July
    # and listed from August, and diverts nothing more.
    regime = _monitoring(coverage={"SG": 1.0}, threshold_flop=150 * TRAINING_FLOP_PER_H100E_MONTH)
    result = run_scenario(smuggling_world(policies=[CONTROL, regime]), seed=0)
    world = result.world
    assert world["smuggled_chips"].tolist() == [0, 6, 10, 13, 15, 17, 18, 0, 0, 0, 0, 0]
    assert world["intermediaries_listed"].tolist() == [0] * 7 + [1] * 5
    unwatched = run_scenario(smuggling_world(policies=[CONTROL, dict(regime, params=dict(
        regime["params"], cluster_detection=0.0))]), seed=0)
    assert unwatched.world["intermediaries_listed"].tolist() == [0] * 12
    assert unwatched.world["smuggled_chips"].tolist()[7:] == [18, 19, 19, 19, 20]


def test_shared_reports_catch_a_run_split_across_member_jurisdictions() -> None:
    # The tenant splits its 100 H100e-months a month between Singapore's sgdc and the US's usdc, 50 each. A monitored
    # run is 200 H100e-months over 3 months: pooled, January and February make 200 and it is refused in both from
    # March; jurisdiction by jurisdiction, each sees 150 at most and never reports it.
    split = {"data_centers.usdc.max_foreign_rental_share": 0.5, "data_centers.cndc.rental_routes": ["sgdc", "usdc"]}
    threshold = 200 * TRAINING_FLOP_PER_H100E_MONTH
    rented = {}
    for shared in (True, False):
        regime = _monitoring(coverage={"SG": 1.0, "US": 1.0}, threshold_flop=threshold, shared_reports=shared)
        rented[shared] = _china(run_scenario(_rental_world([regime], **split), seed=0), "rented_in_h100e")
    assert rented[True][:3] == [100.0, 100.0, 0.0]
    assert rented[False][:3] == [100.0, 100.0, 100.0]
