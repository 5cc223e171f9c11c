"""The chip catalog at run time: performance in H100-equivalents and list prices.

Two measures of a chip, kept apart on purpose:

- **TPP** (total processing performance, the export-control metric: dense TOPS x bit length, at the chip's best
  format) is what the rules read. From Blackwell Ultra on, the best format is 4-bit, so TPP grows faster than the
  compute a lab trains with (a B300 has 1.56x a B200's TPP and the same 8-bit throughput).
- **H100e** (H100-equivalents) is chipsim's compute measure: dense 8-bit (FP8/INT8) throughput over the H100's
  1,979 TOPS (source id ``tpp_h100``: 1,979 x 8 = 15,832 TPP). It is the measure Epoch AI counts chips in
  (``epoch_*`` calibration rows), so those figures need no conversion. For every chip whose TPP is set by an 8- or
  16-bit format (all chips before Blackwell Ultra) H100e = TPP / 15,832 exactly, the unit chipsim used before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import islice

import numpy as np

from sim.calendar import parse_month
from sim.scenario.fields import BLOC_CODE
from sim.scenario.schema import Scenario

H100_TPP = 15_832.0
H100_DENSE_8BIT_TOPS = 1_979.0  # = H100_TPP / 8


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
    memory_bandwidth_gbps: float | None = None
    dense_8bit_tops_given: float | None = None  # None: tpp / 8 (see the module docstring)
    generation: str | None = None
    variant_of: str | None = None  # the chip a design-to-threshold variant was cut down from
    proxy_fabricated: bool = False  # made for a front company at a foreign fab
    chiplet_dies: int = 1  # compute dies in one package when its lines build it by the chiplet route (2 or more)

    @property
    def performance_density(self) -> float | None:
        """TPP per mm2 of die (the export rules' second prong), when the die area is known."""
        return self.tpp / self.die_area_mm2 if self.die_area_mm2 else None

    @property
    def dense_8bit_tops(self) -> float:
        """Dense 8-bit throughput; a chip whose TPP is set by 8- or 16-bit formats has TPP / 8."""
        return self.dense_8bit_tops_given if self.dense_8bit_tops_given is not None else self.tpp / 8

    @cached_property  # read for every order and shipment
    def h100e(self) -> float:
        """Compute of one chip in H100-equivalents (dense 8-bit throughput over the H100's). For a chip without a
        given 8-bit figure this is (TPP / 8) / 1,979, the same float as TPP / 15,832: both are the correctly
        rounded quotient of one rational number."""
        return self.dense_8bit_tops / H100_DENSE_8BIT_TOPS

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
            memory_bandwidth_gbps=chip.memory_bandwidth_gbps,
            dense_8bit_tops_given=chip.dense_8bit_tops,
            generation=chip.generation,
        )
        for chip_id, chip in scenario.catalog.items()
    }
    for vendor in scenario.vendors:
        for line in vendor.product_lines:
            if line.chiplet is not None and not line.via_front_company:  # every line of a chip agrees (references)
                catalog[line.chip] = replace(catalog[line.chip], chiplet_dies=line.chiplet.dies_per_package)
    for vendor in scenario.vendors:
        for line in vendor.product_lines:
            if line.via_front_company:
                base = catalog[line.chip]
                catalog[proxy_chip_id(base.id)] = replace(
                    base, id=proxy_chip_id(base.id), name=f"{base.name} (via a front company)", proxy_fabricated=True
                )
    return catalog


class ChipIndex:
    """Chips numbered in the order they are first seen, with per-chip figures as arrays indexed by number.

    Array code (shipments, orders, the installed base) carries chip numbers, not ids. The index is the model's one
    numbering; it reads the model's catalog, so variants designed during a run are numbered when they first trade.
    """

    def __init__(self, catalog: dict[str, ChipModel], vendor_bloc: dict[str, str] | None = None) -> None:
        self.catalog = catalog
        self.vendor_bloc = vendor_bloc or {}
        self.ids: list[str] = []
        self.number: dict[str, int] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._lowest_tpp: dict[tuple[str, str | None], float] = {}  # by (vendor id, generation), lowest_tpp
        self._tpp_indexed = 0  # catalog entries lowest_tpp has read

    def __len__(self) -> int:
        return len(self.ids)

    def of(self, chip_id: str) -> int:
        """The chip's number (numbering it if new)."""
        number = self.number.get(chip_id)
        if number is None:
            number = self.number[chip_id] = len(self.ids)
            self.ids.append(chip_id)
            self._arrays = {}
        return number

    def lowest_tpp(self, vendor_id: str, generation: str) -> float:
        """The lowest TPP among the catalog's chips of this vendor and generation (inf: none). Chips are only ever
        added to the catalog (variants, at the end), so the index reads each entry once, when first asked after it."""
        if self._tpp_indexed < len(self.catalog):
            for chip in islice(self.catalog.values(), self._tpp_indexed, None):
                key = (chip.vendor_id, chip.generation)
                self._lowest_tpp[key] = min(self._lowest_tpp.get(key, math.inf), chip.tpp)
            self._tpp_indexed = len(self.catalog)
        return self._lowest_tpp.get((vendor_id, generation), math.inf)

    def numbers(self, chip_ids) -> np.ndarray:
        return np.array([self.of(chip) for chip in chip_ids], dtype=np.int64)

    def _array(self, name: str, value, dtype) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:
            array = self._arrays[name] = np.array([value(self.catalog[chip]) for chip in self.ids], dtype=dtype)
        return array

    @property
    def sort_rank(self) -> np.ndarray:
        """Each chip's place when the numbered chips' ids are sorted (for loops that go through chips by id)."""
        array = self._arrays.get("sort_rank")
        if array is None:
            array = self._arrays["sort_rank"] = np.argsort(np.argsort(np.array(self.ids, dtype=object)))
        return array

    @property
    def h100e(self) -> np.ndarray:
        """H100e per chip, by number."""
        return self._array("h100e", lambda chip: chip.h100e, float)

    @property
    def tpp(self) -> np.ndarray:
        """Total processing performance per chip, by number."""
        return self._array("tpp", lambda chip: chip.tpp, float)

    @property
    def list_price_usd(self) -> np.ndarray:
        return self._array("list_price", lambda chip: chip.list_price_usd, float)

    @property
    def release_month(self) -> np.ndarray:
        return self._array("release_month", lambda chip: chip.release_month, np.int64)

    @property
    def proxy_fabricated(self) -> np.ndarray:
        return self._array("proxy", lambda chip: chip.proxy_fabricated, bool)

    @property
    def chiplet(self) -> np.ndarray:
        """Whether each chip is a package of several dies built by the chiplet route, by number."""
        return self._array("chiplet", lambda chip: chip.chiplet_dies > 1, bool)

    @property
    def vendor_bloc_of(self) -> np.ndarray:
        """Bloc of each chip's vendor, by number (strings)."""
        return self._array("vendor_bloc", lambda chip: self.vendor_bloc[chip.vendor_id], object)

    @property
    def vendor_bloc_code(self) -> np.ndarray:
        """Code (``BLOC_CODE``) of each chip's vendor's bloc, by number: integers compare much faster than text."""
        return self._array("vendor_bloc_code", lambda chip: BLOC_CODE[self.vendor_bloc[chip.vendor_id]], np.int64)
