"""Offshore cloud levers: KYC on cloud customers, caps on foreign access, the remote-access rule, and
compute-threshold monitoring.

``cloud_access`` applies to hosts in ``host_tiers`` (or ``host_countries``) renting to tenants from
``tenant_tiers``: each month KYC refuses such a tenant on a route with probability ``kyc_detection``; a host may rent
at most ``foreign_access_cap`` of its compute to foreign tenants; under the remote-access rule, chips the US controls
(US-bloc vendors, TPP at or above ``remote_access_tpp_threshold``) may not serve those tenants at all.
``compute_monitoring`` puts hosts whose installed compute is at least ``threshold_h100e`` under scrutiny: KYC on
them refuses controlled tenants with probability at least ``detection``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from sim.policies.registry import Policy, PolicyParams, register, unknown_ids
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.agents.datacenter import DataCenterAgent
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import Scenario

Tier = Annotated[int, Field(ge=1, le=3)]


@dataclass
class CloudRules:
    """What holds for offshore rental this month (rebuilt from the scenario every month, then set by policies)."""

    kyc: list[tuple[CloudAccessParams, float]] = field(default_factory=list)
    caps: list[CloudAccessParams] = field(default_factory=list)
    remote_access: list[CloudAccessParams] = field(default_factory=list)
    monitoring: list[ComputeMonitoringParams] = field(default_factory=list)
    # Tenants (node numbers) that hosts in a country (the key) must refuse this month, whatever the checks draw:
    # controlled tenants a training-run monitoring regime found (sim/policies/training_run_monitoring.py).
    barred_tenants: dict[str, set[int]] = field(default_factory=dict)

    def refusal_probability(self, host: DataCenterAgent, tenant: DataCenterAgent, host_h100e: float) -> float:
        """Chance that the host's checks refuse this tenant this month (``host_h100e``: the host's installed compute,
        which decides whether monitoring applies)."""
        refusal = 0.0
        for params, detection in self.kyc:
            if params.covers(host, tenant):
                refusal = max(refusal, detection)
        for params in self.monitoring:
            if params.covers(host, tenant) and host_h100e >= params.threshold_h100e:
                refusal = max(refusal, params.detection)
        return refusal

    def foreign_share_cap(self, host: DataCenterAgent, tenant: DataCenterAgent) -> float:
        cap = 1.0
        for params in self.caps:
            if params.covers(host, tenant) and params.foreign_access_cap is not None:
                cap = min(cap, params.foreign_access_cap)
        return cap

    def remote_access_threshold(self, host: DataCenterAgent, tenant: DataCenterAgent) -> float | None:
        thresholds = [p.remote_access_tpp_threshold for p in self.remote_access if p.covers(host, tenant)]
        return min(thresholds) if thresholds else None


class _Scope(PolicyParams):
    host_tiers: list[Tier] = Field(default_factory=lambda: [1, 2])
    host_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    tenant_tiers: list[Tier] = Field(default_factory=lambda: [3])

    def covers(self, host: DataCenterAgent, tenant: DataCenterAgent) -> bool:
        host_in = host.country in self.host_countries if self.host_countries else host.tier in self.host_tiers
        return host_in and tenant.tier in self.tenant_tiers


class CloudAccessParams(_Scope):
    kyc_detection: Annotated[float, Field(ge=0, le=1)] = 0.0
    foreign_access_cap: Annotated[float, Field(ge=0, le=1)] | None = None
    remote_access_rule: bool = False
    remote_access_tpp_threshold: Annotated[float, Field(gt=0)] = 4800.0

    @model_validator(mode="after")
    def _does_something(self) -> CloudAccessParams:
        if not self.kyc_detection and self.foreign_access_cap is None and not self.remote_access_rule:
            raise ValueError("cloud_access needs kyc_detection, foreign_access_cap or remote_access_rule")
        return self


class ComputeMonitoringParams(_Scope):
    threshold_h100e: Annotated[float, Field(ge=0)]
    detection: Annotated[float, Field(ge=0, le=1)]


def _scope_problems(params: _Scope, scenario: Scenario, path: tuple) -> list[Problem]:
    return unknown_ids(path + ("host_countries",), params.host_countries, "country", scenario.countries)


@register
class CloudAccess(Policy):
    type_name = "cloud_access"
    Params = CloudAccessParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        cloud = rules.cloud
        if self.params.kyc_detection:
            cloud.kyc.append((self.params, self.params.kyc_detection))
        if self.params.foreign_access_cap is not None:
            cloud.caps.append(self.params)
        if self.params.remote_access_rule:
            cloud.remote_access.append(self.params)

    @classmethod
    def reference_problems(cls, params: CloudAccessParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return _scope_problems(params, scenario, path)


@register
class ComputeMonitoring(Policy):
    type_name = "compute_monitoring"
    Params = ComputeMonitoringParams

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        if self.is_effective(month):
            rules.cloud.monitoring.append(self.params)

    @classmethod
    def reference_problems(cls, params: ComputeMonitoringParams, scenario: Scenario, path: tuple) -> list[Problem]:
        return _scope_problems(params, scenario, path)
