"""Location verification: chips ship able to prove where they are, and a verified chip found where it may not be
gives its diverter away.

While in force, chips of vendors in ``origin_blocs`` (the US bloc's) ship with location verification, as the Chip
Security Act proposed in 2025 (source id ``chip_security_act``). A verified chip that a diverter delivered into a
destination of ``destination_tiers`` (Tier 3: China) reports its location once installed; each month each such
consignment is detected with probability ``monthly_detection`` (the check runs, the chip is online, the report is
acted on), for as long as ``tracked_months`` after its arrival. When one is detected, the intermediary that
diverted it is put on the entity list at the start of the next month (and stops buying from listed-bloc vendors
until its owners set up a new shell company), and its other consignments stop counting against it.

Only consignments shipped while the policy is in force carry verification: chips already in the field were never
fitted with it. Detection draws come from this policy's own stream, one per tracked consignment per month in the
order shipped, so switching it on leaves every other draw of the run unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from sim.policies.registry import Policy, PolicyParams, register
from sim.trade import SMUGGLED_CODE

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.trade import Shipments


class LocationVerificationParams(PolicyParams):
    origin_blocs: list[Literal["us_allies", "china", "rest"]] = Field(default_factory=lambda: ["us_allies"])
    destination_tiers: list[Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=lambda: [3])
    monthly_detection: Annotated[float, Field(ge=0, le=1)]
    tracked_months: Annotated[int, Field(ge=1, le=240)] = 60


@register
class LocationVerification(Policy):
    type_name = "location_verification"
    Params = LocationVerificationParams

    def __init__(self, spec) -> None:
        super().__init__(spec)
        # Verified consignments diverted into controlled destinations and not yet detected: who diverted them (node
        # number) and when they arrive.
        self._diverter = np.zeros(0, dtype=np.int64)
        self._arrival_month = np.zeros(0, dtype=np.int64)
        self._found: list[int] = []  # diverters detected this month, listed next month

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        rules.entity_list_additions.extend(self._found)
        self._found = []

    def observe(self, shipped: Shipments, world: PolicyWorld, month: int) -> None:
        if not self.is_effective(month):
            return
        self._track_new_diversions(shipped, world)
        # Consignments that have arrived and are still tracked report in; older ones are out of service.
        live = self._arrival_month > month - self.params.tracked_months
        self._diverter, self._arrival_month = self._diverter[live], self._arrival_month[live]
        arrived = np.flatnonzero(self._arrival_month <= month)
        if not len(arrived):
            return
        draws = world.streams[f"policy.{self.type_name}"].random(len(arrived))
        found = np.unique(self._diverter[arrived[draws < self.params.monthly_detection]])
        if not len(found):
            return
        self._found = found.tolist()
        kept = ~np.isin(self._diverter, found)
        self._diverter, self._arrival_month = self._diverter[kept], self._arrival_month[kept]

    def _track_new_diversions(self, shipped: Shipments, world: PolicyWorld) -> None:
        verified = np.isin(world.chips.vendor_bloc_of[shipped.chip], self.params.origin_blocs)
        diverted = (shipped.kind == SMUGGLED_CODE) & (world.node_kind[shipped.source] == "intermediary")
        into_controlled = np.isin(world.node_tier[shipped.target], self.params.destination_tiers)
        rows = np.flatnonzero(verified & diverted & into_controlled)
        self._diverter = np.concatenate([self._diverter, shipped.source[rows].astype(np.int64)])
        self._arrival_month = np.concatenate([self._arrival_month, shipped.arrival_month[rows].astype(np.int64)])
