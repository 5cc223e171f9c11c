"""Offshore cloud on the tiny world: a Singapore host rents compute to a Chinese tenant, and the levers that stop it."""

from __future__ import annotations

import pytest

from sim import run_scenario
from tests.conftest import tiny


def rental_world(policies: list[dict] | None = None, **overrides):
    """Host sgdc starts with 100 installed 1-H100e chips and rents up to half; tenant cndc spends 20% of 500k USD
    at 1,000 USD per H100e-month, i.e. asks for 100 H100e-months a month."""
    return tiny(**{
        "data_centers.sgdc.max_foreign_rental_share": 0.5,
        "data_centers.sgdc.initial_installed": [
            {"chip": "big", "count": 100, "age_months": 0, "source": "assumption: t"}
        ],
        "data_centers.cndc.offshore_rental_share": 0.2,
        "data_centers.cndc.rental_routes": ["sgdc"],
        "policies": policies or [],
        **overrides,
    })


def _rented(result, bloc: str, column: str) -> list[float]:
    return result.blocs[result.blocs["bloc"] == bloc][column].tolist()


def _policy(type_name: str, **params) -> dict:
    return {"type": type_name, "announce": "2025-01", "effective": "2025-03", "source": "assumption: test",
            "params": params}


def test_host_rents_its_foreign_share_and_compute_moves_between_blocs() -> None:
    result = run_scenario(rental_world(), seed=0)
    assert _rented(result, "china", "rented_in_h100e")[0] == 50.0  # half of the host's 100 H100e
    assert _rented(result, "rest", "rented_out_h100e")[0] == 50.0
    first = result.blocs[result.blocs["tick"] == 0].set_index("bloc")
    assert first.loc["china", "effective_h100e"] == first.loc["china", "installed_h100e"] + 50
    assert first.loc["rest", "effective_h100e"] == first.loc["rest", "installed_h100e"] - 50
    assert first.loc["china", "spend_usd"] >= 50 * 1000  # rent is paid out of the tenant's budget
    rented_edges = result.tables["flows"]  # compute, not chips: no rented shipments
    assert "rented" not in set(rented_edges["kind"])


def test_tenant_gets_only_what_it_pays_for() -> None:
    result = run_scenario(rental_world(**{"data_centers.sgdc.max_foreign_rental_share": 1.0}), seed=0)
    assert _rented(result, "china", "rented_in_h100e")[0] == 100.0  # 100k USD / 1,000 USD


def test_kyc_refuses_controlled_tenants_from_its_effective_month() -> None:
    result = run_scenario(rental_world([_policy("cloud_access", kyc_detection=1.0)]), seed=0)
    assert _rented(result, "china", "rented_in_h100e")[:2] == [50.0, 50.0]
    assert set(_rented(result, "china", "rented_in_h100e")[2:]) == {0.0}


def test_partial_kyc_refuses_some_months() -> None:
    result = run_scenario(rental_world([_policy("cloud_access", kyc_detection=0.5)]), seed=0)
    months = _rented(result, "china", "rented_in_h100e")[2:]
    assert 0 < months.count(0.0) < len(months)


def test_foreign_access_cap_limits_the_share_rented() -> None:
    result = run_scenario(rental_world([_policy("cloud_access", foreign_access_cap=0.1)]), seed=0)
    china = result.blocs[result.blocs["bloc"] == "china"].reset_index()
    rest = result.blocs[result.blocs["bloc"] == "rest"].reset_index()
    assert china.loc[2, "rented_in_h100e"] == pytest.approx(0.1 * rest.loc[2, "installed_h100e"])


def test_remote_access_rule_keeps_controlled_us_chips_from_controlled_tenants() -> None:
    result = run_scenario(rental_world([_policy("cloud_access", remote_access_rule=True)]), seed=0)
    assert set(_rented(result, "china", "rented_in_h100e")[2:]) == {0.0}  # "big" is a controlled US chip
    loose = run_scenario(rental_world([_policy("cloud_access", remote_access_rule=True,
                                               remote_access_tpp_threshold=20000.0)]), seed=0)
    assert set(_rented(loose, "china", "rented_in_h100e")[2:]) != {0.0}


@pytest.mark.parametrize("threshold, stops", [(50.0, True), (1e9, False)])
def test_compute_monitoring_scrutinises_hosts_above_the_threshold(threshold: float, stops: bool) -> None:
    monitoring = _policy("compute_monitoring", threshold_h100e=threshold, detection=1.0)
    rented = _rented(run_scenario(rental_world([monitoring]), seed=0), "china", "rented_in_h100e")[2:]
    assert (set(rented) == {0.0}) == stops


def test_kyc_leaves_the_demand_shock_draws_unchanged() -> None:
    noisy = {"parameters.demand_noise_sigma.value": 0.3}
    off = run_scenario(rental_world(**noisy), seed=2).blocs
    on = run_scenario(rental_world([_policy("cloud_access", kyc_detection=0.7)], **noisy), seed=2).blocs
    assert off["budget_usd"].equals(on["budget_usd"])
