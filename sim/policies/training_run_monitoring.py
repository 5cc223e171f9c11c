"""Multilateral monitoring of large training runs: the jurisdictions that join report training runs above a compute
threshold (10^25 FLOP, ``monitoring_threshold_eu``), find the controlled tenants behind them and the diverted clusters
that no registration accounts for, and share what they find (the TTC idea; ``kyc_compute_providers``).

Coverage is by jurisdiction: ``coverage`` maps each member country to the share of large runs and clusters on its
soil that come under the regime in a month (how far its compute providers and chip sellers comply). Where nobody
joined, nothing is seen. Two things are watched from the effective date:

- **Controlled tenants.** Compute rented by tenants from ``controlled_tiers`` (China) at hosts in member countries,
  summed over the last ``run_months`` months, is a training run; at ``threshold_flop`` or more (at
  ``training_flop_per_h100e_month`` per H100e-month) each member where the tenant rented this month finds the tenant
  behind it with probability coverage x ``tenant_detection`` (the tenant hides behind a front). A tenant found is
  refused by every host in every member jurisdiction (``shared_reports``; otherwise only where it was found) for
  ``refusal_months`` from the next month. Its budget then goes to hosts outside the regime.
- **Diverted clusters.** A cluster big enough for a monitored run must be registered where it is built, and member
  jurisdictions reconcile chip sales against registrations: an intermediary in a member country whose diversions to
  controlled destinations over the last ``run_months`` add up to such a cluster is found with probability coverage x
  ``cluster_detection`` each month, and entity-listed the next month, as an inspection's find is.

Runs below the threshold, split across hosts outside the regime, or on diverted chips below a cluster's size go
unseen: the regime's blind spots are its threshold and its membership. Draws come from this policy's own stream,
one per (tenant, member country) reported and one per (diverter) over the size, in a fixed order, so switching it on
leaves every other draw of the run unchanged (the cloud-KYC draws in particular).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem
from sim.scenario.labs import TRAINING_FLOP_PER_H100E_MONTH
from sim.trade import SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario
    from sim.trade import Rentals, Shipments

Tier = Annotated[int, Field(ge=1, le=3)]


class TrainingRunMonitoringParams(PolicyParams):
    coverage: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], Annotated[float, Field(ge=0, le=1)]] = Field(
        min_length=1, description="member jurisdictions and the share of large runs and clusters on their soil that "
        "come under the regime each month")
    tenant_detection: Annotated[float, Field(ge=0, le=1)] = Field(
        description="chance that a covered run's controlled tenant is identified behind its front")
    cluster_detection: Annotated[float, Field(ge=0, le=1)] = Field(
        description="chance a month that reconciling sales against registrations finds a covered diverter's cluster")
    threshold_flop: Annotated[float, Field(gt=0, le=1e40)] = 1e25
    training_flop_per_h100e_month: Annotated[float, Field(gt=0, le=1e40)] = TRAINING_FLOP_PER_H100E_MONTH
    run_months: Annotated[int, Field(ge=1, le=24)] = 3
    controlled_tiers: list[Tier] = Field(default_factory=lambda: [3])
    refusal_months: Annotated[int, Field(ge=1, le=240)] = 12
    shared_reports: bool = True

    def run_h100e_months(self) -> float:
        """H100e-months that make a monitored run."""
        return self.threshold_flop / self.training_flop_per_h100e_month


@register
class TrainingRunMonitoring(Policy):
    type_name = "training_run_monitoring"
    Params = TrainingRunMonitoringParams

    def __init__(self, spec) -> None:
        super().__init__(spec)
        window = self.params.run_months
        # Compute rented by controlled tenants in member countries, a month per entry: {(tenant node, country): H100e}.
        self._rented: deque[dict[tuple[int, str], float]] = deque(maxlen=window)
        # H100e diverted to controlled destinations by intermediaries in member countries, a month per entry.
        self._diverted: deque[dict[int, float]] = deque(maxlen=window)
        self._barred_until: dict[tuple[int, str], int] = {}  # (tenant node, host country) -> first month allowed again
        self._found: list[int] = []  # diverters found this month, listed next month

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        for (tenant, country), until in self._barred_until.items():
            if month < until:
                rules.cloud.barred_tenants.setdefault(country, set()).add(tenant)
        rules.entity_list_additions.extend(self._found)
        self._found = []

    def observe_rentals(self, rented: Rentals, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        coverage = self.params.coverage
        host_country = world.node_country[rented.host]
        watched = np.isin(host_country, list(coverage)) & np.isin(world.node_tier[rented.tenant],
                                                                  self.params.controlled_tiers)
        this_month: dict[tuple[int, str], float] = {}
        for tenant, country, h100e in zip(rented.tenant[watched].tolist(), host_country[watched].tolist(),
                                          rented.h100e[watched].tolist(), strict=True):
            this_month[tenant, country] = this_month.get((tenant, country), 0.0) + h100e
        self._rented.append(this_month)
        run = self._run_sizes()
        draws = world.streams[f"policy.{self.type_name}"]
        for tenant, country in sorted(this_month):
            size = run[tenant] if self.params.shared_reports else run[tenant, country]
            found = coverage[country] * self.params.tenant_detection
            if size < self.params.run_h100e_months() or draws.random() >= found:
                continue
            barred = sorted(coverage) if self.params.shared_reports else [country]
            for member in barred:
                self._barred_until[tenant, member] = month + 1 + self.params.refusal_months

    def _run_sizes(self) -> dict:
        """H100e-months each tenant rented over the window: by tenant when members share reports, else by (tenant,
        country)."""
        sizes: dict = {}
        for month in self._rented:
            for (tenant, country), h100e in month.items():
                key = tenant if self.params.shared_reports else (tenant, country)
                sizes[key] = sizes.get(key, 0.0) + h100e
        return sizes

    def observe(self, shipped: Shipments, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month) or not self.params.cluster_detection:
            return
        coverage = self.params.coverage
        country = world.node_country[shipped.source]
        rows = np.flatnonzero((shipped.kind == SMUGGLED_CODE) & (world.node_kind[shipped.source] == "intermediary")
                              & np.isin(country, list(coverage))
                              & np.isin(world.node_tier[shipped.target], self.params.controlled_tiers))
        this_month: dict[int, float] = {}
        for source, h100e in zip(shipped.source[rows].tolist(), shipped.h100e[rows].tolist(), strict=True):
            this_month[source] = this_month.get(source, 0.0) + h100e
        self._diverted.append(this_month)
        totals: dict[int, float] = {}
        for diverted in self._diverted:
            for source, h100e in diverted.items():
                totals[source] = totals.get(source, 0.0) + h100e
        # The cluster a monitored run needs over run_months: a diverter who fed one is out of step with registrations.
        cluster_h100e = self.params.run_h100e_months() / self.params.run_months
        draws = world.streams[f"policy.{self.type_name}"]
        for source in sorted(totals):
            found = coverage[world.node_country[source]] * self.params.cluster_detection
            if totals[source] < cluster_h100e or draws.random() >= found:
                continue
            self._found.append(source)
            for diverted in self._diverted:  # found: its past diversions stop counting against it
                diverted.pop(source, None)

    @classmethod
    def reference_problems(cls, params: TrainingRunMonitoringParams, scenario: Scenario,
                           path: tuple) -> list[Problem]:
        return unknown_ids(path + ("coverage",), params.coverage, "country", scenario.countries)
