"""The ledger: running counts of the chip flows that stocks cannot show (produced, acquired, retired, seized), kept
as they happen for the month's record and the chip balance."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.installed import INSTALLED_SOURCES
from sim.scenario.fields import BLOCS


class Ledger:
    """Running counts of chip flows, for the balance check and the per-tick tables."""

    def __init__(self) -> None:
        self.initial_installed_chips = 0
        self.initial_in_transit_chips = 0
        self.produced_chips_total = 0
        self.retired_chips_total = 0
        self.seized_chips_total = 0
        self.begin_tick()

    def begin_tick(self) -> None:
        self.produced_chips_by_bloc: dict[str, int] = defaultdict(int)
        self.produced_h100e_by_bloc: dict[str, float] = defaultdict(float)
        self.production_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (fab, chip number, chips)
        self.acquired_chips: dict[tuple[str, str], int] = defaultdict(int)
        self.acquired_h100e: dict[tuple[str, str], float] = defaultdict(float)
        self.retired_chips_by_bloc: dict[str, int] = defaultdict(int)
        self.retired_h100e_by_bloc: dict[str, float] = defaultdict(float)
        self.seized_chips = 0
        self.seized_h100e = 0.0

    def produced(self, fab_bloc_code: np.ndarray, fab: np.ndarray, chip: np.ndarray, chips: np.ndarray,
                 h100e: np.ndarray) -> None:
        """Count this month's output, row by row (the fab's bloc code, its place in the model's fabs, chip number,
        chips, H100e), fab by fab."""
        self.produced_chips_total += int(chips.sum())
        for code in np.unique(fab_bloc_code).tolist():
            rows = fab_bloc_code == code
            self.produced_chips_by_bloc[BLOCS[code]] += int(chips[rows].sum())
            # Added one by one in row order, as the per-bloc figures always were.
            self.produced_h100e_by_bloc[BLOCS[code]] += sum(h100e[rows].tolist())
        self.production_rows.append((fab, chip, chips))

    def installed(self, owner_bloc_code: np.ndarray, source: np.ndarray, chips: np.ndarray, h100e: np.ndarray) -> None:
        """Count this month's cohorts (row by row: owner's bloc code, source index, chips, H100e) as acquired."""
        sources = len(INSTALLED_SOURCES)
        key = owner_bloc_code * sources + source
        chips_by_key = np.bincount(key, weights=chips, minlength=len(BLOCS) * sources)
        h100e_by_key = np.bincount(key, weights=h100e, minlength=len(BLOCS) * sources)
        for index in np.flatnonzero(chips_by_key).tolist():
            bloc_and_source = (BLOCS[index // sources], INSTALLED_SOURCES[index % sources])
            self.acquired_chips[bloc_and_source] += int(chips_by_key[index])
            self.acquired_h100e[bloc_and_source] += float(h100e_by_key[index])

    def seize(self, chips: np.ndarray, h100e_per_chip: np.ndarray) -> None:
        """Count seized shipments (row by row: chips, H100e per chip)."""
        for count, per_chip in zip(chips.tolist(), h100e_per_chip.tolist(), strict=True):
            self.seized_chips_total += count
            self.seized_chips += count
            self.seized_h100e += count * per_chip  # added one by one in row order, as the figures always were

    def retired(self, owner_bloc: str, chips: int, h100e: float) -> None:
        self.retired_chips_total += chips
        self.retired_chips_by_bloc[owner_bloc] += chips
        self.retired_h100e_by_bloc[owner_bloc] += h100e
