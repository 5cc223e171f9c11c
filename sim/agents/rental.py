"""The offshore cloud market: foreign tenants rent compute from hosts, month by month.

Each month a tenant sets aside ``offshore_rental_share`` of its budget and asks its hosts (its rental routes) for as
many H100e-months as that buys at ``rental_price_usd_per_h100e_month``, split evenly over the hosts whose checks it
passes this month. A host offers ``max_foreign_rental_share`` of its installed compute (less under a foreign-access
cap, and without the chips a remote-access rule keeps from the tenant) and rations it pro rata. Every route draws
one number a month from the ``cloud_kyc`` stream whatever the rules, so KYC switched on or off leaves every other
draw unchanged. Rented compute counts for the tenant's bloc, not the host's, while rented; no chip moves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.agents.datacenter import DataCenterAgent
    from sim.model import ChipSupplyModel


def rentable_h100e(model: ChipSupplyModel, host: DataCenterAgent, tenant: DataCenterAgent,
                   host_h100e: float) -> float:
    """Compute the host (with ``host_h100e`` installed) may rent to this tenant this month, before other tenants'
    claims."""
    rules = model.cloud_rules
    share = min(host.max_foreign_rental_share, rules.foreign_share_cap(host, tenant))
    if share <= 0:
        return 0.0
    threshold = rules.remote_access_threshold(host, tenant)
    if threshold is None:
        return share * host_h100e
    # Under the remote-access rule the controlling bloc's chips above the threshold cannot serve this tenant.
    allowed = 0.0
    for _source, chip_id, count in model.installed.center_holdings(host.index):
        chip = model.catalog[chip_id]
        controlled = model.vendor_bloc[chip.vendor_id] == "us_allies" and chip.tpp >= threshold
        if not controlled:
            allowed += count * chip.h100e
    return share * allowed


def clear_rental_market(model: ChipSupplyModel) -> None:
    """Allocate this month's offshore compute, charge tenants, and record the flows on the rented edges."""
    price = model.params.rental_price_usd_per_h100e_month
    tenants = [center for center in model.data_centers if center.rental_hosts]
    draws = model.streams["cloud_kyc"].random(sum(len(t.rental_hosts) for t in tenants))
    requests: dict[str, list[tuple[DataCenterAgent, float]]] = defaultdict(list)
    position = 0
    for tenant in tenants:
        passed = []
        for host in tenant.rental_hosts:
            if draws[position] >= model.cloud_rules.refusal_probability(host, tenant):
                passed.append(host)
            position += 1
        budget = min(tenant.cash_usd, tenant.budget_usd_this_month * tenant.offshore_rental_share)
        if passed and budget > 0:
            wanted = budget / price / len(passed)
            for host in passed:
                requests[host.agent_id].append((tenant, wanted))
    installed_h100e = model.installed.h100e_by_center_and_source().sum(axis=1) if requests else None
    for center in model.data_centers:
        asked = requests.get(center.agent_id, [])
        total = sum(wanted for _tenant, wanted in asked)
        for tenant, wanted in asked:
            capacity = rentable_h100e(model, center, tenant, float(installed_h100e[center.index]))
            # Pro rata: every tenant of this host gets the same share of what it asked for.
            granted = wanted * min(1.0, capacity / total) if total > 0 else 0.0
            if granted <= 0:
                continue
            tenant.rent_in(granted, granted * price)
            center.rent_out(granted, granted * price)
            model.network.record_rental(center.agent_id, tenant.agent_id, granted, granted * price)

