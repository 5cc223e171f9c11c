"""Design-to-threshold: a vendor's compliant variant of its best chip, after a TPP threshold catches it.

When an export control in force (of the vendor's bloc) has a TPP threshold at or below the TPP of the vendor's best
released chip, the vendor starts designing a variant with ``tpp_fraction_of_threshold`` of that threshold. After
``lag_months`` the variant is on sale: a new catalog chip at ``price_ratio_to_base`` of the base chip's list price,
made on the base chip's line with ``reservation_share`` of its reservation. A threshold that ratchets down later
catches the variant too, and the chase starts again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.catalog import ChipModel
from sim.scenario.schema import DesignToThreshold, ProductLine

if TYPE_CHECKING:
    from sim.agents.vendor import VendorAgent


def variant_id(base_chip: str, threshold: float) -> str:
    return f"{base_chip}_under_{int(threshold)}"


class VariantDesigner:
    """The design projects of one vendor: threshold -> month its variant is ready."""

    def __init__(self, vendor: VendorAgent, plan: DesignToThreshold) -> None:
        self.vendor = vendor
        self.plan = plan
        self.ready_month: dict[float, int] = {}
        self.launched: list[str] = []

    def best_chip(self, month: int) -> ProductLine | None:
        catalog = self.vendor.model.catalog
        released = [line for line in self.vendor.product_lines
                    if catalog[line.chip].release_month <= month and catalog[line.chip].variant_of is None]
        return max(released, key=lambda line: catalog[line.chip].tpp, default=None)

    def step(self, month: int) -> None:
        model = self.vendor.model
        new_thresholds = [
            control.tpp_threshold for control in model.rules.export.controls
            if control.tpp_threshold is not None and self.vendor.bloc in control.params.origin_blocs
            and control.tpp_threshold not in self.ready_month
        ]
        if not new_thresholds and month not in self.ready_month.values():
            return  # nothing to start and nothing ready: most months
        best = self.best_chip(month)
        if best is None:
            return
        for threshold in new_thresholds:
            if model.catalog[best.chip].tpp >= threshold and not self.answered(best, threshold):
                self.ready_month[threshold] = month + self.plan.lag_months
        for threshold, ready in sorted(self.ready_month.items()):
            if ready == month:
                self.launch(best, threshold, month)

    def answered(self, best: ProductLine, threshold: float) -> bool:
        """Whether the vendor's catalog already holds a chip of the best chip's generation under the threshold: the
        H20, NVIDIA's Hopper answer to the Oct-2023 rule, is in the catalog of a run starting in 2024, so no second
        Hopper variant is designed; the next generation (the B200) still gets its own."""
        model = self.vendor.model
        generation = model.catalog[best.chip].generation
        # Asked of an index, not by going through the catalog: that was most of a month at 100k agents.
        return generation is not None and model.chips.lowest_tpp(self.vendor.agent_id, generation) < threshold

    def launch(self, base_line: ProductLine, threshold: float, month: int) -> None:
        model = self.vendor.model
        base = model.catalog[base_line.chip]
        chip = ChipModel(
            id=variant_id(base.id, threshold),
            name=f"{base.name} (compliant with {int(threshold)} TPP)",
            vendor_id=base.vendor_id,
            tpp=self.plan.tpp_fraction_of_threshold * threshold,
            list_price_usd=self.plan.price_ratio_to_base * base.list_price_usd,
            node=base.node,
            release_month=month,
            hbm_stacks_per_chip=base.hbm_stacks_per_chip,
            die_area_mm2=base.die_area_mm2,
            memory_bandwidth_gbps=base.memory_bandwidth_gbps,
            # Cut to the line, a variant keeps at most the 8-bit throughput its TPP allows (TPP / 8).
            dense_8bit_tops_given=min(base.dense_8bit_tops, self.plan.tpp_fraction_of_threshold * threshold / 8),
            generation=base.generation,
            variant_of=base.id,
        )
        if chip.id in model.catalog:
            return
        model.catalog[chip.id] = chip
        share = self.plan.reservation_share
        line = base_line.model_copy(update={
            "chip": chip.id,
            "max_wafers_per_month": None if base_line.reservation_share_of_node is not None
            else share * self.vendor.reservation(base_line),
            "reservation_share_of_node": None if base_line.reservation_share_of_node is None
            else share * base_line.reservation_share_of_node,
        })
        self.vendor.add_product_line(line, chip)
        self.launched.append(chip.id)
