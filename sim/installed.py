"""The installed base: every data center's chips at once, as arrays, and the cohorts waiting to retire.

A *holding* is one kind of chip from one source at one data center; its chips are counted in one integer array over
all holdings, so totals, compute by source and the per-bloc tables are array sums rather than loops over hundreds of
thousands of cohort objects. Holdings are sparse (a data center holds a few of the world's chip models, and large
worlds have thousands of models), so each gets a slot the first time it is installed.

A cohort (chips installed in one month) is kept only as two columns, holding and count, in its install month's
batch. Every chip lives the same number of months, so retiring is dropping the batches that have reached that age.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

SOURCE_DOMESTIC = "domestic"
SOURCE_IMPORT = "import"
SOURCE_SMUGGLED = "smuggled"
SOURCE_PROXY_FAB = "proxy_fab"
INSTALLED_SOURCES = (SOURCE_DOMESTIC, SOURCE_IMPORT, SOURCE_SMUGGLED, SOURCE_PROXY_FAB)
SOURCE_INDEX = {source: index for index, source in enumerate(INSTALLED_SOURCES)}


@dataclass(frozen=True)
class Retired:
    """Cohorts taken out of service: chips and H100e by data center (one entry per cohort)."""

    center: np.ndarray
    chips: np.ndarray
    h100e: np.ndarray


class InstalledBase:
    def __init__(self, centers: int) -> None:
        self.centers = centers
        self._slot: dict[tuple[int, str, int], int] = {}  # (center, chip id, source index) -> holding
        self._center: list[int] = []
        self._chip: list[str] = []
        self._source: list[int] = []
        self._h100e_per_chip: list[float] = []
        self._slots_of_center: list[list[int]] = [[] for _ in range(centers)]
        self._count = np.zeros(64, dtype=np.int64)
        # Per install month, its cohorts as two columns (holding, chips), appended as shipments arrive.
        self._cohorts: dict[int, tuple[list[int], list[int]]] = {}
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # the holdings' columns, as arrays

    def _holding_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(center, source, H100e per chip) of every holding, rebuilt only when holdings were added."""
        if self._arrays is None or len(self._arrays[0]) != len(self._center):
            self._arrays = (np.array(self._center, dtype=np.int64), np.array(self._source, dtype=np.int64),
                            np.array(self._h100e_per_chip, dtype=float))
        return self._arrays

    def _holding(self, center: int, chip: str, h100e_per_chip: float, source: str) -> int:
        key = (center, chip, SOURCE_INDEX[source])
        slot = self._slot.get(key)
        if slot is None:
            slot = self._slot[key] = len(self._center)
            self._center.append(center)
            self._chip.append(chip)
            self._source.append(key[2])
            self._h100e_per_chip.append(h100e_per_chip)
            self._slots_of_center[center].append(slot)
            if slot == len(self._count):  # grow by doubling, so appends stay cheap on average
                self._count = np.concatenate([self._count, np.zeros_like(self._count)])
        return slot

    # --- installing and retiring ------------------------------------------------------------------------------
    def install(self, center: int, chip: str, h100e_per_chip: float, source: str, count: int, month: int) -> None:
        slot = self._holding(center, chip, h100e_per_chip, source)
        self._count[slot] += count
        cohorts = self._cohorts.get(month)
        if cohorts is None:
            cohorts = self._cohorts[month] = ([], [])
        cohorts[0].append(slot)
        cohorts[1].append(count)

    def retire(self, month: int, lifetime_months: int) -> Retired:
        """Take out every cohort installed ``lifetime_months`` or more before ``month``; return them."""
        due = [install for install in self._cohorts if month - install >= lifetime_months]
        slots: list[int] = []
        counts: list[int] = []
        for install in sorted(due):
            cohort_slots, cohort_counts = self._cohorts.pop(install)
            slots.extend(cohort_slots)
            counts.extend(cohort_counts)
        slot_array = np.array(slots, dtype=np.int64)
        chips = np.array(counts, dtype=np.int64)
        np.subtract.at(self._count, slot_array, chips)
        center, _source, h100e_per_chip = self._holding_arrays()
        return Retired(center=center[slot_array], chips=chips, h100e=chips * h100e_per_chip[slot_array])

    # --- what is installed ------------------------------------------------------------------------------------
    def _counts(self) -> np.ndarray:
        return self._count[: len(self._center)]

    def total_chips(self) -> int:
        return int(self._counts().sum())

    def fewest_chips(self) -> int:
        """The smallest count of any holding (negative would be an accounting bug)."""
        return int(self._counts().min(initial=0))

    def chips_by_center(self) -> np.ndarray:
        center, _source, _h100e = self._holding_arrays()
        return np.bincount(center, weights=self._counts(), minlength=self.centers).astype(np.int64)

    def h100e_by_center_and_source(self) -> np.ndarray:
        """H100e installed at each center by source: shape (centers, sources)."""
        sources = len(INSTALLED_SOURCES)
        center, source, h100e_per_chip = self._holding_arrays()
        h100e = self._counts() * h100e_per_chip
        by_key = np.bincount(center * sources + source, weights=h100e, minlength=self.centers * sources)
        return by_key.reshape(self.centers, sources)

    def center_chips(self, center: int) -> int:
        return int(sum(self._count[slot] for slot in self._slots_of_center[center]))

    def center_h100e_by_source(self, center: int) -> dict[str, float]:
        by_source = dict.fromkeys(INSTALLED_SOURCES, 0.0)
        for slot in self._slots_of_center[center]:
            by_source[INSTALLED_SOURCES[self._source[slot]]] += int(self._count[slot]) * self._h100e_per_chip[slot]
        return by_source

    def center_holdings(self, center: int) -> Iterator[tuple[str, str, int]]:
        """(source, chip id, chips) for every holding of the center with chips in it."""
        for slot in self._slots_of_center[center]:
            if self._count[slot]:
                yield INSTALLED_SOURCES[self._source[slot]], self._chip[slot], int(self._count[slot])
