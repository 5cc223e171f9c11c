"""The offshore cloud market: foreign tenants rent compute from hosts, month by month.

Each month a tenant sets aside ``offshore_rental_share`` of its budget and asks its hosts (its rental routes) for as
many H100e-months as that buys at ``rental_price_usd_per_h100e_month``, split evenly over the hosts whose checks it
passes this month. A host offers ``max_foreign_rental_share`` of its installed compute (less under a foreign-access
cap, and without the chips a remote-access rule keeps from the tenant) and rations it pro rata. Every route draws
one number a month from the ``cloud_kyc`` stream whatever the rules, so KYC switched on or off leaves every other
draw unchanged; a tenant that a training-run monitoring regime found is refused outright by hosts in the regime's
countries while it is barred. Rented compute counts for the tenant's bloc, not the host's, while rented; no chip moves.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import once_per_kind
from sim.scenario.fields import CONTROLLING_BLOC
from sim.trade import Rentals

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


def _h100e_outside_remote_access_rule(model: ChipSupplyModel, threshold: float) -> np.ndarray:
    """Installed H100e by center, without the chips a remote-access rule keeps from foreign tenants: the controlling
    bloc's chips at or above ``threshold`` TPP."""
    chips = model.chips
    controlled = (chips.vendor_bloc_of == CONTROLLING_BLOC) & (chips.tpp >= threshold)
    return model.installed.h100e_by_center(counted=~controlled)


class RentalRoutes:
    """Every rental route (tenant, host), tenant by tenant in data-center order, each tenant's hosts in its order;
    data centers by index."""

    def __init__(self, model: ChipSupplyModel) -> None:
        centers = model.data_centers
        tenants = [center for center in centers if center.rental_hosts]
        self.tenant = np.array([tenant.index for tenant in tenants for _ in tenant.rental_hosts], dtype=np.int64)
        self.host = np.array([host.index for tenant in tenants for host in tenant.rental_hosts], dtype=np.int64)
        country = model.network.node_country[[center.node for center in centers]]
        # Cloud rules see a route only through its host's and tenant's countries (and the host's compute).
        self.country_pair = country[self.host] * len(model.network.country_code) + country[self.tenant]
        self.max_foreign_share = np.array([center.max_foreign_rental_share for center in centers], dtype=float)
        self.offshore_share = np.array([center.offshore_rental_share for center in centers], dtype=float)


def clear_rental_market(model: ChipSupplyModel) -> None:
    """Allocate this month's offshore compute, charge tenants, and record the flows on the rented edges."""
    routes, rules, centers = model.rental_routes, model.rules.cloud, model.data_centers
    tenant, host = routes.tenant, routes.host
    price = model.params.rental_price_usd_per_h100e_month
    draws = model.streams["cloud_kyc"].random(len(tenant))
    if not len(tenant):
        return
    installed_h100e = model.installed.h100e_by_center_and_source().sum(axis=1)

    # Checks: the chance each route's host refuses its tenant, asked once per country pair and monitoring status.
    monitored = np.zeros(len(tenant), dtype=np.int64)
    for bit, params in enumerate(rules.monitoring):
        monitored |= (installed_h100e[host] >= params.threshold_h100e).astype(np.int64) << bit
    kind = routes.country_pair << len(rules.monitoring) | monitored
    refusal = once_per_kind(kind, lambda r: rules.refusal_probability(centers[host[r]], centers[tenant[r]],
                                                                      installed_h100e[host[r]]), dtype=float)
    passed = draws >= refusal
    for country, tenants in rules.barred_tenants.items():
        if country in model.network.country_code:
            at_host = model.network.node_country[model.network.center_node[host]] == model.network.country_code[country]
            passed &= ~(at_host & np.isin(model.network.center_node[tenant], list(tenants)))

    # Each tenant splits its rental budget evenly over the hosts that passed it.
    arrays = model.center_arrays
    budget = np.minimum(arrays.cash_usd, arrays.budget_usd * routes.offshore_share)
    hosts_passed = np.bincount(tenant[passed], minlength=len(centers))
    asks = np.flatnonzero(passed & (budget[tenant] > 0))
    asks = asks[np.argsort(host[asks], kind="stable")]  # host by host, each host's tenants in order
    asking_tenant, asked_host = tenant[asks], host[asks]
    wanted = budget[asking_tenant] / price / hosts_passed[asking_tenant]
    asked_total = np.bincount(asked_host, weights=wanted, minlength=len(centers))[asked_host]

    # What the host may rent to this tenant before other tenants' claims: a share of its compute (less under a
    # foreign-access cap), without the chips a remote-access rule keeps from the tenant.
    pair = routes.country_pair[asks]
    share = np.minimum(routes.max_foreign_share[asked_host], once_per_kind(
        pair, lambda r: rules.foreign_share_cap(centers[asked_host[r]], centers[asking_tenant[r]]), dtype=float))
    threshold = once_per_kind(pair, lambda r: rules.remote_access_threshold(
        centers[asked_host[r]], centers[asking_tenant[r]]), dtype=object)
    compute = installed_h100e[asked_host]
    allowed_h100e = functools.cache(functools.partial(_h100e_outside_remote_access_rule, model))  # for this month
    for value in {value for value in threshold.tolist() if value is not None}:
        rows = np.flatnonzero(threshold == value)
        compute[rows] = allowed_h100e(value)[asked_host[rows]]
    capacity = np.where(share > 0, share * compute, 0.0)
    # Pro rata: every tenant of a host gets the same share of what it asked for.
    granted = np.where(asked_total > 0, wanted * np.minimum(1.0, np.divide(
        capacity, asked_total, out=np.zeros_like(capacity), where=asked_total > 0)), 0.0)
    rented = granted > 0
    asking_tenant, asked_host, granted = asking_tenant[rented], asked_host[rented], granted[rented]
    cost = granted * price
    np.add.at(arrays.rented_in_h100e, asking_tenant, granted)
    arrays.pay(asking_tenant, cost)
    np.add.at(arrays.rented_out_h100e, asked_host, granted)
    np.add.at(arrays.rental_revenue_usd, asked_host, cost)
    center_node = model.network.center_node
    model.network.record_rentals(Rentals(host=center_node[asked_host], tenant=center_node[asking_tenant],
                                         h100e=granted, value_usd=cost))
