"""Tables kept as numpy columns, one row per record: the shape of the market's hot data.

Large worlds place a hundred thousand orders and ship as many consignments a month; an object per record costs more
than all the arithmetic on them. A ``ColumnTable`` is a frozen dataclass whose fields are equal-length arrays; rows are
selected, reordered and joined with array operations.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, TypeVar

import numpy as np

T = TypeVar("T", bound="ColumnTable")

# Array state kept per (agent, chip) pair is keyed agent x CELL_KEY_SPAN + chip number.
CELL_KEY_SPAN = 1 << 32


@dataclass(frozen=True)
class ColumnTable:
    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ()  # every other column holds int64

    @classmethod
    def column_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    def take(self: T, rows) -> T:
        """The rows at ``rows`` (indexes, a boolean mask or a slice), in that order."""
        return type(self)(*(getattr(self, name)[rows] for name in self.column_names()))

    @classmethod
    def empty(cls: type[T]) -> T:
        return cls(*(np.zeros(0, dtype=cls._dtype(name)) for name in cls.column_names()))

    @classmethod
    def concatenate(cls: type[T], parts: list[T]) -> T:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in cls.column_names()))

    def narrowed(self: T) -> T:
        """The same rows with each whole-number column in the smallest integer type that holds it: for tables kept
        a while (shipments in transit), not for arithmetic (``widened`` gives the int64 columns back)."""
        return type(self)(*(smallest_int(getattr(self, name)) for name in self.column_names()))

    def widened(self: T) -> T:
        """The same rows with every column in its own type (int64, or float for FLOAT_COLUMNS)."""
        return type(self)(*(getattr(self, name).astype(self._dtype(name), copy=False) for name in self.column_names()))

    @classmethod
    def from_rows(cls: type[T], rows: list[tuple]) -> T:
        """A table from row tuples whose values are in field order."""
        if not rows:
            return cls.empty()
        columns = zip(*rows, strict=True)
        return cls(*(np.array(column, dtype=cls._dtype(name))
                     for name, column in zip(cls.column_names(), columns, strict=True)))

    @classmethod
    def _dtype(cls, name: str) -> type:
        return float if name in cls.FLOAT_COLUMNS else np.int64


def segment_rows(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every row of some segments of a pool (segment ``i`` is rows ``start[i]`` to ``start[i] + length[i]``), segment
    by segment: each one's segment number and pool row."""
    segment = np.repeat(np.arange(len(length)), length)
    row = np.asarray(start)[segment] + np.arange(len(segment)) - (np.cumsum(length) - length)[segment]
    return segment, row


def run_starts(key: np.ndarray) -> np.ndarray:
    """The first row of each run of equal values in ``key`` (sorted, or at least with equal values together)."""
    new_run = np.ones(len(key), dtype=bool)
    new_run[1:] = key[1:] != key[:-1]
    return np.flatnonzero(new_run)


def rows_by_value(key: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The rows of each value of ``key``, values in increasing order, each value's rows in their order (one stable
    sort, not a mask per value)."""
    if not len(key):
        return []
    order = stable_order(key)
    sorted_key = key[order]
    first = run_starts(sorted_key)
    return list(zip(sorted_key[first].tolist(), np.split(order, first[1:]), strict=True))


# Sorting. numpy sorts 16-bit integers by radix and everything else by merge sort; the market sorts a hundred
# thousand rows several times a month, so its orders are worked out as radix passes (the same order, exactly).
SMALL_SORT_ROWS = 2000  # below this, numpy's own sorts: its per-call overhead outweighs the passes


def order_within_groups(group: np.ndarray, value: np.ndarray, groups: int) -> np.ndarray:
    """Rows ordered by group (numbers below ``groups``), then value, then row: ``np.lexsort((rows, value, group))``,
    in two stable sorts that are several times faster. Values are sorted as 64-bit integers (a float's bits, as a
    signed integer with the magnitude bits of negatives flipped, order the same way), then groups by a radix sort
    when their numbers fit in 16 bits (below a few thousand rows, where numpy's call overhead dominates, lexsort)."""
    if len(value) < SMALL_SORT_ROWS:
        return np.lexsort((np.arange(len(value)), value, group))
    if value.dtype.kind == "f":
        bits = (value.astype(np.float64) + 0.0).view(np.int64)  # + 0.0: -0.0 becomes 0.0, equal as lexsort sees it
        value = np.where(bits < 0, bits ^ np.int64(0x7FFF_FFFF_FFFF_FFFF), bits)
    order = stable_order(value.astype(np.int64))
    group_numbers = group[order].astype(np.uint16) if groups <= 1 << 16 else group[order]
    return order[np.argsort(group_numbers, kind="stable")]


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integers, several times faster.

    numpy's stable sort of 64-bit integers is a merge sort, while its plain ``np.sort`` of them is a vectorised
    quicksort. When a key (less the smallest) and its row number fit in 63 bits together, the row number is packed
    below the key and the packed numbers are sorted: equal keys then sort by row, which is what stable means. Wider
    keys are sorted as radix passes over 16 bits at a time (numpy sorts 16-bit integers by radix)."""
    if len(keys) < SMALL_SORT_ROWS:
        return np.argsort(keys, kind="stable")
    offset = (keys - keys.min()).view(np.uint64)  # non-negative: the same order as unsigned numbers
    top = int(offset.max())
    row_bits = (len(keys) - 1).bit_length()
    if top.bit_length() + row_bits <= 63:
        packed = (offset.view(np.int64) << row_bits) | np.arange(len(keys))
        packed.sort()
        return packed & ((1 << row_bits) - 1)
    order = np.arange(len(keys))
    shift = 0
    while top >> shift:
        digit = ((offset[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def smallest_int(column: np.ndarray) -> np.ndarray:
    """Whole numbers in the smallest signed integer type that holds them all (8, 16, 32 or 64 bits)."""
    column = np.asarray(column)
    if column.dtype.kind not in "iu" or not len(column):
        return column
    low, high = int(column.min()), int(column.max())
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        if np.iinfo(dtype).min <= low and high <= np.iinfo(dtype).max:
            return column if column.dtype == dtype else column.astype(dtype)
    return column
