"""The installed base: every data center's chips at once, as arrays, and the cohorts waiting to retire.

A *holding* is one kind of chip from one source at one data center. Holdings are sparse (a data center holds a few
of the world's chip models, and large worlds have thousands of models), so they are kept as a sorted array of integer
keys (center, chip number, source packed into one int64) with a count beside each. A month's arrivals are installed
in one batch: keys are computed for all of them, merged into the sorted keys, and counts added with array operations.
Totals, compute by source and the per-bloc tables are then array sums rather than loops over cohort objects.

A cohort (chips installed in one month) is kept only as two columns, holding number and count, in its install
month's batch; holdings are numbered as they first appear (the sorted keys move when new ones go in, the numbers do
not), and both columns are kept in as few bytes as hold them (``sim.lasting.SplitInts``: about 5 bytes a cohort at
S10k, where 60 months of cohorts are ~5 million rows): cohorts are most of a large run's memory. Every chip
lives the same number of months, so retiring is dropping the batches that have reached that age.
Chips are numbered the first time they are seen, so variants designed during a run fit in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.catalog import ChipIndex
from sim.columns import stable_order
from sim.lasting import LastingArrays, SplitInts
from sim.scenario.fields import BLOCS

if TYPE_CHECKING:
    from sim.catalog import ChipModel

SOURCE_DOMESTIC = "domestic"
SOURCE_IMPORT = "import"
SOURCE_SMUGGLED = "smuggled"
SOURCE_PROXY_FAB = "proxy_fab"
SOURCE_CHIPLET = "chiplet"
INSTALLED_SOURCES = (SOURCE_DOMESTIC, SOURCE_IMPORT, SOURCE_SMUGGLED, SOURCE_PROXY_FAB, SOURCE_CHIPLET)
SOURCE_INDEX = {source: index for index, source in enumerate(INSTALLED_SOURCES)}

def installed_source(chips: ChipIndex, chip: np.ndarray, owner_bloc_code: np.ndarray,
                     smuggled: np.ndarray | None = None) -> np.ndarray:
    """What chips count as once installed (index in INSTALLED_SOURCES), row by row (chip numbers, owners' bloc codes
    and whether they came over a smuggling route): ``smuggled`` when they did, ``proxy_fab`` when the die was made for
    a front company, ``chiplet`` when the chip's vendor is of the owner's bloc and the chip a package of several dies
    built by the chiplet route, ``domestic`` for the vendor's bloc's other chips, ``import`` otherwise."""
    # The answer for each (chip, owner's bloc), then looked up row by row.
    blocs = len(BLOCS)
    home = chips.vendor_bloc_code[:, None] == np.arange(blocs)[None, :]
    by_chip_and_bloc = np.where(home, SOURCE_INDEX[SOURCE_DOMESTIC], SOURCE_INDEX[SOURCE_IMPORT])
    by_chip_and_bloc[home & chips.chiplet[:, None]] = SOURCE_INDEX[SOURCE_CHIPLET]
    by_chip_and_bloc[chips.proxy_fabricated] = SOURCE_INDEX[SOURCE_PROXY_FAB]
    source = by_chip_and_bloc.ravel()[np.asarray(chip) * blocs + owner_bloc_code]
    if smuggled is not None:
        source = np.where(smuggled, SOURCE_INDEX[SOURCE_SMUGGLED], source)
    return source.astype(np.int64)


# Key layout: center << CENTER_SHIFT | chip number << SOURCE_BITS | source. 2^18 chip models is far beyond any world.
SOURCE_BITS = 3
SOURCE_MASK = (1 << SOURCE_BITS) - 1
CHIP_BITS = 18
CENTER_SHIFT = CHIP_BITS + SOURCE_BITS
MAX_CHIPS = 1 << CHIP_BITS


@dataclass(frozen=True)
class Retired:
    """Cohorts taken out of service: chips and H100e by data center (one entry per cohort)."""

    center: np.ndarray
    chips: np.ndarray
    h100e: np.ndarray


class InstalledBase:
    def __init__(self, centers: int, catalog: dict[str, ChipModel], chips: ChipIndex | None = None) -> None:
        self.centers = centers
        # The model's chip numbering (shared with shipments); its catalog is the model's, so variants fit in.
        self.chips = chips if chips is not None else ChipIndex(catalog)
        self.keys = np.zeros(0, dtype=np.int64)  # sorted, one per holding
        self.counts = np.zeros(0, dtype=np.int64)
        self.holding_number = np.zeros(0, dtype=np.int64)  # of each key: its holding's number, in order of appearance
        # Per install month, its cohorts as two columns per batch installed: holding numbers and chips.
        # Kept apart from the month's temporaries (see sim.lasting), in as few bytes as hold them.
        self._cohorts: dict[int, list[tuple[SplitInts, SplitInts]]] = {}
        self._lasting = LastingArrays()
        # H100e by center and source, kept until chips are installed or retired: the month's rental market and its
        # record both ask, with nothing installed in between.
        self._h100e_by_center_and_source: np.ndarray | None = None

    # --- installing and retiring ------------------------------------------------------------------------------
    def install(self, center: Sequence[int], chip: Sequence[str], source: Sequence[str], count: Sequence[int],
                month: int) -> None:
        """Install a batch of cohorts, row i being ``count[i]`` chips of ``chip[i]`` from ``source[i]`` at data
        center number ``center[i]``, all in ``month``."""
        self.install_numbered(center, self.chips.numbers(chip),
                              np.array([SOURCE_INDEX[name] for name in source], dtype=np.int64), count, month)

    def install_numbered(self, center: Sequence[int], chip: np.ndarray, source: np.ndarray, count: Sequence[int],
                         month: int) -> None:
        """``install`` with chips given by their numbers in the chip index and sources by their index."""
        if len(count) == 0:
            return
        if len(self.chips) > MAX_CHIPS:
            raise OverflowError(f"more than {MAX_CHIPS} chip models in one run")
        keys = ((np.asarray(center, dtype=np.int64) << CENTER_SHIFT) | (np.asarray(chip, dtype=np.int64) << SOURCE_BITS)
                | np.asarray(source, dtype=np.int64))
        # One cohort per holding and batch: a month's many shipments of a chip to a center retire together anyway.
        by_key = stable_order(keys)
        keys = keys[by_key]
        first = np.flatnonzero(np.diff(keys, prepend=-1))
        keys, chips = keys[first], np.add.reduceat(np.asarray(count, dtype=np.int64)[by_key], first)
        at = np.searchsorted(self.keys, keys)
        held = at < len(self.keys)
        held[held] = self.keys[at[held]] == keys[held]
        if not held.all():
            # New holdings go in where they sort (both lists are sorted); each key's place then moves up by the
            # number of new keys before it.
            new = ~held
            numbers = len(self.keys) + np.arange(np.count_nonzero(new))
            self.keys = np.insert(self.keys, at[new], keys[new])
            self.counts = np.insert(self.counts, at[new], 0)
            self.holding_number = np.insert(self.holding_number, at[new], numbers)
            at = at + np.cumsum(new) - new
        self.counts[at] += chips  # keys are unique: a plain add
        self._h100e_by_center_and_source = None
        self._cohorts.setdefault(month, []).append(
            (SplitInts(self.holding_number[at], self._lasting), SplitInts(chips, self._lasting)))

    def retire(self, month: int, lifetime_months: int) -> Retired:
        """Take out every cohort installed ``lifetime_months`` or more before ``month``; return them."""
        due = sorted(install for install in self._cohorts if month - install >= lifetime_months)
        batches = [batch for install in due for batch in self._cohorts.pop(install)]
        if not batches:
            empty = np.zeros(0, dtype=np.int64)
            return Retired(empty, empty, empty.astype(float))
        position_of_number = np.empty(len(self.keys), dtype=np.int64)
        position_of_number[self.holding_number] = np.arange(len(self.keys))
        position = position_of_number[np.concatenate([numbers.values() for numbers, _count in batches])]
        chips = np.concatenate([count.values() for _numbers, count in batches])
        np.subtract.at(self.counts, position, chips)
        self._h100e_by_center_and_source = None
        keys = self.keys[position]
        chip_number = (keys >> SOURCE_BITS) & (MAX_CHIPS - 1)
        return Retired(center=keys >> CENTER_SHIFT, chips=chips, h100e=chips * self.chips.h100e[chip_number])

    # --- what is installed ------------------------------------------------------------------------------------
    def total_chips(self) -> int:
        return int(self.counts.sum())

    def fewest_chips(self) -> int:
        """The smallest count of any holding (negative would be an accounting bug)."""
        return int(self.counts.min(initial=0))

    def chips_by_center(self) -> np.ndarray:
        return np.bincount(self.keys >> CENTER_SHIFT, weights=self.counts, minlength=self.centers).astype(np.int64)

    def h100e_by_center(self, counted: np.ndarray) -> np.ndarray:
        """H100e installed at each center, counting only chips whose number is True in ``counted``."""
        chip = (self.keys >> SOURCE_BITS) & (MAX_CHIPS - 1)
        h100e = np.where(counted[chip], self.counts * self.chips.h100e[chip], 0.0)
        return np.bincount(self.keys >> CENTER_SHIFT, weights=h100e, minlength=self.centers)

    def h100e_by_center_and_source(self) -> np.ndarray:
        """H100e installed at each center by source: shape (centers, sources), read-only."""
        if self._h100e_by_center_and_source is None:
            sources = len(INSTALLED_SOURCES)
            center_and_source = (self.keys >> CENTER_SHIFT) * sources + (self.keys & SOURCE_MASK)
            h100e = self.counts * self.chips.h100e[(self.keys >> SOURCE_BITS) & (MAX_CHIPS - 1)]
            by_key = np.bincount(center_and_source, weights=h100e, minlength=self.centers * sources)
            by_key.flags.writeable = False  # shared by every caller until the next install or retirement
            self._h100e_by_center_and_source = by_key.reshape(self.centers, sources)
        return self._h100e_by_center_and_source

    def _center_slice(self, center: int) -> slice:
        start, stop = np.searchsorted(self.keys, [center << CENTER_SHIFT, (center + 1) << CENTER_SHIFT])
        return slice(int(start), int(stop))

    def center_chips(self, center: int) -> int:
        return int(self.counts[self._center_slice(center)].sum())

    def center_h100e_by_source(self, center: int) -> dict[str, float]:
        by_source = dict.fromkeys(INSTALLED_SOURCES, 0.0)
        for source, chip, count in self.center_holdings(center):
            by_source[source] += count * self.chips.h100e[self.chips.number[chip]]
        return by_source

    def center_holdings(self, center: int) -> Iterator[tuple[str, str, int]]:
        """(source, chip id, chips) for every holding of the center with chips in it."""
        where = self._center_slice(center)
        for key, count in zip(self.keys[where].tolist(), self.counts[where].tolist(), strict=True):
            if count:
                chip = self.chips.ids[(key >> SOURCE_BITS) & (MAX_CHIPS - 1)]
                yield INSTALLED_SOURCES[key & SOURCE_MASK], chip, count
