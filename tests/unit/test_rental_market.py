"""The offshore rental market cleared for all routes at once gives exactly what the per-route rule gives.

The reference is the market as first written: tenant by tenant, each host checks the tenant (one draw per route),
the tenant splits its rental budget evenly over the hosts that passed it; then host by host, each tenant gets its
pro-rata share of what the host may rent it (its foreign share, less under a cap, without the chips a remote-access
rule keeps from it). Every month, from the state the phase starts with and the same draws, each data center's rented
compute, cash and spending, and the rentals recorded, are compared with the model's.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import pytest

from sim.agents.rental import _h100e_outside_remote_access_rule
from sim.model import ChipSupplyModel
from sim.scenario import load_scenario
from tests.unit.test_trade_network import rentals_by_id


def reference_rentals(model: ChipSupplyModel, draws) -> dict:
    rules, price = model.rules.cloud, model.params.rental_price_usd_per_h100e_month
    installed = model.installed.h100e_by_center_and_source().sum(axis=1)
    tenants = [center for center in model.data_centers if center.rental_hosts]
    requests = defaultdict(list)
    for tenant in tenants:
        passed = [host for host in tenant.rental_hosts
                  if draws.random() >= rules.refusal_probability(host, tenant, installed[host.index])]
        budget = min(tenant.cash_usd, tenant.budget_usd_this_month * tenant.offshore_rental_share)
        if passed and budget > 0:
            for host in passed:
                requests[host.agent_id].append((tenant, budget / price / len(passed)))
    state = {center.agent_id: [center.rented_in_h100e, center.rented_out_h100e, center.cash_usd,
                               center.spent_usd_this_month, center.rental_revenue_usd] for center in model.data_centers}
    rentals = []
    for host in model.data_centers:
        asked = requests.get(host.agent_id, [])
        total = sum(wanted for _tenant, wanted in asked)
        for tenant, wanted in asked:
            share = min(host.max_foreign_rental_share, rules.foreign_share_cap(host, tenant))
            threshold = rules.remote_access_threshold(host, tenant)
            compute = installed if threshold is None else _h100e_outside_remote_access_rule(model, threshold)
            capacity = share * float(compute[host.index]) if share > 0 else 0.0
            granted = wanted * min(1.0, capacity / total) if total > 0 else 0.0
            if granted <= 0:
                continue
            state[tenant.agent_id][0] += granted
            state[tenant.agent_id][2] -= granted * price
            state[tenant.agent_id][3] += granted * price
            state[host.agent_id][1] += granted
            state[host.agent_id][4] += granted * price
            rentals.append((host.agent_id, tenant.agent_id, granted, granted * price))
    return {"centers": state, "rentals": rentals}


def _model_rentals(model: ChipSupplyModel) -> dict:
    return {"centers": {center.agent_id: [center.rented_in_h100e, center.rented_out_h100e, center.cash_usd,
                                          center.spent_usd_this_month, center.rental_revenue_usd]
                        for center in model.data_centers},
            "rentals": rentals_by_id(model.network)}


# Cloud KYC (refusals), foreign-access caps, compute monitoring (refusals by host size), tight (remote-access rule).
@pytest.mark.parametrize("name", ["cloud_kyc", "foreign_access_caps", "compute_monitoring", "tight"])
def test_the_rental_market_matches_the_per_route_rule(name: str) -> None:
    model = ChipSupplyModel(load_scenario(f"scenarios/{name}.yaml").scenario, seed=3)
    rentals = 0
    for _ in range(30):
        for phase in model.PHASES:
            if phase == "_rent_offshore_compute":
                expected = reference_rentals(model, copy.deepcopy(model.streams["cloud_kyc"]))
            getattr(model, phase)()
            if phase == "_rent_offshore_compute":
                assert _model_rentals(model) == expected, f"rentals differ in {model.date}"
                rentals += len(expected["rentals"])
    assert rentals > 30
