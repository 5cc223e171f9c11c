"""Chip counts the model can keep exactly: a product line's first month of production is bounded.

The model counts chips partly in float64, which holds whole numbers exactly only up to 2^53 (about 9.0e15), and in
int64 (up to 9.2e18). A line's first month is when it books the most for no demand: its whole reservation, grown
from the scenario's start to the chip's release. At 10^12 wafers of 10^5 chips the balance was off by hundreds of
chips and the produced total overflowed int64; with 100x a year of growth from a start long before the chip's
release, wafers times chips overflowed into a negative count and the run crashed (``ValueError: n < 0``). Once a
chip sells, bookings follow demand, which orders cap (``sim/agents/market.py``): the 50-year fastest-growth world
of ``tests/reliability/test_numerical_sanity.py`` makes 5.4e14 chips in all.
"""

from __future__ import annotations

import math

from sim.calendar import parse_month
from sim.scenario.errors import Problem
from sim.scenario.schema import ProductLine, Scenario

# So that even a line making this many every month of the longest horizon the calendar allows (2000 to 2100, 1,200
# months) counts fewer than 2^53 chips in all.
MAX_CHIPS_PER_LINE_MONTH = 2**53 // 1_200


def _grown(value: float, factor_per_year: float, months: int) -> float:
    try:
        return value * factor_per_year ** (months / 12)
    except OverflowError:
        return math.inf


def _first_month_wafers(scenario: Scenario, line: ProductLine, months: int) -> float:
    """The most wafers ``line`` can book ``months`` after the start: its reservation, within its node's capacity."""
    fab = next(fab for fab in scenario.fabs if fab.id == line.fab)
    node = fab.nodes[line.node]
    node_wafers = _grown(node.wafers_per_month, node.growth_factor_per_year, months)
    if line.reservation_share_of_node is not None:
        return line.reservation_share_of_node * node_wafers
    return min(_grown(line.max_wafers_per_month, line.reservation_growth_factor_per_year, months), node_wafers)


def exact_count_problems(scenario: Scenario) -> list[Problem]:
    """A problem for each product line that could make more chips in its first month than the model counts
    exactly over a whole run (run only once references are known to be sound)."""
    start = parse_month(scenario.start)
    problems = []
    for vendor_index, vendor in enumerate(scenario.vendors):
        for line_index, line in enumerate(vendor.product_lines):
            first = max(start, parse_month(scenario.catalog[line.chip].release))
            chips = _first_month_wafers(scenario, line, first - start) * line.chips_per_wafer
            if chips <= MAX_CHIPS_PER_LINE_MONTH:
                continue
            grown = (f", its capacity grown from the start ({scenario.start}) to the chip's release "
                     f"({scenario.catalog[line.chip].release})" if first > start else "")
            message = (
                f"could make {chips:.3g} chips in its first month (wafers it can book x chips_per_wafer{grown}); "
                f"the model counts chips exactly up to {MAX_CHIPS_PER_LINE_MONTH:.3g} a month per product line "
                "(2^53 over 100 years): lower the capacity, chips_per_wafer or the growth, or start nearer the release"
            )
            problems.append(Problem(("vendors", vendor_index, "product_lines", line_index), message))
    return problems
