"""The chip catalog at run time: performance in H100-equivalents and list prices.

The unit of compute is the H100-equivalent (H100e): a chip's total processing performance (TPP, the
export-control metric) divided by the H100's TPP of 15,832 (source id ``tpp_h100``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from sim.calendar import parse_month
from sim.scenario.schema import Scenario

H100_TPP = 15_832.0


@dataclass(frozen=True)
class ChipModel:
    id: str
    name: str
    vendor_id: str
    tpp: float
    list_price_usd: float
    node: str
    release_month: int
    hbm_stacks_per_chip: int
    die_area_mm2: float | None = None
    variant_of: str | None = None  # the chip a design-to-threshold variant was cut down from
    proxy_fabricated: bool = False  # made for a front company at a foreign fab

    @property
    def performance_density(self) -> float | None:
        """TPP per mm2 of die (the export rules' second prong), when the die area is known."""
        return self.tpp / self.die_area_mm2 if self.die_area_mm2 else None

    @cached_property  # read for every order and shipment
    def h100e(self) -> float:
        """Compute of one chip in H100-equivalents."""
        return self.tpp / H100_TPP

    @property
    def price_per_h100e_usd(self) -> float:
        return self.list_price_usd / self.h100e


def proxy_chip_id(chip_id: str) -> str:
    return f"{chip_id}_proxy"


def build_catalog(scenario: Scenario) -> dict[str, ChipModel]:
    """The scenario's chips, plus a proxy-fabricated twin of each chip a vendor books through a front company."""
    catalog = {
        chip_id: ChipModel(
            id=chip_id,
            name=chip.name,
            vendor_id=chip.vendor,
            tpp=chip.tpp,
            list_price_usd=chip.price_usd,
            node=chip.node,
            release_month=parse_month(chip.release),
            hbm_stacks_per_chip=chip.hbm_stacks_per_chip,
            die_area_mm2=chip.die_area_mm2,
        )
        for chip_id, chip in scenario.catalog.items()
    }
    for vendor in scenario.vendors:
        for line in vendor.product_lines:
            if line.via_front_company:
                base = catalog[line.chip]
                catalog[proxy_chip_id(base.id)] = replace(
                    base, id=proxy_chip_id(base.id), name=f"{base.name} (via a front company)", proxy_fabricated=True
                )
    return catalog
