"""Fabs: wafer capacity by process node, yield, advanced packaging and HBM, turning bookings into chips.

Each month vendors book wafers for their product lines. The fab grants wafers pro rata when a node is
oversubscribed, then checks the two back-end limits that cap finished accelerators in practice: advanced packaging
(CoWoS-class wafers) and HBM stacks (from this month's deliveries plus any stockpile). A line's output is the
least of what its wafers, its packaging share and its HBM share allow; the yield draw is binomial per line, from
the fab's own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.scenario.schema import Fab, ProductLine

if TYPE_CHECKING:
    from sim.model import ChipSupplyModel


MAX_YIELD = 0.95


@dataclass
class Booking:
    """A vendor's request for one product line this month, and what the fab made of it."""

    vendor_id: str
    line: ProductLine
    hbm_stacks_per_chip: int
    wafers_requested: float
    wafers_granted: float = 0.0
    chips_made: int = 0
    refused: bool = False


def _pro_rata(capacity: float, demands: np.ndarray) -> np.ndarray:
    """Scale demands down to fit ``capacity`` (all granted when they fit)."""
    total = demands.sum()
    if total <= capacity or total <= 0:
        return demands.copy()
    return demands * (capacity / total)


class FabAgent(SupplyChainAgent):
    kind = "fab"

    def __init__(self, model: ChipSupplyModel, spec: Fab) -> None:
        super().__init__(model, spec.id, spec.country)
        self.spec = spec
        self.name = spec.name
        self.uses_controlled_equipment = spec.uses_controlled_equipment
        self.wafers_per_month = {node: n.wafers_per_month for node, n in spec.nodes.items()}
        self.yield_fraction = {node: n.yield_fraction for node, n in spec.nodes.items()}
        self.packaging_wafers_per_month = spec.packaging_wafers_per_month
        self.hbm_stacks_per_month = spec.hbm_stacks_per_month
        self.hbm_stacks_stock = spec.hbm_stacks_stock
        # Growth multipliers applied each month; policies (SME controls) act on these and on yield.
        self.node_growth_per_month = {node: n.growth_factor_per_year ** (1 / 12) for node, n in spec.nodes.items()}
        self.packaging_growth_per_month = spec.packaging_growth_factor_per_year ** (1 / 12)
        self.hbm_growth_per_month = spec.hbm_growth_factor_per_year ** (1 / 12)
        self.yield_gain_per_month = {node: n.yield_gain_per_year / 12 for node, n in spec.nodes.items()}
        self.sme_reduction = 0.0
        self.front_company_detection = 0.0  # set each month by foundry KYC policies
        self.chips_made_this_month = 0
        self.wafers_started_this_month = 0.0

    def grow_capacity(self) -> None:
        """A month of growth in wafer, packaging and HBM capacity, and of yield learning.

        SME controls (``sme_reduction``, set by policy each month on fabs that use controlled equipment) take that
        share off the growth above 1 of its nodes and of its domestic HBM supply (the Dec-2024 rule covers HBM-making
        tools too), and off its yield learning: equipment not delivered is capacity not built and steps not tuned.
        """
        kept = 1.0 - self.sme_reduction
        for node, factor in self.node_growth_per_month.items():
            self.wafers_per_month[node] *= 1.0 + (factor - 1.0) * kept if factor > 1 else factor
            gain = self.yield_gain_per_month[node] * kept
            current = self.yield_fraction[node]
            # Learning stops at MAX_YIELD; it never lowers a yield that starts above it.
            self.yield_fraction[node] = max(current, min(MAX_YIELD, current + gain))
        self.packaging_wafers_per_month *= self.packaging_growth_per_month
        hbm = self.hbm_growth_per_month
        self.hbm_stacks_per_month *= 1.0 + (hbm - 1.0) * kept if hbm > 1 else hbm

    def _back_end_caps(self, bookings: list[Booking], chips: np.ndarray, hbm_available: float) -> np.ndarray:
        """Most chips each booking can finish out of ``chips`` good dies, given packaging and HBM (inf: no limit)."""
        per_packaging_wafer = np.array([b.line.chips_per_packaging_wafer or 0.0 for b in bookings])
        packaged = per_packaging_wafer > 0
        packaging_need = np.where(packaged, chips / np.where(packaged, per_packaging_wafer, 1.0), 0.0)
        packaging_granted = _pro_rata(self.packaging_wafers_per_month, packaging_need)
        packaging_cap = np.where(packaged, packaging_granted * per_packaging_wafer, np.inf)
        stacks = np.array([b.hbm_stacks_per_chip for b in bookings], dtype=float)
        hbm_granted = _pro_rata(hbm_available, chips * stacks)
        hbm_cap = np.where(stacks > 0, hbm_granted / np.where(stacks > 0, stacks, 1.0), np.inf)
        return np.minimum(packaging_cap, hbm_cap)

    def _refuse_front_companies(self, bookings: list[Booking]) -> None:
        """Foundry KYC: each front-company booking is refused with this month's detection probability.

        One draw per front-company booking every month, from this fab's own stream, whatever the rules.
        """
        fronts = [booking for booking in bookings if booking.line.via_front_company]
        if not fronts:
            return
        draws = self.model.streams[f"foundry_kyc.{self.agent_id}"].random(len(fronts))
        for booking, draw in zip(fronts, draws, strict=True):
            if draw < self.front_company_detection:
                booking.wafers_requested = 0.0
                booking.refused = True

    def produce(self, bookings: list[Booking]) -> None:
        """Fill in ``wafers_granted`` and ``chips_made`` on each booking, within every capacity limit."""
        self.chips_made_this_month = 0
        self.wafers_started_this_month = 0.0
        hbm_available = self.hbm_stacks_stock + self.hbm_stacks_per_month
        if not bookings:
            self.hbm_stacks_stock = hbm_available
            return
        self._refuse_front_companies(bookings)
        requested = np.array([b.wafers_requested for b in bookings])
        granted = np.zeros(len(bookings))
        for node in dict.fromkeys(b.line.node for b in bookings):
            on_node = np.array([b.line.node == node for b in bookings])
            granted[on_node] = _pro_rata(self.wafers_per_month[node], requested[on_node])
        yields = np.array([self.yield_fraction[b.line.node] for b in bookings])
        chips_per_wafer = np.array([b.line.chips_per_wafer for b in bookings])

        # Wafers are only started for chips that can be finished: a fab does not start wafers it cannot package.
        expected_good = granted * chips_per_wafer * yields
        finishable = np.minimum(expected_good, self._back_end_caps(bookings, expected_good, hbm_available))
        wafers = granted * np.divide(finishable, expected_good, out=np.zeros_like(finishable), where=expected_good > 0)

        rng = self.model.streams[f"fab_yield.{self.agent_id}"]
        candidates = (wafers * chips_per_wafer).astype(np.int64)
        good = rng.binomial(candidates, yields)
        # A lucky yield can outrun the back end sized for the expected yield; the back end then trims the excess.
        caps = self._back_end_caps(bookings, good.astype(float), hbm_available)
        # The small tolerance keeps 49.999999 (float division) from costing a whole chip.
        made = np.where(np.isinf(caps), good, np.minimum(good, np.floor(np.where(np.isinf(caps), 0, caps) + 1e-9)))
        hbm_used = 0.0
        for index, booking in enumerate(bookings):
            booking.wafers_granted = float(wafers[index])
            booking.chips_made = int(made[index])
            hbm_used += booking.chips_made * booking.hbm_stacks_per_chip
        self.chips_made_this_month = int(made.sum())
        self.wafers_started_this_month = float(wafers.sum())
        self.hbm_stacks_stock = max(0.0, hbm_available - hbm_used)
