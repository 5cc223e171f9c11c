"""The offshore cloud market: foreign tenants rent compute from hosts, month by month.

Each month a tenant sets aside ``offshore_rental_share`` of its budget and asks its hosts (its rental routes) for as
many H100e-months as that buys at ``rental_price_usd_per_h100e_month``, split evenly over the hosts whose checks it
passes this month. A host offers ``max_foreign_rental_share`` of its installed compute (less under a foreign-access
cap, and without the chips a remote-access rule keeps from the tenant) and rations it pro rata. Every route draws
one number a month from the ``cloud_kyc`` stream whatever the rules, so KYC switched on or off leaves every other
draw unchanged. Rented compute counts for the tenant's bloc, not the host's, while rented; no chip moves.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.schema import CONTROLLING_BLOC

if TYPE_CHECKING:
    from sim.agents.datacenter import DataCenterAgent
    from sim.model import ChipSupplyModel


def rentable_h100e(model: ChipSupplyModel, host: DataCenterAgent, tenant: DataCenterAgent,
                   host_h100e: np.ndarray, allowed_h100e: Callable[[float], np.ndarray]) -> float:
    """Compute the host may rent to this tenant this month, before other tenants' claims. ``host_h100e`` is every
    center's installed H100e, ``allowed_h100e(threshold)`` every center's H100e that a remote-access rule with that
    TPP threshold leaves to foreign tenants."""
    rules = model.cloud_rules
    share = min(host.max_foreign_rental_share, rules.foreign_share_cap(host, tenant))
    if share <= 0:
        return 0.0
    threshold = rules.remote_access_threshold(host, tenant)
    if threshold is None:
        return share * float(host_h100e[host.index])
    return share * float(allowed_h100e(threshold)[host.index])


def _h100e_outside_remote_access_rule(model: ChipSupplyModel, threshold: float) -> np.ndarray:
    """Installed H100e by center, without the chips a remote-access rule keeps from foreign tenants: the controlling
    bloc's chips at or above ``threshold`` TPP."""
    chips = model.chips
    controlled = (chips.vendor_bloc_of == CONTROLLING_BLOC) & (chips.tpp >= threshold)
    return model.installed.h100e_by_center(counted=~controlled)


def clear_rental_market(model: ChipSupplyModel) -> None:
    """Allocate this month's offshore compute, charge tenants, and record the flows on the rented edges."""
    price = model.params.rental_price_usd_per_h100e_month
    tenants = [center for center in model.data_centers if center.rental_hosts]
    draws = model.streams["cloud_kyc"].random(sum(len(t.rental_hosts) for t in tenants))
    installed_h100e = model.installed.h100e_by_center_and_source().sum(axis=1)
    requests: dict[str, list[tuple[DataCenterAgent, float]]] = defaultdict(list)
    position = 0
    for tenant in tenants:
        passed = []
        for host in tenant.rental_hosts:
            if draws[position] >= model.cloud_rules.refusal_probability(host, tenant, installed_h100e[host.index]):
                passed.append(host)
            position += 1
        budget = min(tenant.cash_usd, tenant.budget_usd_this_month * tenant.offshore_rental_share)
        if passed and budget > 0:
            wanted = budget / price / len(passed)
            for host in passed:
                requests[host.agent_id].append((tenant, wanted))
    allowed_h100e = functools.cache(functools.partial(_h100e_outside_remote_access_rule, model))  # for this month
    for center in model.data_centers:
        asked = requests.get(center.agent_id, [])
        total = sum(wanted for _tenant, wanted in asked)
        for tenant, wanted in asked:
            capacity = rentable_h100e(model, center, tenant, installed_h100e, allowed_h100e)
            # Pro rata: every tenant of this host gets the same share of what it asked for.
            granted = wanted * min(1.0, capacity / total) if total > 0 else 0.0
            if granted <= 0:
                continue
            tenant.rent_in(granted, granted * price)
            center.rent_out(granted, granted * price)
            model.network.record_rental(center.agent_id, tenant.agent_id, granted, granted * price)

