"""A vendor's product lines as the month's bookings need them: ramp-up and wind-down windows, and every line's
figures as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.calendar import parse_month
from sim.scenario.schema import ProductLine

if TYPE_CHECKING:
    from sim.agents.vendor import VendorAgent

NO_WINDOW_START = 10**6  # months: a ramp-up that started long ago, a wind-down that never starts


def line_windows(lines: list[ProductLine]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each line's (ramp-up start, ramp-up months, wind-down start, wind-down months), months as numbers; a line
    without a window gets one that keeps it at full reservation."""
    ramp_start = [parse_month(line.ramp_up.start) if line.ramp_up else -NO_WINDOW_START for line in lines]
    ramp_months = [line.ramp_up.months if line.ramp_up else 1 for line in lines]
    wind_start = [parse_month(line.wind_down.start) if line.wind_down else NO_WINDOW_START for line in lines]
    wind_months = [line.wind_down.months if line.wind_down else 1 for line in lines]
    return tuple(np.array(column, dtype=np.int64) for column in (ramp_start, ramp_months, wind_start, wind_months))


def line_ramp_factor(ramp_start: np.ndarray, ramp_months: np.ndarray, wind_start: np.ndarray,
                     wind_months: np.ndarray, month: int) -> np.ndarray:
    """Share of each line's reservation open in ``month``: rising linearly to 1 over the ramp-up (a share of
    1/months in its first month), falling linearly to 0 over the wind-down. Exactly 1.0 for a line without windows,
    so such a line books as it did before windows existed."""
    up = np.clip((month - ramp_start + 1) / ramp_months, 0.0, 1.0)
    down = np.clip(1.0 - (month - wind_start + 1) / wind_months, 0.0, 1.0)
    return up * down


@dataclass(frozen=True)
class ProductLines:
    """Every vendor's product lines in booking order, with what bookings need of each as arrays."""

    lines: list[tuple[VendorAgent, ProductLine]]
    number: np.ndarray  # the line's number in VendorArrays' reservation arrays
    cell: np.ndarray  # the vendor's cell of the line's chip
    fab: np.ndarray  # place in model.fabs
    node: np.ndarray  # model.fab_nodes code
    hbm_stacks_per_chip: np.ndarray
    via_front_company: np.ndarray
    chips_per_wafer: np.ndarray
    chips_per_packaging_wafer: np.ndarray  # 0 when none is needed
    dies_per_package: np.ndarray  # 1, or the dies a chiplet line bonds into each package
    share_of_node: np.ndarray  # the reservation as a share of the node's capacity; NaN for a fixed reservation
