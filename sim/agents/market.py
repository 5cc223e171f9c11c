"""Orders between buyers and sellers, and how a seller rations scarce stock among them.

A buyer places orders in whole chips at the seller's current price; the seller fills them from stock. When stock
is short, every order gets the same share of what it asked for (largest-remainder rounding, ties to the earlier
order), so rationing is fair, integer and deterministic.

A month's orders are one ``Orders`` table (columns, in the order placed) and are rationed for every seller and chip
at once (``ration_groups``); ``Order`` and ``ration_quantities`` are the same rules for one order at a time, used
where orders are few (export caps) and as the reference the array versions are tested against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.columns import ColumnTable, run_starts, segment_rows, stable_order

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent


# No seller ever holds a trillion chips; capping an order there keeps rationing in 64-bit integers even when decades
# of extreme budget growth would ask for more (schema bounds keep each starting quantity below it).
MAX_CHIPS_PER_ORDER = 10**12


@dataclass(slots=True)
class Order:
    buyer: SupplyChainAgent
    seller: SupplyChainAgent
    chip: str
    requested: int
    unit_price_usd: float
    filled: int = 0

    def __post_init__(self) -> None:
        if self.requested > MAX_CHIPS_PER_ORDER:
            self.requested = MAX_CHIPS_PER_ORDER

    @property
    def value_usd(self) -> float:
        return self.filled * self.unit_price_usd


def ration_quantities(available: int, requested: list[int]) -> list[int]:
    """All of each request when ``available`` suffices, else pro-rata whole shares that sum to ``available``."""
    # Plain Python: the lists are short (a seller's orders for one chip), so numpy's set-up cost would dominate.
    wanted = sum(requested)
    if wanted <= available:
        return [int(count) for count in requested]
    if available <= 0:
        return [0] * len(requested)
    # Largest remainder in whole numbers: each order's exact share is available * count / wanted, so its whole part
    # and remainder (over ``wanted``) are integers; no rounding can make equal remainders unequal.
    whole, remainder = zip(*(divmod(available * int(count), wanted) for count in requested), strict=True)
    whole = list(whole)
    short = available - sum(whole)
    by_remainder = sorted(range(len(whole)), key=lambda i: -remainder[i])  # stable: ties to the earlier order
    for index in by_remainder[:short]:
        whole[index] += 1
    return whole


def ration(available: int, orders: list[Order], limits: list[int] | None = None) -> None:
    """Set ``filled`` on each order: all of it (up to its limit) when stock suffices, else a pro-rata share."""
    requested = [order.requested for order in orders] if limits is None else limits
    for order, count in zip(orders, ration_quantities(available, requested), strict=True):
        order.filled = count


def ration_groups(available: np.ndarray, group: np.ndarray, requested: np.ndarray) -> np.ndarray:
    """``ration_quantities`` for many groups at once: the rows of group ``g`` share ``available[g]``.

    ``group`` must be sorted (each group's rows together, in order placed). The arithmetic is
    ``ration_quantities``'s, in whole numbers, so the shares are the same. Only the rows of groups that are short
    (want more than there is) are worked on; most groups are not.
    """
    requested = np.asarray(requested, dtype=np.int64)
    filled = requested.copy()
    if len(requested) == 0:
        return filled
    run_start = run_starts(group)
    run_length = np.diff(run_start, append=len(group))
    wanted = np.add.reduceat(requested, run_start)
    stock = np.asarray(available, dtype=np.int64)[group[run_start]]
    short = wanted > stock
    if not short.any():
        return filled
    nothing = short & (stock <= 0)
    if nothing.any():
        filled[np.repeat(nothing, run_length)] = 0  # nothing to share
    shared = np.flatnonzero(short & (stock > 0))  # the short runs with something to share, in order
    if len(shared) == 0:
        return filled
    # Their rows, run after run: each row's place among the shared runs and its row number.
    short_run, rows = segment_rows(run_start[shared], run_length[shared])
    short_first = np.cumsum(run_length[shared]) - run_length[shared]
    run = shared[short_run]
    whole, remainder = _whole_shares(stock[run], requested[rows], wanted[run])
    # The units left after rounding down go to the largest remainders, ties to the earlier row.
    left = stock[shared] - np.add.reduceat(whole, short_first)
    by_remainder = _order_by_remainder(short_run, remainder, int(wanted.max()))
    # Sorting keeps each run where it was: a row's rank in its run is its distance from the run's first row.
    rank = np.arange(len(rows)) - short_first[short_run]
    whole[by_remainder[rank < left[short_run]]] += 1
    filled[rows] = whole
    return filled


def _whole_shares(stock: np.ndarray, requested: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``divmod(stock * requested, wanted)`` row by row, exactly: in 64-bit integers when the products fit (they
    always do in practice), else in Python's integers."""
    if int(stock.max()) * int(requested.max()) < 1 << 63:
        product = stock * requested
        whole = product // wanted
        return whole, product - whole * wanted
    product, wanted = stock.astype(object) * requested.astype(object), wanted.astype(object)
    whole = product // wanted
    # Each share is at most its request, each remainder below its total: both fit 64 bits again.
    return whole.astype(np.int64), (product - whole * wanted).astype(np.int64)


def _order_by_remainder(run: np.ndarray, remainder: np.ndarray, largest_wanted: int) -> np.ndarray:
    """Rows (whose ``run`` numbers are in order) ordered by run, then remainder from largest, then row."""
    remainder_bits = largest_wanted.bit_length()
    if int(run[-1]).bit_length() + remainder_bits <= 62:
        # One key: the run in the high bits, the remainder's complement below.
        key = (run << remainder_bits) | ((1 << remainder_bits) - 1 - remainder)
        return stable_order(key)
    return np.lexsort((-remainder, run))


def runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal values in ``key`` (sorted, or at least with equal values together): each row's run number and
    each run's first row."""
    first = run_starts(key)
    # Each run's number repeated over its length: about twice as fast as a running sum of a mask of run starts.
    return np.repeat(np.arange(len(first)), np.diff(first, append=len(key))), first


def once_per_kind(kind: np.ndarray, answer: Callable[[int], object], dtype: type = object) -> np.ndarray:
    """``answer(row)`` for every row, asked only for the first row of each kind (rows of one kind get one answer)."""
    if len(kind) == 0:
        return np.zeros(0, dtype=dtype)
    _kinds, first, kind_of_row = np.unique(kind, return_index=True, return_inverse=True)
    return np.array([answer(row) for row in first.tolist()], dtype=dtype)[kind_of_row]


class AnswersByKind:
    """Answers (small whole numbers) to a question asked per kind of row, kept for as long as what they depend on
    (the ``signature``) holds; kinds are numbered 0 .. size - 1, and the numbering may grow."""

    def __init__(self) -> None:
        self.signature: object = None
        self.answers = np.zeros(0, dtype=np.int8)  # -1: not asked yet

    def of(self, kind: np.ndarray, size: int, signature: object, answer: Callable[[int], int]) -> np.ndarray:
        """The answer for every row, ``answer(row)`` asked for the first row of each kind not answered yet."""
        if signature != self.signature:
            self.signature, self.answers = signature, np.full(size, -1, dtype=np.int8)
        elif len(self.answers) < size:
            self.answers = np.concatenate([self.answers, np.full(size - len(self.answers), -1, dtype=np.int8)])
        unknown = np.flatnonzero(self.answers[kind] < 0)
        if len(unknown):
            new_kinds, first = np.unique(kind[unknown], return_index=True)
            for key, row in zip(new_kinds.tolist(), unknown[first].tolist(), strict=True):
                self.answers[key] = answer(row)
        return self.answers[kind]


def sum_by_group(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """``values`` summed per group, in their own dtype (whole chips stay exact integers), in row order."""
    sums = np.zeros(groups, dtype=values.dtype)
    np.add.at(sums, group, values)
    return sums


@dataclass(frozen=True)
class Orders(ColumnTable):
    """Orders as columns, one row each, in the order placed."""

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ("unit_price_usd",)

    buyer: np.ndarray  # node number
    seller: np.ndarray  # node number
    edge: np.ndarray  # the trade network's number for the seller -> buyer edge the chips will travel
    # The seller's cell for the chip (in the vendor or intermediary arrays). Cells are added between a month's
    # orders, never while they are filled, so the number holds for the month the order is placed in.
    seller_cell: np.ndarray
    chip: np.ndarray  # chip number
    requested: np.ndarray  # chips, at most MAX_CHIPS_PER_ORDER
    unit_price_usd: np.ndarray
